"""The MPC's linear program: grid, battery, zones, water heaters, EVs, PV, peak and DR rows.

Each ``define_*`` adds one device's columns and rows to a ``LinearProgram`` and returns the
column indices the schedule is read from. Intervals t = 0..n-1 of length dt [h]; powers are
interval means [kW]; states (temperatures, stored energy) are at interval boundaries 0..n.
The objective is the strategy's (``ven.energy.strategy``); formulas in docs/energy-manager.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ven.devices.daytype import LocalCalendar, by_hour, in_window
from ven.devices.history import session_need
from ven.devices.model import Battery, Building, EvCharger, HvacZone, PvArray, WaterHeater
from ven.devices.physics import WATER_KWH_PER_L_C, hvac_sign
from ven.energy.inputs import DrTarget, PlanSettings, PlanState
from ven.energy.lp import INF, LinearProgram
from ven.energy.strategy import Strategy
from ven.energy.tariff import Tariff

__all__ = ["Columns", "Horizon", "build_model"]


@dataclass(frozen=True, slots=True)
class Horizon:
    """The plan's intervals: starts (tz-aware UTC), length dt [h], local calendar, and the
    forecasts and prices on them (arrays of length n)."""

    index: pd.DatetimeIndex
    dt_h: float
    cal: LocalCalendar
    fixed_kw: np.ndarray
    pv_kw: np.ndarray
    t_out_c: np.ndarray
    carbon_g_per_kwh: np.ndarray
    price: np.ndarray
    export_price: np.ndarray

    @property
    def n(self) -> int:
        """Number of intervals."""
        return len(self.index)


@dataclass(slots=True)
class Columns:
    """Column indices of what the schedule reports, by device id where per device."""

    grid_import: np.ndarray
    grid_export: np.ndarray
    pv_used: np.ndarray | None
    peak: int
    charge: dict[str, np.ndarray] = field(default_factory=dict)
    discharge: dict[str, np.ndarray] = field(default_factory=dict)
    energy: dict[str, np.ndarray] = field(default_factory=dict)
    power: dict[str, np.ndarray] = field(default_factory=dict)
    temperature: dict[str, np.ndarray] = field(default_factory=dict)
    band_low: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    band_high: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    deviation: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    occupied: dict[str, np.ndarray] = field(default_factory=dict)
    ev_short: dict[str, np.ndarray] = field(default_factory=dict)
    shed_short: tuple[np.ndarray, np.ndarray] | None = None


def build_model(
    building: Building,
    state: PlanState,
    horizon: Horizon,
    tariff: Tariff,
    strategy: Strategy,
    targets: tuple[DrTarget, ...] = (),
    settings: PlanSettings | None = None,
) -> tuple[LinearProgram, Columns]:
    """The whole LP of one plan and where its columns are."""
    settings = settings or PlanSettings()
    lp = LinearProgram()
    n, dt = horizon.n, horizon.dt_h
    w = strategy.cost
    grid_cost = w * horizon.price * dt + strategy.carbon * horizon.carbon_g_per_kwh / 1000 * dt
    imp = lp.var("grid-import", n, 0.0, INF, grid_cost)
    exp_ub = INF if settings.export_limit_kw is None else settings.export_limit_kw
    exp = lp.var("grid-export", n, 0.0, exp_ub, -w * horizon.export_price * dt)
    peak_so_far = max(state.month_peak_kw, 0.0)
    peak = int(lp.var("peak", 1, peak_so_far, INF, w * tariff.demand_charge_per_kw)[0])
    lp.rows("peak-above-import", n, [(imp, 1.0), (np.full(n, peak), -1.0)], hi=0.0)
    has_pv = any(isinstance(d, PvArray) for d in building.devices)
    pv_used = None
    if has_pv and settings.pv_curtailable:
        pv_used = lp.var("pv-used", n, 0.0, horizon.pv_kw)
    cols = Columns(grid_import=imp, grid_export=exp, pv_used=pv_used, peak=peak)
    # balance: import - export + pv_used - sum(device power) = fixed load (- pv when fixed)
    balance: list[tuple[np.ndarray, float | np.ndarray]] = [(imp, 1.0), (exp, -1.0)]
    rhs = horizon.fixed_kw.copy()
    if pv_used is not None:
        balance.append((pv_used, 1.0))
    elif has_pv:
        rhs = rhs - horizon.pv_kw
    for dev in building.devices:
        if isinstance(dev, Battery):
            define_battery(lp, cols, dev, state, horizon, strategy, settings)
            balance += [(cols.charge[dev.id], -1.0), (cols.discharge[dev.id], 1.0)]
        elif isinstance(dev, HvacZone):
            define_zone(lp, cols, dev, state, horizon, strategy, settings)
            balance.append((cols.power[dev.id], -1.0))
        elif isinstance(dev, WaterHeater):
            define_water_heater(lp, cols, dev, state, horizon, strategy)
            balance.append((cols.power[dev.id], -1.0))
        elif isinstance(dev, EvCharger):
            define_ev(lp, cols, dev, state, horizon, strategy)
            balance.append((cols.power[dev.id], -1.0))
    lp.rows("grid-balance", n, balance, lo=rhs, hi=rhs)
    define_dr_targets(lp, cols, horizon, strategy, targets)
    return lp, cols


def define_battery(lp: LinearProgram, cols: Columns, dev: Battery, state: PlanState,
                   horizon: Horizon, strategy: Strategy, settings: PlanSettings) -> None:
    """Charge/discharge [kW], stored energy [kWh] with split efficiencies, terminal energy,
    a cycle limit over the horizon and the degradation cost (always at full weight)."""
    n, dt = horizon.n, horizon.dt_h
    wear = strategy.degradation_per_kwh * dt
    ch = lp.var(f"battery-charge/{dev.id}", n, 0.0, dev.max_charge_kw, wear)
    dis = lp.var(f"battery-discharge/{dev.id}", n, 0.0, dev.max_discharge_kw, wear)
    cap = dev.capacity_kwh
    measured = state.devices.get(dev.id)
    soc0 = dev.soc_initial if measured is None or measured.soc is None else measured.soc
    e0 = soc0 * cap
    lo = np.full(n + 1, dev.soc_min * cap)
    hi = np.full(n + 1, dev.soc_max * cap)
    lo[0] = hi[0] = e0
    lo[n] = max(lo[n], min(e0, dev.soc_terminal * cap))
    energy = lp.var(f"battery-energy/{dev.id}", n + 1, np.minimum(lo, hi), np.maximum(lo, hi))
    lp.rows(f"battery-soc-balance/{dev.id}", n,
            [(energy[1:], 1.0), (energy[:-1], -1.0), (ch, -dev.charge_efficiency * dt),
             (dis, dt / dev.discharge_efficiency)], lo=0.0, hi=0.0)
    usable = (dev.soc_max - dev.soc_min) * cap
    days = n * dt / 24.0
    lp.row(f"battery-cycle-limit/{dev.id}", dis, dt / dev.discharge_efficiency,
           hi=settings.battery_cycles_per_day * usable * max(days, dt / 24.0))
    cols.charge[dev.id], cols.discharge[dev.id], cols.energy[dev.id] = ch, dis, energy


def _band(lp: LinearProgram, cols: Columns, dev_id: str, temp: np.ndarray, mask: np.ndarray,
          low: float, high: float, price: float, side: str = "both") -> None:
    """Soft comfort band low <= T <= high [°C] at the ends of the intervals in `mask`
    (`side` "low" or "high" adds only that bound)."""
    at = np.flatnonzero(mask)
    k = len(at)
    if not k:
        return
    if side in ("both", "low"):
        s_lo = lp.var(f"band-below/{dev_id}", k, 0.0, INF, price)
        lp.rows(f"band-low/{dev_id}", k, [(temp[at + 1], 1.0), (s_lo, 1.0)], lo=low)
        cols.band_low[dev_id] = (at, s_lo)
    if side in ("both", "high"):
        s_hi = lp.var(f"band-above/{dev_id}", k, 0.0, INF, price)
        lp.rows(f"band-high/{dev_id}", k, [(temp[at + 1], 1.0), (s_hi, -1.0)], hi=high)
        cols.band_high[dev_id] = (at, s_hi)


def define_zone(lp: LinearProgram, cols: Columns, dev: HvacZone, state: PlanState,
                horizon: Horizon, strategy: Strategy, settings: PlanSettings) -> None:
    """Electric power [kW] and temperature [°C] of an RC zone (exact discretisation of
    dT/dt = (T_out - T)/(RC) + s COP P / C), its soft comfort band and, when the strategy
    prices comfort, the deviation from the set point while occupied."""
    n, dt = horizon.n, horizon.dt_h
    model = settings.zone_models.get(dev.id)
    r = dev.r_c_per_kw if model is None else model.r_c_per_kw
    c = dev.c_kwh_per_c if model is None else model.c_kwh_per_c
    cop = dev.cop if model is None else model.cop
    a = math.exp(-dt / (r * c))
    b = (1 - a) * hvac_sign(dev.mode) * cop * r
    measured = state.devices.get(dev.id)
    t0 = (dev.setpoint_c if dev.initial_c is None else dev.initial_c) if (
        measured is None or measured.temperature_c is None) else measured.temperature_c
    power = lp.var(f"zone-power/{dev.id}", n, 0.0, dev.max_kw)
    lo = np.full(n + 1, -INF)
    hi = np.full(n + 1, INF)
    lo[0] = hi[0] = t0
    temp = lp.var(f"zone-temperature/{dev.id}", n + 1, lo, hi)
    lp.rows(f"zone-dynamics/{dev.id}", n,
            [(temp[1:], 1.0), (temp[:-1], -a), (power, -b)],
            lo=(1 - a) * horizon.t_out_c, hi=(1 - a) * horizon.t_out_c)
    occupied = by_hour(dev.occupied, dev.weekend_occupied, horizon.cal) > 0.5
    # the side the HVAC cannot act on (the cold side of a cooling zone) binds only where the
    # zone left alone would stay on the HVAC's side of it: a zone that floats below the band
    # at night is the heating's business, not a reason to stop cooling in the evening
    free = np.empty(n)
    t_free = t0
    for t in range(n):
        t_free = a * t_free + (1 - a) * horizon.t_out_c[t]
        free[t] = t_free
    if hvac_sign(dev.mode) < 0:
        _band(lp, cols, dev.id, temp, occupied & (free >= dev.comfort_low_c),
              dev.comfort_low_c, INF, strategy.penalty_band_per_ch * dt, side="low")
        _band(lp, cols, dev.id, temp, occupied, -INF, dev.comfort_high_c,
              strategy.penalty_band_per_ch * dt, side="high")
    else:
        _band(lp, cols, dev.id, temp, occupied, dev.comfort_low_c, INF,
              strategy.penalty_band_per_ch * dt, side="low")
        _band(lp, cols, dev.id, temp, occupied & (free <= dev.comfort_high_c), -INF,
              dev.comfort_high_c, strategy.penalty_band_per_ch * dt, side="high")
    if strategy.comfort > 0:
        at = np.flatnonzero(occupied)
        k = len(at)
        if k:  # the warm side of a cooling zone, the cold side of a heating zone
            sign = hvac_sign(dev.mode)
            away = lp.var(f"zone-setpoint-deviation/{dev.id}", k, 0.0, INF,
                          strategy.comfort * dt)
            lp.rows(f"zone-setpoint-deviation/{dev.id}", k,
                    [(temp[at + 1], sign), (away, 1.0)], lo=sign * dev.setpoint_c)
            cols.deviation[dev.id] = (at, away)
    cols.power[dev.id], cols.temperature[dev.id] = power, temp
    cols.occupied[dev.id] = occupied


def define_water_heater(lp: LinearProgram, cols: Columns, dev: WaterHeater, state: PlanState,
                        horizon: Horizon, strategy: Strategy) -> None:
    """Element power [kW] and tank temperature [°C] of a one-node tank with hourly draws
    (exact discretisation of C dT/dt = P - UA (T - T_amb) - m c_w (T - T_in)), soft band."""
    n, dt = horizon.n, horizon.dt_h
    cap = dev.volume_l * WATER_KWH_PER_L_C
    draw = by_hour(dev.draw_l_per_h, None, horizon.cal) * WATER_KWH_PER_L_C  # [kW/°C]
    loss = dev.ua_kw_per_c + draw
    fixed = dev.ua_kw_per_c * dev.ambient_c + draw * dev.inlet_c
    decay = np.exp(-loss * dt / cap)
    tiny = loss * dt / cap < 1e-12
    gain = np.where(tiny, dt / cap, (1 - decay) / np.where(tiny, 1.0, loss))
    measured = state.devices.get(dev.id)
    t0 = dev.setpoint_c if measured is None or measured.temperature_c is None else (
        measured.temperature_c)
    power = lp.var(f"tank-power/{dev.id}", n, 0.0, dev.rated_kw)
    lo = np.full(n + 1, -INF)
    hi = np.full(n + 1, INF)
    lo[0] = hi[0] = t0
    temp = lp.var(f"tank-temperature/{dev.id}", n + 1, lo, hi)
    rhs = gain * fixed
    lp.rows(f"tank-dynamics/{dev.id}", n,
            [(temp[1:], 1.0), (temp[:-1], -decay), (power, -gain)], lo=rhs, hi=rhs)
    _band(lp, cols, dev.id, temp, np.ones(n, dtype=bool), dev.comfort_low_c, dev.comfort_high_c,
          strategy.penalty_band_per_ch * dt)
    cols.power[dev.id], cols.temperature[dev.id] = power, temp


def define_ev(lp: LinearProgram, cols: Columns, dev: EvCharger, state: PlanState,
              horizon: Horizon, strategy: Strategy) -> None:
    """Charging power [kW] while plugged in; each session inside the horizon delivers its
    energy by departure (soft); a session that departs after the horizon delivers at least
    what it could no longer catch up after it, at full power."""
    n, dt = horizon.n, horizon.dt_h
    plugged = in_window(horizon.cal.hour_frac, dev.arrival_hour, dev.departure_hour)
    power = lp.var(f"ev-power/{dev.id}", n, 0.0, np.where(plugged, dev.max_kw, 0.0))
    measured = state.devices.get(dev.id)
    shorts = []
    t = 0
    while t < n:
        if not plugged[t]:
            t += 1
            continue
        end = t
        while end < n and plugged[end]:
            end += 1
        if t == 0 and measured is not None and measured.plugged:
            need = max((measured.energy_needed_kwh or 0.0) - (measured.energy_kwh or 0.0), 0.0)
        else:
            need = session_need(dev, bool(horizon.cal.weekend[t]))
        required = need
        if end == n:  # departs after the horizon: what full power after it cannot deliver
            after_h = (dev.departure_hour - (horizon.cal.hour_frac[-1] + dt)) % 24.0
            required = max(need - dev.efficiency * dev.max_kw * after_h, 0.0)
        span = power[t:end]
        short = lp.var(f"ev-short/{dev.id}/{t}", 1, 0.0, INF, strategy.penalty_ev_per_kwh)
        lp.row(f"ev-energy/{dev.id}/{t}", np.append(span, short),
               np.append(np.full(len(span), dev.efficiency * dt), 1.0), lo=required)
        lp.row(f"ev-energy-most/{dev.id}/{t}", span, dev.efficiency * dt, hi=need + 1e-9)
        shorts.append(short)
        t = end
    cols.power[dev.id] = power
    cols.ev_short[dev.id] = np.concatenate(shorts) if shorts else np.zeros(0, dtype=int)


def define_dr_targets(lp: LinearProgram, cols: Columns, horizon: Horizon, strategy: Strategy,
                      targets: tuple[DrTarget, ...]) -> None:
    """import[t] <= max_import_kw in every interval that overlaps an event (soft)."""
    if not targets:
        return
    starts = horizon.index
    ends = starts + pd.Timedelta(hours=horizon.dt_h)
    cap = np.full(horizon.n, INF)
    for target in targets:
        hit = (starts < pd.Timestamp(target.end)) & (ends > pd.Timestamp(target.start))
        cap[hit] = np.minimum(cap[hit], target.max_import_kw)
    at = np.flatnonzero(cap < INF)
    if not len(at):
        return
    short = lp.var("dr-shortfall", len(at), 0.0, INF, strategy.penalty_shed_per_kwh
                   * horizon.dt_h)
    lp.rows("dr-import-cap", len(at), [(cols.grid_import[at], 1.0), (short, -1.0)], hi=cap[at])
    cols.shed_short = (at, short)
