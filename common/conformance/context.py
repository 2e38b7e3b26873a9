"""``Exchange``: what the rules that need context know about one VEN-VTN conversation.

Feed the messages of one conversation in the order they travelled, each with the time it was
sent and its direction; ``feed`` checks the message against what came before and then records
it. The time is always given, never read from a clock: a capture replays the same way every
day.

What it learns on the way:

- the vtnID and the venID a CreatedPartyRegistration hands out (added to the configured ones);
- whether the VEN registered for pull or push (its last oadrCreatePartyRegistration);
- each event's last distributed version (for "all events present", cancellations, answers);
- the modifications waiting for the VEN's oadrCreatedEvent (responseRequired=always);
- the metadata reports each party registered (rIDs, minPeriod, HISTORY reports);
- the reportRequestIDs each party has used in its requests.

Without a direction, a message is taken as sent by the party that normally sends it (see
``sender``): a bare oadrRegisterReport or oadrUpdateReport as the VEN's, a bare
oadrCreateReport or oadrRegisteredReport as the VTN's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from common.conformance.findings import Direction, Finding
from common.messages.enums import EventStatus, ResponseRequired
from common.messages.event import CreatedEvent, DistributeEvent, RequestEvent
from common.messages.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt
from common.messages.poll import Poll
from common.messages.registration import (
    CreatedPartyRegistration,
    CreatePartyRegistration,
    QueryRegistration,
    RequestReregistration,
)
from common.messages.report import CreateReport, RegisteredReport, RegisterReport, Report
from common.messages.types import Message

__all__ = ["EventSeen", "Exchange", "sender"]

_FROM_VEN = (Poll, RequestEvent, CreatedEvent, CreateOpt, CancelOpt, CreatePartyRegistration,
             QueryRegistration, RegisterReport)
_FROM_VTN = (DistributeEvent, CreatedPartyRegistration, RequestReregistration, CreatedOpt,
             CanceledOpt, CreateReport, RegisteredReport)


def sender(message: Message, direction: Direction | None) -> Direction:
    """Who sent `message`: `direction` when known, else the party that usually sends it (the
    VEN for messages either party may send and that are not listed)."""
    if direction is not None:
        return direction
    if isinstance(message, _FROM_VTN):
        return Direction.VTN_TO_VEN
    return Direction.VEN_TO_VTN


@dataclass(frozen=True, slots=True)
class EventSeen:
    """The last distributed version of an event: modification, status and end (None: open)."""

    modification_number: int
    status: EventStatus
    end: datetime | None


@dataclass
class Exchange:
    """The state of one conversation, fed message by message (see the module docstring).

    ``vtn_ids``, ``ven_ids`` and ``market_contexts`` are the identifiers known to be valid;
    an empty set means "unknown" and the rule that needs it stays silent. ``now`` is the time
    of the message being checked [UTC]; ``None`` silences the time rules.
    """

    vtn_ids: set[str] = field(default_factory=set)
    ven_ids: set[str] = field(default_factory=set)
    market_contexts: set[str] = field(default_factory=set)
    now: datetime | None = None
    direction: Direction | None = None
    events: dict[str, EventSeen] = field(default_factory=dict)
    unanswered: dict[tuple[str, int], datetime | None] = field(default_factory=dict)
    pull: bool | None = None
    metadata: dict[Direction, dict[str, Report]] = field(default_factory=dict)
    request_ids: dict[Direction, set[str]] = field(default_factory=dict)
    reply_limit: int | None = None
    """The replyLimit of the VEN's oadrRequestEvent awaiting its answer (A_E3_0655): an
    answer holding that many events may leave the others out."""

    def feed(self, message: Message, *, at: datetime | None = None,
             direction: Direction | None = None) -> list[Finding]:
        """Check `message` (sent at `at`, in `direction`) in this context, then record it."""
        from common.conformance.dispatch import check

        self.now = at
        self.direction = direction
        findings = check(message, self)
        self.record(message)
        return findings

    def feed_all(self, messages: Iterable[tuple[Message, datetime | None, Direction | None]]
                 ) -> list[list[Finding]]:
        """``feed`` each (message, time, direction) in order; the findings of each."""
        return [self.feed(message, at=at, direction=way) for message, at, way in messages]

    # ---- what the checks ask -----------------------------------------------------------------

    def metadata_of(self, party: Direction) -> dict[str, Report]:
        """The metadata reports `party` registered, by reportSpecifierID (empty: none seen)."""
        return self.metadata.get(party, {})

    def requests_by(self, party: Direction) -> set[str]:
        """The reportRequestIDs `party` has used in its requests so far."""
        return self.request_ids.setdefault(party, set())

    def limited(self, message: DistributeEvent) -> bool:
        """True when `message` may leave events out: it answers an oadrRequestEvent whose
        replyLimit it reaches."""
        return self.reply_limit is not None and len(message.events) >= self.reply_limit

    # ---- what the conversation teaches -------------------------------------------------------

    def record(self, message: Message) -> None:
        """Learn from `message` (already checked)."""
        party = sender(message, self.direction)
        if isinstance(message, CreatePartyRegistration):
            self.pull = message.http_pull_model is not False
        elif isinstance(message, CreatedPartyRegistration):
            self.vtn_ids.add(message.vtn_id)
            if message.ven_id:
                self.ven_ids.add(message.ven_id)
        elif isinstance(message, RequestEvent):
            self.reply_limit = message.reply_limit
        elif isinstance(message, DistributeEvent):
            self._record_events(message)
            self.reply_limit = None
        elif isinstance(message, CreatedEvent):
            for answer in message.event_responses:
                qualified = answer.qualified_event_id
                self.unanswered.pop((qualified.event_id, qualified.modification_number), None)
        elif isinstance(message, RegisterReport):
            self.metadata[party] = {r.report_specifier_id: r for r in message.reports}
        elif isinstance(message, CreateReport | RegisteredReport):
            self.requests_by(party).update(r.report_request_id for r in message.report_requests)

    def _record_events(self, message: DistributeEvent) -> None:
        previous = self.events
        self.events = dict(previous) if self.limited(message) else {}
        for oadr_event in message.events:
            event = oadr_event.event
            descriptor = event.event_descriptor
            period = event.active_period
            end = None if period.duration <= timedelta(0) else period.dtstart + period.duration
            key = (descriptor.event_id, descriptor.modification_number)
            seen = previous.get(descriptor.event_id)
            fresh = seen is None or seen.modification_number != descriptor.modification_number
            if oadr_event.response_required is ResponseRequired.ALWAYS and fresh:
                self.unanswered[key] = self.now
            self.events[descriptor.event_id] = EventSeen(
                descriptor.modification_number, descriptor.event_status, end
            )
