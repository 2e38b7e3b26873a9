"""The VEN's dispatch: a Pyomo model of the building solved by HiGHS, PyPSA-style.

    inputs  = DispatchInputs(building=..., request=plan_request(...), baseline_kw=..., ...)
    model   = build_model(inputs)          # check, sanitise, build (no solve)
    result  = solve(model)                 # status: optimal / time_limit / infeasible / error
    plan    = extract(model, result)       # pandas frames on the request's tz-aware index

During an event the dispatch never meets its target by exporting from storage and does not
shed far beyond it: see "no-export-from-storage" and "shed-beyond-target" in
``constraints.define_building_constraints``.

Re-planning a modified event on the same intervals: ``update_request(model, request)`` then
``solve(model, options, previous=result)`` re-solves in place from the previous solution.

Large buildings (more than ``DECOMPOSE_ABOVE`` devices): ``plan`` solves by groups of devices
built straight as arrays, with a proven gap (``plan_decomposed``, see ``decompose.py``).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from ven.dispatch.build import build_model
from ven.dispatch.decompose import DEFAULT_GROUP_SIZE, solve_decomposed
from ven.dispatch.inputs import DispatchInputs, InitialState, Weights
from ven.dispatch.prepare import prepare
from ven.dispatch.results import DispatchPlan, extract, extract_values
from ven.dispatch.solver import SolveOptions, SolveResult, SolveStatus, solve
from ven.instructions import PlanRequest

__all__ = [
    "DECOMPOSE_ABOVE",
    "DispatchInputs",
    "DispatchPlan",
    "InitialState",
    "SolveOptions",
    "SolveResult",
    "SolveStatus",
    "Weights",
    "build_model",
    "extract",
    "plan",
    "plan_decomposed",
    "solve",
    "update_request",
]


DECOMPOSE_ABOVE = 200
"""Above this many dispatchable devices ``plan`` solves by groups (``plan_decomposed``)."""


def plan(
    inputs: DispatchInputs, weights: Weights | None = None, options: SolveOptions | None = None
) -> DispatchPlan:
    """Build, solve and extract in one call (by groups above DECOMPOSE_ABOVE devices)."""
    if len(inputs.building.devices) > DECOMPOSE_ABOVE:
        return plan_decomposed(inputs, weights, options)
    model = build_model(inputs, weights)
    return extract(model, solve(model, options))


def plan_decomposed(
    inputs: DispatchInputs,
    weights: Weights | None = None,
    options: SolveOptions | None = None,
    group_size: int = DEFAULT_GROUP_SIZE,
) -> DispatchPlan:
    """Plan by groups of about `group_size` devices, without Pyomo; the plan's ``mip_gap``
    is proven by a Lagrangian bound and ``status`` says whether it is within the MIP gap."""
    data = prepare(inputs, weights or Weights())
    solved = solve_decomposed(data, options, group_size)
    return extract_values(data, solved.result, solved.values, data.target, data.price)


def update_request(model: pyo.ConcreteModel, request: PlanRequest) -> bool:
    """Apply a modified event's target [kW] and prices [USD/kWh] to a built model in place.

    Returns False (and changes nothing) when the intervals differ from the model's, when
    the set of intervals with a positive target changes, or when a price signal appears or
    disappears: the caller rebuilds then. Participation rules are taken from the model.
    """
    data = model.data
    if not request.index.equals(data.index) or not np.array_equal(request.in_event, data.in_event):
        return False
    if (request.price_usd_per_kwh is not None) != data.has_price:
        return False
    target = np.nan_to_num(request.target_kw.to_numpy(dtype=float), nan=0.0)
    if not np.array_equal(data.in_event & (target > 1e-9), data.target_rows):
        return False
    model.component("shed-target").store_values(dict(enumerate(target.tolist())))
    if request.price_usd_per_kwh is not None:
        price = np.nan_to_num(request.price_usd_per_kwh.to_numpy(dtype=float), nan=0.0)
        model.component("energy-price").store_values(dict(enumerate(price.tolist())))
    return True
