"""The building's own API (``ven.api``) against a real state file, in-process; telemetry
storage, retention and CSV export."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from openapi_spec_validator import validate

from common.clock import ManualClock
from common.errors import ConfigError
from tests.support.ven_state import BUILDING, seed, write_config
from ven.api.auth import ensure_token
from ven.api.context import ApiContext
from ven.api.openapi import OPENAPI
from ven.api.server import ApiServer, api_app
from ven.brain import BuildingBrain
from ven.cli import main
from ven.client.config import load_config, parse_config
from ven.client.store import Store
from ven.client.telemetry import BUILDING_METER, Delivery, Sample, TelemetryStore
from ven.devices.model import CurtailableLoad, OnOffLoad
from ven.telemetry import TelemetryRecorder

START = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)
_CONFIG = """
[vtn]
url = "http://127.0.0.1:9/OpenADR2/Simple/2.0b"
allow_plain_http = true
[ven]
name = "api-ven"
database = "ven.sqlite"
[events]
auto_answer = false
[api]
port = 8090
[programme]
compensation_per_kwh = 0.75
currency = "EUR"
[telemetry]
retention_days = 2
"""


@dataclass
class Api:
    client: TestClient
    token: str
    ctx: ApiContext
    clock: ManualClock

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, **params: str) -> Any:
        response = await self.client.get(f"/api/v1{path}", headers=self.auth(), params=params)
        assert response.status == 200, await response.text()
        return await response.json()


@pytest.fixture(scope="module")
def brain() -> BuildingBrain:
    return BuildingBrain.simulated(BUILDING, ManualClock(START), history_days=1)


@pytest.fixture
async def api(tmp_path: Path, brain: BuildingBrain) -> AsyncIterator[Api]:
    config = parse_config(_CONFIG, base=tmp_path)
    database = config.database
    await seed(database)
    store = await Store.open(database)
    telemetry = await TelemetryStore.open(database)
    clock = ManualClock(datetime.now(UTC))
    ctx = ApiContext(config=config, store=store, telemetry=telemetry, clock=clock, brain=brain)
    token = ensure_token(config.api_token_file)
    async with TestClient(TestServer(api_app(ctx, token=token))) as client:
        yield Api(client, token, ctx, clock)
    await telemetry.close()
    await store.close()


async def test_every_route_but_the_document_needs_the_token(api: Api) -> None:
    for path in ("/invitations", "/flexibility", "/capacity", "/benefits", "/telemetry", "/plan",
                 "/settings/auto-answer", "/devices", "/telemetry.csv"):
        response = await api.client.get(f"/api/v1{path}")
        assert response.status == 401, path
        wrong = await api.client.get(f"/api/v1{path}",
                                     headers={"Authorization": "Bearer nope"})
        assert wrong.status == 401, path
    response = await api.client.get("/api/v1/openapi.json")
    assert response.status == 200
    mode = stat.S_IMODE(os.stat(api.ctx.config.api_token_file).st_mode)
    assert mode == 0o600
    assert api.ctx.config.api_token_file.parent == api.ctx.config.database.parent


async def test_the_openapi_document_is_valid_and_lists_every_route(api: Api) -> None:
    document = await (await api.client.get("/api/v1/openapi.json")).json()
    validate(document)
    assert document == OPENAPI
    from ven.api.server import ROUTES

    for route in ROUTES:
        assert route.method.lower() in document["paths"][route.path], route


def test_a_non_loopback_host_is_refused_unless_allowed(tmp_path: Path) -> None:
    remote = _CONFIG.replace("port = 8090", 'port = 8090\nhost = "0.0.0.0"')
    with pytest.raises(ConfigError, match=r"api\.host"):
        parse_config(remote, base=tmp_path)
    allowed = parse_config(remote.replace("[api]", "[api]\nallow_remote = true"), base=tmp_path)
    assert allowed.api.allow_remote and allowed.api.host == "0.0.0.0"
    config = parse_config(_CONFIG, base=tmp_path)
    sneaky = type(config.api)(host="192.0.2.1", port=8090)
    with pytest.raises(ConfigError, match="loopback"):
        ApiServer(ApiContext(config=_with_api(config, sneaky),
                             store=None, telemetry=None,  # type: ignore[arg-type]
                             clock=ManualClock(START)))


def _with_api(config: Any, api: Any) -> Any:
    import dataclasses

    return dataclasses.replace(config, api=api)


def test_a_token_file_others_may_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "api-token"
    token = ensure_token(path)
    assert ensure_token(path) == token
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        ensure_token(path)


async def test_invitations_are_listed_and_answered_per_device_and_building(api: Api) -> None:
    pending = await api.get("/invitations")
    assert [i["event_id"] for i in pending] == ["event-0"]
    assert api.ctx.brain is not None
    device = api.ctx.brain.building.devices[0].id
    url = "/api/v1/invitations/event-0/answer"
    response = await api.client.post(url, json={"opt": "out", "device_id": device},
                                     headers=api.auth())
    assert response.status == 201, await response.text()
    answers = {a.device_id: a.opt for a in await api.ctx.store.answers("event-0")}
    assert answers == {"": "optIn", device: "optOut"}  # as `oadr-ven answer --device` does
    unknown = await api.client.post(url, json={"opt": "out", "device_id": "nope"},
                                    headers=api.auth())
    assert unknown.status == 404
    bad = await api.client.post(url, json={"opt": "maybe"}, headers=api.auth())
    assert bad.status == 400
    missing = await api.client.post("/api/v1/invitations/none/answer", json={"opt": "in"},
                                    headers=api.auth())
    assert missing.status == 404
    whole = await api.client.post(url, json={"opt": "out"}, headers=api.auth())
    assert whole.status == 201
    assert await api.get("/invitations") == []
    everything = await api.get("/invitations", all="true")
    assert everything[0]["opt"] == "optOut"


async def test_auto_answer_is_read_and_set_in_the_state_file(api: Api) -> None:
    assert await api.get("/settings/auto-answer") == {
        "auto_answer": False, "source": "config", "default_opt": "optIn"}
    response = await api.client.put("/api/v1/settings/auto-answer",
                                    json={"auto_answer": True}, headers=api.auth())
    assert response.status == 200
    assert (await response.json())["source"] == "api"
    assert await api.ctx.store.auto_answer() is True
    bad = await api.client.put("/api/v1/settings/auto-answer", json={"auto_answer": "yes"},
                               headers=api.auth())
    assert bad.status == 400


async def test_flexibility_follows_the_forecast_and_the_hourly_rules(api: Api) -> None:
    data = await api.get("/flexibility")
    hours = data["hours"]
    assert len(hours) == 24
    first = datetime.fromisoformat(hours[0]["start"])
    assert first == api.clock.now().replace(minute=0, second=0, microsecond=0)
    assert data["current"] == hours[0]
    assert api.ctx.brain is not None
    building = api.ctx.brain.building
    zone = ZoneInfo(building.timezone)
    checked = 0
    for hour in hours:
        local = datetime.fromisoformat(hour["start"]).astimezone(zone).hour
        for row in hour["devices"]:
            device = building.device(row["device_id"])
            rule = device.rule_at(local).value
            assert row["rule"] == rule
            base = max(row["forecast_kw"], 0.0)
            if rule == "off":
                assert row["sheddable_kw"] == 0.0
            elif isinstance(device, OnOffLoad):
                assert row["sheddable_kw"] == pytest.approx(base if rule == "participation"
                                                            else 0.0, abs=1e-3)
                checked += 1
            elif isinstance(device, CurtailableLoad):
                share = min(device.max_reduction, 1.0 if rule == "participation" else 0.2)
                assert row["sheddable_kw"] == pytest.approx(share * base, abs=1e-3)
                checked += 1
        assert hour["sheddable_kw"] == pytest.approx(
            sum(r["sheddable_kw"] for r in hour["devices"]), abs=1e-3)
    assert checked > 0


async def test_flexibility_is_zero_on_essential_circuits(api: Api, tmp_path: Path) -> None:
    text = BUILDING.read_text().replace('circuit = "plug-loads"', 'circuit = "life-safety-it"')
    assert 'circuit = "life-safety-it"' in text
    path = tmp_path / "essential.toml"
    path.write_text(text)
    brain = BuildingBrain.simulated(path, ManualClock(START), history_days=1)
    ctx = ApiContext(config=api.ctx.config, store=api.ctx.store, telemetry=api.ctx.telemetry,
                     clock=api.clock, brain=brain)
    building = brain.building
    essential = {d.id for d in building.devices if building.is_essential(d)}
    assert essential
    async with TestClient(TestServer(api_app(ctx, token=api.token))) as client:
        response = await client.get("/api/v1/flexibility", headers=api.auth())
        assert response.status == 200
        rows = [r for h in (await response.json())["hours"] for r in h["devices"]]
        capacity = await (await client.get("/api/v1/capacity", headers=api.auth(),
                                           params={"essential": "true"})).json()
    assert {r["device_id"] for r in rows} >= essential
    assert all(r["sheddable_kw"] == 0.0 for r in rows if r["device_id"] in essential)
    same = [r for r in rows if r["device_id"] in essential and r["rule"] != "off"
            and r["forecast_kw"] > 0]
    assert same, "the device would be sheddable on a non-essential circuit"
    assert any(r["sheddable_kw"] > 0.0 for r in rows if r["device_id"] not in essential)
    life = next(c for c in capacity["circuits"] if c["circuit_id"] == "life-safety-it")
    assert life["essential"] and life["sheddable_kw"] == 0.0
    assert {d["device_id"] for d in life["devices"]} == essential


async def test_capacity_lists_the_circuits_by_priority(api: Api) -> None:
    assert api.ctx.brain is not None
    building = api.ctx.brain.building
    device = next(d for d in building.devices if d.circuit == "lighting")
    now = api.clock.now()
    await api.ctx.telemetry.add([Sample(time=now - timedelta(minutes=1), device_id=device.id,
                                        quantity="power", value=12.5, unit="kW")])
    data = await api.get("/capacity")
    circuits = data["circuits"]
    ids = [c["circuit_id"] for c in circuits]
    essential = {c.id for c in building.circuits if c.essential}
    assert essential and not essential & set(ids)
    by_id = {c.id: c for c in building.circuits}
    priorities = [by_id[i].priority for i in ids if i is not None]
    assert priorities == sorted(priorities)
    assert set(ids) - {None} == {c.id for c in building.circuits} - essential
    lighting = circuits[ids.index("lighting")]
    row = next(d for d in lighting["devices"] if d["device_id"] == device.id)
    assert row["current_kw"] == 12.5
    for circuit in circuits:
        assert circuit["current_kw"] == pytest.approx(
            sum(d["current_kw"] for d in circuit["devices"]), abs=2e-3)
        assert circuit["sheddable_kw"] == pytest.approx(
            sum(d["sheddable_kw"] for d in circuit["devices"]), abs=2e-3)
    assert data["sheddable_kw"] == pytest.approx(sum(c["sheddable_kw"] for c in circuits),
                                                 abs=5e-3)
    everything = await api.get("/capacity", essential="true")
    listed = {c["circuit_id"]: c for c in everything["circuits"]}
    assert essential <= set(listed)
    assert all(listed[i]["sheddable_kw"] == 0.0 for i in essential)
    assert [c["circuit_id"] for c in everything["circuits"]][-len(essential):] == sorted(
        essential, key=lambda i: (by_id[i].priority, i))
    bad = await api.client.get("/api/v1/capacity", headers=api.auth(),
                               params={"essential": "maybe"})
    assert bad.status == 400


async def test_benefits_are_delivered_energy_times_the_compensation(api: Api) -> None:
    july, august = datetime(2026, 7, 20, 18, tzinfo=UTC), datetime(2026, 8, 3, 18, tzinfo=UTC)
    rows = [("e1", "ahu", july, 3.5), ("e1", "lights", july, 1.25), ("e2", "ahu", august, 2.0),
            ("e3", "ahu", august + timedelta(days=1), 0.5)]
    await api.ctx.telemetry.add_deliveries(
        Delivery(event_id=e, modification_number=0, device_id=d, start=t,
                 end=t + timedelta(hours=2), delivered_kwh=k) for e, d, t, k in rows)
    data = await api.get("/benefits")
    assert data["currency"] == "EUR" and data["compensation_per_kwh"] == 0.75
    got = {(r["month"], r["device_id"]): (r["delivered_kwh"], r["benefit"], r["events"])
           for r in data["rows"]}
    assert got == {("2026-07", "ahu"): (3.5, 3.5 * 0.75, 1),
                   ("2026-07", "lights"): (1.25, 1.25 * 0.75, 1),
                   ("2026-08", "ahu"): (2.5, 2.5 * 0.75, 2)}
    assert data["total_benefit"] == pytest.approx(7.25 * 0.75)
    august_only = await api.get("/benefits", month="2026-08")
    assert august_only["total_delivered_kwh"] == 2.5


async def test_the_building_files_programme_applies_unless_ven_toml_sets_it(
        api: Api, tmp_path: Path) -> None:
    text = BUILDING.read_text()
    assert "[programme]" not in text
    path = tmp_path / "paid.toml"
    path.write_text(text.replace("[climate]", '[programme]\ncompensation_per_kwh = 0.4\n'
                                              'currency = "CHF"\n\n[climate]', 1))
    brain = BuildingBrain.simulated(path, ManualClock(START), history_days=1)
    t = datetime(2026, 7, 20, 18, tzinfo=UTC)
    await api.ctx.telemetry.add_deliveries([Delivery(
        event_id="e1", modification_number=0, device_id="ahu", start=t,
        end=t + timedelta(hours=2), delivered_kwh=10.0)])
    unset = parse_config(_CONFIG.replace("compensation_per_kwh = 0.75\n", "")
                         .replace('currency = "EUR"\n', ""), base=tmp_path)
    partly = parse_config(_CONFIG.replace('currency = "EUR"\n', ""), base=tmp_path)
    expected = {unset: (0.4, "CHF", 4.0), partly: (0.75, "CHF", 7.5),
                api.ctx.config: (0.75, "EUR", 7.5)}
    for config, (rate, currency, total) in expected.items():
        ctx = ApiContext(config=config, store=api.ctx.store, telemetry=api.ctx.telemetry,
                         clock=api.clock, brain=brain)
        async with TestClient(TestServer(api_app(ctx, token=api.token))) as client:
            data = await (await client.get("/api/v1/benefits", headers=api.auth())).json()
        assert (data["compensation_per_kwh"], data["currency"]) == (rate, currency)
        assert data["total_benefit"] == pytest.approx(total)


async def test_telemetry_history_is_filtered_by_device_and_time(api: Api) -> None:
    t0 = datetime(2026, 7, 15, 12, tzinfo=UTC)
    await api.ctx.telemetry.add(
        Sample(time=t0 + timedelta(minutes=m), device_id=d, quantity="power", value=m + 0.5,
               unit="kW") for m in range(10) for d in ("ahu", BUILDING_METER))
    rows = await api.get("/telemetry", device="ahu", **{
        "from": (t0 + timedelta(minutes=2)).isoformat(),
        "to": (t0 + timedelta(minutes=5)).isoformat()})
    assert [(r["device_id"], r["value"]) for r in rows] == [
        ("ahu", 2.5), ("ahu", 3.5), ("ahu", 4.5)]
    text = await (await api.client.get("/api/v1/telemetry.csv", headers=api.auth(),
                                       params={"device": BUILDING_METER})).text()
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert len(parsed) == 10 and parsed[0]["unit"] == "kW"
    assert datetime.fromisoformat(parsed[3]["time"]) == t0 + timedelta(minutes=3)
    assert float(parsed[3]["value"]) == 3.5
    naive = await api.client.get("/api/v1/telemetry", headers=api.auth(),
                                 params={"from": "2026-07-15T12:00"})
    assert naive.status == 400
    devices = await api.get("/devices")
    assert devices["with_telemetry"] == ["ahu", BUILDING_METER]


async def test_no_plan_without_an_event(api: Api) -> None:
    assert await api.get("/plan") == {"plan": None}


async def test_the_recorder_stores_measurements_and_purges_old_samples(tmp_path: Path) -> None:
    clock = ManualClock(START)
    brain = BuildingBrain.simulated(BUILDING, clock, history_days=1)
    telemetry = await TelemetryStore.open(tmp_path / "ven.sqlite")
    settings = parse_config(_CONFIG, base=tmp_path).telemetry  # retention 2 days
    recorder = TelemetryRecorder(brain, telemetry, clock, settings)
    try:
        old = START - timedelta(days=3)
        await telemetry.add([Sample(time=old, device_id="ahu", quantity="power", value=1.0,
                                    unit="kW")])
        for _ in range(3):
            clock.advance(timedelta(minutes=1))
            recorder.tick(clock.now())
        assert await recorder.flush() > 0
        samples = await telemetry.samples()
        assert old not in {s.time for s in samples}  # purged: older than 2 days
        devices = {s.device_id for s in samples}
        assert BUILDING_METER in devices
        assert {d.id for d in brain.building.devices} <= devices
        metered = await telemetry.samples(device_id=BUILDING_METER, quantity="power")
        live = brain.meter.live_kw()
        assert [s.value for s in metered] == [round(float(v), 4) for v in live.to_numpy()]
        # a sample that ages past the retention goes at the next purge, not before
        first = samples[0].time
        clock.advance(timedelta(days=2, minutes=-5))  # cutoff 2 min before it
        await recorder.flush()
        assert await telemetry.samples(end=first + timedelta(seconds=1))
        clock.advance(timedelta(hours=1, minutes=5))
        await recorder.flush()
        assert not await telemetry.samples(end=first + timedelta(seconds=1))
    finally:
        await telemetry.close()


async def _store_samples(database: Path) -> None:
    telemetry = await TelemetryStore.open(database)
    t0 = datetime(2026, 7, 15, 12, tzinfo=UTC)
    await telemetry.add(Sample(time=t0 + timedelta(minutes=m), device_id=d, quantity="power",
                               value=float(m), unit="kW") for m in range(5) for d in ("a", "b"))
    await telemetry.close()


def test_the_export_command_writes_csv(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    config_file = write_config(tmp_path)
    asyncio.run(_store_samples(load_config(config_file).database))
    out = tmp_path / "a.csv"
    code = main(["telemetry", "export", "--config", str(config_file), "--device", "a",
                 "--from", "2026-07-15T12:01", "--to", "2026-07-15T12:04Z", "--out", str(out)])
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["device_id"], float(r["value"])) for r in rows] == [
        ("a", 1.0), ("a", 2.0), ("a", 3.0)]
    assert main(["telemetry", "export", "--config", str(config_file)]) == 0
    assert len(list(csv.DictReader(io.StringIO(capsys.readouterr().out)))) == 10


def test_oadr_ven_run_serves_the_api_before_the_vtn_answers(tmp_path: Path) -> None:
    """`oadr-ven run` with [api] and an unreachable VTN serves the OpenAPI document, and
    `oadr-ven status` shows the API's URL."""
    import json
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.support.network import free_port
    from tests.support.processes import LISTEN_WAIT, ROOT

    port = free_port()
    config = tmp_path / "ven.toml"
    config.write_text(_CONFIG.replace("port = 8090", f"port = {port}"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = tmp_path / "ven.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "ven", "run", "--config", str(config)],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + LISTEN_WAIT
        url = f"http://127.0.0.1:{port}/api/v1"
        while True:
            assert process.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"{url}/openapi.json", timeout=5) as response:
                    document = json.load(response)
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)  # the VEN is starting
        validate(document)
        token = (tmp_path / "api-token").read_text().strip()
        request = urllib.request.Request(f"{url}/settings/auto-answer",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response)["auto_answer"] is False
        status = subprocess.run([sys.executable, "-m", "ven", "status", "--config", str(config),
                                 "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=60, check=True)
        assert json.loads(status.stdout)["api"]["url"] == url
    finally:
        process.terminate()
        process.wait(timeout=30)
