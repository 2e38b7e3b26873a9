"""What a VEN expects to deliver in an event, from the projection it reported (pure).

A VEN that cannot carry what an event asks says so before the event with projected readings
(readingType ``Projected``) in a report of its own (our VEN's ``x-EXPECTED_DELIVERY``): per
event interval, a ``deltaUsage`` point (planned demand - baseline [kW], negative for a shed)
and a ``baseline`` point (the baseline that change is counted from [kW]). The readings of a
report request that carries projected ``deltaUsage`` are the projection; its baseline is
kept apart from the baseline the VEN measures against (``projection_ids``).

A VEN sends its projection again when a re-plan changes it materially; each value sent again
replaces the one before (``ReportStore.add_readings``), so the expectation is the latest the
VEN said for each interval, and ``said_at`` tells when (the latest value's ``received_at``).

Per projected interval, clipped to the event's active period: expected shed = −delta [kW];
requested shed = the VTN's own request (``vtn.performance.requested_kw``) against the projected
baseline [kW]. The event's figures are time-weighted means; expected_pct = expected / requested
shed energy [%].
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from common.messages.enums import ReadingType, ReportType
from vtn.domain import Event, Reading

__all__ = ["Expectation", "ExpectedInterval", "expectation", "latest_said", "projection_ids"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpectedInterval:
    """One projected interval inside the event: start, length, the projected baseline, the
    shed requested against it and the shed the VEN expects to deliver [kW]; said_at: when the
    VTN received the latest of these values (None when unknown)."""

    start: datetime
    duration: timedelta
    baseline_kw: float
    requested_kw: float
    expected_kw: float
    said_at: datetime | None = None

    @property
    def expected_pct(self) -> float | None:
        """Expected / requested shed [%]; None when nothing is requested."""
        return 100.0 * self.expected_kw / self.requested_kw if self.requested_kw > 1e-9 \
            else None

    @property
    def hours(self) -> float:
        """Length [h]."""
        return self.duration.total_seconds() / 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Expectation:
    """The event's figures: mean expected and requested shed [kW], expected_pct [%] (None when
    nothing is requested) and the intervals they come from."""

    expected_kw: float
    requested_kw: float
    expected_pct: float | None
    intervals: tuple[ExpectedInterval, ...]

    @property
    def said_at(self) -> datetime | None:
        """When the VEN last changed what it expects (the latest ``said_at``), None if unknown."""
        return latest_said(self.intervals)


def latest_said(intervals: Iterable[ExpectedInterval]) -> datetime | None:
    """The latest ``said_at`` of `intervals` (None when none is known)."""
    return max((i.said_at for i in intervals if i.said_at is not None), default=None)


def _is_projected_delta(r: Reading) -> bool:
    return r.report_type is ReportType.DELTA_USAGE and r.reading_type is ReadingType.PROJECTED


def projection_ids(readings: Iterable[Reading]) -> set[str]:
    """The report requests whose readings are a projection (they carry projected deltaUsage)."""
    return {r.report_request_id for r in readings if _is_projected_delta(r)}


def expectation(
    event: Event,
    readings: Iterable[Reading],
    request: Callable[[datetime, float], float],
    *,
    to_kw: Callable[[Reading], float | None],
    end: datetime,
) -> Expectation | None:
    """The VEN's expectation in `event` from its `readings` (one VEN's), or None when it sent
    no projection for the event. `request(moment, baseline_kw)` is the shed the VTN asks for
    [kW] (0 when the event asks the VEN nothing); `to_kw` a reading's value in [kW] (None when
    it is not a power); `end` closes an open-ended event."""
    own = list(readings)
    ids = projection_ids(own)
    deltas: dict[datetime, tuple[Reading, float]] = {}
    bases: dict[datetime, tuple[Reading, float]] = {}
    for r in own:
        kw = to_kw(r) if r.report_request_id in ids else None
        if kw is None or not math.isfinite(kw) or r.duration <= timedelta(0):
            continue
        if _is_projected_delta(r):
            deltas[r.start] = (r, kw)
        elif r.report_type is ReportType.BASELINE:
            bases[r.start] = (r, kw)
    start = event.request.start
    out = []
    for t in sorted(set(deltas) & set(bases)):
        delta, delta_kw = deltas[t]
        lo, hi = max(t, start), min(t + delta.duration, end)
        if hi <= lo:
            continue
        base_reading, base = bases[t]
        said = [s for s in (delta.received_at, base_reading.received_at) if s is not None]
        out.append(ExpectedInterval(start=lo, duration=hi - lo, baseline_kw=base,
                                    requested_kw=max(request(lo, base), 0.0),
                                    expected_kw=-delta_kw, said_at=max(said, default=None)))
    hours = sum(i.hours for i in out)
    if not out or hours <= 0:
        return None
    expected_kwh = sum(i.expected_kw * i.hours for i in out)
    requested_kwh = sum(i.requested_kw * i.hours for i in out)
    return Expectation(
        expected_kw=expected_kwh / hours, requested_kw=requested_kwh / hours,
        expected_pct=100.0 * expected_kwh / requested_kwh if requested_kwh > 1e-9 else None,
        intervals=tuple(out))
