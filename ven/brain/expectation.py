"""What the building expects to deliver in each event interval, against what was asked, and why
it falls short (participation rules, devices offline or opted out, comfort limits).

The figures are the plan's, settled against the event's baseline like the event itself:
expected shed = baseline - planned net load [kW] per event interval; requested shed is the
event's ask against the same baseline [kW]. An interval *falls short* when the expected shed
is below the requested one by more than ``SHORT_KW`` and ``SHORT_SHARE`` of the request.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import numpy as np

from ven.brain.planning import EventPlan
from ven.devices.model import Building, HvacZone, Participation, WaterHeater

__all__ = ["MATERIAL_KW", "MATERIAL_SHARE", "SHORT_KW", "SHORT_SHARE", "EventExpectation",
           "ExpectedInterval", "expect", "material_change", "shortfall_lines"]

SHORT_KW = 0.05
"""An interval falls short when expected < requested by more than this [kW] ..."""
SHORT_SHARE = 0.02
"""... and by more than this share of the request [fraction]."""
MATERIAL_SHARE = 0.05
"""A re-plan changes the expectation materially when an interval still to come moves its
expected shed (or its baseline or requested shed) by more than this share of the event's
requested shed [fraction] (half the ±10 points a delivery is judged by) ..."""
MATERIAL_KW = 0.01
"""... and by more than this [kW] (a floor against re-sending noise; the report carries
watts, and a home's request may be 30 W)."""
_COMFORT_MARGIN_C = 0.1
"""A zone or tank within this of its comfort limit at the interval's end is at it [°C]."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpectedInterval:
    """One event interval: start (UTC), duration, baseline, requested and expected shed [kW],
    and the reasons the plan knows for a shortfall (empty when it meets the request)."""

    start: datetime
    duration: timedelta
    baseline_kw: float
    requested_kw: float
    expected_kw: float
    reasons: tuple[str, ...] = ()

    @property
    def expected_pct(self) -> float | None:
        """Expected / requested shed [%]; None when nothing is requested."""
        if self.requested_kw <= 1e-9:
            return None
        return 100.0 * self.expected_kw / self.requested_kw

    @property
    def short(self) -> bool:
        """True when the plan expects to deliver less than requested (see the module)."""
        gap = self.requested_kw - self.expected_kw
        return gap > SHORT_KW and gap > SHORT_SHARE * self.requested_kw


@dataclass(frozen=True, slots=True, kw_only=True)
class EventExpectation:
    """The expectation of one plan of one event (modification), interval by interval."""

    event_id: str
    modification_number: int
    intervals: tuple[ExpectedInterval, ...]

    def _mean(self, values: Sequence[float]) -> float:
        hours = [i.duration.total_seconds() / 3600.0 for i in self.intervals]
        total = sum(hours)
        return sum(v * h for v, h in zip(values, hours, strict=True)) / total if total else 0.0

    @property
    def requested_kw(self) -> float:
        """Time-weighted mean requested shed over the event [kW]."""
        return self._mean([i.requested_kw for i in self.intervals])

    @property
    def expected_kw(self) -> float:
        """Time-weighted mean expected shed over the event [kW]."""
        return self._mean([i.expected_kw for i in self.intervals])

    @property
    def expected_pct(self) -> float | None:
        """Expected / requested shed energy over the event [%]; None when nothing is asked."""
        requested = self.requested_kw
        return 100.0 * self.expected_kw / requested if requested > 1e-9 else None

    @property
    def short(self) -> bool:
        """True when any interval falls short."""
        return any(i.short for i in self.intervals)


def material_change(said: EventExpectation, latest: EventExpectation, since: datetime) -> bool:
    """Whether `latest` differs materially from the expectation `said` before, in the intervals
    that end after `since`: another modification, an interval `said` did not have, or an
    expected shed, baseline or requested shed moved by more than max(``MATERIAL_KW``,
    ``MATERIAL_SHARE`` x the event's requested shed) [kW]. Intervals over by `since` are
    left as they were said."""
    if said.modification_number != latest.modification_number:
        return True
    before = {(i.start, i.duration): i for i in said.intervals}
    limit = max(MATERIAL_KW, MATERIAL_SHARE * max(said.requested_kw, latest.requested_kw))
    for item in latest.intervals:
        if item.start + item.duration <= since:
            continue
        old = before.get((item.start, item.duration))
        if old is None:
            return True
        for a, b in ((old.expected_kw, item.expected_kw), (old.baseline_kw, item.baseline_kw),
                     (old.requested_kw, item.requested_kw)):
            if not (math.isfinite(a) and math.isfinite(b)):
                if math.isfinite(a) != math.isfinite(b):
                    return True
                continue
            if abs(a - b) > limit:
                return True
    return False


def expect(plan: EventPlan, building: Building, *, released: Collection[str] = ()
           ) -> EventExpectation:
    """The expectation of `plan` on `building`; `released` are the devices the plan had to
    leave out because they are offline or overridden (``BuildingBrain.released_devices``)."""
    request = plan.request
    in_event = np.asarray(request.in_event, dtype=bool)
    baseline = request.baseline_kw.to_numpy(dtype=float)
    requested = plan.requested_kw.to_numpy(dtype=float)
    net = plan.plan.net_load_kw.to_numpy(dtype=float)
    out = []
    for pos, start in enumerate(request.index):
        if not in_event[pos]:
            continue
        base = float(baseline[pos])
        asked = max(float(requested[pos]), 0.0)
        expected = base - float(net[pos]) if math.isfinite(base) else 0.0
        item = ExpectedInterval(
            start=start.to_pydatetime(),
            duration=timedelta(hours=float(request.duration_h[pos])),
            baseline_kw=base, requested_kw=asked, expected_kw=expected)
        if item.short:
            item = ExpectedInterval(
                start=item.start, duration=item.duration, baseline_kw=base, requested_kw=asked,
                expected_kw=expected, reasons=_reasons(plan, building, pos, released))
        out.append(item)
    return EventExpectation(event_id=plan.event_id,
                            modification_number=plan.modification_number,
                            intervals=tuple(out))


def _reasons(plan: EventPlan, building: Building, pos: int, released: Collection[str]
             ) -> tuple[str, ...]:
    """Why interval `pos` of `plan` falls short, as far as the plan knows."""
    reasons: list[str] = []
    if not plan.plan.has_solution:
        reasons.append(f"no plan found: {plan.plan.status.value}")
    base = plan.plan.baseline_kw.iloc[pos]
    drawing = {str(d) for d, kw in base.items() if float(kw) > 1e-3}
    gone = sorted(d for d in released if d in drawing)
    if gone:
        reasons.append(f"offline or overridden: {', '.join(gone)}")
    rules = plan.request.rules.iloc[pos]
    held = sorted(str(d) for d, r in rules.items()
                  if r != Participation.PARTICIPATION.value and str(d) in drawing
                  and str(d) not in released)
    if held:
        reasons.append(f"participation rules or opt-outs: {', '.join(held)}")
    limited = _at_comfort_limit(plan, building, pos)
    if limited:
        reasons.append(f"comfort limits: {', '.join(limited)}")
    if not limited:
        reasons.append("no more flexible load")
    return tuple(reasons)


def _at_comfort_limit(plan: EventPlan, building: Building, pos: int) -> list[str]:
    """The zones and tanks that end interval `pos` at the comfort limit the shed pushes to."""
    found = []
    for dev in building.devices:
        if isinstance(dev, HvacZone) and dev.id in plan.plan.zone_temp_c.columns:
            temp = float(plan.plan.zone_temp_c[dev.id].iloc[pos])
            at_limit = (temp >= dev.comfort_high_c - _COMFORT_MARGIN_C if dev.mode == "cooling"
                        else temp <= dev.comfort_low_c + _COMFORT_MARGIN_C)
        elif isinstance(dev, WaterHeater) and dev.id in plan.plan.tank_temp_c.columns:
            temp = float(plan.plan.tank_temp_c[dev.id].iloc[pos])
            at_limit = temp <= dev.comfort_low_c + _COMFORT_MARGIN_C
        else:
            continue
        if at_limit:
            found.append(dev.id)
    return found


def shortfall_lines(expectation: EventExpectation, zone: tzinfo) -> list[str]:
    """One operator line per interval that falls short: ``event E: expect 61 kW of the 100 kW
    asked in interval 2 (14:15-14:30 UTC; comfort limits: zone-1)``."""
    lines = []
    for number, item in enumerate(expectation.intervals, start=1):
        if not item.short:
            continue
        start = item.start.astimezone(zone)
        end = (item.start + item.duration).astimezone(zone)
        why = "; ".join(item.reasons)
        lines.append(f"event {expectation.event_id}: expect {item.expected_kw:.0f} kW of the "
                     f"{item.requested_kw:.0f} kW asked in interval {number} "
                     f"({start:%H:%M}-{end:%H:%M %Z}{'; ' + why if why else ''})")
    return lines
