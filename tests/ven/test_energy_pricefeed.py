"""The energy manager's price feed (``ven.energy.pricefeed``) against a real local HTTP server:
JSON and CSV documents, the feed merged into the tariff where it covers the plan (event
prices win), failures that keep the last good prices with one WARNING, the feed's state in
status and the building API, fetches on the injected clock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from common.clock import ManualClock
from ven.api.auth import ensure_token
from ven.api.context import ApiContext
from ven.api.server import api_app
from ven.brain import BuildingBrain
from ven.brain.dryrun import make_signal
from ven.brain.energyloop import EnergyManager, plan_lines
from ven.client.config import parse_config
from ven.client.store import Store
from ven.client.telemetry import TelemetryStore
from ven.energy.config import EnergyConfigError, energy_config_from_file, parse_energy_table
from ven.energy.pricefeed import PriceFeedError, parse_prices
from ven.instructions import EventSignal, SignalInterval

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "examples" / "buildings" / "home.toml"
START = datetime(2026, 7, 15, 17, 0, tzinfo=UTC)  # 10:00 in Sacramento
STEP = timedelta(minutes=15)
_VEN = """
[vtn]
url = "http://127.0.0.1:9/OpenADR2/Simple/2.0b"
allow_plain_http = true
[ven]
name = "feed-ven"
database = "ven.sqlite"
building = "{building}"
"""


def _rows(first: datetime, hours: int, price: float) -> list[dict[str, object]]:
    return [{"start": (first + timedelta(hours=h)).isoformat().replace("+00:00", "Z"),
             "price": price + 0.01 * h} for h in range(hours)]


@dataclass
class Feed:
    """A price server on a loopback port: what each path answers, and the requests seen."""

    url: str = ""
    answers: dict[str, web.Response | None] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    hang: asyncio.Event = field(default_factory=asyncio.Event)

    def json(self, path: str, rows: list[dict[str, object]]) -> None:
        self.answers[path] = web.json_response(rows)

    def text(self, path: str, body: str, status: int = 200) -> None:
        self.answers[path] = web.Response(text=body, status=status)


@pytest.fixture
async def feed() -> AsyncIterator[Feed]:
    served = Feed()

    async def answer(request: web.Request) -> web.StreamResponse:
        served.hits.append(request.path)
        if request.path == "/hang":
            await served.hang.wait()  # never set: the client's timeout ends it
        response = served.answers.get(request.path)
        if response is None:
            raise web.HTTPNotFound()
        # a response object is sent once: answer with a copy of its body
        return web.Response(body=response.body, status=response.status,
                            content_type=response.content_type)

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    served.url = f"http://127.0.0.1:{port}"
    try:
        yield served
    finally:
        served.hang.set()
        await runner.cleanup()


def _manager(feed_table: dict[str, object], clock: ManualClock | None = None
             ) -> tuple[EnergyManager, ManualClock]:
    clock = clock or ManualClock(START)
    brain = BuildingBrain.simulated(HOME, clock, history_days=1)
    config = parse_energy_table({"strategy": "economic", "horizon_h": 6, "tariff": {
        "kind": "flat", "price": 0.20}, "price_feed": feed_table},
        timezone=brain.building.timezone)
    return EnergyManager(brain, config, clock), clock


def _index(start: datetime = START, hours: int = 6) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=hours * 4, freq=STEP)


# ---- the document and the configuration (no network) ------------------------------------------


def test_json_and_csv_documents_give_the_same_prices() -> None:
    as_json = parse_prices('{"prices": [{"start": "2026-07-15T17:00:00Z", "price": 0.3},'
                           ' {"start": "2026-07-15T18:00:00+00:00", "price": 0.5}]}')
    as_csv = parse_prices("start,price\n2026-07-15T18:00:00Z,0.5\n2026-07-15T17:00:00,0.3\n")
    for frame in (as_json, as_csv):
        assert list(frame["price"]) == [0.3, 0.5]
        assert frame.index[0] == pd.Timestamp(START)
        # the last price holds for the rows' spacing
        assert pd.Timestamp(frame["end"].iloc[-1]) == pd.Timestamp(START + timedelta(hours=2))
    one = parse_prices('[{"start": "2026-07-15T17:00:00Z", "price": 0.3, '
                       '"end": "2026-07-15T17:30:00Z"}]')
    assert pd.Timestamp(one["end"].iloc[0]) == pd.Timestamp(START + timedelta(minutes=30))


@pytest.mark.parametrize(("text", "problem"), [
    ("", "CSV needs a header"),
    ("[]", "no prices"),
    ('{"price": 1}', "list of {start, price}"),
    ("[1, 2]", "list of {start, price}"),
    ('[{"start": "2026-07-15T17:00:00Z", "price": "cheap"}]', "row 1: price is not a number"),
    ('[{"start": "2026-07-15T17:00:00Z", "price": NaN}]', "finite"),
    ('[{"start": "yesterday", "price": 0.2}]', "row 1: not an ISO 8601 time"),
    ('[{"price": 0.2}]', "row 1: start must be"),
    ("start,cost\n2026-07-15T17:00:00Z,0.2\n", "start and price columns"),
    ("start,price\n2026-07-15T17:00:00Z,0.2\n2026-07-15T17:00:00Z,0.3\n", "listed twice"),
    ('[{"start": "2026-07-15T17:00:00Z", "price": 0.2, "end": "2026-07-15T16:00:00Z"}]',
     "ends before it starts"),
    ("{not json", "not JSON"),
])
def test_a_malformed_document_names_its_problem(text: str, problem: str) -> None:
    with pytest.raises(PriceFeedError, match=problem.replace("{", r"\{").replace("}", r"\}")):
        parse_prices(text)


@pytest.mark.parametrize(("table", "problem"), [
    ({}, "exactly one of url and path"),
    ({"url": "http://a", "path": "b"}, "exactly one of url and path"),
    ({"url": "ftp://prices"}, "http:// or https://"),
    ({"url": "http://a", "refresh_min": 0}, "refresh_min must be a number"),
    ({"url": "http://a", "timeout_s": "10"}, "timeout_s must be a number"),
    ({"url": "http://a", "format": "xml"}, "format must be auto, json or csv"),
    ({"url": "http://a", "every": 5}, "unknown keys: every"),
])
def test_a_bad_feed_table_is_refused_with_its_key(table: dict[str, object], problem: str) -> None:
    with pytest.raises(EnergyConfigError, match=problem):
        parse_energy_table({"price_feed": table})


def test_a_relative_path_is_the_building_files_neighbour(tmp_path: Path) -> None:
    building = tmp_path / "home.toml"
    building.write_text(HOME.read_text() + '\n[energy.price_feed]\npath = "prices.csv"\n'
                        "refresh_min = 30\n")
    config = energy_config_from_file(building)
    assert config is not None and config.price_feed is not None
    assert config.price_feed.path == tmp_path / "prices.csv"
    assert config.price_feed.refresh == timedelta(minutes=30)


# ---- against a real HTTP server -----------------------------------------------------------------


async def test_the_feed_prices_the_intervals_it_covers_and_the_tariff_the_rest(
        feed: Feed) -> None:
    feed.json("/prices.json", _rows(START, 3, 0.40))  # 17:00-20:00 of a 6 h plan
    manager, clock = _manager({"url": f"{feed.url}/prices.json"})
    assert await manager.refresh_feed()
    inputs = manager.prepare(clock.now())
    prices = inputs.tariff.import_prices(_index())
    assert inputs.tariff.kind == "series"
    assert np.allclose(prices[:12], np.repeat([0.40, 0.41, 0.42], 4))
    assert np.allclose(prices[12:], 0.20)  # past the feed: the configured flat tariff
    assert inputs.price_sources == {"events": 0, "feed": 12, "tariff": 12}
    assert manager.step() is not None
    summary = manager.summary()
    assert summary is not None
    state = summary["price_feed"]
    assert state["source"] == f"{feed.url}/prices.json" and state["error"] is None
    assert state["intervals"] == 3 and state["fetched_at"] == START.isoformat()
    assert state["covers_from"] == START.isoformat()
    assert state["covers_to"] == (START + timedelta(hours=3)).isoformat()
    assert summary["prices"] == {"events": 0, "feed": 12, "tariff": 12}
    lines = "\n".join(plan_lines(summary))
    assert "12 from the feed" in lines and f"price feed {feed.url}/prices.json: 3 price(s)" in lines


async def test_a_csv_feed_is_read_by_its_name(feed: Feed) -> None:
    feed.text("/day-ahead.csv", "start,price\n" + "".join(
        f"{(START + timedelta(minutes=15 * i)).isoformat()},{0.1 + i / 100}\n"
        for i in range(24)))
    manager, clock = _manager({"url": f"{feed.url}/day-ahead.csv"})
    assert await manager.refresh_feed()
    prices = manager.prepare(clock.now()).tariff.import_prices(_index())
    assert np.allclose(prices, [0.1 + i / 100 for i in range(24)])


async def test_event_prices_win_over_the_feed(feed: Feed) -> None:
    feed.json("/prices.json", _rows(START, 6, 0.40))
    manager, clock = _manager({"url": f"{feed.url}/prices.json"})
    await manager.refresh_feed()
    begin = START + timedelta(hours=1)
    price = EventSignal(name="ELECTRICITY_PRICE", type="price", intervals=(
        SignalInterval(begin, timedelta(hours=1), 0.90),))
    relative = EventSignal(name="ELECTRICITY_PRICE", type="priceRelative", intervals=(
        SignalInterval(begin + timedelta(hours=2), timedelta(hours=1), 0.05),))
    shed = make_signal("SIMPLE", start=begin, duration=timedelta(hours=3), level=1)
    assert manager.brain.plan("ev-price", 0, [shed, price, relative]) is not None
    inputs = manager.prepare(clock.now())
    prices = inputs.tariff.import_prices(_index())
    assert np.allclose(prices[4:8], 0.90)  # the event's price, not the feed's 0.41
    assert np.allclose(prices[12:16], 0.43 + 0.05)  # relative to the feed's price
    assert np.allclose(prices[:4], 0.40) and np.allclose(prices[8:12], 0.42)
    assert inputs.price_sources == {"events": 8, "feed": 16, "tariff": 0}


async def test_a_failing_feed_warns_once_and_keeps_the_last_good_prices(
        feed: Feed, caplog: pytest.LogCaptureFixture) -> None:
    url = f"{feed.url}/prices.json"
    feed.json("/prices.json", _rows(START, 6, 0.40))
    manager, clock = _manager({"url": url, "refresh_min": 15})
    assert await manager.refresh_feed()
    assert manager.feed is not None
    feed.text("/prices.json", "upstream down", status=503)
    clock.advance(timedelta(minutes=15))
    assert manager.feed.due(clock.now())
    with caplog.at_level(logging.WARNING, logger="ven.energy.pricefeed"):
        assert not await manager.refresh_feed()
        clock.advance(timedelta(minutes=5))  # RETRY: the same problem is not logged again
        assert manager.feed.due(clock.now())
        assert not await manager.refresh_feed()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert url in warnings[0] and "HTTP 503" in warnings[0]
    assert "the last good prices stay in force" in warnings[0]
    inputs = manager.prepare(clock.now())  # 17:20: the prices fetched at 17:00 still apply
    assert inputs.price_sources["feed"] > 0
    index = pd.date_range(inputs.now, periods=20, freq=STEP)  # from 17:20 to the feed's end
    hours = (index - pd.Timestamp(START)) // pd.Timedelta(hours=1)
    assert np.allclose(inputs.tariff.import_prices(index), 0.40 + 0.01 * hours)
    state = manager.feed.state_json()
    assert state["error"] == "HTTP 503 Service Unavailable" and state["failures"] == 2
    assert state["fetched_at"] == START.isoformat()
    assert state["tried_at"] == (START + timedelta(minutes=20)).isoformat()
    assert manager.step() is not None
    summary = manager.summary()
    assert summary is not None
    assert "last try FAILED" in "\n".join(plan_lines(summary))
    feed.json("/prices.json", _rows(START, 6, 0.50))  # it recovers
    with caplog.at_level(logging.INFO, logger="ven.energy.pricefeed"):
        clock.advance(timedelta(minutes=5))
        assert await manager.refresh_feed()
    assert any("works again" in r.getMessage() for r in caplog.records)
    assert manager.feed.error is None


@pytest.mark.parametrize(("path", "body", "problem"), [
    ("/missing.json", None, "HTTP 404"),
    ("/bad.json", '[{"start": "2026-07-15T17:00:00Z", "price": "n/a"}]',
     "row 1: price is not a number"),
    ("/garbage.json", "<html>oops</html>", "not JSON"),
    ("/hang", None, "no answer in time"),
])
async def test_each_failure_is_one_warning_naming_the_url_and_the_tariff_stays(
        feed: Feed, caplog: pytest.LogCaptureFixture, path: str, body: str | None,
        problem: str) -> None:
    if body is not None:
        feed.text(path, body)
    manager, clock = _manager({"url": f"{feed.url}{path}", "timeout_s": 0.3, "format": "json"})
    with caplog.at_level(logging.WARNING, logger="ven.energy.pricefeed"):
        assert not await manager.refresh_feed()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and f"{feed.url}{path}" in warnings[0]
    assert problem in warnings[0] and "the configured tariff stays in force" in warnings[0]
    inputs = manager.prepare(clock.now())
    assert inputs.tariff.kind == "flat" and inputs.price_sources["tariff"] == 24
    assert manager.step() is not None  # the plan goes on without the feed


async def test_a_refused_connection_is_a_warning_too(caplog: pytest.LogCaptureFixture) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()  # nothing listens on the port now
    manager, _ = _manager({"url": f"http://127.0.0.1:{port}/prices.json"})
    with caplog.at_level(logging.WARNING, logger="ven.energy.pricefeed"):
        assert not await manager.refresh_feed()
    assert any(f"127.0.0.1:{port}" in r.getMessage() and "ClientConnectorError"
               in r.getMessage() for r in caplog.records)


async def test_a_file_feed_and_its_disappearance(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text("start,price\n" + "".join(f"{r['start']},{r['price']}\n"
                                                for r in _rows(START, 6, 0.3)))
    manager, clock = _manager({"path": str(prices)})
    assert await manager.refresh_feed()
    prices.unlink()
    clock.advance(timedelta(hours=1))
    with caplog.at_level(logging.WARNING, logger="ven.energy.pricefeed"):
        assert not await manager.refresh_feed()
    assert any(str(prices) in r.getMessage() and "no such file" in r.getMessage()
               for r in caplog.records)
    inputs = manager.prepare(clock.now())
    assert inputs.price_sources == {"events": 0, "feed": 20, "tariff": 4}


async def test_the_loop_fetches_on_the_clock_and_plans_with_the_prices(feed: Feed) -> None:
    feed.json("/prices.json", _rows(START, 24, 0.30))
    manager, clock = _manager({"url": f"{feed.url}/prices.json", "refresh_min": 30})
    stop = asyncio.Event()
    saved: list[dict[str, object]] = []

    async def sleeper(seconds: float) -> None:  # the clock's time passes at once
        clock.advance(timedelta(seconds=seconds))
        if clock.now() >= START + timedelta(minutes=61):
            stop.set()

    async def save(summary: dict[str, object]) -> None:
        saved.append(summary)

    await manager.run(stop, sleeper, save=save)
    assert feed.hits == ["/prices.json"] * 3  # at 17:00, 17:30 and 18:00
    assert manager.replans == 5  # 17:00, :15, :30, :45, 18:00
    assert saved[0]["prices"] == {"events": 0, "feed": 24, "tariff": 0}


async def test_the_feed_state_is_in_the_building_api(feed: Feed, tmp_path: Path) -> None:
    feed.json("/prices.json", _rows(START, 6, 0.40))
    manager, clock = _manager({"url": f"{feed.url}/prices.json"})
    await manager.refresh_feed()
    manager.step()
    config = parse_config(_VEN.format(building=HOME), base=tmp_path)
    store = await Store.open(config.database)
    telemetry = await TelemetryStore.open(config.database)
    token = ensure_token(config.api_token_file)
    app = api_app(ApiContext(config=config, store=store, telemetry=telemetry, clock=clock,
                             brain=manager.brain, energy=manager), token=token)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/api/v1/energy/plan",
                                    headers={"Authorization": f"Bearer {token}"})
        assert response.status == 200
        plan = (await response.json())["plan"]
    await telemetry.close()
    await store.close()
    assert plan["price_feed"]["intervals"] == 6 and plan["price_feed"]["error"] is None
    assert plan["prices"]["feed"] == 24
