"""Dispatch model: golden cases, physics recomputed from the plan, and robustness."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ven.devices.model import (
    SHIFTING_LIMIT,
    Battery,
    Building,
    CurtailableLoad,
    EvCharger,
    HvacZone,
    OnOffLoad,
    Participation,
    WaterHeater,
)
from ven.dispatch import (
    DispatchInputs,
    InitialState,
    SolveOptions,
    SolveStatus,
    build_model,
    extract,
    plan,
    solve,
    update_request,
)
from ven.instructions import EventSignal, PlanRequest, plan_request

T0 = datetime(2026, 7, 1, 14, tzinfo=UTC)
HOUR = timedelta(hours=1)
TOL = 1e-5


def building(*devices: object, **kw: object) -> Building:
    return Building(id="b", name="b", devices=tuple(devices), **kw)  # type: ignore[arg-type]


def delta_request(b: Building, *kw_per_hour: float, rebound: timedelta = HOUR) -> PlanRequest:
    sig = EventSignal(
        name="LOAD_DISPATCH",
        type="delta",
        intervals=[(T0 + k * HOUR, HOUR, v) for k, v in enumerate(kw_per_hour)],
    )
    return plan_request([sig], b, 0.0, rebound=rebound)


def run(b: Building, req: PlanRequest, **kw: object):
    return plan(DispatchInputs(building=b, request=req, **kw))  # type: ignore[arg-type]


# --- golden results ------------------------------------------------------------------------


def test_one_onoff_load_meets_a_smaller_target_by_shedding_fully():
    b = building(OnOffLoad(id="pump", rated_kw=10.0))
    p = run(b, delta_request(b, 5.0))
    assert p.status is SolveStatus.OPTIMAL
    assert p.onoff_shed["pump"][:4].all() and not p.onoff_shed["pump"][4:].any()
    assert np.allclose(p.expected_shed_kw[:4], 10.0)
    assert p.shortfall_kwh == pytest.approx(0.0, abs=TOL)


def test_the_cheapest_priority_is_shed():
    b = building(
        OnOffLoad(id="important", rated_kw=10.0, priority=9),
        OnOffLoad(id="cheap", rated_kw=10.0, priority=2),
    )
    p = run(b, delta_request(b, 5.0))
    assert p.onoff_shed["cheap"][:4].all()
    assert not p.onoff_shed["important"].any()


def test_max_shed_time_leaves_a_stated_shortfall():
    b = building(OnOffLoad(id="pump", rated_kw=10.0, max_shed_minutes=30))
    p = run(b, delta_request(b, 5.0))
    assert p.onoff_shed["pump"].sum() == 2
    assert p.shortfall_kwh == pytest.approx(2 * 5.0 * 0.25, abs=TOL)
    assert not p.meets_target


def test_min_shed_time_keeps_a_started_shed_going():
    b = building(OnOffLoad(id="pump", rated_kw=10.0, min_shed_minutes=60))
    # target only in the first quarter hour: a shed must still last an hour
    sig = EventSignal(name="LOAD_DISPATCH", type="delta", intervals=[(T0, HOUR / 4, 5.0)])
    p = run(b, plan_request([sig], b, 0.0, rebound=HOUR))
    assert list(p.onoff_shed["pump"][:4]) == [True] * 4


def test_curtailable_load_sheds_at_most_its_max_reduction():
    b = building(CurtailableLoad(id="fan", rated_kw=10.0, max_reduction=0.3))
    p = run(b, delta_request(b, 5.0))
    assert np.allclose(p.shed_kw["fan"][:4], 3.0)
    assert np.allclose(p.shortfall_kw[:4], 2.0)


def test_a_dimmed_curtailable_load_sheds_a_share_of_what_it_draws_not_of_its_rating():
    # running at half its rating (5 kW), max_reduction 0.3 allows 1.5 kW, not 3 kW: the same
    # floor the simulated building enforces, (1 - max_reduction) x the power it draws
    b = building(CurtailableLoad(id="fan", rated_kw=10.0, max_reduction=0.3))
    req = delta_request(b, 5.0)
    p = run(b, req, baseline_kw=pd.DataFrame({"fan": 5.0}, index=req.index))
    assert np.allclose(p.baseline_kw["fan"][:4], 5.0)
    assert np.allclose(p.shed_kw["fan"][:4], 1.5)
    assert np.allclose(p.shortfall_kw[:4], 3.5)


def test_battery_discharges_to_meet_the_target_and_keeps_its_terminal_soc():
    bat = Battery(id="bat", capacity_kwh=20, max_charge_kw=5, max_discharge_kw=5, soc_initial=0.9)
    b = building(bat, base_load_kw=(5.0,) * 24)  # a load to cover: no export from storage
    p = run(b, delta_request(b, 4.0))
    assert np.allclose(p.expected_shed_kw[:4], 4.0, atol=1e-4)
    assert p.battery_soc["bat"].iloc[-1] >= bat.soc_terminal - TOL


def test_price_signal_moves_battery_energy_to_the_expensive_hour():
    bat = Battery(
        id="bat",
        capacity_kwh=20,
        max_charge_kw=5,
        max_discharge_kw=5,
        soc_initial=0.5,
        soc_terminal=0.5,
    )
    b = building(bat)
    sig = EventSignal(
        name="ELECTRICITY_PRICE",
        type="price",
        intervals=[(T0, HOUR, 0.05), (T0 + HOUR, HOUR, 1.00)],
    )
    p = run(b, plan_request([sig], b, 0.0, rebound=timedelta(0)))
    power = p.power_kw["bat"]
    assert power[:4].mean() > 0.5  # charges while cheap
    assert power[4:8].mean() < -0.5  # discharges while expensive
    assert p.energy_cost_usd is not None


# --- physics recomputed from the plan -------------------------------------------------------

ZONE = HvacZone(
    id="zone",
    r_c_per_kw=4.0,
    c_kwh_per_c=3.0,
    max_kw=6.0,
    cop=3.0,
    setpoint_c=22.0,
    comfort_low_c=20.0,
    comfort_high_c=25.0,
    initial_c=22.0,
    priority=3,
)
TANK = WaterHeater(id="tank", volume_l=200, rated_kw=4.5, draw_l_per_h=tuple([20.0] * 24))
BAT = Battery(id="bat", capacity_kwh=30, max_charge_kw=10, max_discharge_kw=8, priority=4)
EV = EvCharger(id="ev", max_kw=7.0, energy_needed_kwh=15.0, arrival_hour=12, departure_hour=17)
PUMP = OnOffLoad(id="pump", rated_kw=8.0, min_shed_minutes=30, lockout_minutes=30)
FAN = CurtailableLoad(id="fan", rated_kw=12.0, max_reduction=0.4)
SHIFTY = CurtailableLoad(
    id="shifty",
    rated_kw=20.0,
    max_reduction=1.0,
    participation=tuple([Participation.SHIFTING] * 24),
)
FROZEN = OnOffLoad(id="frozen", rated_kw=20.0, dr_enabled=False)
OUTDOOR = 32.0


@pytest.fixture(scope="module")
def mixed():
    b = building(ZONE, TANK, BAT, EV, PUMP, FAN, SHIFTY, FROZEN)
    req = delta_request(b, 25.0, 25.0, 40.0)
    inputs = DispatchInputs(building=b, request=req, outdoor_c=OUTDOOR)
    model = build_model(inputs)
    result = solve(model)
    return b, req, model, result, extract(model, result)


def test_mixed_building_is_solved(mixed):
    _, _, _, result, p = mixed
    assert result.status is SolveStatus.OPTIMAL and p.has_solution
    assert result.mip_gap <= 0.01 + 1e-9
    assert set(result.timings) == {"compile", "handoff", "run", "load"}


def test_structured_constraint_names(mixed):
    model = mixed[2]
    for name in (
        "building-shed-balance",
        "shed-target-slack",
        "rebound-cap",
        "battery-soc-balance",
        "hvac-thermal-balance",
        "water-heater-thermal-balance",
        "ev-departure-energy",
        "onoff-min-shed",
        "onoff-lockout",
    ):
        assert model.component(name) is not None, name


def test_shed_meets_target_minus_reported_shortfall(mixed):
    _, req, _, _, p = mixed
    assert np.allclose(p.expected_shed_kw, p.shed_kw.sum(axis=1))
    ev = req.in_event
    assert (p.expected_shed_kw[ev] >= p.target_kw[ev] - p.shortfall_kw[ev] - TOL).all()
    assert np.allclose(p.shortfall_kw[~ev], 0.0)


def test_battery_soc_balance_residuals(mixed):
    p = mixed[4]
    dt = p.duration_h
    e = p.battery_soc["bat"].to_numpy() * BAT.capacity_kwh
    prev = np.concatenate([[BAT.soc_initial * BAT.capacity_kwh], e[:-1]])
    c, d = p.battery_charge_kw["bat"].to_numpy(), p.battery_discharge_kw["bat"].to_numpy()
    flow = (BAT.charge_efficiency * c - d / BAT.discharge_efficiency) * dt
    assert np.abs(e - prev - flow).max() < 1e-6
    assert (e >= BAT.soc_min * BAT.capacity_kwh - 1e-6).all()
    assert (e <= BAT.soc_max * BAT.capacity_kwh + 1e-6).all()
    assert e[-1] >= BAT.soc_terminal * BAT.capacity_kwh - 1e-6
    assert (c <= BAT.max_charge_kw + 1e-6).all() and (d <= BAT.max_discharge_kw + 1e-6).all()


def test_hvac_thermal_trajectory_residuals(mixed):
    p = mixed[4]
    dt = p.duration_h
    temp = p.zone_temp_c["zone"].to_numpy()
    power = p.power_kw["zone"].to_numpy()
    tau = ZONE.r_c_per_kw * ZONE.c_kwh_per_c
    a = np.exp(-dt / tau)
    prev = np.concatenate([[ZONE.initial_c], temp[:-1]])
    steady = OUTDOOR - ZONE.cop * ZONE.r_c_per_kw * power  # cooling
    assert np.abs(temp - (a * prev + (1 - a) * steady)).max() < 1e-6
    assert (temp <= ZONE.comfort_high_c + 1e-6).all() and (temp >= ZONE.comfort_low_c - 1e-6).all()
    assert (power >= -1e-9).all() and (power <= ZONE.max_kw + 1e-9).all()


def test_water_heater_trajectory_residuals(mixed):
    p = mixed[4]
    dt = p.duration_h
    temp = p.tank_temp_c["tank"].to_numpy()
    power = p.power_kw["tank"].to_numpy()
    cap = TANK.volume_l * 4.186 / 3600
    draw = 20.0 * 4.186 / 3600  # [kW/°C]
    loss = TANK.ua_kw_per_c + draw
    a = np.exp(-loss * dt / cap)
    steady = (power + TANK.ua_kw_per_c * TANK.ambient_c + draw * TANK.inlet_c) / loss
    prev = np.concatenate([[TANK.setpoint_c], temp[:-1]])
    assert np.abs(temp - (a * prev + (1 - a) * steady)).max() < 1e-6
    assert (temp >= TANK.comfort_low_c - 1e-6).all()


def test_ev_gets_its_energy_by_departure(mixed):
    p = mixed[4]
    # plugged 12:00-17:00 UTC; the plan covers 14:00-18:00, departure at 17:00
    dep = p.index < pd.Timestamp("2026-07-01 17:00", tz="UTC")
    delivered = (p.power_kw["ev"][dep] * p.duration_h[dep]).sum() * EV.efficiency
    assert delivered >= EV.energy_needed_kwh - 1e-6
    assert np.allclose(p.power_kw["ev"][~dep], 0.0)


def test_onoff_timing_rules_hold(mixed):
    shed = mixed[4].onoff_shed["pump"].to_numpy().astype(int)
    runs, k = [], 0
    while k < len(shed):
        if shed[k]:
            j = k
            while j < len(shed) and shed[j]:
                j += 1
            runs.append((k, j))
            k = j
        else:
            k += 1
    for start, end in runs:
        assert end - start >= 2 or end == len(shed)  # min 30 min = 2 intervals
    for (_, end), (start, _) in itertools.pairwise(runs):
        assert start - end >= 2  # lockout 30 min


def test_instruction_limits(mixed):
    p = mixed[4]
    base, power = p.baseline_kw, p.power_kw
    change = (power["shifty"] - base["shifty"]).abs()
    assert (change <= SHIFTING_LIMIT * base["shifty"] + 1e-6).all()
    assert np.allclose(power["frozen"], base["frozen"])


def test_rebound_is_capped_after_the_event(mixed):
    _, req, model, _, p = mixed
    after = ~req.in_event
    excess = np.array([v.value or 0.0 for v in model.component("rebound-excess").values()])
    free = 0.10 * model.data.building_baseline
    assert (-p.expected_shed_kw[after] <= free[after] + excess[after] + 1e-6).all()


def test_off_hours_leave_every_device_untouched():
    off = tuple([Participation.OFF] * 24)
    b = building(
        OnOffLoad(id="pump", rated_kw=10, participation=off),
        HvacZone(id="zone", r_c_per_kw=4, c_kwh_per_c=3, max_kw=6, participation=off),
        Battery(id="bat", capacity_kwh=10, max_charge_kw=5, max_discharge_kw=5, participation=off),
    )
    p = run(b, delta_request(b, 5.0), outdoor_c=30.0)
    assert np.allclose(p.power_kw, p.baseline_kw)
    assert np.allclose(p.shortfall_kw[:4], 5.0)


# --- re-planning, solver path ---------------------------------------------------------------


def test_replan_in_place_matches_a_fresh_build(mixed):
    b, req, _, _, _ = mixed
    inputs = DispatchInputs(building=b, request=req, outdoor_c=OUTDOOR)
    model = build_model(inputs)
    first = solve(model)
    new = req.with_target(req.target_kw * 0.5)
    assert update_request(model, new)
    again = solve(model, previous=first)
    assert again.warm_started and again.timings["compile"] == 0.0
    fresh = solve(build_model(DispatchInputs(building=b, request=new, outdoor_c=OUTDOOR)))
    assert again.objective == pytest.approx(fresh.objective, rel=0.02, abs=1e-3)
    replanned = extract(model, again)
    assert np.allclose(replanned.target_kw, new.target_kw)


def test_update_request_refuses_other_intervals(mixed):
    b, _, model, _, _ = mixed
    assert not update_request(model, delta_request(b, 5.0))


def test_pyomo_path_equals_direct_highspy_path():
    from tests.benchmarks.bench_dispatch import make_inputs, run_direct

    inputs = make_inputs(12, 16)
    model = build_model(inputs)
    res = solve(model, SolveOptions(mip_rel_gap=1e-6, rounding=False))
    _, obj, _, _ = run_direct(model.data, SolveOptions(mip_rel_gap=1e-6, rounding=False))
    assert res.objective == pytest.approx(obj, rel=1e-5, abs=1e-5)


# --- pathological input ---------------------------------------------------------------------


def test_zero_devices_gives_a_plan_with_the_whole_target_short():
    b = building()
    p = run(b, delta_request(b, 5.0))
    assert p.status is SolveStatus.OPTIMAL
    assert p.shortfall_kwh == pytest.approx(5.0)


def test_empty_event_gives_an_empty_plan():
    b = building(OnOffLoad(id="pump", rated_kw=10))
    req = plan_request([EventSignal(name="SIMPLE", type="level", intervals=())], b, 10.0)
    p = run(b, req)
    assert p.status in set(SolveStatus) and len(p.index) == 0


def test_nan_forecasts_are_replaced_and_noted():
    b = building(HvacZone(id="zone", r_c_per_kw=4, c_kwh_per_c=3, max_kw=6), PUMP)
    req = delta_request(b, 5.0)
    base = pd.DataFrame({"zone": np.nan, "pump": 8.0}, index=req.index)
    outdoor = pd.Series(np.nan, index=req.index)
    p = run(b, req, baseline_kw=base, outdoor_c=outdoor, pv_kw=pd.Series(np.nan, index=req.index))
    assert p.has_solution
    assert any("outdoor" in n for n in p.notes) and any("zone" in n for n in p.notes)


def test_negative_and_huge_targets():
    b = building(PUMP, FAN)
    neg = delta_request(b, 5.0).with_target(np.full(8, -50.0))
    p = run(b, neg)
    assert p.has_solution and np.allclose(p.shed_kw.to_numpy()[:4], 0.0, atol=1e-6)
    huge = delta_request(b, 5.0).with_target(np.full(8, 1e7))
    p = run(b, huge)
    assert p.has_solution and p.shortfall_kwh > 1e6


def test_initial_states_outside_bounds_stay_feasible():
    b = building(BAT, ZONE, TANK)
    init = InitialState(
        battery_soc={"bat": 0.01}, zone_temp_c={"zone": 35.0}, tank_temp_c={"tank": 30.0}
    )
    p = run(b, delta_request(b, 5.0), initial=init, outdoor_c=OUTDOOR)
    assert p.has_solution and p.status is SolveStatus.OPTIMAL


def test_zero_time_limit_is_a_status_with_a_best_effort_plan():
    b = building(PUMP, FAN, ZONE)
    inputs = DispatchInputs(building=b, request=delta_request(b, 5.0), outdoor_c=OUTDOOR)
    model = build_model(inputs)
    result = solve(model, SolveOptions(time_limit_s=0.0))
    p = extract(model, result)
    assert result.status in {SolveStatus.TIME_LIMIT, SolveStatus.OPTIMAL}
    assert len(p.power_kw) == 8 and np.isfinite(p.power_kw.to_numpy()).all()


# --- property tests -------------------------------------------------------------------------

rule = st.sampled_from(list(Participation))
prio = st.integers(1, 10)


@st.composite
def small_building(draw: st.DrawFn) -> Building:
    devices: list[object] = []
    for i in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["onoff", "curtail", "hvac", "battery", "ev", "water"]))
        common = {
            "id": f"d{i}",
            "priority": draw(prio),
            "dr_enabled": draw(st.booleans()),
            "participation": tuple([draw(rule)] * 24),
        }
        kw = draw(st.floats(0.0, 30.0))
        if kind == "onoff":
            devices.append(
                OnOffLoad(
                    **common,
                    rated_kw=kw,
                    min_shed_minutes=draw(st.sampled_from([0, 15, 45])),
                    lockout_minutes=draw(st.sampled_from([0, 30])),
                    max_shed_minutes=draw(st.sampled_from([0, 30, 240])),
                )
            )
        elif kind == "curtail":
            devices.append(
                CurtailableLoad(**common, rated_kw=kw, max_reduction=draw(st.floats(0, 1)))
            )
        elif kind == "hvac":
            devices.append(
                HvacZone(
                    **common,
                    r_c_per_kw=draw(st.floats(0.5, 10)),
                    c_kwh_per_c=draw(st.floats(0.5, 10)),
                    max_kw=kw,
                    mode=draw(st.sampled_from(["cooling", "heating"])),
                )
            )
        elif kind == "battery":
            devices.append(
                Battery(
                    **common,
                    capacity_kwh=draw(st.floats(0, 50)),
                    max_charge_kw=kw,
                    max_discharge_kw=kw,
                    soc_initial=draw(st.floats(0, 1)),
                )
            )
        elif kind == "ev":
            devices.append(
                EvCharger(
                    **common,
                    max_kw=kw,
                    energy_needed_kwh=draw(st.floats(0, 80)),
                    arrival_hour=draw(st.floats(0, 23)),
                    departure_hour=draw(st.floats(0, 23)),
                )
            )
        else:
            devices.append(WaterHeater(**common, volume_l=draw(st.floats(50, 300)), rated_kw=kw))
    return building(*devices)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    b=small_building(),
    targets=st.lists(st.floats(-20, 200), min_size=1, max_size=3),
    outdoor=st.floats(-10, 40),
)
def test_random_buildings_always_get_a_status_and_a_consistent_plan(b, targets, outdoor):
    req = delta_request(b, *targets, rebound=timedelta(minutes=30))
    p = run(b, req, outdoor_c=outdoor)
    assert p.status in set(SolveStatus)
    assert p.has_solution  # every model is feasible by construction
    ev = req.in_event
    assert (p.expected_shed_kw[ev] >= p.target_kw[ev] - p.shortfall_kw[ev] - 1e-4).all()
    frozen = [d.id for d in b.devices if not d.dr_enabled]
    assert np.allclose(p.power_kw[frozen], p.baseline_kw[frozen])
    assert math.isfinite(p.objective)


# --- adapters to the device layer -----------------------------------------------------------


def test_simulated_forecast_to_plan_to_commands_end_to_end():
    from pathlib import Path

    from common.clock import ManualClock
    from ven.devices.commands import Release, Switch
    from ven.devices.simulated import SimulatedBuilding
    from ven.dispatch.commands import inputs_from_forecast, plan_to_commands

    path = sorted(Path("examples/buildings").glob("*.toml"))[0]
    sim = SimulatedBuilding.from_file(path, ManualClock(T0), noise=False)
    b = sim.building
    sig = EventSignal(name="SIMPLE", type="level", intervals=[(T0, HOUR, 2)])
    req = plan_request([sig], b, 100.0)
    forecast = sim.forecast(T0, len(req.index), "15min")
    req = plan_request([sig], b, forecast.total_kw)
    p = plan(inputs_from_forecast(b, req, forecast, sim.state()))
    assert p.has_solution
    commands = plan_to_commands(p, b, T0)
    ids = {c.device_id for c in commands}
    assert ids == set(p.power_kw.columns)
    sim.apply(commands)  # the simulator accepts every command the plan produced
    after = plan_to_commands(p, b, T0 + 3 * HOUR)
    assert all(isinstance(c, Release) for c in after)
    shed = [c for c in commands if isinstance(c, Switch)]
    assert all(p.onoff_shed[c.device_id].iloc[0] for c in shed)


# --- no export from storage ------------------------------------------------------------------


def _net_load(p, b: Building, req: PlanRequest, pv: float = 0.0) -> np.ndarray:
    """Planned net load recomputed from the plan: base load - PV + device powers [kW]."""
    from ven.dispatch.inputs import Weights
    from ven.dispatch.prepare import prepare

    data = prepare(DispatchInputs(building=b, request=req, pv_kw=pv), Weights())
    return data.base_load - data.pv + p.power_kw.sum(axis=1).to_numpy()


def test_a_battery_never_discharges_into_export_to_meet_a_target():
    # 1 kW of base load, a 5 kW battery, and a 4 kW target: without the rule the battery
    # could discharge 4 kW and export 3 kW; with it the plan stops at zero net load
    bat = Battery(id="bat", capacity_kwh=20, max_charge_kw=5, max_discharge_kw=5, soc_initial=0.9)
    b = building(bat, base_load_kw=(1.0,) * 24)
    req = delta_request(b, 4.0)
    p = run(b, req)
    assert p.has_solution
    net = _net_load(p, b, req)
    event = np.asarray(req.in_event)
    assert (net[event] >= -1e-6).all()
    assert np.allclose(p.expected_shed_kw[event], 1.0, atol=1e-4)  # the load, not more
    assert np.allclose(p.shortfall_kw[event], 3.0, atol=1e-4)


def test_a_battery_does_not_shed_beyond_the_target():
    bat = Battery(id="bat", capacity_kwh=20, max_charge_kw=5, max_discharge_kw=5, soc_initial=0.9)
    b = building(bat, base_load_kw=(6.0,) * 24)
    req = delta_request(b, 2.0)
    p = run(b, req)
    event = np.asarray(req.in_event)
    assert np.allclose(p.expected_shed_kw[event], 2.0, atol=1e-4)
    assert np.allclose(p.battery_discharge_kw["bat"][event], 2.0, atol=1e-4)


def test_no_export_rows_follow_a_modified_target_in_place():
    bat = Battery(id="bat", capacity_kwh=20, max_charge_kw=5, max_discharge_kw=5, soc_initial=0.9)
    b = building(bat, base_load_kw=(6.0,) * 24)
    model = build_model(DispatchInputs(building=b, request=delta_request(b, 2.0)))
    first = solve(model)
    assert update_request(model, delta_request(b, 3.0))
    again = extract(model, solve(model, previous=first))
    event = np.asarray(delta_request(b, 3.0).in_event)
    assert np.allclose(again.expected_shed_kw[event], 3.0, atol=1e-4)


@pytest.mark.parametrize(("hour", "delta_kw"), [(1, 2.0), (1, 8.0), (20, 3.0), (21, 6.0)])
def test_home_never_plans_net_export_from_its_battery_during_an_event(hour: int, delta_kw: float):
    from pathlib import Path

    from common.clock import ManualClock
    from ven.devices.simulated import SimulatedBuilding
    from ven.dispatch.commands import inputs_from_forecast

    start = datetime(2026, 7, 15, hour, tzinfo=UTC)  # 18:00 and 13:00/14:00 PDT (PV high)
    sim = SimulatedBuilding.from_file(Path("examples/buildings/home.toml"), ManualClock(start),
                                      noise=False)
    b = sim.building
    sig = EventSignal(name="LOAD_DISPATCH", type="delta", intervals=[(start, HOUR, delta_kw)])
    probe = plan_request([sig], b, 0.0)
    forecast = sim.forecast(start, len(probe.index), "15min")
    req = plan_request([sig], b, forecast.total_kw)
    inputs = inputs_from_forecast(b, req, forecast, sim.state())
    p = plan(inputs)
    assert p.has_solution
    event = np.asarray(req.in_event)
    # recomputed from the plan: base load - PV + every device's planned power
    from ven.dispatch.inputs import Weights
    from ven.dispatch.prepare import prepare

    data = prepare(inputs, Weights())
    net = data.base_load - data.pv + p.power_kw.sum(axis=1).to_numpy()
    baseline_net = data.base_load - data.pv + p.baseline_kw.sum(axis=1).to_numpy()
    discharging = p.battery_discharge_kw["bat" if "bat" in p.battery_discharge_kw else
                                         "battery"].to_numpy() > 1e-6
    floor = np.minimum(0.0, baseline_net)  # PV may export by itself, the battery may not add
    rows = event & discharging
    assert (net[rows] >= floor[rows] - 1e-6).all(), (net[rows], floor[rows])
    # and the battery's discharge never takes the shed beyond the target
    shed = baseline_net - net
    assert (shed[rows] <= np.asarray(req.target_kw)[rows] + 1e-4).all()


def test_a_plan_leaves_on_off_loads_where_their_controllers_would_refuse():
    """An on/off load in its lockout, or shed already and reaching max_shed_minutes, is held
    out of those intervals (rule off): a re-plan does not count on a shed it will not get."""
    from pathlib import Path

    from common.clock import ManualClock
    from ven.brain.dryrun import make_signal
    from ven.devices.config import load_building
    from ven.devices.simulated import SimulatedBuilding
    from ven.devices.state import DeviceState
    from ven.dispatch.commands import inputs_from_forecast

    building = load_building(Path(__file__).resolve().parents[2] / "examples" / "buildings"
                             / "hotel.toml")
    start = datetime(2026, 7, 15, 13, 0, tzinfo=UTC)  # 15:00 in Madrid
    sig = make_signal("SIMPLE", start=start, duration=timedelta(hours=1), intervals=4, level=2)
    index = pd.date_range(start, periods=4, freq="15min")
    request = plan_request([sig], building, pd.Series(200.0, index=index))
    forecast = SimulatedBuilding(building, ManualClock(start)).forecast(start, 4)
    states = {
        # shed 5 min ago, at most 20 min: over during the second interval
        "ovens": DeviceState(device_id="ovens", kind="onoff", on=False,
                             shed_since=start - timedelta(minutes=5)),
        # released a while ago: locked out for the first 20 min
        "dishwasher": DeviceState(device_id="dishwasher", kind="onoff", on=True,
                                  lockout_until=start + timedelta(minutes=20)),
    }
    held = inputs_from_forecast(building, request, forecast, states).request.rules
    n = len(request.index)  # the event and its recovery window
    assert list(held["ovens"]) == [request.rules["ovens"].iloc[0], *["off"] * (n - 1)]
    assert list(held["dishwasher"]) == ["off", "off", *request.rules["dishwasher"].iloc[2:]]
    others = [c for c in held.columns if c not in states]
    assert held[others].equals(request.rules[others])
    assert request.rules["ovens"].iloc[1] != "off"  # the request itself is left alone
