"""Operations on the admin listener: /metrics counting real requests, /health, /ready going 503
without a database, the audit log of operator actions, and JSON log lines."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from common.clock import ManualClock
from common.logformat import JsonFormatter
from common.messages.poll import Poll
from common.xml import encode
from tests.support.admin_api import Admin, simple_event
from tests.support.vtn_harness import START, Harness, fingerprint_of, header_config
from vtn.admin.routes import admin_routes
from vtn.app import METRICS_KEY, VTN_KEY, create_app
from vtn.cli import main
from vtn.config import VtnConfig
from vtn.storage import StorageError, open_store


@dataclasses.dataclass
class Served:
    harness: Harness
    config: VtnConfig
    token: str

    @property
    def client(self) -> TestClient:
        return self.harness.client

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def serve(tmp_path: Path, **admin: object) -> tuple[Served, TestClient]:
    config = header_config(tmp_path)
    config = dataclasses.replace(config, admin=dataclasses.replace(config.admin, **admin))
    clock = ManualClock(START)
    store = await open_store(config.database_url, clock=clock)
    app = create_app(config, store, clock=clock, extra_routes=admin_routes(config))
    client = TestClient(TestServer(app))
    await client.start_server()
    harness = Harness(client=client, store=store, clock=clock, vtn=app[VTN_KEY])
    token = config.admin.token_file.read_text().strip()
    return Served(harness, config, token), client


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    built, client = await serve(tmp_path)
    try:
        yield built
    finally:
        await client.close()
        await built.harness.store.close()


async def scrape(served: Served) -> dict[str, dict[tuple, float]]:
    """Every sample of /metrics, by sample name and sorted label pairs."""
    response = await served.client.get("/metrics", headers=served.auth())
    assert response.status == 200, await response.text()
    assert response.content_type == "text/plain"
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = (
                sample.value)
    return samples


# ---- /metrics ---------------------------------------------------------------------------------


async def test_metrics_count_polls_bad_requests_and_vens(served: Served):
    h = served.harness
    ven_id = (await h.register(fingerprint_of(1), name="ven 1")).ven_id
    for _ in range(3):
        await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=fingerprint_of(1))
    status, _ = await h.post_bytes("OadrPoll", b"not xml", fingerprint=fingerprint_of(1))
    assert status == 400
    # a valid 2.0b message on the wrong endpoint: HTTP 200 with eiResponse 454 or 453
    status, _ = await h.post_bytes("EiEvent", encode(Poll(ven_id=ven_id)),
                                   fingerprint=fingerprint_of(1))
    assert status == 200

    samples = await scrape(served)
    requests = samples["oadr_vtn_requests_total"]
    polls = {labels: v for labels, v in requests.items() if ("service", "OadrPoll") in labels}
    ok = (("ei_code", "200"), ("http_status", "200"), ("service", "OadrPoll"))
    assert polls[ok] >= 3  # registration's queued messages may add polls; these three at least
    assert polls[(("ei_code", "none"), ("http_status", "400"), ("service", "OadrPoll"))] == 1
    wrong = [(labels, v) for labels, v in requests.items() if ("service", "EiEvent") in labels]
    assert len(wrong) == 1 and wrong[0][1] == 1
    assert dict(wrong[0][0])["ei_code"] in ("453", "454")
    assert requests[(("ei_code", "200"), ("http_status", "200"),
                     ("service", "EiRegisterParty"))] == 1
    counts = samples["oadr_vtn_request_duration_seconds_count"]
    assert counts[(("service", "OadrPoll"),)] == sum(polls.values())
    assert samples["oadr_vtn_database_up"][()] == 1
    vens = samples["oadr_vtn_vens"]
    assert vens[(("mode", "pull"), ("online", "true"), ("registration", "registered"))] == 1
    assert set(samples["oadr_vtn_outbox_pending"]) == {(("mode", "pull"),), (("mode", "push"),)}


async def test_metrics_need_the_token_unless_public(served: Served, tmp_path: Path):
    assert (await served.client.get("/metrics")).status == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await served.client.get("/metrics", headers=wrong)).status == 401
    (tmp_path / "public").mkdir()
    public, client = await serve(tmp_path / "public", metrics_public=True)
    try:
        response = await client.get("/metrics")
        assert response.status == 200
        assert "oadr_vtn_database_up 1.0" in await response.text()
    finally:
        await client.close()
        await public.harness.store.close()


async def test_push_outcomes_are_counted(served: Served):
    counted = served.client.server.app[METRICS_KEY]
    counted.push("retry")
    counted.push("retry")
    counted.push("given_up")
    samples = await scrape(served)
    pushes = samples["oadr_vtn_push_deliveries_total"]
    assert pushes[(("outcome", "retry"),)] == 2
    assert pushes[(("outcome", "given_up"),)] == 1


# ---- /health and /ready -----------------------------------------------------------------------


async def test_health_and_ready_need_no_token(served: Served):
    health = await served.client.get("/health")
    assert health.status == 200 and await health.json() == {"status": "ok"}
    ready = await served.client.get("/ready")
    assert ready.status == 200, await ready.text()
    assert await ready.json() == {"status": "ready"}


async def test_ready_is_503_when_the_database_fails(served: Served, monkeypatch):
    async def broken() -> None:
        raise StorageError("reading from the database failed")

    monkeypatch.setattr(served.harness.store.status, "ping", broken)
    ready = await served.client.get("/ready")
    assert ready.status == 503
    body = await ready.json()
    assert body["status"] == "unavailable"
    assert any(r.startswith("database unreachable") for r in body["reasons"])
    assert (await served.client.get("/health")).status == 200  # alive all the same


async def test_ready_is_503_when_the_database_is_gone(tmp_path: Path):
    config = header_config(tmp_path)
    gone = f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'vtn.sqlite'}"
    clock = ManualClock(START)
    store = await open_store(gone, clock=clock, migrate=False)  # connects only when used
    app = create_app(config, store, clock=clock, extra_routes=admin_routes(config))
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        ready = await client.get("/ready")
        assert ready.status == 503
        reasons = (await ready.json())["reasons"]
        assert len(reasons) == 1 and reasons[0].startswith("database unreachable"), reasons
        token = config.admin.token_file.read_text().strip()
        metrics = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert metrics.status == 200  # still served, saying the database is down
        assert "oadr_vtn_database_up 0.0" in await metrics.text()
    finally:
        await client.close()
        await store.close()


# ---- the audit log ----------------------------------------------------------------------------


async def test_create_modify_cancel_and_ven_cancel_are_audited(admin: Admin):
    operator = {**admin.headers(), "X-Oadr-Operator": "alice@ops-1"}
    response = await admin.client.post("/admin/api/v1/events", json=simple_event(),
                                       headers=operator)
    assert response.status == 201
    event_id = (await response.json())["event_id"]
    await admin.call("PATCH", f"/events/{event_id}", json={"level": 3, "reason": "hotter"})
    await admin.call("POST", f"/events/{event_id}/cancel", json={"reason": "cooler"})
    await admin.call("POST", "/vens/ven-2/cancel")
    await admin.call("PATCH", "/events/nope", json={"level": 1}, status=404)  # not recorded

    entries = (await admin.call("GET", "/audit"))["entries"]
    assert [(e["action"], e["object_id"]) for e in entries] == [
        ("event.create", event_id), ("event.modify", event_id), ("event.cancel", event_id),
        ("ven.cancel", "ven-2")]
    created, modified, cancelled, ven = entries
    assert created["operator"] == "alice@ops-1" and modified["operator"] is None
    assert all(e["actor"] == "admin-token" and e["client"] for e in entries)
    assert "created (modification 0): SIMPLE" in created["summary"]
    assert "VENs ven-1" in created["summary"]
    assert "changed level" in modified["summary"] and "reason: hotter" in modified["summary"]
    assert "cancelled" in cancelled["summary"] and "reason: cooler" in cancelled["summary"]
    assert "oadrCancelPartyRegistration" in ven["summary"]
    assert created["status"] == 201 and created["method"] == "POST"
    assert datetime.fromisoformat(created["at"]) == admin.clock.now()

    events_only = (await admin.call("GET", "/audit", params={"action": "event."}))["entries"]
    assert len(events_only) == 3
    newest = (await admin.call("GET", "/audit", params={"limit": "1"}))["entries"]
    assert [e["action"] for e in newest] == ["ven.cancel"]
    later = (await admin.call("GET", "/audit", params={
        "since": "2030-01-01T00:00:00Z"}))["entries"]
    assert later == []
    await admin.call("GET", "/audit", params={"since": "yesterday"}, status=400)


async def test_the_audit_log_needs_the_token(admin: Admin):
    response = await admin.client.get("/admin/api/v1/audit")
    assert response.status == 401


def test_audit_list_explains_itself_with_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "list", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "oadr-vtn audit list" in out and "examples:" in out and "--since" in out


# ---- JSON log lines ---------------------------------------------------------------------------


def test_json_log_lines_parse(capsys):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter({"worker": 2}))
    logger = logging.getLogger("oadr.test.jsonlog")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("Pushed %s to %s", "oadrDistributeEvent", "ven-1",
                       extra={"ven_id": "ven-1", "attempt": 2})
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("Failed")
    finally:
        logger.removeHandler(handler)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "WARNING" and first["logger"] == "oadr.test.jsonlog"
    assert first["message"] == "Pushed oadrDistributeEvent to ven-1"
    assert first["ven_id"] == "ven-1" and first["attempt"] == 2 and first["worker"] == 2
    assert datetime.fromisoformat(first["time"]).utcoffset() is not None
    assert "ValueError: boom" in second["exception"]


def test_log_format_comes_from_the_file_or_the_command_line(tmp_path: Path, monkeypatch):
    from vtn.config import load_config

    path = tmp_path / "vtn.toml"
    path.write_text('plain_http = true\nlog_format = "json"\n')
    assert load_config(path).log_format == "json"
    path.write_text('plain_http = true\nlog_format = "xml"\n')
    with pytest.raises(Exception, match="log_format"):
        load_config(path)
    seen = {}
    monkeypatch.setattr("vtn.server.run",
                        lambda config, log_level: seen.setdefault("format", config.log_format))
    path.write_text("plain_http = true\n")
    main(["serve", "--config", str(path), "--log-format", "json"])
    assert seen == {"format": "json"}
