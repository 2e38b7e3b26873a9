"""Decision variables of the dispatch model, one ``define_*_variables`` function per concern."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.core.base.var import VarData

from ven.dispatch.modeldata import ModelData, ThermalData

Grid = list[list[VarData]]
"""Variables of one component as rows (devices) of columns (intervals)."""


def add_grid_var(
    m: pyo.ConcreteModel,
    name: str,
    ids: list[str],
    lower: np.ndarray | float,
    upper: np.ndarray | float | None,
    domain: pyo.Set = pyo.Reals,
) -> Grid:
    """Add the variable `name`[device, t] with per-element bounds (None = unbounded);
    returns its grid."""
    n_t = len(m.T)
    devices = pyo.Set(initialize=ids, ordered=True)
    m.add_component(f"{name}-devices", devices)
    var = pyo.Var(devices, m.T, domain=domain, dense=True)
    m.add_component(name, var)
    flat = list(var.values())
    lows = np.broadcast_to(lower, (len(ids), n_t)).ravel().tolist()
    ups = (
        [None] * (len(ids) * n_t)
        if upper is None
        else np.broadcast_to(upper, (len(ids), n_t)).ravel().tolist()
    )
    for v, lo, up in zip(flat, lows, ups, strict=True):
        v.setlb(lo)
        v.setub(up)
    return [flat[i * n_t : (i + 1) * n_t] for i in range(len(ids))]


def add_vector_var(
    m: pyo.ConcreteModel, name: str, size: int, lower: float | None, upper: float | None
) -> list[VarData]:
    """Add the variable `name`[k], k = 0..size-1, with common bounds; returns its elements."""
    var = pyo.Var(range(size), bounds=(lower, upper), dense=True)
    m.add_component(name, var)
    return list(var.values())


def define_building_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """building-shed [kW] per interval; shed-shortfall, rebound-excess, export-excess and
    overshed [kW] slacks."""
    m.vars["building-shed"] = add_vector_var(m, "building-shed", data.n_t, None, None)
    m.vars["export-excess"] = add_vector_var(m, "export-excess", data.n_t, 0.0, None)
    m.vars["overshed"] = add_vector_var(m, "overshed", data.n_t, 0.0, None)
    m.vars["shed-shortfall"] = add_vector_var(m, "shed-shortfall", data.n_t, 0.0, None)
    m.vars["rebound-excess"] = add_vector_var(m, "rebound-excess", data.n_t, 0.0, None)


def define_onoff_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """onoff-shed (binary), onoff-start and onoff-release [0..1] for loads with timing rules."""
    d = data.onoff
    m.vars["onoff-shed"] = add_grid_var(m, "onoff-shed", d.ids, 0.0, d.allowed, pyo.Binary)
    timed = [i for i, flag in enumerate(d.timed) if flag]
    m.timed_onoff = timed
    ids = [d.ids[i] for i in timed]
    m.vars["onoff-start"] = add_grid_var(m, "onoff-start", ids, 0.0, 1.0)
    m.vars["onoff-release"] = add_grid_var(m, "onoff-release", ids, 0.0, 1.0)


def define_curtailable_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """curtail-reduction [kW] within the largest curtailment the rules allow."""
    d = data.curtail
    m.vars["curtail-reduction"] = add_grid_var(m, "curtail-reduction", d.ids, 0.0, d.upper)


def define_thermal_variables(m: pyo.ConcreteModel, data: ThermalData, prefix: str) -> None:
    """`prefix`-power [kW] and the temperature's split around the setpoint [°C].

    above-in/below-in stay inside the comfort band; above-out/below-out measure how far the
    temperature leaves it; recovery-debt [°C] what a device still owes at the end of a
    recovery window (``ModelData.recovery_debt``).
    """
    big = 60.0
    m.vars[f"{prefix}-power"] = add_grid_var(m, f"{prefix}-power", data.ids, data.p_lo, data.p_hi)
    above = data.band_above[:, None]
    below = data.band_below[:, None]
    m.vars[f"{prefix}-above-in"] = add_grid_var(m, f"{prefix}-above-in", data.ids, 0.0, above)
    m.vars[f"{prefix}-below-in"] = add_grid_var(m, f"{prefix}-below-in", data.ids, 0.0, below)
    m.vars[f"{prefix}-above-out"] = add_grid_var(m, f"{prefix}-above-out", data.ids, 0.0, big)
    m.vars[f"{prefix}-below-out"] = add_grid_var(m, f"{prefix}-below-out", data.ids, 0.0, big)
    m.vars[f"{prefix}-recovery-debt"] = add_vector_var(
        m, f"{prefix}-recovery-debt", len(m.data.recovery_debt(data).devices), 0.0, None)


def define_battery_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """battery-charge/-discharge [kW], battery-energy [kWh], terminal shortfall [kWh]."""
    d = data.battery
    m.vars["battery-charge"] = add_grid_var(m, "battery-charge", d.ids, d.c_lo, d.c_hi)
    m.vars["battery-discharge"] = add_grid_var(m, "battery-discharge", d.ids, d.e_lo, d.e_hi)
    m.vars["battery-energy"] = add_grid_var(m, "battery-energy", d.ids, d.soc_lo, d.soc_hi)
    m.vars["battery-terminal-shortfall"] = add_vector_var(
        m, "battery-terminal-shortfall", len(d.ids), 0.0, None
    )


def define_ev_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """ev-power [kW], ev-departure-shortfall per session [kWh], ev-delay per charger [kWh]."""
    d = data.ev
    m.vars["ev-power"] = add_grid_var(m, "ev-power", d.ids, d.p_lo, d.p_hi)
    m.vars["ev-departure-shortfall"] = add_vector_var(
        m, "ev-departure-shortfall", len(d.sessions), 0.0, None
    )
    m.vars["ev-delay"] = add_vector_var(m, "ev-delay", len(d.ids), 0.0, None)


def define_circuit_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """circuit-shed [kW] >= 0 per non-essential circuit: at least what its devices shed."""
    d = data.circuits
    m.vars["circuit-shed"] = add_grid_var(m, "circuit-shed", d.ids, 0.0, None)
