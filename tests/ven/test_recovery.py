"""The recovery window after an event: a planned, staggered release under the no-event load."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from common.clock import ManualClock
from tests.benchmarks.bench_dispatch import make_inputs
from ven.brain import BuildingBrain
from ven.brain.dryrun import WARMUP, make_signal
from ven.cli import main
from ven.devices.commands import DeviceCommand, Release, Setpoint
from ven.devices.config import load_building
from ven.devices.model import HvacZone
from ven.dispatch import SolveOptions, SolveStatus, Weights, build_model, solve
from ven.dispatch.direct import build_direct
from ven.dispatch.prepare import prepare
from ven.dispatch.solver import run_highs

OFFICE = Path(__file__).resolve().parents[2] / "examples" / "buildings" / "office.toml"
HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)
TOLERANCE = Weights().rebound_free


@pytest.fixture(scope="module")
def office_event() -> tuple[BuildingBrain, list[tuple[datetime, list[DeviceCommand]]], object]:
    """The office, SIMPLE level 2 at 14:00-15:00 on a summer weekday, run to 17:00 with every
    command the brain applied recorded."""
    building = load_building(OFFICE)
    start = datetime(2026, 7, 15, 14, tzinfo=ZoneInfo(building.timezone))
    clock = ManualClock(start - WARMUP)
    brain = BuildingBrain.simulated(OFFICE, clock)
    applied: list[tuple[datetime, list[DeviceCommand]]] = []
    simulation = brain.meter.simulation
    real_apply = simulation.apply

    def recording(commands: Iterable[DeviceCommand]) -> None:
        applied.append((simulation.time, list(commands)))
        real_apply(commands)

    simulation.apply = recording  # type: ignore[method-assign]
    clock.advance(start - clock.now())
    first = brain.plan("e1", 0, [make_signal("SIMPLE", start=start, duration=HOUR, level=2)])
    assert first is not None
    while clock.now() < start + 3 * HOUR:
        clock.advance(QUARTER)
        brain.tick()
    return brain, applied, first


def test_first_plan_keeps_the_recovery_window_under_the_no_event_load(office_event):
    brain, _, first = office_event
    request, plan = first.request, first.plan
    after = ~request.in_event
    assert after.sum() == 4  # one hour of 15-minute intervals
    limit = request.no_event_kw.to_numpy()[after] * (1 + TOLERANCE)
    assert (plan.net_load_kw.to_numpy()[after] <= limit + 0.5).all()
    for dev in brain.building.devices:  # comfort still held
        if isinstance(dev, HvacZone):
            temps = plan.zone_temp_c[dev.id].to_numpy()
            assert (temps <= dev.comfort_high_c + 1e-6).all()
            assert (temps >= dev.comfort_low_c - 1e-6).all()


def test_measured_rebound_stays_near_the_no_event_load(office_event):
    brain, _, first = office_event
    end = first.end
    final = brain.latest("e1")
    reference = final.request.no_event_kw
    for k in range(4):
        a = end + k * QUARTER
        measured = brain.meter.mean_kw(a, a + QUARTER)
        allowed = float(reference.loc[a]) * (1 + TOLERANCE)
        assert measured <= allowed * 1.02, (a, measured, allowed)  # forecast error only
    peak_after = max(brain.meter.mean_kw(final.until + k * QUARTER,
                                         final.until + (k + 1) * QUARTER) for k in range(4))
    assert peak_after <= float(reference.max()) * (1 + TOLERANCE)  # no second rebound


def test_brain_releases_devices_on_the_recovery_schedule(office_event):
    brain, applied, first = office_event
    end, until = first.end, first.until
    zones = {d.id: d for d in brain.building.devices if isinstance(d, HvacZone)}
    in_window = [(t, cmds) for t, cmds in applied if end <= t < until]
    assert in_window, "the plan keeps control after the event"
    t0, at_end = in_window[0]
    assert t0 == end
    held = {c.device_id: c.celsius for c in at_end if isinstance(c, Setpoint)}
    # the zones are not all released at the event's end: their set points step back
    assert held and set(held) <= set(zones)
    assert all(held[z] > zones[z].setpoint_c for z in held)
    released_first = {c.device_id for c in at_end if isinstance(c, Release)}
    assert released_first and released_first != {d.id for d in brain.building.devices}
    steps = [max((c.celsius for c in cmds if isinstance(c, Setpoint)
                  and c.device_id in held), default=np.nan) for _, cmds in in_window]
    finite = [s for s in steps if np.isfinite(s)]
    assert finite == sorted(finite, reverse=True)  # set points come down step by step
    after = [(t, cmds) for t, cmds in applied if t >= until]
    assert after and all(isinstance(c, Release) for c in after[0][1])


def test_plan_json_shows_the_hour_after_with_its_baseline(capsys: pytest.CaptureFixture[str]):
    code = main(["plan", "--building", str(OFFICE), "--start", "2026-07-15T14:00", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    after = [r for r in data["intervals"] if not r["in_event"]]
    assert len(after) == 4
    for row in after:
        assert row["baseline_kw"] > 0 and row["no_event_kw"] > 0
        assert row["target_kw"] is None and row["requested_shed_kw"] is None
        assert row["measured_shed_kw"] == pytest.approx(row["baseline_kw"] - row["measured_kw"],
                                                        abs=1e-2)
    recovery = data["totals"]["recovery"]
    assert recovery["intervals"] == 4
    assert recovery["peak_kw"] == pytest.approx(max(r["measured_kw"] for r in after), abs=1e-3)
    assert recovery["peak_kw"] <= recovery["no_event_kw"] * (1 + TOLERANCE) * 1.02


def test_array_and_pyomo_models_agree_with_a_no_event_reference():
    base = make_inputs(12, 24, seed=3)
    probe = prepare(base, Weights())
    no_event = pd.Series(probe.building_baseline * 0.8, index=base.request.index)
    inputs = dataclasses.replace(
        base, request=dataclasses.replace(base.request, no_event_kw=no_event))
    model = build_model(inputs)
    data = model.data
    after = ~data.in_event
    assert after.any() and (data.rebound_floor[after] > 0).all()  # the reference moved it
    debt_rows = (len(model.component("hvac-recovery-debt-balance"))
                 + len(model.component("water-heater-recovery-debt-balance")))
    assert debt_rows > 0
    exact = SolveOptions(mip_rel_gap=0.0, rounding=False, mip_stall_s=None, time_limit_s=60.0)
    pyomo = solve(model, exact)
    direct = build_direct(data)
    out = run_highs(direct.highs, data, direct.onoff_columns, direct.lower, direct.upper, exact)
    assert pyomo.status is SolveStatus.OPTIMAL and out.status is SolveStatus.OPTIMAL
    assert out.objective == pytest.approx(pyomo.objective, rel=1e-6, abs=1e-6)
