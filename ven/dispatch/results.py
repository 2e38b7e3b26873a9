"""Read a solved dispatch model back into pandas frames on the plan's tz-aware index."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ven.dispatch.modeldata import ModelData, ThermalData
from ven.dispatch.solver import SolveResult, SolveStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchPlan:
    """The plan: per-device schedules and what the building is expected to deliver.

    power_kw / baseline_kw / shed_kw: planned power, baseline and baseline - planned per
    device [kW] (battery: charge - discharge). onoff_shed: on/off loads shed (bool).
    zone_temp_c / tank_temp_c: temperature at the end of each interval, i.e. the setpoint
    trajectory to command [°C]. battery_soc [fraction] at the end of each interval;
    battery_charge_kw / battery_discharge_kw [kW]; ev_energy_kwh: energy delivered since
    the plan's start [kWh]. expected_shed_kw, target_kw, shortfall_kw (max(target - shed, 0)
    during the event) and net_load_kw per interval [kW]. energy_cost_usd: planned energy cost
    at the event's prices [USD], or None without prices. When the solver found no plan, the
    plan is the baseline (best effort) and ``status`` says why.
    """

    status: SolveStatus
    has_solution: bool
    mip_gap: float
    objective: float
    index: pd.DatetimeIndex
    duration_h: np.ndarray
    power_kw: pd.DataFrame
    baseline_kw: pd.DataFrame
    shed_kw: pd.DataFrame
    onoff_shed: pd.DataFrame
    zone_temp_c: pd.DataFrame
    tank_temp_c: pd.DataFrame
    battery_soc: pd.DataFrame
    battery_charge_kw: pd.DataFrame
    battery_discharge_kw: pd.DataFrame
    ev_energy_kwh: pd.DataFrame
    expected_shed_kw: pd.Series
    target_kw: pd.Series
    shortfall_kw: pd.Series
    net_load_kw: pd.Series
    energy_cost_usd: float | None
    notes: tuple[str, ...]

    @property
    def shortfall_kwh(self) -> float:
        """Predicted energy not shed over the event [kWh]."""
        return float((self.shortfall_kw.to_numpy() * self.duration_h).sum())

    @property
    def hvac_setpoint_c(self) -> pd.DataFrame:
        """Setpoint trajectory per HVAC zone [°C] (the planned zone temperatures)."""
        return self.zone_temp_c

    @property
    def meets_target(self) -> bool:
        """True when the plan sheds the target in every event interval (within 1 W)."""
        return bool((self.shortfall_kw <= 1e-3).all())


def _grid(m: pyo.ConcreteModel, name: str, shape: tuple[int, int]) -> np.ndarray:
    comp = m.component(name)
    values = np.fromiter(
        (math.nan if v.value is None else v.value for v in comp.values()), float, len(comp)
    )
    return np.nan_to_num(values, nan=0.0).reshape(shape)


def extract(model: pyo.ConcreteModel, result: SolveResult) -> DispatchPlan:
    """Build the DispatchPlan from the variable values loaded by :func:`solve`."""
    data: ModelData = model.data
    values: dict[str, np.ndarray] = {}
    if result.has_solution:
        for name, shape in value_shapes(data).items():
            values[name] = _grid(model, name, shape)
    target = _params(model, "shed-target", data.n_t)  # the current event, also after updates
    price = _params(model, "energy-price", data.n_t)
    return extract_values(data, result, values, target, price)


def value_shapes(data: ModelData) -> dict[str, tuple[int, int]]:
    """The components :func:`extract_values` reads, with their (devices, intervals) shapes."""
    shapes = {
        "onoff-shed": data.onoff.base.shape,
        "curtail-reduction": data.curtail.base.shape,
        "battery-charge": data.battery.base.shape,
        "battery-discharge": data.battery.base.shape,
        "battery-energy": data.battery.base.shape,
        "ev-power": data.ev.base.shape,
    }
    for prefix, td in (("hvac", data.hvac), ("water-heater", data.water)):
        for part in ("power", "above-in", "above-out", "below-in", "below-out"):
            shapes[f"{prefix}-{part}"] = td.base.shape
    return shapes


def extract_values(
    data: ModelData,
    result: SolveResult,
    values: dict[str, np.ndarray],
    target: np.ndarray,
    price: np.ndarray,
) -> DispatchPlan:
    """Build the DispatchPlan from solution values by component name (see value_shapes).

    target/price: the event's shed target [kW] and energy price [USD/kWh] per interval.
    """
    n_t = data.n_t
    solved = result.has_solution
    od, cd, bd, ed = data.onoff, data.curtail, data.battery, data.ev
    if solved:
        u = np.round(values["onoff-shed"]) * od.allowed
        x = np.clip(values["curtail-reduction"], 0, cd.upper)
        hvac_p = values["hvac-power"]
        water_p = values["water-heater-power"]
        charge = values["battery-charge"]
        discharge = values["battery-discharge"]
        ev_p = values["ev-power"]
        zone = _temperatures(values, "hvac", data.hvac)
        tank = _temperatures(values, "water-heater", data.water)
        energy = values["battery-energy"]
    else:
        u = np.zeros_like(od.base)
        x = np.zeros_like(cd.base)
        hvac_p, water_p, ev_p = data.hvac.base, data.water.base, ed.base
        charge, discharge = np.clip(bd.base, 0, None), np.clip(-bd.base, 0, None)
        zone = simulate_thermal(data.hvac, hvac_p)
        tank = simulate_thermal(data.water, water_p)
        flow = (bd.eta_c[:, None] * charge - discharge / bd.eta_d[:, None]) * data.dt
        energy = bd.energy0[:, None] + np.cumsum(flow, axis=1)
    ids = data.device_ids
    power = np.vstack(
        [od.base * (1 - u), cd.base - x, hvac_p, water_p, charge - discharge, ev_p]
    ).reshape(len(ids), n_t)
    base = np.vstack([od.base, cd.base, data.hvac.base, data.water.base, bd.base, ed.base])
    base = base.reshape(len(ids), n_t)
    idx = data.index
    shed = (base - power).sum(axis=0)
    short = np.where(data.in_event, np.clip(target - shed, 0, None), 0.0)
    net = data.base_load - data.pv + power.sum(axis=0)
    cost = float((price * net * data.dt).sum()) if data.has_price else None
    with np.errstate(invalid="ignore", divide="ignore"):
        soc = np.where(bd.capacity[:, None] > 0, energy / bd.capacity[:, None], 0.0)
    ev_energy = np.cumsum(ev_p * data.dt * ed.efficiency[:, None], axis=1)
    notes = list(data.notes)
    if not solved:
        notes.append(f"no solution ({result.status}: {result.message}); plan = baseline")
    return DispatchPlan(
        status=result.status,
        has_solution=solved,
        mip_gap=result.mip_gap,
        objective=result.objective,
        index=idx,
        duration_h=data.dt,
        power_kw=pd.DataFrame(power.T, index=idx, columns=ids),
        baseline_kw=pd.DataFrame(base.T, index=idx, columns=ids),
        shed_kw=pd.DataFrame((base - power).T, index=idx, columns=ids),
        onoff_shed=pd.DataFrame(u.T > 0.5, index=idx, columns=od.ids),
        zone_temp_c=pd.DataFrame(zone.T, index=idx, columns=data.hvac.ids),
        tank_temp_c=pd.DataFrame(tank.T, index=idx, columns=data.water.ids),
        battery_soc=pd.DataFrame(soc.T, index=idx, columns=bd.ids),
        battery_charge_kw=pd.DataFrame(charge.T, index=idx, columns=bd.ids),
        battery_discharge_kw=pd.DataFrame(discharge.T, index=idx, columns=bd.ids),
        ev_energy_kwh=pd.DataFrame(ev_energy.T, index=idx, columns=ed.ids),
        expected_shed_kw=pd.Series(shed, index=idx, name="expected_shed_kw"),
        target_kw=pd.Series(target, index=idx, name="target_kw"),
        shortfall_kw=pd.Series(short, index=idx, name="shortfall_kw"),
        net_load_kw=pd.Series(net, index=idx, name="net_load_kw"),
        energy_cost_usd=cost,
        notes=tuple(notes),
    )


def _params(m: pyo.ConcreteModel, name: str, n_t: int) -> np.ndarray:
    comp = m.component(name)
    return np.array([pyo.value(comp[t]) for t in range(n_t)], dtype=float)


def _temperatures(values: dict[str, np.ndarray], prefix: str, td: ThermalData) -> np.ndarray:
    dev = (
        values[f"{prefix}-above-in"]
        + values[f"{prefix}-above-out"]
        - values[f"{prefix}-below-in"]
        - values[f"{prefix}-below-out"]
    )
    return td.setpoint[:, None] + dev


def simulate_thermal(td: ThermalData, power: np.ndarray) -> np.ndarray:
    """Temperatures [°C] at the end of each interval under `power` [kW], same discretisation."""
    dev = np.zeros_like(power)
    prev = np.zeros(len(td.ids))
    for t in range(power.shape[1]):
        decay = td.decay[:, t] if t > 0 else 0.0
        dev[:, t] = decay * prev + td.gain[:, t] * power[:, t] + td.drive[:, t]
        prev = dev[:, t]
    return td.setpoint[:, None] + dev
