"""One event on the simulated building without a VTN: plan, carry out, measure it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from common.baselines.adjustment import adjustment_json
from common.clock import ManualClock
from common.errors import ConfigError
from ven.brain.expectation import EventExpectation
from ven.brain.handler import BuildingBrain
from ven.brain.outcome import COLUMNS, EventOutcome, measure
from ven.brain.planning import EventPlan
from ven.brain.words import actions, signal_words
from ven.devices.model import Building
from ven.dispatch import SolveOptions
from ven.instructions import EventSignal, SignalInterval

__all__ = ["WARMUP", "DryRun", "dry_run", "make_signal", "parse_duration", "parse_start"]

WARMUP = timedelta(hours=3)
"""Live simulation before the event, so that the same-day adjustment sees metered data [h]."""

_STEP = timedelta(minutes=15)  # the clock moves by this much between ticks [min]


@dataclass(frozen=True, slots=True, kw_only=True)
class DryRun:
    """A simulated event: the building, the brain's plan and the measured outcome; `expected`
    what the first plan, made before the event, expected to deliver."""

    building: Building
    plan: EventPlan
    outcome: EventOutcome
    expected: EventExpectation | None = None

    def totals(self) -> dict[str, Any]:
        """Requested and delivered energy [kWh], baseline and solver figures."""
        b, r = self.plan.baseline, self.plan.result
        share = self.outcome.delivered_share
        return {
            "requested_kwh": round(self.outcome.requested_kwh, 3),
            "delivered_kwh": round(self.outcome.delivered_kwh, 3),
            "delivered_pct": None if math.isnan(share) else round(100 * share, 1),
            "baseline_kw": _num(self.outcome.event_mean("baseline_kw")),
            "measured_kw": _num(self.outcome.event_mean("measured_kw")),
            "requested_shed_kw": _num(self.outcome.event_mean("requested_shed_kw")),
            "measured_shed_kw": _num(self.outcome.event_mean("measured_shed_kw")),
            "baseline_method": b.method.value,
            "baseline_config": b.config_name,
            "baseline_confidence": b.confidence.value,
            "baseline_adjustment": adjustment_json(b.adjustment),
            "solver_status": r.status.value,
            "mip_gap": r.mip_gap if math.isfinite(r.mip_gap) else None,
            "solve_s": round(self.plan.solve_s, 3),
            "expected_shed_kw": _num(self.expected.expected_kw) if self.expected else None,
            "expected_pct": None if self.expected is None or self.expected.expected_pct is None
            else round(self.expected.expected_pct, 1),
            "recovery": self.recovery(),
        }

    def recovery(self) -> dict[str, Any]:
        """The recovery window after the event: its measured peak, its baseline and the
        no-event load the plan kept the load near (``ModelData.rebound_floor``) [kW]."""
        after = self.outcome.table[~self.outcome.table["in_event"]]

        def peak(column: str) -> float | None:
            values = after[column].to_numpy(dtype=float)
            return None if not len(values) or np.isnan(values).all() else _num(np.nanmax(values))

        return {"intervals": len(after), "peak_kw": peak("measured_kw"),
                "planned_peak_kw": peak("planned_kw"), "baseline_kw": peak("baseline_kw"),
                "no_event_kw": peak("no_event_kw")}

    def to_json(self) -> dict[str, Any]:
        """The per-interval table and the totals, as JSON-ready values."""
        rows = []
        for start, row in self.outcome.table.iterrows():
            rows.append({"start": start.isoformat(), "in_event": bool(row["in_event"]),
                         "requested_shed_kw": _num(row["requested_shed_kw"]),
                         **{c: _num(row[c]) for c in COLUMNS},
                         "no_event_kw": _num(row["no_event_kw"])})
        return {"building": self.building.id, "signal": signal_words(self.plan.signals),
                "actions": actions(self.plan, self.building), "intervals": rows,
                "totals": self.totals(), "notes": list(self.plan.request.notes)}

    def lines(self) -> list[str]:
        """The table and totals as text for a terminal (times in the building's zone)."""
        zone = ZoneInfo(self.building.timezone)
        head = f"{'interval':<13}" + "".join(f"{h:>11}" for h in (
            "baseline", "target", "planned", "measured", "shed"))
        out = [f"{self.building.name} ({self.building.id}): {signal_words(self.plan.signals)}",
               "loads in kW; target = baseline - requested shed; shed = baseline - measured",
               head]
        for start, row in self.outcome.table.iterrows():
            label = f"{start.tz_convert(zone):%H:%M}" + ("" if row["in_event"] else " after")
            out.append(f"{label:<13}" + "".join(_cell(row[c]) for c in COLUMNS))
        t = self.totals()
        pct = "n/a" if t["delivered_pct"] is None else f"{t['delivered_pct']:.0f} %"
        gap = "n/a" if t["mip_gap"] is None else f"{t['mip_gap']:.2%}"
        out += [
            f"requested {t['requested_kwh']:.1f} kWh, delivered {t['delivered_kwh']:.1f} kWh "
            f"({pct}, measured on the simulated meter)",
            f"baseline: {t['baseline_config']} via {t['baseline_method']}, "
            f"{t['baseline_confidence']} confidence; {t['baseline_adjustment']['text']}",
            f"solver: {t['solver_status']}, gap {gap}, {t['solve_s']:.2f} s",
            *_expected_lines(self.expected),
            *_recovery_lines(t["recovery"]),
            "devices: " + ("; ".join(actions(self.plan, self.building)) or "no change"),
            *(f"note: {n}" for n in self.plan.request.notes),
        ]
        return out


def dry_run(
    building_file: str | Path,
    signals: list[EventSignal],
    *,
    seed: int = 0,
    warmup: timedelta = WARMUP,
    options: SolveOptions | None = None,
    event_id: str = "dry-run",
    closed_loop: bool = True,
    recovery: timedelta | None = None,
) -> DryRun:
    """Simulate `signals` on the building: history and baseline, the brain's plan, then the
    simulated building carrying it out under a ``ManualClock`` moved 15 min at a time
    (re-planned at each plan interval with `closed_loop`, else the first plan open loop).
    The run's plan is the latest one (the executed re-plans spliced in). `recovery`: the
    recovery window after the event (None: the building file's ``[programme]
    recovery_minutes``)."""
    start = min(iv.start for s in signals for iv in s.intervals)
    clock = ManualClock(start - warmup)
    brain = BuildingBrain.simulated(building_file, clock, seed=seed, options=options,
                                    closed_loop=closed_loop, recovery=recovery)
    clock.advance(start - clock.now())
    planned = brain.plan(event_id, 0, signals)
    if planned is None:
        raise ConfigError("the event has no interval to plan")
    expected = brain.expectation(event_id)
    while clock.now() < planned.until:
        clock.advance(min(_STEP, planned.until - clock.now()))
        brain.tick()
    final = brain.latest(event_id) or planned
    return DryRun(building=brain.building, plan=final, outcome=measure(final, brain.meter),
                  expected=expected)


def _recovery_lines(recovery: dict[str, Any]) -> list[str]:
    """``after the event: peak 316 kW (no-event load 297 kW, baseline 227 kW)``."""
    if not recovery["intervals"] or recovery["peak_kw"] is None:
        return []

    def kw(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0f} kW"

    return [f"after the event: peak {kw(recovery['peak_kw'])} (no-event load "
            f"{kw(recovery['no_event_kw'])}, baseline {kw(recovery['baseline_kw'])}; "
            "highest 15-min values of the recovery window)"]


def _expected_lines(expected: EventExpectation | None) -> list[str]:
    """``expected before the event: 47 of 400 kW requested (12 %)``, and each interval that
    falls short with its reasons."""
    if expected is None:
        return []
    pct = expected.expected_pct
    out = [f"expected before the event: shed {expected.expected_kw:.1f} kW of "
           f"{expected.requested_kw:.1f} kW requested"
           + ("" if pct is None else f" ({pct:.0f} %)")]
    out += [f"  short in interval {n} ({i.expected_kw:.1f} of {i.requested_kw:.1f} kW): "
            + "; ".join(i.reasons) for n, i in enumerate(expected.intervals, start=1) if i.short]
    return out


def make_signal(
    name: str,
    *,
    start: datetime,
    duration: timedelta,
    intervals: int = 1,
    level: float | None = None,
    delta_kw: float | None = None,
    setpoint_kw: float | None = None,
) -> EventSignal:
    """A SIMPLE (level) or LOAD_DISPATCH (delta or setpoint [kW]) signal of equal intervals."""
    if intervals < 1:
        raise ConfigError(f"intervals: must be at least 1, got {intervals}")
    if name == "SIMPLE":
        kind, value = "level", 2.0 if level is None else level
    elif name == "LOAD_DISPATCH":
        if delta_kw is not None and setpoint_kw is None:
            kind, value = "delta", delta_kw
        elif setpoint_kw is not None and delta_kw is None:
            kind, value = "setpoint", setpoint_kw
        else:
            raise ConfigError("LOAD_DISPATCH needs exactly one of --kw (a delta to shed [kW]) "
                              "and --setpoint-kw (the load to draw [kW])")
    else:
        raise ConfigError(f"signal: {name!r} is not one of SIMPLE, LOAD_DISPATCH")
    step = duration / intervals
    return EventSignal(name=name, type=kind, intervals=tuple(
        SignalInterval(start + k * step, step, float(value)) for k in range(intervals)))


def parse_start(text: str, timezone: str) -> datetime:
    """An ISO 8601 time; without an offset it is the building's local time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"start: {text!r} is not an ISO 8601 time like 2026-07-15T14:00"
                          ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*(?:min|m))?\s*$")


def parse_duration(text: str) -> timedelta:
    """``1h``, ``90min``, ``1h30m`` -> a positive duration."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        raise ConfigError(f"duration: {text!r} is not like 1h, 90min or 1h30m")
    hours, minutes = (float(g) if g else 0.0 for g in match.groups())
    duration = timedelta(hours=hours, minutes=minutes)
    if duration <= timedelta(0):
        raise ConfigError("duration: must be positive")
    return duration


def _num(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else round(value, 3)


def _cell(value: float) -> str:
    return f"{'-':>11}" if math.isnan(float(value)) else f"{float(value):>11.1f}"
