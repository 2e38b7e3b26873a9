"""One rolling-horizon plan: check inputs, build the LP, solve it, read the schedule back."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from ven.devices.commands import BatteryPower, DeviceCommand, PowerLimit, Setpoint, Switch
from ven.devices.daytype import LocalCalendar
from ven.devices.model import Building, EvCharger, HvacZone, WaterHeater
from ven.devices.physics import hvac_sign
from ven.energy.inputs import DrTarget, EnergyForecast, PlanSettings, PlanState
from ven.energy.model import Columns, Horizon, build_model
from ven.energy.strategy import Strategy
from ven.energy.tariff import Tariff

__all__ = ["Schedule", "plan"]

TANK_DEADBAND_C = 5.0  # the tank thermostat's deadband the commands allow for [°C]


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """A plan: per-interval frame and totals.

    frame: index = interval starts (UTC); columns import_kw, export_kw, pv_used_kw, and per
    device ``<id>.kw`` (battery: + charge / - discharge), ``<id>.soc`` (battery, at the
    interval's end) and ``<id>.temp_c`` (zones, tanks, at the interval's end).
    totals: energy_cost [currency], demand_charge_increment [currency], degradation_cost
    [currency], carbon_kg [kgCO2], comfort_deviation_ch [°C·h], band_violation_ch [°C·h],
    dr_shortfall_kwh [kWh], ev_shortfall_kwh [kWh], peak_kw [kW].
    status: HiGHS's model status; build_s / solve_s [s].
    """

    strategy: str
    frame: pd.DataFrame
    totals: dict[str, float]
    status: str
    optimal: bool
    build_s: float
    solve_s: float
    commands: tuple[DeviceCommand, ...]

    @property
    def violated(self) -> bool:
        """True when a soft constraint (band, DR shed, EV energy) is missed."""
        t = self.totals
        return (t["band_violation_ch"] > 0.05 or t["dr_shortfall_kwh"] > 0.05
                or t["ev_shortfall_kwh"] > 0.05)

    def as_json(self) -> dict[str, Any]:
        """The plan as plain JSON values (first 96 intervals)."""
        rows = []
        for moment, row in self.frame.head(96).iterrows():
            rows.append({"start": pd.Timestamp(str(moment)).isoformat(),
                         **{k: round(float(v), 3) for k, v in row.items()}})
        return {"strategy": self.strategy, "status": self.status,
                "totals": {k: round(v, 4) for k, v in self.totals.items()},
                "build_s": round(self.build_s, 4), "solve_s": round(self.solve_s, 4),
                "intervals": rows}


def plan(
    building: Building,
    state: PlanState,
    forecasts: EnergyForecast,
    tariff: Tariff,
    strategy: Strategy,
    *,
    horizon: timedelta = timedelta(hours=24),
    step: timedelta = timedelta(minutes=15),
    targets: tuple[DrTarget, ...] = (),
    settings: PlanSettings | None = None,
) -> Schedule:
    """The plan from `state.now` over `horizon` in steps of `step`; infeasibility of a soft
    constraint shows in the totals, a failed solve in ``status`` (``optimal`` False)."""
    began = time.perf_counter()
    if step <= timedelta(0) or horizon < step:
        raise ValueError("the step must be positive and the horizon at least one step")
    n = int(horizon / step)
    start = pd.Timestamp(state.now).tz_convert("UTC")
    index = pd.date_range(start, periods=n, freq=pd.Timedelta(step), name="start")
    data = forecasts.on(index)
    dt_h = step / timedelta(hours=1)
    window = Horizon(index=index, dt_h=dt_h, cal=LocalCalendar.of(index, building.timezone),
                     fixed_kw=data["fixed_kw"], pv_kw=np.maximum(data["pv_kw"], 0.0),
                     t_out_c=data["t_out_c"], carbon_g_per_kwh=data["carbon_g_per_kwh"],
                     price=tariff.import_prices(index), export_price=tariff.export_prices(index))
    lp, cols = build_model(building, state, window, tariff, strategy, targets, settings)
    built = time.perf_counter()
    solution = lp.solve()
    frame, totals = _read(building, window, cols, solution.x, tariff, state, strategy)
    commands = _commands(building, frame) if solution.optimal else ()
    return Schedule(strategy=strategy.name, frame=frame, totals=totals, status=solution.status,
                    optimal=solution.optimal, build_s=built - began, solve_s=solution.solve_s,
                    commands=commands)


def _read(building: Building, h: Horizon, cols: Columns, x: np.ndarray, tariff: Tariff,
          state: PlanState, strategy: Strategy) -> tuple[pd.DataFrame, dict[str, float]]:
    dt = h.dt_h
    imp, exp = x[cols.grid_import], x[cols.grid_export]
    out: dict[str, np.ndarray] = {"import_kw": imp, "export_kw": exp,
                                  "pv_used_kw": h.pv_kw if cols.pv_used is None
                                  else x[cols.pv_used]}
    throughput = 0.0
    for dev_id, ch in cols.charge.items():
        dis = x[cols.discharge[dev_id]]
        out[f"{dev_id}.kw"] = x[ch] - dis
        cap = building.device(dev_id)
        energy = x[cols.energy[dev_id]][1:]
        out[f"{dev_id}.soc"] = energy / cap.capacity_kwh  # type: ignore[union-attr]
        throughput += float((x[ch] + dis).sum() * dt)
    for dev_id, power in cols.power.items():
        out[f"{dev_id}.kw"] = x[power]
        if dev_id in cols.temperature:
            out[f"{dev_id}.temp_c"] = x[cols.temperature[dev_id]][1:]
    frame = pd.DataFrame(out, index=h.index)
    band = sum((float(x[s].sum()) for _, s in cols.band_low.values()), 0.0)
    band += sum((float(x[s].sum()) for _, s in cols.band_high.values()), 0.0)
    comfort = 0.0
    for dev_id, temp in cols.temperature.items():
        dev = building.device(dev_id)
        if isinstance(dev, HvacZone):
            occ = cols.occupied[dev_id]
            comfort += float(np.maximum(hvac_sign(dev.mode) * (dev.setpoint_c - x[temp][1:][occ]),
                                        0.0).sum())
    peak = float(x[cols.peak])
    so_far = max(state.month_peak_kw, 0.0)
    totals = {
        "energy_cost": float((h.price * imp - h.export_price * exp).sum() * dt),
        "demand_charge_increment": tariff.demand_charge_per_kw * max(peak - so_far, 0.0),
        "degradation_cost": strategy.degradation_per_kwh * throughput,
        "carbon_kg": float((h.carbon_g_per_kwh * imp).sum() * dt / 1000),
        "comfort_deviation_ch": comfort * dt,
        "band_violation_ch": band * dt,
        "dr_shortfall_kwh": 0.0 if cols.shed_short is None
        else float(x[cols.shed_short[1]].sum() * dt),
        "ev_shortfall_kwh": float(sum(float(x[s].sum()) for s in cols.ev_short.values())),
        "peak_kw": float(imp.max()) if len(imp) else 0.0,
        "battery_throughput_kwh": throughput,
    }
    return frame, totals


def _commands(building: Building, frame: pd.DataFrame) -> tuple[DeviceCommand, ...]:
    """The device commands that carry out the plan's first interval."""
    first = frame.iloc[0]
    out: list[DeviceCommand] = []
    for dev in building.devices:
        key = f"{dev.id}.kw"
        if key not in frame:
            continue
        kw = float(first[key])
        if dev.kind == "battery":
            out.append(BatteryPower(device_id=dev.id, kw=round(kw, 4)))
        elif isinstance(dev, HvacZone):
            out.append(Setpoint(device_id=dev.id, celsius=round(float(first[f"{dev.id}.temp_c"]),
                                                               3)))
            out.append(PowerLimit(device_id=dev.id, kw=max(round(kw, 4), 0.0)))
        elif isinstance(dev, WaterHeater):
            target = float(first[f"{dev.id}.temp_c"]) + TANK_DEADBAND_C
            out.append(Setpoint(device_id=dev.id, celsius=round(target, 3)))
            out.append(PowerLimit(device_id=dev.id, kw=max(round(kw, 4), 0.0)))
        elif isinstance(dev, EvCharger):
            out.append(Switch(device_id=dev.id, on=True))
            out.append(PowerLimit(device_id=dev.id, kw=max(round(kw, 4), 0.0)))
    return tuple(out)
