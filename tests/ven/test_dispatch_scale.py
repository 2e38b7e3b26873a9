"""Dispatch at scale: the array-built model equals the Pyomo one, the decomposed solve proves
its gap, the MIP search stops on a stall with the gap it reached, re-planning in place."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from tests.benchmarks.bench_dispatch import make_inputs
from ven.devices.model import Building, Circuit
from ven.dispatch import (
    DispatchInputs,
    SolveOptions,
    SolveStatus,
    Weights,
    build_model,
    extract,
    plan_decomposed,
    solve,
    update_request,
)
from ven.dispatch.decompose import partition, solve_decomposed
from ven.dispatch.direct import build_direct
from ven.dispatch.prepare import prepare
from ven.dispatch.results import extract_values
from ven.dispatch.solver import run_highs

EXACT = SolveOptions(mip_rel_gap=0.0, rounding=False, mip_stall_s=None, time_limit_s=60.0)


def with_circuits(n_devices: int, n_t: int) -> DispatchInputs:
    """The benchmark building with a third of its devices on two circuits, one essential."""
    base = make_inputs(n_devices, n_t)
    devs = list(base.building.devices)
    for k in range(0, len(devs), 3):
        devs[k] = dataclasses.replace(devs[k], circuit="lighting" if k % 2 else "life")
    building = dataclasses.replace(
        base.building,
        devices=tuple(devs),
        circuits=(Circuit(id="lighting", priority=2), Circuit(id="life", essential=True)),
    )
    return dataclasses.replace(base, building=building)


@pytest.mark.parametrize("inputs", [make_inputs(12, 24, seed=3), with_circuits(12, 16)],
                         ids=["mixed", "circuits"])
def test_array_model_has_the_pyomo_models_optimum(inputs: DispatchInputs):
    model = build_model(inputs)
    pyomo = solve(model, EXACT)
    direct = build_direct(model.data)
    out = run_highs(direct.highs, model.data, direct.onoff_columns, direct.lower, direct.upper,
                    EXACT)
    assert pyomo.status is SolveStatus.OPTIMAL and out.status is SolveStatus.OPTIMAL
    assert out.objective == pytest.approx(pyomo.objective, rel=1e-6, abs=1e-6)
    # the array solution reads back through extract_values (optima may differ, not their cost)
    plan_direct = extract_values(model.data, pyomo, direct.values(out.x), model.data.target,
                                 model.data.price)
    plan_pyomo = extract(model, pyomo)
    assert plan_direct.power_kw.shape == plan_pyomo.power_kw.shape
    assert plan_direct.shortfall_kwh == pytest.approx(plan_pyomo.shortfall_kwh, abs=1e-3)
    shed = direct.values(out.x)["building-shed"]
    assert np.allclose(plan_direct.expected_shed_kw.to_numpy(), shed, atol=1e-4)


def test_partition_keeps_a_circuit_together_and_covers_every_device_once():
    inputs = with_circuits(40, 8)
    data = prepare(inputs, Weights())
    groups = partition(data, 6)
    assert len(groups) >= 5
    seen = [(kind, int(i)) for g in groups for kind, idx in g.items() for i in idx]
    assert len(seen) == len(set(seen)) == len(data.device_ids)
    kind_ids = {"onoff": data.onoff.ids, "curtail": data.curtail.ids, "hvac": data.hvac.ids,
                "water": data.water.ids, "battery": data.battery.ids, "ev": data.ev.ids}
    lighting = set(data.circuits.members[data.circuits.ids.index("lighting")])
    holding = [j for j, g in enumerate(groups)
               if lighting & {kind_ids[k][i] for k, idx in g.items() for i in idx}]
    assert len(holding) == 1


@pytest.mark.parametrize("second_pass", [False, True], ids=["one-pass", "two-pass"])
def test_decomposed_plan_brackets_the_true_optimum_with_its_gap(second_pass: bool):
    inputs = with_circuits(30, 16)
    model = build_model(inputs)
    exact = solve(model, EXACT)
    assert exact.status is SolveStatus.OPTIMAL
    data = prepare(inputs, Weights())
    solved = solve_decomposed(data, SolveOptions(time_limit_s=60.0), group_size=8,
                              second_pass=second_pass)
    res = solved.result
    assert solved.n_groups >= 3
    assert res.has_solution and math.isfinite(res.mip_gap)
    assert res.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    lower = res.objective * (1 - res.mip_gap) if res.objective > 0 else -math.inf
    assert res.objective >= exact.objective - 1e-6  # a plan costs at least the optimum
    assert lower <= exact.objective + 1e-6  # and the proven bound is below it
    p = extract_values(data, res, solved.values, data.target, data.price)
    assert p.mip_gap == res.mip_gap
    # the plan's objective is the whole building's: check it against its own shed
    assert np.allclose(p.expected_shed_kw.to_numpy(), solved.values["building-shed"], atol=1e-4)
    # essential devices keep their baseline
    for dev in data.circuits.essential:
        assert np.allclose(p.shed_kw[dev].to_numpy(), 0.0, atol=1e-5)


def test_plan_decomposed_without_time_still_gives_a_usable_plan():
    inputs = make_inputs(20, 16)
    p = plan_decomposed(inputs, options=SolveOptions(time_limit_s=0.0), group_size=5)
    assert p.has_solution
    # no group had time for its LP: devices at baseline, the bound from their shed ranges
    assert p.status is SolveStatus.FEASIBLE and 0.0 < p.mip_gap <= 1.0
    assert p.shortfall_kwh > 0
    assert np.isfinite(p.power_kw.to_numpy()).all()
    assert (p.shortfall_kw >= -1e-9).all()


def test_empty_building_decomposes_to_nothing_to_do():
    b = Building(id="e", name="e", base_load_kw=tuple(10.0 for _ in range(24)), devices=())
    inputs = make_inputs(1, 8)
    inputs = dataclasses.replace(inputs, building=b)
    p = plan_decomposed(inputs, options=SolveOptions(time_limit_s=5.0))
    assert p.has_solution and p.power_kw.shape[1] == 0


def test_warm_replan_in_place_equals_a_cold_plan():
    inputs = make_inputs(15, 24, seed=3)
    model = build_model(inputs)
    first = solve(model, EXACT)
    new = inputs.request.with_target(inputs.request.target_kw * 1.2)
    assert update_request(model, new)
    warm = solve(model, EXACT, previous=first)
    assert warm.warm_started
    cold_model = build_model(dataclasses.replace(inputs, request=new))
    cold = solve(cold_model, EXACT)
    assert warm.status is cold.status is SolveStatus.OPTIMAL
    assert warm.objective == pytest.approx(cold.objective, rel=1e-6, abs=1e-6)
    assert np.allclose(extract(model, warm).expected_shed_kw,
                       extract(cold_model, cold).expected_shed_kw, atol=1e-3)


def test_every_solve_states_its_gap():
    inputs = make_inputs(10, 24)
    model = build_model(inputs)
    res = solve(model, SolveOptions(time_limit_s=30.0))
    assert res.has_solution and math.isfinite(res.mip_gap)
    if res.status is SolveStatus.OPTIMAL:
        assert res.mip_gap <= 0.01 + 1e-9
    else:
        assert res.status is SolveStatus.FEASIBLE and res.mip_gap <= 0.05 + 1e-9


def test_second_pass_never_keeps_a_worse_plan():
    data = prepare(make_inputs(40, 24, seed=1), Weights())
    one = solve_decomposed(data, SolveOptions(time_limit_s=60.0), group_size=8,
                           second_pass=False).result
    two = solve_decomposed(data, SolveOptions(time_limit_s=60.0), group_size=8).result
    assert two.objective <= one.objective + 1e-9
    assert two.mip_gap <= one.mip_gap + 1e-9
