"""Plans and outcomes in words a building operator understands (for the logs)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import tzinfo

import numpy as np
import pandas as pd

from ven.brain.outcome import EventOutcome
from ven.brain.planning import EventPlan
from ven.devices.model import (
    Battery,
    Building,
    CurtailableLoad,
    EvCharger,
    HvacZone,
    OnOffLoad,
    WaterHeater,
)
from ven.instructions import EventSignal

__all__ = ["describe_outcome", "describe_plan", "signal_words", "window_words"]

_UNITS = {"delta": " kW", "setpoint": " kW", "x-loadControlSetpoint": " kW",
          "x-loadControlPercentOffset": " %", "price": " USD/kWh", "priceRelative": " USD/kWh"}


def signal_words(signals: Sequence[EventSignal]) -> str:
    """``SIMPLE level 2`` / ``LOAD_DISPATCH delta 40 kW`` (first value; `+` when it changes)."""
    parts = []
    for sig in signals:
        values = [iv.value for iv in sig.intervals]
        first = f"{values[0]:g}" if values else "?"
        more = "+" if len(set(values)) > 1 else ""
        parts.append(f"{sig.name} {sig.type} {first}{_UNITS.get(sig.type, '')}{more}")
    return ", ".join(parts) or "no signal"


def window_words(plan: EventPlan, zone: tzinfo) -> str:
    """``14:00-15:00`` in the building's time zone (with the date when it is not today's)."""
    start, end = plan.start.astimezone(zone), plan.end.astimezone(zone)
    return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M %Z}"


def describe_plan(plan: EventPlan, building: Building, zone: tzinfo) -> str:
    """``Planned event E (SIMPLE level 2, 14:00-15:00): shed 42 kW of 60 kW requested ...``."""
    event = np.asarray(plan.request.in_event, dtype=bool)
    hours = plan.request.duration_h[event]
    p = plan.plan

    def mean(series: pd.Series) -> float:
        values = series.to_numpy(dtype=float)[event]
        return float(np.average(values, weights=hours)) if hours.sum() > 0 else 0.0

    requested, baseline_kw = mean(plan.requested_kw), mean(plan.request.baseline_kw)
    needed, shed, shortfall = mean(p.target_kw), mean(p.expected_shed_kw), mean(p.shortfall_kw)
    expected = mean(p.net_load_kw) + shed
    words = (f"target load {baseline_kw - requested:.0f} kW ({requested:.0f} kW below the "
             f"baseline of {baseline_kw:.0f} kW); planned load {mean(p.net_load_kw):.0f} kW, "
             f"shedding {shed:.0f} kW of the {needed:.0f} kW needed from the expected "
             f"{expected:.0f} kW")
    if shortfall > 0.05 * max(needed, 1e-9) and shortfall > 0.1:
        words += f" (predicted shortfall {shortfall:.0f} kW)"
    b = plan.baseline
    baseline = (f"Baseline by {b.config_name} ({b.method.value}, {b.confidence.value} "
                "confidence)" if b.ok
                else "No metered baseline: the forecast stands in for it")
    verb = "Re-planned" if plan.modification_number > 0 else "Planned"
    how = " in place" if plan.reused_model else ""
    solver = f"{p.status.value}" + (f", gap {p.mip_gap:.1%}" if math.isfinite(p.mip_gap) else "")
    doing = "; ".join(actions(plan, building)) or "no device needs to change"
    return (f"{verb} event {plan.event_id} ({signal_words(plan.signals)}, "
            f"{window_words(plan, zone)}): {words}; {doing}. {baseline}; "
            f"solved{how} in {plan.solve_s:.2f} s ({solver})")


def actions(plan: EventPlan, building: Building) -> list[str]:
    """What the plan does to the devices during the event, grouped by kind."""
    p = plan.plan
    event = np.asarray(plan.request.in_event, dtype=bool)
    out: list[str] = []
    zones = [(d, p.zone_temp_c[d.id].to_numpy()[event] - d.setpoint_c) for d in building.devices
             if isinstance(d, HvacZone) and d.id in p.zone_temp_c.columns]
    moved = [(d, off) for d, off in zones if np.abs(off).max(initial=0.0) > 0.1]
    if moved:
        top = max((float(off[np.argmax(np.abs(off))]) for _, off in moved), key=abs)
        out.append(f"HVAC setpoints up to {top:+.1f} °C on {len(moved)} zone(s)")
    for dev in building.devices:
        if dev.id not in p.shed_kw.columns:
            continue
        shed = p.shed_kw[dev.id].to_numpy()[event]
        base = p.baseline_kw[dev.id].to_numpy()[event]
        if isinstance(dev, CurtailableLoad) and shed.max(initial=0.0) > 0.05:
            share = float(np.max(np.divide(shed, base, out=np.zeros_like(shed), where=base > 0)))
            out.append(f"{dev.id} -{share:.0%}")
        elif isinstance(dev, OnOffLoad) and bool(p.onoff_shed[dev.id].to_numpy()[event].any()):
            out.append(f"{dev.id} off")
        elif isinstance(dev, Battery) and shed.max(initial=0.0) > 0.05:
            out.append(f"{dev.id} discharging up to {shed.max():.1f} kW")
        elif isinstance(dev, EvCharger) and shed.max(initial=0.0) > 0.05:
            out.append(f"{dev.id} charging reduced by up to {shed.max():.1f} kW")
        elif isinstance(dev, WaterHeater) and shed.max(initial=0.0) > 0.05:
            out.append(f"{dev.id} heating deferred (up to {shed.max():.1f} kW)")
    return out


def describe_outcome(plan: EventPlan, outcome: EventOutcome, zone: tzinfo) -> str:
    """``Event E (SIMPLE level 2, 14:00-15:00) ended: measured shed 40 kW of 42 kW ...``."""
    share = outcome.delivered_share
    delivered = "" if math.isnan(share) else f" ({share:.0%} delivered)"
    return (f"Event {plan.event_id} ({signal_words(plan.signals)}, {window_words(plan, zone)}) "
            f"ended: measured {outcome.event_mean('measured_kw'):.0f} kW against a baseline of "
            f"{outcome.event_mean('baseline_kw'):.0f} kW, shed {outcome.delivered_kwh:.1f} kWh "
            f"of {outcome.requested_kwh:.1f} kWh requested{delivered}")
