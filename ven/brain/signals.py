"""The typed 2.0b event -> ``ven.instructions.EventSignal``s, split into acted-on and skipped."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from common.errors import SignalNotSupported
from common.messages.event import EiEvent
from common.messages.event import EventSignal as WireSignal
from ven.instructions import EventSignal, SignalInterval, check_signal

__all__ = ["OPEN_ENDED_HORIZON", "EventSignals", "event_signals", "to_signal"]

OPEN_ENDED_HORIZON = timedelta(hours=1)
"""How far ahead an open-ended event (or interval without a duration) is planned."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSignals:
    """The signals of one event the brain acts on, and why the others are skipped."""

    signals: tuple[EventSignal, ...]
    skipped: tuple[str, ...]

    @property
    def start(self) -> datetime | None:
        """The earliest interval start (UTC), or None without signals."""
        starts = [iv.start for sig in self.signals for iv in sig.intervals]
        return min(starts) if starts else None

    @property
    def end(self) -> datetime | None:
        """The latest interval end (UTC), or None without signals."""
        ends = [iv.start + iv.duration for sig in self.signals for iv in sig.intervals]
        return max(ends) if ends else None


def to_signal(signal: WireSignal, event: EiEvent, start: datetime) -> EventSignal:
    """One wire signal on the time line of the VEN: intervals follow each other from `start`
    (the effective start, randomisation included); an interval's own dtstart keeps its offset
    from the event's dtstart. A missing or zero duration lasts until the event's end (or
    ``OPEN_ENDED_HORIZON`` for an open-ended event); an interval without a payload is left out."""
    period = event.active_period
    end = start + period.duration if period.duration > timedelta(0) else None
    intervals: list[SignalInterval] = []
    moment = start
    for interval in signal.intervals:
        if interval.dtstart is not None:
            moment = start + (interval.dtstart - period.dtstart)
        duration = interval.duration
        if duration is None or duration <= timedelta(0):
            duration = (end - moment) if end is not None and end > moment else OPEN_ENDED_HORIZON
        if interval.payloads:
            intervals.append(SignalInterval(moment, duration, float(interval.payloads[0])))
        moment = moment + duration
    return EventSignal(name=signal.signal_name.value, type=signal.signal_type.value,
                       intervals=tuple(intervals))


def event_signals(event: EiEvent, start: datetime, supported: Collection[str]) -> EventSignals:
    """The event's signals this VEN acts on: named in `supported` (the client's list, which
    decides the 460 answer) and accepted by ``ven.instructions.check_signal``."""
    acted: list[EventSignal] = []
    skipped: list[str] = []
    for wire in event.event_signals:
        name = wire.signal_name.value
        if name not in supported:
            skipped.append(f"{name}: not a signal this VEN is configured to act on")
            continue
        signal = to_signal(wire, event, start)
        try:
            check_signal(signal)
        except SignalNotSupported as exc:
            skipped.append(str(exc))
            continue
        if signal.intervals:
            acted.append(signal)
        else:
            skipped.append(f"{name}: no interval with a value")
    return EventSignals(signals=tuple(acted), skipped=tuple(skipped))
