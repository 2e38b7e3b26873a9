"""The energy strategy chosen at run time: ``PUT /energy/strategy`` (token, bad input, the
manager off), kept in the state file across a restart of the manager, shown by
``GET /energy/plan`` and ``oadr-ven status``, and ``oadr-ven energy strategy`` (its ``main``
in a worker thread while this loop serves the API: the same HTTP calls a subprocess makes,
without seconds of interpreter start-up each)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from common.clock import ManualClock
from tests.support.energy_api import HOME, START, energy_api, energy_manager
from ven.api.auth import ensure_token
from ven.api.context import ApiContext
from ven.api.server import api_app
from ven.cli import main
from ven.client.config import parse_config
from ven.client.store import Store
from ven.client.telemetry import TelemetryStore

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


async def test_the_strategy_is_set_with_the_token_shown_and_kept(tmp_path: Path) -> None:
    clock = ManualClock(START)
    manager = energy_manager(clock)
    manager.step()
    assert not manager.due()
    config = parse_config(_VEN.format(building=HOME), base=tmp_path)
    store = await Store.open(config.database)
    telemetry = await TelemetryStore.open(config.database)
    token = ensure_token(config.api_token_file)
    headers = {"Authorization": f"Bearer {token}"}
    ctx = ApiContext(config=config, store=store, telemetry=telemetry, clock=clock,
                     brain=manager.brain, energy=manager)
    try:
        async with TestClient(TestServer(api_app(ctx, token=token))) as client:
            url = "/api/v1/energy/strategy"
            assert (await client.put(url, json={"strategy": "comfort"})).status == 401
            before = await (await client.get("/api/v1/energy/plan", headers=headers)).json()
            assert before["strategy"]["name"] == "economic"
            assert before["strategy"]["source"] == "building file"
            answer = await client.put(url, json={"strategy": "comfort"}, headers=headers)
            assert answer.status == 200, await answer.text()
            chosen = (await answer.json())["strategy"]
            assert (chosen["name"], chosen["source"], chosen["building_file"]) == (
                "comfort", "run time", "economic")
            assert chosen["weights"]["comfort"] == 1.0
            assert chosen["weights"]["degradation_per_kwh"] == 0.05  # the file's, kept
            assert manager.due()  # re-planned at the next look, not the next step
            manager.step()
            body = await (await client.get("/api/v1/energy/plan", headers=headers)).json()
            assert body["strategy"]["name"] == "comfort"
            assert body["plan"]["strategy"] == "comfort"
            assert body["plan"]["strategy_source"] == "run time"
            answer = await client.put(url, json={"strategy": "balanced", "weights": {
                "comfort": 2, "carbon": 0.5}}, headers=headers)
            assert answer.status == 200, await answer.text()
            weights = (await answer.json())["strategy"]["weights"]
            assert (weights["cost"], weights["comfort"], weights["carbon"]) == (1.0, 2.0, 0.5)
        assert await store.energy_strategy() == {"strategy": "balanced",
                                                 "weights": {"comfort": 2, "carbon": 0.5}}
    finally:
        await telemetry.close()
        await store.close()


@pytest.mark.parametrize(("body", "message"), [
    ({"strategy": "cheapest"}, "strategy must be one of economic, comfort"),
    ({}, "strategy must be a string"),
    ({"strategy": "comfort", "weights": {"cost": 2}}, "only the balanced strategy"),
    ({"strategy": "balanced", "weights": {"comfort": -1}}, "must be >= 0"),
    ({"strategy": "balanced", "weights": {"comfort": "high"}}, "must be a finite number"),
    ({"strategy": "balanced", "weights": {"comfort": True}}, "must be a finite number"),
    ({"strategy": "balanced", "weights": {"warmth": 1}}, "unknown keys: warmth"),
    ({"strategy": "balanced", "weights": [1, 2]}, "weights must be an object"),
    ({"strategy": "comfort", "when": "now"}, "unknown keys: when"),
    (["comfort"], "the body must be a JSON object"),
])
async def test_bad_input_is_refused_and_changes_nothing(tmp_path: Path, body: Any,
                                                        message: str) -> None:
    clock = ManualClock(START)
    manager = energy_manager(clock)
    manager.step()
    config = parse_config(_VEN.format(building=HOME), base=tmp_path)
    store = await Store.open(config.database)
    telemetry = await TelemetryStore.open(config.database)
    token = ensure_token(config.api_token_file)
    ctx = ApiContext(config=config, store=store, telemetry=telemetry, clock=clock,
                     brain=manager.brain, energy=manager)
    try:
        async with TestClient(TestServer(api_app(ctx, token=token))) as client:
            answer = await client.put("/api/v1/energy/strategy", json=body,
                                      headers={"Authorization": f"Bearer {token}"})
            assert answer.status == 400
            assert message in (await answer.json())["error"]
        assert manager.config.strategy.name == "economic" and not manager.due()
        assert await store.energy_strategy() is None
    finally:
        await telemetry.close()
        await store.close()


async def test_without_the_energy_manager_the_answer_says_why(tmp_path: Path) -> None:
    clock = ManualClock(START)
    manager = energy_manager(clock)
    config = parse_config(_VEN.format(building=HOME), base=tmp_path)
    store = await Store.open(config.database)
    telemetry = await TelemetryStore.open(config.database)
    token = ensure_token(config.api_token_file)
    try:
        for brain, status, text in ((manager.brain, 409, "energy manager is off"),
                                    (None, 404, "no building")):
            ctx = ApiContext(config=config, store=store, telemetry=telemetry, clock=clock,
                             brain=brain)
            async with TestClient(TestServer(api_app(ctx, token=token))) as client:
                answer = await client.put("/api/v1/energy/strategy",
                                          json={"strategy": "comfort"},
                                          headers={"Authorization": f"Bearer {token}"})
                assert answer.status == status
                assert text in (await answer.json())["error"]
        assert await store.energy_strategy() is None
    finally:
        await telemetry.close()
        await store.close()


async def test_a_restarted_manager_takes_the_saved_strategy(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = await Store.open(tmp_path / "ven.sqlite")
    try:
        await store.save_energy_strategy({"strategy": "environmental", "weights": {}})
        restarted = energy_manager(ManualClock(START))
        with caplog.at_level(logging.INFO, logger="ven.energy"):
            restarted.restore_strategy(await store.energy_strategy())
        assert restarted.config.strategy.name == "environmental"
        assert restarted.strategy_json()["source"] == "run time"
        assert "environmental strategy chosen at run time (state file) wins over the " \
               "building file's economic" in caplog.text
        restarted.step()
        assert restarted.summary()["strategy"] == "environmental"  # type: ignore[index]
        await store.save_energy_strategy({"strategy": "comfort", "weights": {"cost": 3}})
        unusable = energy_manager(ManualClock(START))
        with caplog.at_level(logging.WARNING, logger="ven.energy"):
            unusable.restore_strategy(await store.energy_strategy())
        assert unusable.config.strategy.name == "economic"
        assert "unusable (only the balanced strategy" in caplog.text
    finally:
        await store.close()


def test_status_shows_the_strategy_chosen_at_run_time(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ven.toml"
    path.write_text(_VEN.format(building=HOME))

    async def choose(choice: dict[str, Any] | None) -> None:
        store = await Store.open(tmp_path / "ven.sqlite")
        try:
            await store.save_energy_strategy(choice)
        finally:
            await store.close()

    asyncio.run(choose(None))  # a state file, no choice
    assert main(["status", "--config", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["energy_strategy"] is None
    asyncio.run(choose({"strategy": "comfort", "weights": {}}))
    assert main(["status", "--config", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["energy_strategy"]["strategy"] == "comfort"
    assert main(["status", "--config", str(path)]) == 0
    assert "Energy strategy chosen at run time: comfort" in capsys.readouterr().out


async def _oadr_ven(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`oadr-ven ARGS` (its ``main``) in a worker thread, so this loop goes on serving the API
    it calls: the exit status, what it printed."""
    code = await asyncio.to_thread(main, list(args))
    out, err = capsys.readouterr()
    return code, out, err


async def test_the_cli_sets_the_strategy_through_the_api(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with energy_api(tmp_path) as running:
        code, out, err = await _oadr_ven(capsys, "energy", "strategy", "balanced", "--weight",
                                         "comfort=2", "--config", str(running.config))
        assert code == 0, err
        assert out.startswith("Energy strategy: balanced (cost 1, comfort 2, carbon 0.1")
        assert running.manager.config.strategy.comfort == 2.0
        assert (await running.store.energy_strategy())["strategy"] == "balanced"  # type: ignore[index]
        code, out, err = await _oadr_ven(capsys, "energy", "strategy", "comfort", "--weight",
                                         "carbon=1", "--config", str(running.config))
        assert code != 0 and out == ""
        assert "answered 400" in err and "only the balanced strategy" in err
        assert running.manager.config.strategy.name == "balanced"
    code, out, err = await _oadr_ven(capsys, "energy", "strategy", "comfort", "--config",
                                     str(running.config))  # the VEN is gone
    assert code != 0 and "does not answer" in err


def test_a_change_during_the_solve_replans_at_once_with_the_new_strategy() -> None:
    manager = energy_manager(ManualClock(START))
    inputs = manager.prepare(START)
    manager.set_strategy("comfort")  # the API, while the worker thread solves
    result = manager.solve(inputs)
    assert manager.finish(inputs, result) is not None
    assert manager.summary()["strategy"] == "economic"  # type: ignore[index]
    assert manager.due()
    manager.step()
    assert manager.summary()["strategy"] == "comfort" and not manager.due()  # type: ignore[index]
