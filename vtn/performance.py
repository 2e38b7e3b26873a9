"""Performance of one VEN in one event, computed from the readings it reported (pure).

The VEN reports, per interval, its actual demand (``report_type`` usage, a power unit) and its
baseline (``report_type`` baseline), with the baseline's confidence [%] on each baseline data
point and the baseline method in the baseline rID's readingType (see the README's
interpretations). ``compute`` pairs the two by interval start and sets, per interval:

- requested shed [kW] from the event's signals (several shed signals: the largest):
  SIMPLE level k (and ``x-loadControlLevelOffset``) = ``simple_level_shares[k-1]`` × baseline;
  LOAD_DISPATCH ``delta`` = value [kW]; ``setpoint`` and ``x-loadControlSetpoint`` = baseline −
  value; ``x-loadControlPercentOffset`` = −value / 100 × baseline (a negative offset sheds);
  ``x-loadControlCapacity`` = (1 − value) × baseline; price signals request nothing. A
  negative request (a load increase) counts as 0. A VEN the event does not target, or that
  opted out, is requested nothing (its row is kept as a comparison);
- target [kW] = baseline − requested; achieved reduction [kW] = baseline − actual.

The event's figures are time-weighted means over the intervals that have both values
(``data_points`` of them), clipped to the event's active period; delivered [kWh] is the
reduction integrated over time and ``delivered_pct`` is delivered / requested energy [%]
(``None`` when nothing was requested). Readings repeated under several report requests (a
VEN that registered again) count once: the last one per (kind, start) wins. The result
depends only on its arguments, so computing it again from the stored readings whenever a
report arrives never double-counts. What the VEN said it expects to deliver (its projection,
``vtn.expected``) is kept beside the measured figures; the projection's baseline is not the
measured baseline.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from common.baselines.adjustment import AppliedAdjustment
from common.messages.enums import ReportType, SignalName, SignalType
from vtn.domain import Event, Reading, Signal
from vtn.domain.checks import require_aware
from vtn.expected import ExpectedInterval, expectation, latest_said, projection_ids

__all__ = [
    "BASELINE_METHOD_PREFIX",
    "DEFAULT_SIMPLE_LEVEL_SHARES",
    "Participation",
    "Performance",
    "PerformanceInterval",
    "compute",
    "reading_kw",
    "requested_kw",
]

DEFAULT_SIMPLE_LEVEL_SHARES = (0.1, 0.2, 0.3)
"""The programme's share of the baseline shed at SIMPLE levels 1, 2, 3 [-]."""

BASELINE_METHOD_PREFIX = "x-baseline-"
"""readingType prefix of a baseline data point that names its method (``x-baseline-caiso``)."""

_POWER_UNITS = {"W"}
_SCALE = {"p": -12, "n": -9, "micro": -6, "m": -3, "c": -2, "d": -1, "k": 3, "M": 6, "G": 9,
          "T": 12, "none": 0}


class Participation(StrEnum):
    """How the VEN stands towards the event."""

    NOT_TARGETED = "not-targeted"  # the event was not for it: nothing requested
    OPTED_IN = "opted-in"
    OPTED_OUT = "opted-out"  # nothing requested
    NO_ANSWER = "no-answer"  # targeted, no opt received: counted as requested


@dataclass(frozen=True, slots=True, kw_only=True)
class PerformanceInterval:
    """One reported interval inside the event: start, length and the powers [kW]."""

    start: datetime
    duration: timedelta
    baseline_kw: float
    actual_kw: float
    requested_kw: float
    confidence: int | None = None

    @property
    def target_kw(self) -> float:
        """baseline − requested [kW]."""
        return self.baseline_kw - self.requested_kw

    @property
    def reduction_kw(self) -> float:
        """baseline − actual [kW]."""
        return self.baseline_kw - self.actual_kw

    @property
    def hours(self) -> float:
        """Length [h]."""
        return self.duration.total_seconds() / 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Performance:
    """One VEN's performance in one event (means are time-weighted over ``intervals``).

    requested_kw, baseline_kw, target_kw, actual_kw, reduction_kw [kW]; delivered_kwh and
    requested_kwh [kWh]; delivered_pct [%] (None when nothing was requested);
    baseline_confidence [%] (mean of the reported confidences, None when none was sent);
    every power is None without data (``data_points`` 0). expected_kw: the shed the VEN said
    it expects to deliver, against expected_requested_kw requested from its projected baseline
    [kW], expected_pct [%], per interval in expected_intervals (``vtn.expected``; None / empty
    when the VEN sent no projection; the latest the VEN said for each interval, ``expected_at``
    when it last changed). baseline_adjustment: the day-of adjustment of the
    VEN's baseline method, as the VTN computes it from the readings before the event
    (``vtn.baseline_adjustment``; None when not computed or the method is not a preset).
    """

    event_id: str
    ven_id: str
    modification_number: int
    participation: Participation
    start: datetime
    end: datetime
    requested_kw: float | None
    baseline_kw: float | None
    target_kw: float | None
    actual_kw: float | None
    reduction_kw: float | None
    delivered_kwh: float
    requested_kwh: float
    delivered_pct: float | None
    data_points: int
    baseline_method: str | None
    baseline_confidence: int | None
    computed_at: datetime
    intervals: tuple[PerformanceInterval, ...] = ()
    expected_kw: float | None = None
    expected_requested_kw: float | None = None
    expected_pct: float | None = None
    expected_intervals: tuple[ExpectedInterval, ...] = ()
    baseline_adjustment: AppliedAdjustment | None = None

    @property
    def expected_at(self) -> datetime | None:
        """When the VTN received the latest change of the VEN's expectation (None without)."""
        return latest_said(self.expected_intervals)

    def __post_init__(self) -> None:
        for name in ("start", "end", "computed_at"):
            require_aware(name, getattr(self, name))


def reading_kw(reading: Reading) -> float | None:
    """The reading's value in [kW], or None when its unit is not a power (W with a prefix)."""
    if reading.item_units not in _POWER_UNITS:
        return None
    exponent = _SCALE.get(reading.scale or "none")
    if exponent is None:
        return None
    return reading.value * 10.0 ** (exponent - 3)


def _signal_value(signal: Signal, start: datetime, moment: datetime) -> float | None:
    """The signal's value at `moment` (its intervals run back to back from `start`)."""
    t = start
    for interval in signal.intervals:
        if t <= moment < t + interval.duration:
            return interval.value
        t += interval.duration
    return None


def _signal_kw(signal: Signal, value: float) -> float:
    base = signal.item_base
    if base is None or base.item_units not in _POWER_UNITS or base.scale is None:
        return value  # a LOAD_DISPATCH value without a unit is taken as [kW]
    return value * 10.0 ** (base.scale.exponent - 3)


def requested_kw(
    event: Event, moment: datetime, baseline_kw: float,
    shares: Sequence[float] = DEFAULT_SIMPLE_LEVEL_SHARES,
) -> float:
    """The shed [kW] `event` asks for at `moment` against `baseline_kw` (see the module doc)."""
    request = event.request
    sheds = [0.0]
    for signal in request.signals:
        value = _signal_value(signal, request.start, moment)
        if value is None or math.isnan(value):
            continue
        name = signal.signal_name.value
        kind = signal.signal_type
        if name.upper() == "SIMPLE" or kind is SignalType.X_LOAD_CONTROL_LEVEL_OFFSET:
            level = min(max(round(value), 0), len(shares))
            sheds.append(shares[level - 1] * baseline_kw if level else 0.0)
        elif name == SignalName.LOAD_DISPATCH.value and kind is SignalType.DELTA:
            sheds.append(_signal_kw(signal, value))
        elif kind in (SignalType.SETPOINT, SignalType.X_LOAD_CONTROL_SETPOINT):
            sheds.append(baseline_kw - _signal_kw(signal, value))
        elif kind is SignalType.X_LOAD_CONTROL_PERCENT_OFFSET:
            sheds.append(-value / 100.0 * baseline_kw)
        elif kind is SignalType.X_LOAD_CONTROL_CAPACITY:
            sheds.append((1.0 - min(max(value, 0.0), 1.0)) * baseline_kw)
        # prices (and any other signal) request no shed
    return max(sheds)


def _latest(readings: Iterable[Reading], kind: str) -> dict[datetime, tuple[Reading, float]]:
    """Per interval start, the last reading of `kind` (usage power or baseline) in [kW]."""
    out: dict[datetime, tuple[Reading, float]] = {}
    for r in readings:
        is_baseline = r.report_type is ReportType.BASELINE
        if (kind == "baseline") != is_baseline:
            continue
        if not is_baseline and r.report_type is not ReportType.USAGE:
            continue
        kw = reading_kw(r)
        if kw is not None and math.isfinite(kw) and r.duration > timedelta(0):
            out[r.start] = (r, kw)
    return out


def compute(
    event: Event,
    ven_id: str,
    readings: Iterable[Reading],
    *,
    participation: Participation,
    now: datetime,
    shares: Sequence[float] = DEFAULT_SIMPLE_LEVEL_SHARES,
) -> Performance:
    """The performance of `ven_id` in `event` from its `readings` (any time range; those
    outside the event's active period are ignored, those across its edges are clipped).

    An open-ended event is evaluated up to `now`.
    """
    request = event.request
    start = request.start
    end = request.end or max(now, start)
    own = [r for r in readings if r.ven_id == ven_id]
    projected = projection_ids(own)
    usage = _latest(own, "usage")
    baseline = _latest([r for r in own if r.report_request_id not in projected], "baseline")
    asked = participation in (Participation.OPTED_IN, Participation.NO_ANSWER)
    foreseen = expectation(
        event, own, lambda moment, base: requested_kw(event, moment, base, shares) if asked
        else 0.0, to_kw=reading_kw, end=end)
    intervals: list[PerformanceInterval] = []
    method: str | None = None
    for t in sorted(set(usage) & set(baseline)):
        (u, actual), (b, base) = usage[t], baseline[t]
        lo = max(t, start)
        hi = min(t + min(u.duration, b.duration), end)
        if hi <= lo:
            continue
        shed = requested_kw(event, lo, base, shares) if asked else 0.0
        intervals.append(PerformanceInterval(
            start=lo, duration=hi - lo, baseline_kw=base, actual_kw=actual,
            requested_kw=max(shed, 0.0), confidence=b.confidence))
        reading_type = b.reading_type.value
        if reading_type.startswith(BASELINE_METHOD_PREFIX):
            method = reading_type[len(BASELINE_METHOD_PREFIX):]
    hours = sum(i.hours for i in intervals)

    def mean(values: Iterable[float]) -> float | None:
        return sum(v * i.hours for v, i in zip(values, intervals, strict=True)) / hours \
            if hours > 0 else None

    delivered = sum(i.reduction_kw * i.hours for i in intervals)
    requested_kwh = sum(i.requested_kw * i.hours for i in intervals)
    rated = [(i.confidence, i.hours) for i in intervals if i.confidence is not None]
    rated_h = sum(h for _, h in rated)
    confidence = round(sum(c * h for c, h in rated) / rated_h) if rated_h > 0 else None
    return Performance(
        event_id=event.event_id,
        ven_id=ven_id,
        modification_number=event.modification_number,
        participation=participation,
        start=start,
        end=end,
        requested_kw=mean(i.requested_kw for i in intervals),
        baseline_kw=mean(i.baseline_kw for i in intervals),
        target_kw=mean(i.target_kw for i in intervals),
        actual_kw=mean(i.actual_kw for i in intervals),
        reduction_kw=mean(i.reduction_kw for i in intervals),
        delivered_kwh=delivered,
        requested_kwh=requested_kwh,
        delivered_pct=100.0 * delivered / requested_kwh if requested_kwh > 1e-9 else None,
        data_points=len(intervals),
        baseline_method=method,
        baseline_confidence=confidence,
        computed_at=now,
        intervals=tuple(intervals),
        expected_kw=foreseen.expected_kw if foreseen else None,
        expected_requested_kw=foreseen.requested_kw if foreseen else None,
        expected_pct=foreseen.expected_pct if foreseen else None,
        expected_intervals=foreseen.intervals if foreseen else (),
    )
