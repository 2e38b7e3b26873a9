"""Plans and outcomes in words a building operator understands (for the logs)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import tzinfo

import numpy as np
import pandas as pd

from ven.brain.outcome import EventOutcome
from ven.brain.planning import EventPlan
from ven.devices.commands import Setpoint
from ven.devices.model import (
    Battery,
    Building,
    CurtailableLoad,
    EvCharger,
    HvacZone,
    OnOffLoad,
    WaterHeater,
)
from ven.dispatch.commands import plan_to_commands
from ven.instructions import EventSignal
from ven.wording import plural

__all__ = ["describe_outcome", "describe_plan", "plural", "signal_words", "window_words"]

_UNITS = {"delta": " kW", "setpoint": " kW", "x-loadControlSetpoint": " kW",
          "x-loadControlPercentOffset": " %", "price": " USD/kWh", "priceRelative": " USD/kWh"}


def set_point_changes(plan: EventPlan, building: Building) -> dict[str, list[float]]:
    """The set point each HVAC zone is sent during the event minus its normal set point [°C],
    read from the commands the plan turns into (``plan_to_commands``): a zone the plan leaves
    alone runs (or floats) as usual, whatever its temperature, and has no entry."""
    zones = {d.id: d for d in building.devices if isinstance(d, HvacZone)}
    found: dict[str, list[float]] = {}
    in_event = np.asarray(plan.request.in_event, dtype=bool)
    for moment, inside in zip(plan.request.index, in_event, strict=True):
        if not inside:
            continue
        for command in plan_to_commands(plan.plan, building, moment.to_pydatetime()):
            if isinstance(command, Setpoint) and command.device_id in zones:
                found.setdefault(command.device_id, []).append(
                    command.celsius - zones[command.device_id].setpoint_c)
    return found


def _set_point_words(plan: EventPlan, building: Building) -> list[str]:
    """``HVAC set points raised by up to 1.5 °C on 4 zones (cooling)``, per mode and way."""
    modes = {d.id: d.mode for d in building.devices if isinstance(d, HvacZone)}
    out = []
    changes = set_point_changes(plan, building)
    for mode in ("cooling", "heating"):
        for verb, sign in (("raised", 1.0), ("lowered", -1.0)):
            moves = [max(sign * v for v in values) for zone, values in changes.items()
                     if modes[zone] == mode]
            moves = [m for m in moves if round(m, 1) > 0]
            if moves:
                out.append(f"HVAC set points {verb} by up to {max(moves):.1f} °C on "
                           f"{plural(len(moves), 'zone')} ({mode})")
    return out


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
                f"confidence; {b.adjustment_words})" if b.ok
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
    out = _set_point_words(plan, building)
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
