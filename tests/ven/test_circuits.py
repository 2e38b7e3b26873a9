"""Circuits: essential circuits are never shed, lower priority is shed first, capacity listing.

Invariant tests recompute each device's shed from the plan (baseline - planned power) rather
than trusting the model's own "circuit-shed" variables.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from common.errors import ConfigError
from ven.devices.capacity import shed_capacity
from ven.devices.config import load_building, parse_building
from ven.devices.model import Building, Circuit, CurtailableLoad, HvacZone, OnOffLoad
from ven.dispatch import DispatchInputs, SolveStatus, Weights, build_model, plan
from ven.instructions import EventSignal, PlanRequest, SignalInterval, plan_request

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "buildings"
T0 = datetime(2026, 7, 1, 14, tzinfo=UTC)
HOUR = timedelta(hours=1)
TOL = 1e-5

LOW = Circuit(id="lighting", priority=2)
HIGH = Circuit(id="offices", priority=8)
LIFE = Circuit(id="life-safety", essential=True, priority=10)


def request(b: Building, kw: float) -> PlanRequest:
    sig = EventSignal(name="LOAD_DISPATCH", type="delta",
                      intervals=(SignalInterval(T0, HOUR, kw),))
    return plan_request([sig], b, 0.0, rebound=HOUR)


def twin(circuit: str, ident: str) -> CurtailableLoad:
    """Identical curtailable loads (same comfort cost); only their circuit differs."""
    return CurtailableLoad(id=ident, rated_kw=20.0, max_reduction=0.5, priority=5,
                           circuit=circuit)


def shed_kwh(p, device: str) -> float:
    return float((p.shed_kw[device].to_numpy() * 0.25).sum())


def test_lower_priority_circuit_is_shed_first_for_the_same_comfort_cost():
    b = Building(id="b", name="b", circuits=(LOW, HIGH),
                 devices=(twin("offices", "a-offices"), twin("lighting", "b-lighting")))
    p = plan(DispatchInputs(building=b, request=request(b, 6.0)))
    assert p.status is SolveStatus.OPTIMAL
    ev = request(b, 6.0).in_event
    assert np.allclose(p.shed_kw["b-lighting"].to_numpy()[ev], 6.0, atol=TOL)
    assert np.allclose(p.shed_kw["a-offices"].to_numpy(), 0.0, atol=TOL)
    # and the other way round when the circuits swap: it is the circuit, not the order
    swapped = Building(id="b", name="b", circuits=(LOW, HIGH),
                       devices=(twin("lighting", "a-offices"), twin("offices", "b-lighting")))
    q = plan(DispatchInputs(building=swapped, request=request(swapped, 6.0)))
    assert np.allclose(q.shed_kw["a-offices"].to_numpy()[ev], 6.0, atol=TOL)
    assert np.allclose(q.shed_kw["b-lighting"].to_numpy(), 0.0, atol=TOL)


def test_beyond_the_lower_circuit_the_higher_one_takes_the_rest():
    b = Building(id="b", name="b", circuits=(LOW, HIGH),
                 devices=(twin("offices", "a-offices"), twin("lighting", "b-lighting")))
    req = request(b, 14.0)
    p = plan(DispatchInputs(building=b, request=req))
    ev = req.in_event
    assert np.allclose(p.shed_kw["b-lighting"].to_numpy()[ev], 10.0, atol=TOL)  # all it can
    assert np.allclose(p.shed_kw["a-offices"].to_numpy()[ev], 4.0, atol=TOL)


def test_circuit_priority_never_outweighs_a_comfort_difference():
    """Device priority 4 on the least important circuit vs priority 3 on the most important
    one: comfort (0.05 USD/kWh per point) wins over the tie-break (at most 0.005)."""
    b = Building(
        id="b", name="b", circuits=(Circuit(id="c1", priority=1), Circuit(id="c10", priority=10)),
        devices=(
            CurtailableLoad(id="dear", rated_kw=20.0, max_reduction=0.5, priority=4, circuit="c1"),
            CurtailableLoad(id="cheap", rated_kw=20.0, max_reduction=0.5, priority=3,
                            circuit="c10"),
        ),
    )
    req = request(b, 6.0)
    p = plan(DispatchInputs(building=b, request=req))
    assert np.allclose(p.shed_kw["cheap"].to_numpy()[req.in_event], 6.0, atol=TOL)
    assert np.allclose(p.shed_kw["dear"].to_numpy(), 0.0, atol=TOL)


def test_an_essential_circuit_is_never_shed_even_when_the_target_is_missed():
    b = Building(
        id="b", name="b", circuits=(LOW, LIFE),
        devices=(
            OnOffLoad(id="smoke-fans", rated_kw=30.0, priority=1, circuit="life-safety"),
            twin("life-safety", "exit-lights"),
            HvacZone(id="server-room", r_c_per_kw=0.5, c_kwh_per_c=5.0, max_kw=10.0, priority=1,
                     setpoint_c=22.0, comfort_low_c=18.0, comfort_high_c=30.0,
                     circuit="life-safety"),
            twin("lighting", "lamps"),
        ),
    )
    req = request(b, 50.0)
    inputs = DispatchInputs(building=b, request=req, outdoor_c=32.0)
    model = build_model(inputs)
    assert len(model.component("essential-circuit-no-shed")) > 0
    p = plan(inputs)
    assert p.status is SolveStatus.OPTIMAL
    for dev in ("smoke-fans", "exit-lights", "server-room"):
        assert np.allclose(p.shed_kw[dev].to_numpy(), 0.0, atol=TOL), dev
        assert np.allclose(p.power_kw[dev].to_numpy(), p.baseline_kw[dev].to_numpy(), atol=TOL)
    ev = req.in_event
    assert np.allclose(p.shed_kw["lamps"].to_numpy()[ev], 10.0, atol=TOL)
    assert np.allclose(p.shortfall_kw.to_numpy()[ev], 40.0, atol=1e-4)  # the slack takes it


def test_devices_on_no_circuit_plan_as_before():
    """Without circuits the model has no circuit rows and the tie-break costs nothing."""
    devices = (CurtailableLoad(id="x", rated_kw=20.0, priority=3),
               OnOffLoad(id="y", rated_kw=8.0, priority=2))
    b = Building(id="b", name="b", devices=devices)
    model = build_model(DispatchInputs(building=b, request=request(b, 10.0)))
    assert len(model.component("essential-circuit-no-shed")) == 0
    assert len(model.component("circuit-shed-positive")) == 0


def test_weights_refuse_a_tie_break_that_could_outweigh_comfort():
    with pytest.raises(ValueError, match="circuit_priority"):
        Weights(circuit_priority=0.005)  # 10 * 0.005 = shed: no longer a tie-break
    assert Weights().circuit_priority * 10 < Weights().shed


# -- building file -----------------------------------------------------------------------------

HEADER = 'id = "b"\nname = "B"\n'
CIRCUITS = """
[[circuits]]
id = "lighting"
name = "Lighting panel"
priority = 2
meter = "site/meters/lighting"

[[circuits]]
id = "it"
essential = true
"""


def test_circuits_load_and_devices_name_them():
    b = parse_building(HEADER + CIRCUITS + '[[devices]]\nid = "lamps"\nkind = "curtailable"\n'
                       'rated_kw = 5\ncircuit = "lighting"\n')
    assert b.circuits[0] == Circuit(id="lighting", name="Lighting panel", priority=2,
                                    meter="site/meters/lighting")
    assert b.circuits[1].essential and b.circuits[1].priority == 5
    lamps = b.device("lamps")
    assert lamps.circuit == "lighting" and b.circuit_of(lamps) == b.circuits[0]
    assert not b.is_essential(lamps)


@pytest.mark.parametrize(("text", "fragment"), [
    (CIRCUITS + '[[devices]]\nid = "x"\nkind = "onoff"\nrated_kw = 1\ncircuit = "hvac"\n',
     'devices[0] (id "x").circuit: unknown circuit "hvac" (the [[circuits]] ids: "it", '
     '"lighting")'),
    ('[[devices]]\nid = "x"\nkind = "onoff"\nrated_kw = 1\ncircuit = "hvac"\n',
     'devices[0] (id "x").circuit: unknown circuit "hvac" (the [[circuits]] ids: none defined)'),
    (CIRCUITS + '[[circuits]]\nid = "it"\n', 'circuits[2] (id "it").id: duplicate of circuits[1]'),
    ('[[circuits]]\nid = "a"\npriority = 11\n', 'circuits[0] (id "a").priority: must be in 1..10'),
    ('[[circuits]]\nid = "a"\nessential = "yes"\n', 'circuits[0] (id "a").essential: must be true'),
    ('[[circuits]]\nname = "a"\n', "circuits[0].id: is required"),
    ('[[circuits]]\nid = "a"\nfuse_a = 63\n', 'circuits[0] (id "a").fuse_a: is not a known'),
    ('circuits = 3\n', "circuits: must be an array of tables ([[circuits]])"),
])
def test_circuit_errors_name_their_field(text: str, fragment: str):
    with pytest.raises(ConfigError) as info:
        parse_building(HEADER + text, source="test.toml")
    assert fragment in str(info.value)


# -- shed capacity -------------------------------------------------------------------------------


def test_capacity_lists_sheddable_circuits_in_shed_order():
    b = Building(
        id="b", name="b", circuits=(HIGH, LIFE, LOW),
        devices=(
            twin("offices", "desk-lamps"),
            OnOffLoad(id="smoke-fans", rated_kw=30.0, circuit="life-safety"),
            twin("lighting", "lamps"),
            OnOffLoad(id="pump", rated_kw=4.0),
        ),
    )
    now = {"desk-lamps": 20.0, "smoke-fans": 30.0, "lamps": 12.0, "pump": 4.0}
    entries = shed_capacity(b, now, T0)
    assert [e.circuit_id for e in entries] == [None, "lighting", "offices"]
    assert [e.priority for e in entries] == [0, 2, 8]
    assert [(e.current_kw, e.sheddable_kw) for e in entries] == [
        (4.0, 4.0), (12.0, 6.0), (20.0, 10.0)]
    listed = shed_capacity(b, now, T0, include_essential=True)
    assert listed[-1].circuit_id == "life-safety" and listed[-1].essential
    assert (listed[-1].current_kw, listed[-1].sheddable_kw) == (30.0, 0.0)
    assert listed[1].as_json()["devices"][0] == {
        "device_id": "lamps", "kind": "curtailable", "rule": "participation",
        "current_kw": 12.0, "sheddable_kw": 6.0}


def test_every_example_building_keeps_its_essentials_and_dispatchables_on_circuits():
    for path in sorted(EXAMPLES.glob("*.toml")):
        b = load_building(path)
        assert any(c.essential for c in b.circuits), path.name
        assert all(d.circuit is not None for d in b.devices), path.name
