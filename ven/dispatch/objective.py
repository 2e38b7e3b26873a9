"""Objective of the dispatch: penalised shortfall, weighted discomfort, and energy cost."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from ven.dispatch.modeldata import ModelData, ThermalData


def _grid_terms(
    grid: list[list[VarData]], cost: np.ndarray | float
) -> list[MonomialTermExpression]:
    out: list[MonomialTermExpression] = []
    if not grid:
        return out
    costs = np.broadcast_to(cost, (len(grid), len(grid[0]))).tolist()
    for row, crow in zip(grid, costs, strict=True):
        out.extend(MonomialTermExpression((c, v)) for c, v in zip(crow, row, strict=True) if c)
    return out


def _vector_terms(vec: list[VarData], cost: np.ndarray | float) -> list[MonomialTermExpression]:
    costs = np.broadcast_to(np.asarray(cost, dtype=float), (len(vec),)).tolist()
    return [MonomialTermExpression((c, v)) for c, v in zip(costs, vec, strict=True) if c]


def _thermal_terms(
    m: pyo.ConcreteModel, md: ModelData, data: ThermalData, prefix: str, weight: float,
    band: float,
) -> list[MonomialTermExpression]:
    dt = md.dt
    inside = weight * data.priority[:, None] * dt[None, :]
    outside = inside + band * dt[None, :]
    v = m.vars
    return [
        *_grid_terms(v[f"{prefix}-above-in"], inside),
        *_grid_terms(v[f"{prefix}-below-in"], inside),
        *_grid_terms(v[f"{prefix}-above-out"], outside),
        *_grid_terms(v[f"{prefix}-below-out"], outside),
        *_vector_terms(v[f"{prefix}-recovery-debt"], md.recovery_debt(data).cost),
    ]


def define_objective(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Minimise [USD-equivalent]: shortfall + rebound + export + discomfort - price * shed,
    plus the thermal energy still owed at the end of a recovery window
    (``ModelData.recovery_debt``).

    Battery discharge is never free: every kWh charged or discharged costs battery_cycle, and
    discharge beyond the target costs overshed, and into export export, per kWh on top.

    The energy cost of the baseline is a constant left out of the objective; the price term
    rewards each kWh shed at the interval's price [USD/kWh].

    Circuit tie-break: each kWh a non-essential circuit sheds ("circuit-shed") costs
    ``circuit_priority * priority`` [USD/kWh], so for the same comfort cost the lower-priority
    circuit is shed first. Bound: the term is priority-scaled with priority <= 10
    (``MAX_CIRCUIT_PRIORITY``), and circuit-shed is the positive part of a sum of device
    sheds, so moving one kWh of shed from one device to another changes it by at most
    ``10 * circuit_priority`` [USD]; ``Weights`` refuses ``10 * circuit_priority >= shed``
    (defaults: 0.005 < 0.05). The comfort cost of on/off and curtailable loads is
    ``shed * device priority`` per kWh with integer priorities, so two such rates are equal
    or differ by at least ``shed`` per kWh: the tie-break can only choose between equal
    comfort costs, never trade one against a larger one. It is also below every other
    per-kWh weight (battery_cycle 0.01, ev_delay 0.01 per priority point).
    """
    w = data.weights
    dt = data.dt
    v = m.vars
    price = m.component("energy-price")
    shed = v["building-shed"]
    terms: list[MonomialTermExpression] = [
        *_vector_terms(v["shed-shortfall"], w.shortfall * dt * data.target_rows),
        *_vector_terms(v["rebound-excess"], w.rebound * dt * ~data.in_event),
        *_vector_terms(v["export-excess"], w.export * dt * data.target_rows),
        *_vector_terms(v["overshed"], w.overshed * dt * data.target_rows),
    ]
    if data.has_price:
        terms += [
            MonomialTermExpression((-float(dt[t]) * price[t], shed[t])) for t in range(data.n_t)
        ]
    od = data.onoff
    terms += _grid_terms(v["onoff-shed"], w.shed * od.priority[:, None] * od.base * dt * od.allowed)
    terms += _grid_terms(v["onoff-start"], w.switching)
    terms += _grid_terms(v["onoff-release"], w.switching)
    cd = data.curtail
    terms += _grid_terms(v["curtail-reduction"], w.shed * cd.priority[:, None] * dt)
    terms += _thermal_terms(m, data, data.hvac, "hvac", w.zone, w.comfort_band)
    terms += _thermal_terms(m, data, data.water, "water-heater", w.tank, w.comfort_band)
    terms += _grid_terms(v["battery-charge"], w.battery_cycle * dt)
    terms += _grid_terms(v["battery-discharge"], w.battery_cycle * dt)
    terms += _vector_terms(v["battery-terminal-shortfall"], w.battery_terminal)
    terms += _vector_terms(v["ev-departure-shortfall"], w.ev_departure)
    terms += _vector_terms(v["ev-delay"], w.ev_delay * data.ev.priority)
    cc = data.circuits
    terms += _grid_terms(v["circuit-shed"], w.circuit_priority * cc.priority[:, None] * dt)
    m.add_component("objective", pyo.Objective(expr=LinearExpression(terms), sense=pyo.minimize))
