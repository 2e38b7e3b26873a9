"""EiEvent rules: the VTN's oadrDistributeEvent, and the VEN's answers to it.

Signal name, type and unit combinations: the harness enforces three (CONFORMANCE.md §2.6),
and only those are checked here:

- SIMPLE (and the deprecated ``simple``): signalType ``level``, no itemBase, payloads 0-3;
- ELECTRICITY_PRICE: signalType ``price``, itemBase ``currencyPerKWh``;
- LOAD_DISPATCH: signalType ``setpoint``, itemBase powerReal, powerApparent or powerReactive.

The Profile Specification's table for the other names (ENERGY_PRICE, DEMAND_CHARGE, BID_*,
CHARGE_STATE, LOAD_CONTROL) was not retrieved: signals of those names, and ``x-`` signals,
are not checked for type or unit.

Interpretations (the harness's exact logic is not public):

- "Events ordered correctly": within a market context, the events not cancelled are in
  order of their start (dtstart). The priority semantics of the ordering are not checked.
- "Not overlapping within a market context": two events not cancelled of the same market
  context do not share any instant of their active periods (duration 0 = open-ended).
- "UIDs count 0..n": the intervals of a signal or a baseline carry xcal:uid 0, 1, 2, … in
  order; an interval without a uid is a finding too.
- "Must hold all far, near and active events": offline, only what was sent can be seen; an
  event distributed earlier (not cancelled or completed, not over at the message's time) must
  be in every later oadrDistributeEvent of the conversation.
- "A cancelled event must appear when its modificationNumber changes": an event that turns
  to ``cancelled`` does so with a modificationNumber above the last one distributed (the
  cancellation is a modification), and it is sent (not dropped; see the rule above).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

from common.conformance.findings import Direction, Finding, Rule, path_of_event
from common.messages.enums import (
    EventStatus,
    ExtensionValue,
    ItemKind,
    SignalName,
    SignalType,
)
from common.messages.event import DistributeEvent, OadrEvent
from common.messages.poll import Poll
from common.messages.types import Interval

if TYPE_CHECKING:
    from common.conformance.context import Exchange

__all__ = ["RULES", "check_distribute_event", "check_poll_answered"]

ALL_EVENTS = Rule("event.all-events-present",
                  "oadrDistributeEvent must hold all far, near and active events", True)
CANCELLED_MODIFICATION = Rule(
    "event.cancelled-modification",
    "a cancelled event must appear when its modificationNumber changes", True)
ORDER = Rule("event.order",
             "events must be ordered correctly within a market context")
OVERLAP = Rule("event.no-overlap", "events must not overlap within a market context")
UNIQUE_EVENT_IDS = Rule("event.unique-event-ids", "eventIDs must be unique")
UNIQUE_SIGNAL_IDS = Rule("event.unique-signal-ids", "signalID must be unique per event")
ONE_VEN_ID = Rule("event.one-ven-id", "eiTarget must hold at most one venID")
DURATIONS_SUM = Rule("event.interval-durations-sum",
                     "interval durations must sum to the activePeriod duration")
NO_INTERVAL_DTSTART = Rule("event.no-interval-dtstart",
                           "no dtstart in signal or baseline intervals")
UIDS = Rule("event.interval-uids", "interval UIDs must count 0..n")
CURRENT_VALUE = Rule("event.current-value-inactive",
                     "currentValue must be 0 when the event is not active")
SIMPLE_LEVELS = Rule("event.simple-levels", "SIMPLE payloads must be in 0..3")
SIGNAL_TYPE_UNITS = Rule("event.signal-type-units",
                         "signalType and units must match the signalName")
CREATED_TIME = Rule("event.created-date-time",
                    "createdDateTime must be within +/-5 min of now", True)
KNOWN_MARKET_CONTEXT = Rule("event.known-market-context", "marketContext must be known", True)
KNOWN_VTN_ID = Rule("event.known-vtn-id", "vtnID must be known", True)
KNOWN_VEN_ID = Rule("event.known-ven-id", "venID must be known", True)
REQUEST_ID = Rule("event.request-id", "oadrDistributeEvent must carry a requestID")
ANSWER_BEFORE_POLL = Rule(
    "event.answer-before-poll",
    "the VEN must answer each distributeEvent before the next poll when "
    "responseRequired=always", True)

RULES = (ALL_EVENTS, CANCELLED_MODIFICATION, ORDER, OVERLAP, UNIQUE_EVENT_IDS,
         UNIQUE_SIGNAL_IDS, ONE_VEN_ID, DURATIONS_SUM, NO_INTERVAL_DTSTART, UIDS, CURRENT_VALUE,
         SIMPLE_LEVELS, SIGNAL_TYPE_UNITS, CREATED_TIME, KNOWN_MARKET_CONTEXT, KNOWN_VTN_ID,
         KNOWN_VEN_ID, REQUEST_ID, ANSWER_BEFORE_POLL)

CREATED_TOLERANCE = timedelta(minutes=5)
"""How far createdDateTime may be from the time the message was sent [duration]."""
_SIMPLE = {SignalName.SIMPLE, SignalName.SIMPLE_LOWER}
_POWER = {ItemKind.POWER_REAL, ItemKind.POWER_APPARENT, ItemKind.POWER_REACTIVE}
_CLOSED = {EventStatus.CANCELLED, EventStatus.COMPLETED}

_EventCheck = Callable[[OadrEvent, str], Iterator[Finding]]


def check_distribute_event(message: DistributeEvent, exchange: Exchange) -> list[Finding]:
    """Every oadrDistributeEvent rule; the context rules use `exchange`."""
    findings: list[Finding] = []
    if not message.request_id.strip():
        findings.append(Finding(rule=REQUEST_ID, path="requestID", expected="a requestID",
                                seen="empty", message="the oadrDistributeEvent has no requestID"))
    if exchange.vtn_ids and message.vtn_id not in exchange.vtn_ids:
        findings.append(Finding(rule=KNOWN_VTN_ID, path="vtnID",
                                expected=" or ".join(sorted(exchange.vtn_ids)),
                                seen=message.vtn_id,
                                message=f"vtnID {message.vtn_id!r} is not the VTN's"))
    findings += _unique_event_ids(message.events)
    findings += _order_and_overlap(message.events)
    per_event: Sequence[_EventCheck] = (_signal_ids, _ven_ids, _durations, _interval_dtstart,
                                        _uids, _current_value, _simple_levels, _type_and_units)
    for oadr_event in message.events:
        path = path_of_event(oadr_event.event.event_descriptor.event_id)
        for rule_check in per_event:
            findings += rule_check(oadr_event, path)
        findings += _known_ids(oadr_event, path, exchange)
        findings += _created_time(oadr_event, path, exchange.now)
    findings += _history(message, exchange)
    return findings


def check_poll_answered(message: Poll, exchange: Exchange) -> list[Finding]:
    """An oadrPoll with event modifications still unanswered (responseRequired=always)."""
    if exchange.direction is Direction.VTN_TO_VEN:
        return []
    return [
        Finding(rule=ANSWER_BEFORE_POLL, path=f"oadrEvent[eventID={event_id}]",
                expected=f"oadrCreatedEvent for modification {modification} before this poll",
                seen="oadrPoll",
                message=f"the VEN polled before answering event {event_id!r} modification "
                        f"{modification} (responseRequired=always)")
        for event_id, modification in sorted(exchange.unanswered)
    ]


# ---- message-wide rules ---------------------------------------------------------------------


def _unique_event_ids(events: Sequence[OadrEvent]) -> Iterator[Finding]:
    seen: set[str] = set()
    for oadr_event in events:
        event_id = oadr_event.event.event_descriptor.event_id
        if event_id in seen:
            yield Finding(rule=UNIQUE_EVENT_IDS, path=path_of_event(event_id),
                          expected="each eventID once", seen=f"{event_id} again",
                          message=f"eventID {event_id!r} appears more than once")
        seen.add(event_id)


def _window(oadr_event: OadrEvent) -> tuple[datetime, datetime | None]:
    period = oadr_event.event.active_period
    if period.duration <= timedelta(0):
        return period.dtstart, None
    return period.dtstart, period.dtstart + period.duration


def _order_and_overlap(events: Sequence[OadrEvent]) -> Iterator[Finding]:
    by_market: dict[str, list[OadrEvent]] = {}
    for oadr_event in events:
        descriptor = oadr_event.event.event_descriptor
        if descriptor.event_status is not EventStatus.CANCELLED:
            by_market.setdefault(descriptor.market_context, []).append(oadr_event)
    for market, members in by_market.items():
        for before, after in pairwise(members):
            first, second = before.event.event_descriptor, after.event.event_descriptor
            if after.event.active_period.dtstart < before.event.active_period.dtstart:
                yield Finding(
                    rule=ORDER, path=path_of_event(second.event_id),
                    expected=f"after {first.event_id} (starts "
                             f"{before.event.active_period.dtstart.isoformat()})",
                    seen=f"starts {after.event.active_period.dtstart.isoformat()}",
                    message=f"in {market}, event {second.event_id!r} starts before "
                            f"{first.event_id!r}, which precedes it")
        for index, one in enumerate(members):
            start, end = _window(one)
            for other in members[index + 1:]:
                other_start, other_end = _window(other)
                if (end is None or other_start < end) and (other_end is None or start < other_end):
                    a = one.event.event_descriptor.event_id
                    b = other.event.event_descriptor.event_id
                    yield Finding(rule=OVERLAP, path=path_of_event(b),
                                  expected=f"no overlap with {a}", seen="overlaps",
                                  message=f"in {market}, events {a!r} and {b!r} overlap")


def _history(message: DistributeEvent, exchange: Exchange) -> Iterator[Finding]:
    present = {e.event.event_descriptor.event_id: e for e in message.events}
    for event_id, seen in exchange.events.items():
        current = present.get(event_id)
        if current is None:
            if exchange.limited(message):  # cut by the VEN's replyLimit
                continue
            over = (seen.end is not None and exchange.now is not None
                    and seen.end <= exchange.now)
            if seen.status not in _CLOSED and not over:
                yield Finding(rule=ALL_EVENTS, path=path_of_event(event_id),
                              expected=f"event {event_id} ({seen.status.value})",
                              seen="absent",
                              message=f"event {event_id!r}, {seen.status.value} in an earlier "
                                      "oadrDistributeEvent and not over, is missing")
            continue
        descriptor = current.event.event_descriptor
        turned = (descriptor.event_status is EventStatus.CANCELLED
                  and seen.status is not EventStatus.CANCELLED)
        if turned and descriptor.modification_number <= seen.modification_number:
            yield Finding(rule=CANCELLED_MODIFICATION,
                          path=f"{path_of_event(event_id)}/eventDescriptor/modificationNumber",
                          expected=f"> {seen.modification_number}",
                          seen=str(descriptor.modification_number),
                          message=f"event {event_id!r} was cancelled without a new "
                                  "modificationNumber")


# ---- per-event rules ------------------------------------------------------------------------


def _signal_path(path: str, index: int) -> str:
    return f"{path}/eiEventSignals/eiEventSignal[{index}]"


def _signal_ids(oadr_event: OadrEvent, path: str) -> Iterator[Finding]:
    seen: set[str] = set()
    for index, signal in enumerate(oadr_event.event.event_signals):
        if signal.signal_id in seen:
            yield Finding(rule=UNIQUE_SIGNAL_IDS, path=f"{_signal_path(path, index)}/signalID",
                          expected="each signalID once", seen=f"{signal.signal_id} again",
                          message=f"signalID {signal.signal_id!r} appears more than once")
        seen.add(signal.signal_id)


def _ven_ids(oadr_event: OadrEvent, path: str) -> Iterator[Finding]:
    ven_ids = oadr_event.event.target.ven_ids
    if len(ven_ids) > 1:
        yield Finding(rule=ONE_VEN_ID, path=f"{path}/eiTarget/venID", expected="at most 1",
                      seen=f"{len(ven_ids)}: {', '.join(ven_ids)}",
                      message="the event's eiTarget lists several venIDs (each VEN should "
                              "see only its own)")


def _durations(oadr_event: OadrEvent, path: str) -> Iterator[Finding]:
    period = oadr_event.event.active_period
    if period.duration <= timedelta(0):
        return  # open-ended: the intervals cannot sum to it
    for index, signal in enumerate(oadr_event.event.event_signals):
        total = sum((i.duration or timedelta(0) for i in signal.intervals), timedelta(0))
        if total != period.duration:
            yield Finding(rule=DURATIONS_SUM, path=f"{_signal_path(path, index)}/intervals",
                          expected=_iso(period.duration), seen=_iso(total),
                          message=f"the intervals of signal {signal.signal_id!r} last "
                                  f"{_iso(total)}, the active period {_iso(period.duration)}")


def _streams(oadr_event: OadrEvent, path: str
             ) -> Iterator[tuple[str, tuple[Interval[float], ...]]]:
    for index, signal in enumerate(oadr_event.event.event_signals):
        yield f"{_signal_path(path, index)}/intervals", signal.intervals
    if oadr_event.event.event_baseline is not None:
        yield f"{path}/eiEventBaseline/intervals", oadr_event.event.event_baseline.intervals


def _interval_dtstart(oadr_event: OadrEvent, path: str) -> Iterator[Finding]:
    for where, intervals in _streams(oadr_event, path):
        for index, interval in enumerate(intervals):
            if interval.dtstart is not None:
                yield Finding(rule=NO_INTERVAL_DTSTART, path=f"{where}/interval[{index}]/dtstart",
                              expected="absent", seen=interval.dtstart.isoformat(),
                              message="an event interval carries a dtstart (intervals follow "
                                      "each other from the active period's start)")


def _uids(oadr_event: OadrEvent, path: str) -> Iterator[Finding]:
    for where, intervals in _streams(oadr_event, path):
        for index, interval in enumerate(intervals):
            if interval.uid != str(index):
                yield Finding(rule=UIDS, path=f"{where}/interval[{index}]/uid",
                              expected=str(index),
                              seen="absent" if interval.uid is None else interval.uid,
                              message=f"interval {index} should have uid {index}")


def _current_value(oadr_event: OadrEvent, path: str) -> Iterator[Finding]:
    status = oadr_event.event.event_descriptor.event_status
    if status is EventStatus.ACTIVE:
        return
    for index, signal in enumerate(oadr_event.event.event_signals):
        if signal.current_value not in (None, 0.0):
            yield Finding(rule=CURRENT_VALUE, path=f"{_signal_path(path, index)}/currentValue",
                          expected="0", seen=_number(signal.current_value),
                          message=f"the event is {status.value}, so nothing is in force yet: "
                                  "currentValue must be 0")


def _simple_levels(oadr_event: OadrEvent, path: str) -> Iterator[Finding]:
    for index, signal in enumerate(oadr_event.event.event_signals):
        if signal.signal_name not in _SIMPLE:
            continue
        for number, interval in enumerate(signal.intervals):
            for value in interval.payloads:
                if value not in (0.0, 1.0, 2.0, 3.0):
                    yield Finding(rule=SIMPLE_LEVELS,
                                  path=f"{_signal_path(path, index)}/intervals/"
                                       f"interval[{number}]/signalPayload",
                                  expected="0, 1, 2 or 3", seen=_number(value),
                                  message="a SIMPLE signal's payload is a level 0-3")
        if signal.current_value not in (None, 0.0, 1.0, 2.0, 3.0):
            yield Finding(rule=SIMPLE_LEVELS, path=f"{_signal_path(path, index)}/currentValue",
                          expected="0, 1, 2 or 3", seen=_number(signal.current_value),
                          message="a SIMPLE signal's currentValue is a level 0-3")


def _type_and_units(oadr_event: OadrEvent, path: str) -> Iterator[Finding]:
    for index, signal in enumerate(oadr_event.event.event_signals):
        where = _signal_path(path, index)
        name = signal.signal_name
        label = name.value if not isinstance(name, ExtensionValue) else str(name)
        expected_type: SignalType | None = None
        units: set[ItemKind] | None = None
        if name in _SIMPLE:
            expected_type = SignalType.LEVEL
            if signal.item_base is not None:
                yield Finding(rule=SIGNAL_TYPE_UNITS, path=f"{where}/itemBase",
                              expected="absent", seen=signal.item_base.kind.value,
                              message="a SIMPLE signal has no unit")
        elif name is SignalName.ELECTRICITY_PRICE:
            expected_type, units = SignalType.PRICE, {ItemKind.CURRENCY_PER_KWH}
        elif name is SignalName.LOAD_DISPATCH:
            expected_type, units = SignalType.SETPOINT, _POWER
        if expected_type is not None and signal.signal_type is not expected_type:
            yield Finding(rule=SIGNAL_TYPE_UNITS, path=f"{where}/signalType",
                          expected=expected_type.value, seen=signal.signal_type.value,
                          message=f"a {label} signal has signalType {expected_type.value}")
        if units is not None:
            kind = signal.item_base.kind if signal.item_base is not None else None
            if kind not in units:
                yield Finding(rule=SIGNAL_TYPE_UNITS, path=f"{where}/itemBase",
                              expected=" or ".join(sorted(u.value for u in units)),
                              seen="absent" if kind is None else kind.value,
                              message=f"a {label} signal's unit is "
                                      f"{' or '.join(sorted(u.value for u in units))}")


def _known_ids(oadr_event: OadrEvent, path: str, exchange: Exchange) -> Iterator[Finding]:
    descriptor = oadr_event.event.event_descriptor
    if exchange.market_contexts and descriptor.market_context not in exchange.market_contexts:
        yield Finding(rule=KNOWN_MARKET_CONTEXT,
                      path=f"{path}/eventDescriptor/eiMarketContext",
                      expected=" or ".join(sorted(exchange.market_contexts)),
                      seen=descriptor.market_context,
                      message=f"market context {descriptor.market_context!r} is not known")
    if exchange.ven_ids:
        for ven_id in oadr_event.event.target.ven_ids:
            if ven_id not in exchange.ven_ids:
                yield Finding(rule=KNOWN_VEN_ID, path=f"{path}/eiTarget/venID",
                              expected=" or ".join(sorted(exchange.ven_ids)), seen=ven_id,
                              message=f"venID {ven_id!r} is not a registered VEN's")


def _created_time(oadr_event: OadrEvent, path: str, now: datetime | None) -> Iterator[Finding]:
    if now is None:
        return
    created = oadr_event.event.event_descriptor.created_date_time
    if abs(created - now) > CREATED_TOLERANCE:
        yield Finding(rule=CREATED_TIME, path=f"{path}/eventDescriptor/createdDateTime",
                      expected=f"{now.isoformat()} +/- 5 min", seen=created.isoformat(),
                      message="createdDateTime is stamped when the payload is built: within "
                              "5 minutes of the time it is sent")


def _iso(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    text += f"{seconds}S" if seconds or text == "PT" else ""
    return text


def _number(value: float | None) -> str:
    return "absent" if value is None else f"{value:g}"
