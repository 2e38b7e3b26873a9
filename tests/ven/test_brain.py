"""The building brain: typed events planned on the simulated buildings, measured, re-planned."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from common.clock import ManualClock
from common.errors import ConfigError
from common.messages.enums import EventStatus, OptType, ResponseRequired, SignalName, SignalType
from common.messages.event import EiEvent, EventDescriptor
from common.messages.event import EventSignal as WireSignal
from common.messages.report import ResourceStatus
from common.messages.types import Interval, Period
from tests.support.openleadr_vtn import OpenleadrVtn
from ven.brain import BuildingBrain, MeteredBuilding, measure
from ven.brain.signals import event_signals
from ven.client import Store, build_client
from ven.client.config import ACTED_ON_SIGNALS, DEFAULT_SUPPORTED_SIGNALS, parse_config
from ven.client.events import EventPhase, EventState
from ven.client.readings import PointKind
from ven.instructions import SIGNAL_TYPES
from ven.measurements import BuildingReadings

BUILDINGS = Path(__file__).resolve().parents[2] / "examples" / "buildings"
# event starts (UTC) in each building's busy hours on Wednesday 2026-07-15
STARTS = {
    "office": datetime(2026, 7, 15, 21, 0, tzinfo=UTC),  # 14:00 PDT
    "hotel": datetime(2026, 7, 15, 15, 0, tzinfo=UTC),  # 17:00 CEST
    "home": datetime(2026, 7, 15, 1, 0, tzinfo=UTC),  # 18:00 PDT (the evening before)
}
STEP = timedelta(minutes=15)


def wire_event(
    event_id: str,
    start: datetime,
    values: Sequence[float],
    *,
    name: str = "SIMPLE",
    kind: str = "level",
    interval: timedelta = timedelta(minutes=30),
    modification: int = 0,
    status: EventStatus = EventStatus.FAR,
) -> EiEvent:
    """An EiEvent as the codec delivers it: intervals with durations only."""
    signal_name = SignalName(name)
    return EiEvent(
        event_descriptor=EventDescriptor(
            event_id=event_id, modification_number=modification, market_context="http://mc",
            created_date_time=start - timedelta(hours=1), event_status=status),
        active_period=Period(dtstart=start, duration=interval * len(values)),
        event_signals=(WireSignal(
            intervals=tuple(Interval(payloads=(float(v),), duration=interval, uid=str(k))
                            for k, v in enumerate(values)),
            signal_name=signal_name, signal_type=SignalType(kind), signal_id=f"{event_id}-s"),),
    )


def state_of(event: EiEvent, *, opt: OptType | None = OptType.OPT_IN,
             device_opts: dict[str, OptType] | None = None) -> EventState:
    d = event.event_descriptor
    start = event.active_period.dtstart
    return EventState(
        event_id=d.event_id, modification_number=d.modification_number,
        phase=EventPhase.ACTIVE, event=event, response_required=ResponseRequired.ALWAYS,
        effective_start=start, end=start + event.active_period.duration, summary="test",
        opt=opt, device_opts=device_opts or {})


def new_brain(name: str, lead: timedelta = timedelta(hours=3)) -> tuple[BuildingBrain, ManualClock]:
    clock = ManualClock(STARTS[name] - lead)
    return BuildingBrain.simulated(BUILDINGS / f"{name}.toml", clock, seed=3), clock


def run_until(brain: BuildingBrain, clock: ManualClock, until: datetime) -> None:
    while clock.now() < until:
        clock.advance(min(STEP, until - clock.now()))
        brain.tick()


async def planned_event(building: str, values: Sequence[float] = (2, 2), **kw):
    brain, clock = new_brain(building)
    start = STARTS[building]
    run_until(brain, clock, start - STEP)  # notified 15 min ahead
    await brain.on_event(state_of(wire_event("ev-1", start, values, **kw)))
    return brain, clock, brain.plans["ev-1"]


@pytest.mark.parametrize("name", ["office", "hotel", "home"])
async def test_simple_level_2_sheds_measured_load_on_each_building(name: str):
    brain, clock, plan = await planned_event(name)
    assert plan.baseline.ok and plan.result.has_solution
    assert plan.requested_kw[plan.request.in_event].gt(0).all()
    run_until(brain, clock, plan.until)
    assert "ev-1" not in brain.plans  # finished plans are retired
    outcome = measure(plan, brain.meter)
    event = outcome.table[outcome.table["in_event"]]
    assert event["measured_kw"].notna().all()
    # measured below the baseline (a water heater's thermostat may still kick in at the end:
    # the forecast averages it, the simulated tank heats at full power)
    assert event["measured_shed_kw"].mean() > 0
    assert (event["measured_shed_kw"] > 0).sum() >= len(event) - 1
    assert outcome.delivered_kwh > 0.5 * outcome.requested_kwh
    # the measured load comes from the simulation, not from the plan
    assert (event["measured_kw"] - event["planned_kw"]).abs().max() > 1e-3
    live = brain.meter.live_kw()
    first = event.index[0]
    assert event["measured_kw"].iloc[0] == pytest.approx(
        live[(live.index >= first) & (live.index < first + STEP)].mean())


async def test_event_sheds_against_a_building_left_alone():
    brain, clock, plan = await planned_event("office")
    reference = MeteredBuilding.from_file(BUILDINGS / "office.toml",
                                          start=STARTS["office"] - timedelta(hours=3), seed=3)
    run_until(brain, clock, plan.end)
    reference.advance(plan.end)
    with_dr = brain.meter.mean_kw(plan.start, plan.end)
    without = reference.mean_kw(plan.start, plan.end)
    assert without - with_dr > 0.5 * float(plan.requested_kw[plan.request.in_event].mean())


async def test_load_dispatch_delta_is_shed():
    brain, clock, plan = await planned_event("office", (40, 40), name="LOAD_DISPATCH",
                                             kind="delta")
    assert plan.requested_kw[plan.request.in_event].tolist() == [40.0] * 4
    run_until(brain, clock, plan.until)
    outcome = measure(plan, brain.meter)
    assert 0.7 < outcome.delivered_share < 1.3
    assert outcome.event_mean("measured_shed_kw") > 28


async def test_modified_event_is_re_planned_in_place_then_rebuilt_once_started():
    brain, clock, first = await planned_event("office", (1, 1))
    start = STARTS["office"]
    modified = wire_event("ev-1", start, (3, 3), modification=1)
    await brain.on_event(state_of(modified))
    second = brain.plans["ev-1"]
    assert second.modification_number == 1 and second.reused_model
    assert second.model is first.model
    assert (second.requested_kw > first.requested_kw)[second.request.in_event].all()
    await brain.on_event(state_of(modified))  # the same modification again: nothing to do
    assert brain.plans["ev-1"] is second

    run_until(brain, clock, start + timedelta(minutes=30))
    third_event = wire_event("ev-1", start, (3, 1), modification=2)
    await brain.on_event(state_of(third_event))
    third = brain.plans["ev-1"]
    assert not third.reused_model  # the past intervals are gone: the model is rebuilt
    assert third.start == start + timedelta(minutes=30)
    assert third.requested_kw[third.request.in_event].max() < second.requested_kw.max()
    run_until(brain, clock, third.until)
    outcome = measure(third, brain.meter)
    assert (outcome.table.loc[outcome.table["in_event"], "measured_shed_kw"] > 0).all()


async def test_cancel_releases_every_device_and_the_load_returns_to_normal():
    brain, clock, _ = await planned_event("office")
    reference = MeteredBuilding.from_file(BUILDINGS / "office.toml",
                                          start=STARTS["office"] - timedelta(hours=3), seed=3)
    start = STARTS["office"]
    run_until(brain, clock, start + timedelta(minutes=30))
    shed = brain.meter.mean_kw(start, start + timedelta(minutes=30))
    event = wire_event("ev-1", start, (2, 2), modification=1, status=EventStatus.CANCELLED)
    await brain.on_cancel(state_of(event))
    assert brain.plans == {}
    assert brain.control_state(clock.now()).event_id is None
    later = start + timedelta(hours=2, minutes=30)
    run_until(brain, clock, later + timedelta(minutes=30))
    reference.advance(later + timedelta(minutes=30))
    after = brain.meter.mean_kw(later, later + timedelta(minutes=30))
    normal = reference.mean_kw(later, later + timedelta(minutes=30))
    assert after > shed
    assert after == pytest.approx(normal, rel=0.05)


async def test_opt_out_drops_the_plan_and_waiting_plans_nothing():
    brain, _, _ = await planned_event("hotel")
    event = wire_event("ev-1", STARTS["hotel"], (2, 2))
    await brain.on_event(state_of(event, opt=OptType.OPT_OUT))
    assert brain.plans == {}
    await brain.on_event(state_of(event, opt=None))
    assert brain.plans == {}


async def test_device_opted_out_is_left_alone():
    brain, clock = new_brain("office")
    run_until(brain, clock, STARTS["office"] - STEP)
    event = wire_event("ev-1", STARTS["office"], (2, 2))
    await brain.on_event(state_of(event, device_opts={"rtu-south": OptType.OPT_OUT}))
    plan = brain.plans["ev-1"]
    assert (plan.request.rules["rtu-south"] == "off").all()
    assert np.allclose(plan.plan.shed_kw["rtu-south"], 0.0, atol=1e-6)


def test_supported_signals_have_one_source_of_truth():
    assert set(DEFAULT_SUPPORTED_SIGNALS) == ACTED_ON_SIGNALS == {*SIGNAL_TYPES, "simple"}


async def test_unsupported_signal_types_are_skipped_and_nothing_is_planned():
    start = STARTS["office"]
    wrong_type = wire_event("ev-2", start, (2,), kind="price")  # SIMPLE must be a level
    found = event_signals(wrong_type, start, DEFAULT_SUPPORTED_SIGNALS)
    assert found.signals == () and "SIMPLE" in found.skipped[0]
    not_configured = event_signals(wire_event("ev-3", start, (2,)), start, ("LOAD_DISPATCH",))
    assert not_configured.signals == () and not_configured.skipped
    brain, _ = new_brain("office")
    await brain.on_event(state_of(wrong_type))
    assert brain.plans == {}


def test_signal_intervals_follow_the_effective_start():
    start = STARTS["office"]
    event = wire_event("ev-1", start, (1, 2, 3), interval=timedelta(minutes=20))
    shifted = start + timedelta(minutes=7)  # randomised start
    (signal,) = event_signals(event, shifted, DEFAULT_SUPPORTED_SIGNALS).signals
    assert [iv.start for iv in signal.intervals] == [
        shifted + k * timedelta(minutes=20) for k in range(3)]
    assert [iv.value for iv in signal.intervals] == [1, 2, 3]


async def test_readings_give_measured_usage_and_the_event_baseline_separately():
    brain, clock, plan = await planned_event("office")
    start = STARTS["office"]
    run_until(brain, clock, start + timedelta(minutes=45))
    source = BuildingReadings(brain)
    granularity = timedelta(minutes=5)
    usage = await source.read(PointKind.USAGE, "usage", start, clock.now(), granularity)
    baseline = await source.read(PointKind.BASELINE, "baseline", start, clock.now(), granularity)
    assert len(usage) == len(baseline) == 9
    live = brain.meter.live_kw()
    for reading in usage:
        window = live[(live.index >= reading.start) & (live.index < reading.start + granularity)]
        assert reading.value == pytest.approx(window.mean(), abs=1e-3)
    event_baseline = plan.baseline.baseline
    for reading in baseline:
        slot = pd.Timestamp(reading.start).floor(STEP)
        assert reading.value == pytest.approx(event_baseline[slot], abs=1e-3)
    assert all(u.value < b.value for u, b in zip(usage, baseline, strict=True))
    # nothing is read from the future
    ahead = await source.read(PointKind.USAGE, "usage", clock.now(),
                              clock.now() + STEP, granularity)
    assert ahead == []


async def test_status_and_history_readings():
    brain, clock, _ = await planned_event("office")
    start = STARTS["office"]
    source = BuildingReadings(brain)
    before = await source.read(PointKind.STATUS, "status", clock.now(), clock.now() + STEP, STEP)
    run_until(brain, clock, start + STEP)
    (during,) = await source.read(PointKind.STATUS, "status", start, start + STEP, STEP)
    status = during.value
    assert isinstance(status, ResourceStatus) and status.online and not status.manual_override
    assert status.load_control_state is not None
    assert status.load_control_state.level_offset.current == 2
    assert status.load_control_state.percent_offset.current < 0
    assert before[0].value.load_control_state.level_offset.current == 0
    day = start - timedelta(days=2)
    history = await source.read(PointKind.HISTORY, "history_usage", day, day + timedelta(hours=1),
                                STEP)
    seeded = brain.meter.history_kw()
    assert [r.value for r in history] == pytest.approx(
        seeded[(seeded.index >= day) & (seeded.index < day + timedelta(hours=1))].tolist(),
        abs=1e-3)


async def test_baseline_outside_events_comes_from_the_baseline_engine():
    brain, clock = new_brain("hotel")
    run_until(brain, clock, STARTS["hotel"])
    values, method, confidence = brain.baseline_kw(STARTS["hotel"], STARTS["hotel"] + STEP * 2)
    assert len(values) == 2 and values.notna().all()
    assert method.value == "x-of-y" and confidence.value in ("high", "medium", "low")
    assert all(math.isfinite(v) for v in values)


# ---- the whole VEN against openleadr's VTN ------------------------------------------------------


async def test_event_from_openleadr_vtn_is_planned_and_reported_below_baseline(tmp_path: Path):
    vtn = OpenleadrVtn(granularity=timedelta(minutes=5), report_back=timedelta(minutes=15))
    await vtn.start()
    start = STARTS["office"]
    clock = ManualClock(start - timedelta(minutes=30))
    brain = BuildingBrain.simulated(BUILDINGS / "office.toml", clock, seed=3)
    config = parse_config(f"""
[vtn]
url = "{vtn.url}"
allow_plain_http = true

[ven]
name = "test-ven"
database = "{tmp_path / 'ven.sqlite'}"
building = "{BUILDINGS / 'office.toml'}"
""")
    store = await Store.open(config.database)

    async def sleeper(seconds: float) -> None:
        clock.advance(seconds)

    source = BuildingReadings(brain)
    client = await build_client(config, store=store, source=source, clock=clock,
                                sleeper=sleeper, handler=brain, tick=brain.tick)
    try:
        await client.start()
        vtn.add_event("ev-1", level=2, start=start, duration=timedelta(hours=1))
        await client.step()
        assert vtn.received.opts == [("ven-0001", "ev-1", "optIn")]
        plan = brain.plans["ev-1"]
        assert plan.start == start and plan.requested_kw.max() > 0
        while clock.now() < start + timedelta(hours=1, minutes=15):
            clock.advance(timedelta(minutes=5))
            await client.step()
    finally:
        await client.close()
        await store.close()
        await vtn.stop()
    usage = dict(vtn.values("usage"))
    # openleadr does not subscribe to the baseline's own report (x-TELEMETRY_BASELINE):
    # the baseline the VEN would report is read from the same source
    during = sorted(t for t in usage if start <= t < start + timedelta(hours=1))
    assert len(during) == 12  # every 5 min of the event
    baseline = {r.start: r.value for r in await source.read(
        PointKind.BASELINE, "baseline", start, start + timedelta(hours=1),
        during[1] - during[0])}
    assert all(usage[t] < baseline[t] for t in during)
    shed = np.mean([baseline[t] - usage[t] for t in during])
    assert shed > 0.5 * float(plan.requested_kw[plan.request.in_event].mean())
    # the reports carry the meter's values, not the plan's
    live = brain.meter.live_kw()
    t = during[0]
    assert usage[t] == pytest.approx(
        live[(live.index >= t) & (live.index < t + timedelta(minutes=5))].mean(), abs=1e-3)


async def test_a_restarted_ven_plans_the_events_it_holds_again():
    brain, clock = new_brain("hotel")
    run_until(brain, clock, STARTS["hotel"] + STEP)  # restarted during the event
    held = wire_event("ev-1", STARTS["hotel"], (2, 2))
    cancelled = wire_event("ev-2", STARTS["hotel"], (3,), status=EventStatus.CANCELLED)
    gone = dataclasses.replace(state_of(cancelled), phase=EventPhase.CANCELLED)
    await brain.resume([state_of(held), gone])
    assert list(brain.plans) == ["ev-1"]
    plan = brain.plans["ev-1"]
    assert plan.start == STARTS["hotel"] + STEP  # from now on
    assert plan.baseline.baseline.index[0] == STARTS["hotel"]  # over the whole event window


def test_config_refuses_signals_the_brain_cannot_act_on(tmp_path: Path):
    text = f"""
[vtn]
url = "http://127.0.0.1:1/OpenADR2/Simple/2.0b"
allow_plain_http = true

[ven]
name = "v"
database = "{tmp_path / 'ven.sqlite'}"

[events]
supported_signals = ["SIMPLE", "BID_LOAD"]
"""
    with pytest.raises(ConfigError, match=r"events.supported_signals: this VEN cannot act on "
                                          r"'BID_LOAD'"):
        parse_config(text)


# --- closed loop: re-planned from measurements -----------------------------------------------


def _delivered(name: str, delta_kw: float, *, closed_loop: bool) -> tuple[float, float, object]:
    """An hour of LOAD_DISPATCH on a building whose forecast treats water heaters as a
    steady average load while the simulated ones run an on/off thermostat."""
    from ven.brain.dryrun import make_signal

    start = STARTS[name]
    clock = ManualClock(start - timedelta(hours=3))
    brain = BuildingBrain.simulated(BUILDINGS / f"{name}.toml", clock, seed=3,
                                    closed_loop=closed_loop)
    brain.meter.simulation.forecast_thermostats = False  # the forecast is deliberately off
    clock.advance(start - clock.now())
    sig = make_signal("LOAD_DISPATCH", start=start, duration=timedelta(hours=1),
                      delta_kw=delta_kw)
    first = brain.plan("loop", 0, [sig])
    assert first is not None
    run_until(brain, clock, first.until)
    final = brain.latest("loop")
    assert final is not None
    outcome = measure(final, brain.meter)
    return outcome.delivered_kwh, outcome.requested_kwh, final


# The home's bound: its planner is given the steady water-heater forecast while the tank in the
# simulation (and, since the history is that same simulation, in its baseline) cools and
# switches on; the one-interval bias correction trails that drift (about 41 % off, against 48 %
# open loop, seeds 0-5). The hotel's tanks follow the plan's set points and power caps closely
# since a commanded set point is heated to at once, so its open loop can be as good as the
# closed one: there the closed loop must stay within 10 % of the request of it.
@pytest.mark.parametrize(("name", "delta_kw", "bound"), [("home", 2.0, 0.45), ("hotel", 30.0, 0.6)])
def test_closed_loop_ends_closer_to_the_target_than_open_loop(name: str, delta_kw: float,
                                                              bound: float):
    open_kwh, asked, open_plan = _delivered(name, delta_kw, closed_loop=False)
    closed_kwh, asked_again, closed_plan = _delivered(name, delta_kw, closed_loop=True)
    assert asked == pytest.approx(asked_again)
    assert open_plan.replans == 0
    assert closed_plan.replans == len(closed_plan.request.index) - 1  # every boundary
    open_error, closed_error = abs(open_kwh - asked), abs(closed_kwh - asked)
    assert closed_error < max(open_error, 0.1 * asked), (open_kwh, closed_kwh, asked)
    assert closed_error <= bound * asked, (closed_kwh, asked)


async def test_re_plans_start_from_measured_states_and_log_one_line_each(caplog):
    import logging

    caplog.set_level(logging.DEBUG, logger="ven.brain")
    brain, clock, plan = await planned_event("home", values=(2, 2))
    run_until(brain, clock, plan.until)
    final = brain.latest("ev-1")
    # planned ahead of its start: re-planned at the start from the measured states, then at
    # every boundary after it
    assert final is not None and final.replans == len(plan.request.index)
    assert final.replan_s < 2.0 * final.replans + 1.0  # each bounded by REPLAN_TIME_LIMIT_S
    replans = [r for r in caplog.records if "re-plan at interval" in r.getMessage()]
    assert len(replans) == final.replans and all(r.levelno == logging.DEBUG for r in replans)
    summary = [r for r in caplog.records if "re-planned" in r.getMessage()]
    assert len(summary) == 1 and summary[0].levelno == logging.INFO
    # the spliced plan keeps the whole event's intervals for reports
    assert final.plan.index.equals(plan.request.index)
