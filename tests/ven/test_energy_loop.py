"""The running VEN's always-on energy manager (``ven.brain.energyloop``): re-plans on the
injected clock, sends the first interval's commands, yields to an event's plan, survives a
failed plan; the building file's ``[energy]`` table; the plan in status and the building API."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from aiohttp.test_utils import TestClient, TestServer

from common.clock import ManualClock
from common.tomlconfig import ConfigProblems
from ven.api.auth import ensure_token
from ven.api.context import ApiContext
from ven.api.server import api_app
from ven.brain import BuildingBrain
from ven.brain.dryrun import make_signal
from ven.brain.energyloop import CHECK_S, EnergyManager, plan_lines
from ven.cli import main
from ven.client.config import parse_config
from ven.client.store import Store
from ven.client.telemetry import TelemetryStore
from ven.devices.commands import BatteryPower, DeviceCommand, Release
from ven.devices.config import parse_building
from ven.energy.config import EnergyConfig, energy_config_from_file, parse_energy_table
from ven.energy.mpc import Schedule, plan
from ven.instructions import EventSignal, SignalInterval

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "examples" / "buildings" / "home.toml"
START = datetime(2026, 7, 15, 17, 0, tzinfo=UTC)  # 10:00 in Sacramento, a Wednesday
STEP = timedelta(minutes=15)


def _config(timezone: str) -> EnergyConfig:
    return parse_energy_table({"strategy": "economic", "horizon_h": 6, "tariff": {
        "kind": "tou", "price": 0.20, "demand_charge_per_kw": 5.0,
        "periods": [{"start_hour": 16, "end_hour": 21, "price": 0.60}]}}, timezone=timezone)


class Recorder:
    """The brain's ``send_commands``, remembering every batch."""

    def __init__(self, brain: BuildingBrain) -> None:
        self.batches: list[list[DeviceCommand]] = []
        self._send = brain.send_commands
        brain.send_commands = self  # type: ignore[method-assign]

    def __call__(self, commands: Sequence[DeviceCommand]) -> None:
        self.batches.append(list(commands))
        self._send(commands)


def _manager(**kwargs: Any) -> tuple[EnergyManager, BuildingBrain, ManualClock, Recorder]:
    clock = ManualClock(START)
    brain = BuildingBrain.simulated(HOME, clock, history_days=3)
    recorder = Recorder(brain)
    return EnergyManager(brain, _config(brain.building.timezone), clock, **kwargs), brain, \
        clock, recorder


def test_it_replans_every_step_of_the_clock_and_sends_the_first_interval() -> None:
    manager, _, clock, sent = _manager()
    assert manager.due()
    schedule = manager.step()
    assert schedule is not None and schedule.optimal
    assert sent.batches[-1] == list(schedule.commands)
    assert any(isinstance(c, BatteryPower) for c in schedule.commands)
    clock.advance(STEP - timedelta(minutes=1))
    assert not manager.due()
    assert manager.wait_s() == pytest.approx(60.0)
    clock.advance(timedelta(minutes=1))
    assert manager.due()
    manager.step()
    assert manager.replans == 2 and len(sent.batches) == 2
    summary = manager.summary()
    assert summary is not None
    assert summary["strategy"] == "economic" and summary["horizon_h"] == 6
    assert summary["start"] == (START + STEP).isoformat()
    assert summary["forecast"] == "learned" and len(summary["next"]) == 8
    assert summary["next"][0]["start"] == (START + STEP).isoformat()
    assert {c["device_id"] for c in summary["commands"]} == {
        c.device_id for c in sent.batches[-1]}


def test_a_start_off_the_grid_forecasts_from_history_and_then_plans_on_the_grid() -> None:
    clock = ManualClock(START + timedelta(minutes=7))
    brain = BuildingBrain.simulated(HOME, clock, history_days=3)
    manager = EnergyManager(brain, _config(brain.building.timezone), clock)
    assert manager.step() is not None
    summary = manager.summary()
    assert summary is not None and summary["forecast"] == "learned"
    assert summary["start"] == (START + timedelta(minutes=7)).isoformat()
    clock.advance(timedelta(minutes=7))
    assert not manager.due()
    clock.advance(timedelta(minutes=1))  # 17:15: the grid's next boundary
    assert manager.due()


def test_the_loop_runs_on_the_injected_clock_without_sleeping() -> None:
    manager, _, clock, sent = _manager()
    stop = asyncio.Event()
    saved: list[dict[str, Any]] = []
    waits: list[float] = []

    async def sleeper(seconds: float) -> None:  # the clock's time passes at once
        waits.append(seconds)
        clock.advance(timedelta(seconds=seconds))
        if clock.now() >= START + 3 * STEP:
            stop.set()

    async def save(summary: dict[str, Any]) -> None:
        saved.append(summary)

    asyncio.run(manager.run(stop, sleeper, save=save))
    assert manager.replans == 3  # at 0, 15 and 30 min; stopped at 45 min
    assert len(sent.batches) == 3
    assert [s["start"][11:16] for s in saved] == ["17:00", "17:15", "17:30"]
    assert max(waits) <= CHECK_S


def test_an_events_plan_keeps_its_devices_and_becomes_a_dr_target() -> None:
    manager, brain, clock, sent = _manager()
    manager.step()
    event_start = START + timedelta(minutes=30)
    event = brain.plan("ev-1", 0, [make_signal("SIMPLE", start=event_start,
                                               duration=timedelta(hours=1), level=2)])
    assert event is not None and event.result.has_solution
    clock.advance(timedelta(minutes=5))
    assert not manager.due()  # the event has not started
    inputs = manager.prepare(clock.now())
    assert len(inputs.targets) == 4  # one per 15-min event interval
    assert all(t.start >= event_start for t in inputs.targets)
    clock.set(event_start)
    held = brain.event_devices()
    assert held  # the event's plan controls devices
    assert manager.due()  # an event took devices: re-plan at once
    schedule = manager.step()
    assert schedule is not None
    assert not {c.device_id for c in sent.batches[-1]} & held
    summary = manager.summary()
    assert summary is not None and summary["left_to_event"] == sorted(held)
    assert summary["dr_intervals"] == 4
    assert "left to the event's plan" in "\n".join(plan_lines(summary))


def test_price_events_price_their_intervals() -> None:
    manager, brain, clock, _ = _manager()
    start = START + timedelta(hours=1)
    price = EventSignal(name="ELECTRICITY_PRICE", type="price",
                        intervals=(SignalInterval(start, timedelta(hours=1), 2.5),))
    brain.plan("price-1", 0, [price])
    inputs = manager.prepare(clock.now())
    assert inputs.tariff.kind == "series"
    index = pd.date_range(inputs.now, periods=8, freq=STEP)
    prices = inputs.tariff.import_prices(index)
    assert list(prices[:4]) == [0.20] * 4  # the TOU tariff before the event
    assert list(prices[4:8]) == [2.5] * 4


def test_a_failed_plan_is_logged_releases_the_devices_and_the_loop_goes_on(
        caplog: pytest.LogCaptureFixture) -> None:
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Schedule:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("solver crashed")
        result = plan(*args, **kwargs)
        return dataclasses.replace(result, optimal=False, status="Infeasible") \
            if calls["n"] == 3 else result

    manager, _, clock, sent = _manager(planner=flaky)
    assert manager.step() is not None
    driven = {c.device_id for c in sent.batches[-1]}
    clock.advance(STEP)
    with caplog.at_level(logging.WARNING, logger="ven.energy"):
        assert manager.step() is None
    assert "solver crashed" in caplog.text and manager.failures == 1
    assert all(isinstance(c, Release) for c in sent.batches[-1])
    assert {c.device_id for c in sent.batches[-1]} == driven
    assert manager.schedule is None
    summary = manager.summary()
    assert summary is not None and summary["in_force"] is False
    assert "NOT in force" in plan_lines(summary)[0]
    clock.advance(STEP)
    assert manager.step() is None and manager.failures == 2  # not optimal
    assert "no optimal plan" in caplog.text
    clock.advance(STEP)
    assert manager.step() is not None and manager.replans == 2


def test_energy_tables_in_building_files(tmp_path: Path) -> None:
    text = HOME.read_text()
    assert energy_config_from_file(HOME) is not None  # the example has one
    without = text[:text.index("[energy]")]
    (tmp_path / "home.toml").write_text(without)
    assert parse_building(without).id == "home-elm-st"
    assert energy_config_from_file(tmp_path / "home.toml") is None  # the planner is off
    for table, words in (('[energy]\nstrategy = "cheapest"\n', "strategy must be one of"),
                         ("[energy]\nhorizon_h = 72\n", "horizon_h must be a number in 1..48"),
                         ("[energy]\nstep = 5\n", "unknown keys: step"),
                         ("[energy.tariff]\nkind = \"tou\"\nperiods = [{ start_hour = 1 }]\n",
                          "a period lacks end_hour"),
                         ("energy = 3\n", "must be a table")):
        source = without + table if table.startswith("[") else table + without
        with pytest.raises(ConfigProblems) as err:
            parse_building(source)
        assert "energy" in str(err.value) and words in str(err.value), str(err.value)


_VEN = """
[vtn]
url = "http://127.0.0.1:9/OpenADR2/Simple/2.0b"
allow_plain_http = true
[ven]
name = "energy-ven"
database = "ven.sqlite"
building = "{building}"
[api]
port = 8090
"""


def test_status_shows_the_saved_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manager, *_ = _manager()
    manager.step()
    summary = manager.summary()
    assert summary is not None
    path = tmp_path / "ven.toml"
    path.write_text(_VEN.format(building=HOME))

    async def save(plan: dict[str, Any] | None) -> None:
        store = await Store.open(tmp_path / "ven.sqlite")
        try:
            if plan is not None:
                await store.save_energy_plan(plan)
        finally:
            await store.close()

    async def forget() -> None:
        store = await Store.open(tmp_path / "ven.sqlite")
        try:
            await store.save_energy_plan(None)
        finally:
            await store.close()

    asyncio.run(save(None))  # a state file without a plan
    assert main(["status", "--config", str(path)]) == 0
    assert "Energy manager: no plan yet" in capsys.readouterr().out
    asyncio.run(save(summary))
    assert main(["status", "--config", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["energy_plan"] == summary
    assert main(["status", "--config", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Energy manager: economic plan made" in text and "for 6 h" in text
    asyncio.run(forget())  # what `run` does when the building file has no [energy]
    assert main(["status", "--config", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["energy_plan"] is None


async def test_the_building_api_serves_the_plan_in_force(tmp_path: Path) -> None:
    manager, brain, clock, _ = _manager()
    config = parse_config(_VEN.format(building=HOME), base=tmp_path)
    store = await Store.open(config.database)
    telemetry = await TelemetryStore.open(config.database)
    token = ensure_token(config.api_token_file)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        for energy in (None, manager):
            ctx = ApiContext(config=config, store=store, telemetry=telemetry, clock=clock,
                             brain=brain, energy=energy)
            async with TestClient(TestServer(api_app(ctx, token=token))) as client:
                assert (await client.get("/api/v1/energy/plan")).status == 401
                first = await (await client.get("/api/v1/energy/plan", headers=headers)).json()
                assert (first["enabled"], first["plan"]) == (energy is not None, None)
                assert first["strategy"] == (None if energy is None else {
                    **energy.strategy_json(), "name": "economic", "source": "building file"})
                if energy is not None:
                    energy.step()
                    body = await (await client.get("/api/v1/energy/plan",
                                                   headers=headers)).json()
                    assert body["enabled"] and body["plan"]["strategy"] == "economic"
                    assert body["plan"]["totals"]["peak_kw"] >= 0
                    assert len(body["plan"]["next"]) == 8
    finally:
        await telemetry.close()
        await store.close()
