"""Events: what the operator submits (EventRequest), what the VTN owns (Event), and its status."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from common.messages.enums import (
    EventStatus,
    ExtensionValue,
    ResponseRequired,
    SignalName,
    SignalType,
)
from common.messages.types import ItemBase
from vtn.domain.checks import require_aware, require_non_negative
from vtn.domain.ven import Ven

__all__ = [
    "CANCELLATION_RESENT_FOR",
    "COMPLETED_VISIBLE_FOR",
    "ENDED_LOOKBACK",
    "STARTAFTER_HONOURED_UP_TO",
    "Baseline",
    "Event",
    "EventRequest",
    "EventTargets",
    "Signal",
    "SignalInterval",
    "awaits_acknowledgement",
    "distribution_order",
    "event_status",
    "listed_until",
    "priority_rank",
    "targets_ven",
]

COMPLETED_VISIBLE_FOR = timedelta(minutes=15)
"""How long an ended event stays in a VEN's event list, with status ``completed``, after its end
and its ``tolerance_startafter`` [duration] (see ``listed_until``)."""

STARTAFTER_HONOURED_UP_TO = timedelta(hours=24)
"""The longest ``tolerance_startafter`` that keeps an ended event listed [duration]."""

ENDED_LOOKBACK = COMPLETED_VISIBLE_FOR + STARTAFTER_HONOURED_UP_TO
"""How far back the end of a still-listed event can be [duration]: storage reads the events
that ended within it, then ``listed_until`` decides."""

CANCELLATION_RESENT_FOR = timedelta(hours=1)
"""How long a cancellation that needs an answer (``oadrResponseRequired`` always) is sent again
to a VEN that has not acknowledged it [duration], at each of its polls (to a push VEN at most
once per ``polls.frequency``: ``vtn.push``), counted from the cancellation (see
``awaits_acknowledgement``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventTargets:
    """Who an event is for: everyone (``all_vens``), or any VEN matching one of the lists.

    A VEN matches when its ven_id is listed, or when one of its group, resource or party ids
    (the operator's assignments, see ``Ven``) is. Broadcasting must be explicit: an instance
    with ``all_vens=False`` and every list empty is refused.
    """

    all_vens: bool = False
    ven_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()
    party_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        listed = any((self.ven_ids, self.group_ids, self.resource_ids, self.party_ids))
        if self.all_vens and listed:
            raise ValueError("targets are either all VENs or listed ones, not both")
        if not self.all_vens and not listed:
            raise ValueError("an event needs targets: list some, or say all_vens=True")

    @classmethod
    def everyone(cls) -> EventTargets:
        """Every registered VEN."""
        return cls(all_vens=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalInterval:
    """One step of a signal: lasts ``duration`` [duration] at ``value`` [the signal's unit]."""

    duration: timedelta
    value: float

    def __post_init__(self) -> None:
        require_non_negative("duration", self.duration)


@dataclass(frozen=True, slots=True, kw_only=True)
class Signal:
    """An event signal: consecutive intervals from the event's start.

    ``item_base`` is the unit of the values (``None`` for unit-less signals such as SIMPLE
    levels 0-3): a price [currency per kWh], a setpoint or delta [kW], ...
    """

    signal_name: SignalName | ExtensionValue
    signal_type: SignalType
    signal_id: str
    intervals: tuple[SignalInterval, ...]
    item_base: ItemBase | None = None

    def __post_init__(self) -> None:
        if not self.intervals:
            raise ValueError(f"signal {self.signal_id!r} has no intervals")


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """The VTN's baseline for an event: intervals from ``start`` [``item_base``, e.g. kW]."""

    baseline_id: str
    baseline_name: str
    start: datetime
    intervals: tuple[SignalInterval, ...]
    item_base: ItemBase | None = None
    resource_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require_aware("start", self.start)

    @property
    def duration(self) -> timedelta:
        """Sum of the interval durations [duration]."""
        return sum((i.duration for i in self.intervals), timedelta(0))


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRequest:
    """An event as the operator submits it (no id, no modification number).

    ``start`` is the active period's start (UTC); ``duration`` [duration] zero means open-ended
    (active until cancelled). ``tolerance_startafter`` [duration] lets each VEN randomise its
    start; ``notification``, ``ramp_up`` and ``recovery`` [duration] are the periods around the
    active period. ``priority`` follows ei:priority (oadr_ei_20b.xsd): the lower the number, the
    higher the priority, 1 being the highest; 0 (the default) means no priority, which ranks
    lowest (see ``priority_rank``). ``test_event`` events must not be acted on.
    """

    targets: EventTargets
    market_context: str
    signals: tuple[Signal, ...]
    start: datetime
    duration: timedelta
    priority: int = 0
    test_event: bool = False
    response_required: ResponseRequired = ResponseRequired.ALWAYS
    tolerance_startafter: timedelta | None = None
    notification: timedelta | None = None
    ramp_up: timedelta | None = None
    recovery: timedelta | None = None
    baseline: Baseline | None = None
    vtn_comment: str | None = None

    def __post_init__(self) -> None:
        require_aware("start", self.start)
        for name in ("duration", "tolerance_startafter", "notification", "ramp_up", "recovery"):
            require_non_negative(name, getattr(self, name))
        if not self.signals:
            raise ValueError("an event needs at least one signal")
        if self.priority < 0:
            raise ValueError("priority must be 0 (no priority) or more (1 is the highest)")
        ids = [s.signal_id for s in self.signals]
        if len(set(ids)) != len(ids):
            raise ValueError(f"signal ids must be unique within an event: {ids}")

    @property
    def end(self) -> datetime | None:
        """End of the active period, or ``None`` for an open-ended event."""
        return self.start + self.duration if self.duration else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """An event the VTN owns: the operator's request plus identity and history.

    ``modification_number`` starts at 0 and grows by one with every modification, the
    cancellation included. ``modified_at`` is ``None`` until the first modification.
    """

    event_id: str
    modification_number: int
    created_at: datetime
    request: EventRequest
    modified_at: datetime | None = None
    modification_reason: str | None = None
    cancelled_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("created_at", "modified_at", "cancelled_at"):
            require_aware(name, getattr(self, name))

    @property
    def cancelled(self) -> bool:
        """True once the event has been cancelled."""
        return self.cancelled_at is not None

    def status(self, now: datetime, *, near_window: timedelta | None = None) -> EventStatus:
        """The event's status at `now` (see ``event_status``)."""
        return event_status(self, now, near_window=near_window)


def event_status(
    event: Event, now: datetime, *, near_window: timedelta | None = None
) -> EventStatus:
    """Status of `event` at `now`; pure: depends on its arguments only.

    - ``cancelled`` once cancelled, whatever the time;
    - ``completed`` from the end of the active period (never for an open-ended event);
    - ``active`` from ``start`` on;
    - ``near`` within the near window before ``start``: the event's ``ramp_up`` [duration] if it
      has one, else `near_window` [duration] (a program setting), else never;
    - ``far`` before that.
    """
    require_aware("now", now)
    request = event.request
    if event.cancelled:
        return EventStatus.CANCELLED
    end = request.end
    if end is not None and now >= end:
        return EventStatus.COMPLETED
    if now >= request.start:
        return EventStatus.ACTIVE
    window = request.ramp_up if request.ramp_up is not None else near_window
    if window is not None and now >= request.start - window:
        return EventStatus.NEAR
    return EventStatus.FAR


def priority_rank(priority: int) -> float:
    """Sort key of an ei:priority: 1 first, larger numbers later, 0 (no priority) last.

    oadr_ei_20b.xsd: "The lower the number higher the priority. A value of zero (0) indicates
    no priority, which is the lowest priority by default."
    """
    return math.inf if priority == 0 else priority


def distribution_order(event: Event, now: datetime) -> tuple[int, float, datetime, str]:
    """Sort key of `event` in an oadrDistributeEvent at `now`: the active events first, by
    ``priority_rank`` then start time; then every other event (far, near, cancelled, completed)
    by start time alone. The event id breaks ties, for a stable order.

    This is the order the 2.0b conformance checks expect (A_E3_0510/0520/0525): active events
    in priority order, then pending ones in start-time order; a cancelled event is not active,
    so it takes its place among the others by its start time.

    ``vtn.storage``'s ``EventStore.for_ven`` returns events in this order; this key is the
    reference its SQL ordering is tested against.
    """
    if event_status(event, now) is EventStatus.ACTIVE:
        return (0, priority_rank(event.request.priority), event.request.start, event.event_id)
    return (1, 0, event.request.start, event.event_id)


def listed_until(event: Event) -> datetime | None:
    """When `event` leaves the event list of its VENs (``None``: not before it is cancelled).

    An event stays listed after its end, with status ``completed``, through its
    ``tolerance_startafter`` (a VEN that randomised its start may still be running it; at most
    ``STARTAFTER_HONOURED_UP_TO``) and ``COMPLETED_VISIBLE_FOR`` more, so that a VEN hears of
    the completion at its next distribution. A completion alone makes no distribution.
    """
    end = event.request.end
    if end is None:
        return None
    startafter = min(event.request.tolerance_startafter or timedelta(0),
                     STARTAFTER_HONOURED_UP_TO)
    return end + startafter + COMPLETED_VISIBLE_FOR


def awaits_acknowledgement(event: Event, opt_modification_number: int | None,
                           now: datetime) -> bool:
    """True if `event` is a cancellation the VEN must still acknowledge at `now`, so it is
    sent again: it needs an answer (``oadrResponseRequired`` always), the VEN's latest answer
    (`opt_modification_number`) is older than the cancellation, the cancellation is less than
    ``CANCELLATION_RESENT_FOR`` old, and the event has not ended."""
    request = event.request
    if event.cancelled_at is None or request.response_required is not ResponseRequired.ALWAYS:
        return False
    if opt_modification_number is not None and opt_modification_number >= (
        event.modification_number
    ):
        return False
    end = request.end
    return now < event.cancelled_at + CANCELLATION_RESENT_FOR and (end is None or now < end)


def targets_ven(targets: EventTargets, ven: Ven) -> bool:
    """True if an event with `targets` is meant for `ven`."""
    return (
        targets.all_vens
        or ven.ven_id in targets.ven_ids
        or not set(ven.group_ids).isdisjoint(targets.group_ids)
        or not set(ven.resource_ids).isdisjoint(targets.resource_ids)
        or not set(ven.party_ids).isdisjoint(targets.party_ids)
    )
