"""Event bookkeeping: what changed in an oadrDistributeEvent, effective start, plain summaries."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from common.messages.enums import EventStatus, OptType, ResponseRequired, SignalName
from common.messages.event import DistributeEvent, EiEvent, OadrEvent
from common.messages.types import Target
from common.xml import decode, encode
from ven.instructions import SIGNAL_TYPES

__all__ = [
    "Change",
    "EventPhase",
    "EventState",
    "classify",
    "effective_start",
    "event_end",
    "event_from_xml",
    "event_status",
    "event_to_xml",
    "invalid_content",
    "is_for",
    "summarize",
    "unsupported_signals",
]


class EventPhase(StrEnum):
    """What the state file holds about an event's life (the record, not the time: the state
    at a given moment is ``event_status``)."""

    ACTIVE = "active"  # received and not known to be over (far, near or active in time)
    CANCELLED = "cancelled"  # the VTN sent it with status "cancelled"
    IMPLIED_CANCELLED = "implied_cancelled"  # it vanished from a later oadrDistributeEvent
    STOPPING = "stopping"  # cancelled while active: runs on until its randomised stop (`end`)
    COMPLETED = "completed"  # it ended (or vanished after its end)


class Change(StrEnum):
    """What one oadrDistributeEvent means for one event ID."""

    NEW = "new"
    MODIFIED = "modified"
    CANCELLED = "cancelled"
    IMPLIED_CANCELLED = "implied_cancelled"
    COMPLETED = "completed"
    UNCHANGED = "unchanged"
    STALE = "stale"  # an older modification than the one we hold: ignored


@dataclass(frozen=True, slots=True, kw_only=True)
class EventState:
    """An event as the building brain sees it (passed to the ``EventHandler`` hooks).

    ``effective_start`` is the active period's start plus this VEN's randomisation
    (startafter); ``end`` is ``None`` for an open-ended event. ``opt`` is the whole-VEN
    answer (``None`` while waiting for a person; ``provisional`` when it is the configured
    default given at once while a person may still answer); ``device_opts`` maps resource IDs that
    answered differently to their opt. ``phase`` is an ``EventPhase`` value; ``status`` the
    state at the time the state was read (``event_status``; ``none`` when not computed).
    """

    event_id: str
    modification_number: int
    phase: EventPhase
    event: EiEvent
    response_required: ResponseRequired
    effective_start: datetime
    end: datetime | None
    summary: str
    opt: OptType | None = None
    device_opts: dict[str, OptType] = field(default_factory=dict)
    status: EventStatus = EventStatus.NONE
    provisional: bool = False


def event_to_xml(event: OadrEvent, vtn_id: str) -> bytes:
    """One event as a stored oadrDistributeEvent document (our own codec, unsigned)."""
    return encode(DistributeEvent(request_id="stored", vtn_id=vtn_id, events=(event,)))


def event_from_xml(data: bytes) -> OadrEvent:
    """The event stored by ``event_to_xml``."""
    message = decode(data)
    if not isinstance(message, DistributeEvent) or len(message.events) != 1:
        raise ValueError("stored event document is not a one-event oadrDistributeEvent")
    return message.events[0]


def classify(
    known: dict[str, tuple[int, str]], distributed: DistributeEvent
) -> list[tuple[Change, str, OadrEvent | None]]:
    """Compare the full list the VTN sent with what we hold.

    `known` maps eventID -> (modificationNumber, phase) of events we hold. Returns one
    ``(change, event_id, event)`` per event ID concerned: events in the message first (in
    message order), then events we hold as active that the message no longer lists
    (``IMPLIED_CANCELLED``; the caller turns it into ``COMPLETED`` when the event had ended).
    """
    changes: list[tuple[Change, str, OadrEvent | None]] = []
    listed: set[str] = set()
    for item in distributed.events:
        descriptor = item.event.event_descriptor
        event_id, number = descriptor.event_id, descriptor.modification_number
        listed.add(event_id)
        held = known.get(event_id)
        cancelled = descriptor.event_status is EventStatus.CANCELLED
        if held is None:
            change = Change.CANCELLED if cancelled else Change.NEW
        elif number < held[0]:
            change = Change.STALE
        elif number == held[0]:
            change = Change.UNCHANGED
        elif cancelled:
            change = Change.CANCELLED
        else:
            change = Change.MODIFIED
        changes.append((change, event_id, item))
    for event_id, (_, phase) in known.items():
        if event_id not in listed and phase == EventPhase.ACTIVE:
            changes.append((Change.IMPLIED_CANCELLED, event_id, None))
    return changes


def effective_start(event: EiEvent, ven_id: str) -> datetime:
    """The start this VEN uses: dtstart plus a draw in [0, startafter) seeded by the VEN and
    event IDs (stable across restarts, different between VENs)."""
    period = event.active_period
    window = period.tolerance_startafter
    if window is None or window <= timedelta(0):
        return period.dtstart
    seed = hashlib.sha256(f"{ven_id}/{event.event_descriptor.event_id}".encode()).digest()
    fraction = random.Random(int.from_bytes(seed[:8], "big")).random()
    return period.dtstart + timedelta(seconds=int(fraction * window.total_seconds()))


def event_status(
    event: EiEvent,
    phase: EventPhase | str,
    start: datetime,
    end: datetime | None,
    now: datetime,
) -> EventStatus:
    """The state of an event for this VEN at `now` (pure).

    - ``cancelled``: cancelled by the VTN, or no longer listed before its end; an event
      cancelled while active with a startafter window (phase ``stopping``) stays ``active``
      until its randomised stop (`end`);
    - ``completed`` from `end` on (never for an open-ended event);
    - ``active`` from `start` (the effective start) on;
    - ``near`` within the ramp-up before `start` (x-eiRampUp) when the event has one; without
      one, 2.0b leaves "near" to the VTN: ``near`` when the VTN last sent ``near`` (or ``active``:
      this VEN's randomised start is later), else ``far``.
    """
    phase = EventPhase(phase)
    if phase is EventPhase.STOPPING:
        running = end is not None and start <= now < end
        return EventStatus.ACTIVE if running else EventStatus.CANCELLED
    if phase in (EventPhase.CANCELLED, EventPhase.IMPLIED_CANCELLED):
        return EventStatus.CANCELLED
    if phase is EventPhase.COMPLETED or (end is not None and now >= end):
        return EventStatus.COMPLETED
    if now >= start:
        return EventStatus.ACTIVE
    ramp_up = event.active_period.ramp_up
    if ramp_up is not None and ramp_up > timedelta(0):
        return EventStatus.NEAR if now >= start - ramp_up else EventStatus.FAR
    sent = event.event_descriptor.event_status
    return EventStatus.NEAR if sent in (EventStatus.NEAR, EventStatus.ACTIVE) else EventStatus.FAR


def is_for(
    target: Target,
    *,
    ven_id: str,
    resource_ids: frozenset[str] = frozenset(),
    group_ids: frozenset[str] = frozenset(),
    party_ids: frozenset[str] = frozenset(),
) -> bool:
    """Whether an event's eiTarget includes this VEN.

    A target naming venIDs, resourceIDs, groupIDs or partyIDs must name ours (any one match is
    enough; IDs compare case-sensitively). A target naming none of them (empty, or only
    device classes, nodes or areas, which this VEN cannot place itself in) includes everyone.
    """
    named = target.ven_ids or target.resource_ids or target.group_ids or target.party_ids
    if not named:
        return True
    return (ven_id in target.ven_ids or not resource_ids.isdisjoint(target.resource_ids)
            or not group_ids.isdisjoint(target.group_ids)
            or not party_ids.isdisjoint(target.party_ids))


def event_end(event: EiEvent, start: datetime) -> datetime | None:
    """When the event ends, counting from `start`; ``None`` for an open-ended event."""
    duration = event.active_period.duration
    if duration <= timedelta(0):
        return None
    return start + duration


def unsupported_signals(event: EiEvent, supported: tuple[str, ...]) -> list[str]:
    """The event's signals this VEN cannot act on, as ``NAME`` or ``NAME/type``.

    A signal is unsupported when its name is not in `supported` (the configuration) or when
    its signal type has no meaning for that name in ``ven.instructions.SIGNAL_TYPES`` (the
    brain's own table, so the 460 answer and the planner never disagree).
    """
    refused = []
    for signal in event.event_signals:
        name = signal.signal_name.value
        accepted = SIGNAL_TYPES.get("SIMPLE" if name == "simple" else name, frozenset())
        if name not in supported:
            refused.append(name)
        elif signal.signal_type.value not in accepted:
            refused.append(f"{name}/{signal.signal_type.value}")
    return refused


def invalid_content(event: EiEvent) -> str | None:
    """Why an event is not valid data although it decoded, or ``None``: a SIMPLE level other
    than 0-3, or a signal whose interval durations do not add up to the active period (an
    event of fixed length whose intervals all give their duration). Answered 454."""
    period = event.active_period.duration
    for signal in event.event_signals:
        name = signal.signal_name.value
        if name in ("SIMPLE", "simple"):
            levels = [p for interval in signal.intervals for p in interval.payloads]
            if bad := [v for v in levels if v not in (0, 1, 2, 3)]:
                return f"signal {signal.signal_id}: SIMPLE level {bad[0]:g} is not 0, 1, 2 or 3"
        lengths = [interval.duration for interval in signal.intervals]
        if period > timedelta(0) and lengths and all(d is not None for d in lengths):
            total = sum((d for d in lengths if d is not None), timedelta(0))
            if total != period:
                return (f"signal {signal.signal_id}: its intervals last {total}, its active "
                        f"period {period}")
    return None


def _duration_words(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    if minutes <= 0:
        return "open-ended"
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"for {hours} h {rest} min"
    return f"for {hours} h" if hours else f"for {rest} min"


def summarize(event: EiEvent, start: datetime, zone: tzinfo = UTC) -> str:
    """A line an operator understands: ``SIMPLE level 2 from 2026-07-01 14:00 PDT for 1 h``
    (times in `zone`, the building's time zone)."""
    parts = []
    for signal in event.event_signals:
        name = signal.signal_name.value
        values = [p for interval in signal.intervals for p in interval.payloads]
        first = values[0] if values else None
        if signal.signal_name in (SignalName.SIMPLE, SignalName.SIMPLE_LOWER) and first is not None:
            parts.append(f"{name} level {first:g}")
        elif first is not None:
            parts.append(f"{name} {signal.signal_type.value} {first:g}")
        else:
            parts.append(name)
    when = start.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    return f"{', '.join(parts) or 'no signal'} from {when} " + _duration_words(
        event.active_period.duration
    )
