"""A simulated building run in closed loop under the MPC or the rule-based baseline.

The simulator (``ven.devices.simulated``) is the plant: it runs `warmup_days` in normal
operation first (the metered history the forecasts and zone fits learn from), then for
`days` the controller acts every `step`: the MPC re-plans over `horizon` from the measured
state, with load and PV forecast by ``ven.learning`` from the history so far (refreshed every
six hours; it learns from whole past days) and the outdoor temperature from the simulator's
weather, and applies the plan's first interval; the baseline holds set points and runs its
battery on self-consumption. The bill is computed from the metered interval imports and
exports under the tariff.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from common.clock import ManualClock
from ven.devices.daytype import LocalCalendar, by_hour
from ven.devices.history import T_OUT
from ven.devices.model import Battery, Building, HvacZone
from ven.devices.physics import hvac_sign
from ven.devices.simulated import SimulatedBuilding
from ven.devices.weather import Climate
from ven.energy.forecasts import learned_forecast, typical_carbon
from ven.energy.inputs import DrTarget, EnergyForecast, PlanSettings, PlanState
from ven.energy.mpc import plan
from ven.energy.rulebased import self_consumption_commands
from ven.energy.strategy import Strategy
from ven.energy.tariff import MonthPeak, Tariff
from ven.learning.simhistory import simulated_zone_histories
from ven.learning.thermal_fit import RcParameters, fit_zone

__all__ = ["RunResult", "fitted_zone_models", "run_closed_loop"]

Controller = Literal["rule", "mpc"]
_REFRESH = timedelta(hours=6)  # how often the load/PV forecast is recomputed [h]


@dataclass(slots=True, kw_only=True)
class RunResult:
    """What one closed-loop run cost and how it felt.

    energy_cost [currency] (imports at the tariff's prices minus exports at the export
    price), demand_charge [currency] (the run's peak import [kW] times the demand charge, as
    one billing month), peak_kw [kW], comfort_violation_ch: zone temperatures outside the
    comfort band on the side the HVAC acts on (above it for cooling, below for heating) while
    occupied [°C·h], other_side_ch: outside it on the other side (a cooling zone too cold:
    mostly weather, no heating is modelled) [°C·h], setpoint_deviation_ch: degrees on the
    warm side (cooling) or cold side (heating) of the set point while occupied [°C·h],
    battery_cycles: discharged energy / usable capacity [-], carbon_kg [kgCO2],
    plan_s: mean time of one plan [s], plans: how many, violations: plans with a missed soft
    constraint.
    """

    controller: str
    strategy: str
    energy_cost: float = 0.0
    demand_charge: float = 0.0
    peak_kw: float = 0.0
    comfort_violation_ch: float = 0.0
    other_side_ch: float = 0.0
    setpoint_deviation_ch: float = 0.0
    battery_cycles: float = 0.0
    carbon_kg: float = 0.0
    plan_s: float = 0.0
    plans: int = 0
    violations: int = 0
    imports: list[float] = field(default_factory=list)

    @property
    def total_cost(self) -> float:
        """Energy cost plus demand charge [currency]."""
        return self.energy_cost + self.demand_charge


def fitted_zone_models(building: Building, start: datetime, hours: float, *, seed: int,
                       climate: Climate | None) -> dict[str, RcParameters]:
    """The RC models fitted (``ven.learning.thermal_fit.fit_zone``) on `hours` [h] of simulated
    zone telemetry from `start` (thermometer noise 0.05 °C), by zone id; zones whose fit is
    refused are left out (the building file's model stays in force)."""
    zones = [d for d in building.devices if isinstance(d, HvacZone)]
    if not zones:
        return {}
    histories = simulated_zone_histories(building, start, hours, seed=seed, climate=climate,
                                         noise_c=0.05)
    out: dict[str, RcParameters] = {}
    for zone in zones:
        configured = RcParameters(r_c_per_kw=zone.r_c_per_kw, c_kwh_per_c=zone.c_kwh_per_c,
                                  cop=zone.cop, mode=zone.mode)
        result = fit_zone(histories[zone.id], mode=zone.mode, cop=zone.cop,
                          configured=configured)
        if result.accepted and result.fitted is not None:
            out[zone.id] = result.fitted
    return out


def run_closed_loop(
    building: Building,
    start: datetime,
    days: float,
    *,
    controller: Controller,
    tariff: Tariff,
    strategy: Strategy | None = None,
    climate: Climate | None = None,
    seed: int = 0,
    warmup_days: int = 14,
    horizon: timedelta = timedelta(hours=24),
    step: timedelta = timedelta(minutes=15),
    settings: PlanSettings | None = None,
    targets: tuple[DrTarget, ...] = (),
) -> RunResult:
    """Run `building` for `days` from `start` (tz-aware) under `controller` (see module)."""
    strategy = strategy or Strategy.named("economic")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(UTC)
    clock = ManualClock(start - timedelta(days=warmup_days))
    sim = SimulatedBuilding(building, clock, climate=climate, seed=seed)
    clock.advance(timedelta(days=warmup_days))
    history = sim.run(start, step)
    dt_h = step / timedelta(hours=1)
    result = RunResult(controller=controller,
                       strategy=strategy.name if controller == "mpc" else "-")
    zones = [d for d in building.devices if isinstance(d, HvacZone)]
    batteries = [d for d in building.devices if isinstance(d, Battery)]
    peak = MonthPeak()
    forecast: EnergyForecast | None = None
    forecast_until = start
    past: list[dict[str, float]] = []
    net_without_battery = 0.0
    steps = int(timedelta(days=days) / step)
    grid = pd.date_range(start, periods=steps, freq=step)
    prices = tariff.import_prices(grid)
    carbon = typical_carbon(grid, building.timezone).to_numpy()
    cal = LocalCalendar.of(grid, building.timezone)
    occupied = {z.id: by_hour(z.occupied, z.weekend_occupied, cal) > 0.5 for z in zones}
    plan_time = 0.0
    discharged = 0.0
    for k in range(steps):
        now = start + k * step
        if controller == "mpc":
            if forecast is None or now >= forecast_until:
                if past:
                    history = pd.concat([history, pd.DataFrame(past, index=pd.DatetimeIndex(
                        grid[k - len(past):k], name="start"))]).iloc[-96 * 28:]
                    past = []
                index = pd.date_range(now, now + horizon + _REFRESH, freq=step,
                                      inclusive="left")
                mid = index + step / 2
                t_out = pd.Series(sim.weather.frame(mid)[T_OUT].to_numpy(), index=index)
                forecast = learned_forecast(building, history, index, t_out,
                                            typical_carbon(index, building.timezone))
                forecast_until = now + _REFRESH
            began = time.perf_counter()
            state = PlanState(now=now, devices=sim.state(),
                              month_peak_kw=peak.so_far(tariff, now))
            schedule = plan(building, state, forecast, tariff, strategy, horizon=horizon,
                            step=step, targets=targets, settings=settings)
            plan_time += time.perf_counter() - began
            result.plans += 1
            result.violations += int(schedule.violated)
            if schedule.optimal:
                sim.apply(schedule.commands)
        else:
            sim.apply(self_consumption_commands(building, net_without_battery))
        clock.advance(step)
        measured = sim.step()
        states = sim.state()
        total = measured.total_kw
        imp, exp = max(total, 0.0), max(-total, 0.0)
        result.energy_cost += (float(prices[k]) * imp - tariff.export_price * exp) * dt_h
        result.carbon_kg += float(carbon[k]) * imp * dt_h / 1000
        result.imports.append(imp)
        peak.record(tariff, now, imp)
        net_without_battery = total - sum(measured.device_kw[b.id] for b in batteries)
        for b in batteries:
            discharged += max(-measured.device_kw[b.id], 0.0) * dt_h
        for zone in zones:
            if occupied[zone.id][k]:
                temp = states[zone.id].temperature_c or 0.0
                warm = max(temp - zone.comfort_high_c, 0.0)
                cold = max(zone.comfort_low_c - temp, 0.0)
                acting, other = (warm, cold) if zone.mode == "cooling" else (cold, warm)
                result.comfort_violation_ch += acting * dt_h
                result.other_side_ch += other * dt_h
                result.setpoint_deviation_ch += max(
                    hvac_sign(zone.mode) * (zone.setpoint_c - temp), 0.0) * dt_h
        row = dict(measured.device_kw)
        row.update(base_kw=measured.base_kw, total_kw=total, t_out_c=measured.t_out_c,
                   ghi_w_m2=0.0)
        past.append(row)
    result.peak_kw = float(np.max(result.imports)) if result.imports else 0.0
    result.demand_charge = tariff.demand_charge_per_kw * result.peak_kw
    usable = sum((b.soc_max - b.soc_min) * b.capacity_kwh for b in batteries)
    result.battery_cycles = discharged / usable if usable else 0.0
    result.plan_s = plan_time / result.plans if result.plans else 0.0
    return result
