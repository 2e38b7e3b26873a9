"""Re-planning in place: HiGHS's accumulated run clock, the kept bases and the duals' bound."""

from __future__ import annotations

import highspy
import numpy as np
import pytest

from tests.benchmarks.bench_dispatch import make_inputs
from ven.dispatch import (
    DispatchInputs,
    SolveOptions,
    SolveStatus,
    Weights,
    build_model,
    solve,
    update_request,
)
from ven.dispatch.direct import build_direct
from ven.dispatch.prepare import prepare
from ven.dispatch.solver import LpBases, allow_seconds, dual_bound


def _relaxation(highs: highspy.Highs) -> float:
    highs.setOptionValue("solve_relaxation", True)
    highs.setOptionValue("time_limit", highspy.kHighsInf)
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(highs.getInfo().objective_function_value)


def test_an_lp_after_a_long_mip_run_gets_the_seconds_allowed_not_what_is_left_of_the_total():
    direct = build_direct(prepare(make_inputs(10, 96), Weights()))
    h = direct.highs
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)  # a search that does not end within its second
    allow_seconds(h, 1.0, mip=True)
    h.run()
    spent = h.getRunTime()
    assert spent >= 0.9
    h.setOptionValue("solve_relaxation", True)
    h.clearSolver()
    h.setOptionValue("time_limit", 0.5)  # "half a second more", as HiGHS reads it: none
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit
    h.clearSolver()
    allow_seconds(h, 0.5)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def test_the_kept_duals_bound_the_changed_relaxation_from_below():
    inputs = make_inputs(30, 24)
    model = build_model(inputs)
    first = solve(model)
    compiled = first.compiled
    assert compiled is not None and compiled.bases.row_dual is not None
    kept = LpBases(row_dual=compiled.bases.row_dual.copy(),
                   col_dual=None if compiled.bases.col_dual is None
                   else compiled.bases.col_dual.copy(),
                   cost=None if compiled.bases.cost is None else compiled.bases.cost.copy())
    h = compiled.highs
    unchanged = dual_bound(h, kept, compiled.lower, compiled.upper)
    assert unchanged == pytest.approx(_relaxation(h), rel=1e-6, abs=1e-6)
    h.setOptionValue("solve_relaxation", False)
    new = inputs.request.with_target(inputs.request.target_kw * 1.3)
    assert update_request(model, new)
    assert solve(model, previous=first).has_solution  # puts the new row bounds into `h`
    exact = _relaxation(h)
    stale = dual_bound(h, kept, compiled.lower, compiled.upper)
    assert np.isfinite(stale) and stale > unchanged  # a larger target costs more
    assert stale <= exact + 1e-6 * max(abs(exact), 1.0)


def test_a_modified_target_is_replanned_in_place_within_the_replan_gap():
    inputs = make_inputs(100, 24)
    model = build_model(inputs)
    first = solve(model)
    assert first.has_solution
    new = inputs.request.with_target(inputs.request.target_kw * 1.2)
    assert update_request(model, new)
    again = solve(model, previous=first)
    assert again.warm_started and again.has_solution
    assert again.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    assert again.mip_gap <= SolveOptions().replan_gap + 1e-9
    fresh = solve(build_model(DispatchInputs(
        building=inputs.building, request=new, outdoor_c=inputs.outdoor_c)))
    # the gap is proven: the re-plan is no better than the best a fresh solve finds...
    assert again.objective >= fresh.objective * (1 - fresh.mip_gap) - 1e-6
    # ...and no worse than the re-plan gap above the fresh solve's bound
    assert again.objective <= fresh.objective * (1 + SolveOptions().replan_gap) + 1e-6
