"""The VTN dashboard in a real browser (headless Debian Chromium driven by playwright).

Our VTN in process (2.0b and the admin API with its dashboard on one test server), one example
building as a real VEN client polling it over HTTP, all on one ManualClock. The browser logs
in, creates an event through the form, sees it listed, sees the VEN's opt-in arrive without a
reload, and sees the performance and readings charts render; forged and unauthenticated
requests are refused. Screenshots go to the test's tmp dir.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from common.clock import ManualClock
from examples.screenshots import chart_svg, plotted, wait_for_actual_kw
from tests.e2e.test_demo import BUILDINGS
from ven.brain import BuildingBrain
from ven.client import Store as VenStore
from ven.client import build_client
from ven.client.config import parse_config
from ven.measurements import BuildingReadings
from vtn.admin.routes import admin_routes
from vtn.app import create_app
from vtn.config import AdminSettings, PollSettings, ReportSettings, VtnConfig
from vtn.storage import open_store

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="no /usr/bin/chromium (apt-get install chromium)")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
NOW = datetime(2026, 7, 15, 20, 0, tzinfo=UTC)
POLL = timedelta(seconds=10)
MINUTE = timedelta(minutes=1)
WAIT_MS = 15_000


@dataclass
class World:
    url: str
    """The dashboard's URL."""
    token: str
    clock: ManualClock
    client: Any

    async def step(self, span: timedelta) -> None:
        """Advance the clock in poll steps; the VEN takes one round per step."""
        until = self.clock.now() + span
        while self.clock.now() < until:
            self.clock.advance(POLL)
            await self.client.step()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = ManualClock(NOW)
    config = VtnConfig(vtn_id="DASH-VTN", plain_http=True, polls=PollSettings(frequency=POLL),
                       database_url=f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}",
                       admin=AdminSettings(token_file=tmp_path / "admin-token"),
                       reports=ReportSettings(granularity=MINUTE, back_duration=MINUTE))
    store = await open_store(config.database_url, clock=clock)
    server = TestServer(create_app(config, store, clock=clock, extra_routes=admin_routes(config)),
                        host="127.0.0.1")
    await server.start_server()
    base = f"http://127.0.0.1:{server.port}"

    async def sleeper(seconds: float) -> None:
        clock.advance(seconds)

    brain = BuildingBrain.simulated(BUILDINGS / "office.toml", clock, seed=3, history_days=21)
    ven_config = parse_config(f"""
[vtn]
url = "{base}/OpenADR2/Simple/2.0b"
allow_plain_http = true

[ven]
name = "office"
database = "{tmp_path / 'office.sqlite'}"
building = "{BUILDINGS / 'office.toml'}"
poll_interval_s = {POLL.total_seconds()}
""")
    readings = BuildingReadings(brain)
    ven_config = replace(ven_config, reports=replace(
        ven_config.reports, baseline_method=readings.baseline_method))
    ven_store = await VenStore.open(ven_config.database)
    client = await build_client(ven_config, store=ven_store, source=readings, clock=clock,
                                sleeper=sleeper, handler=brain, tick=brain.tick)
    try:
        await client.start()
        yield World(f"{base}/admin/ui", (tmp_path / "admin-token").read_text().strip(), clock,
                    client)
    finally:
        await client.close()
        await ven_store.close()
        await server.close()
        await store.close()


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            yield await context.new_page()
        finally:
            await browser.close()


async def test_operator_creates_an_event_and_watches_the_answer(world: World, page: Any,
                                                                tmp_path: Path):
    shots = tmp_path / "screenshots"
    # not logged in: to the login page; a wrong token is refused
    await page.goto(f"{world.url}/vens")
    assert page.url.endswith("/admin/ui/login")
    await page.get_by_label("Admin token").fill("not-the-token")
    async with page.expect_response(re.compile(r"/login$")) as refused:
        await page.get_by_role("button", name="Log in").click()
    assert (await refused.value).status == 401
    assert "not the admin token" in await page.inner_text("#token-error")
    await page.get_by_label("Admin token").fill(world.token)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(r"/admin/ui/vens$"))
    assert "office" in await page.inner_text("#live_vens")
    assert "online" in await page.inner_text("#live_vens")
    await page.screenshot(path=shots / "vens.png", full_page=True)

    # the API's validation, shown next to the field
    await page.goto(f"{world.url}/events")
    await page.get_by_label("office").check()
    await page.get_by_label("Duration").fill("soon")
    await page.get_by_role("button", name="Create event").click()
    assert "duration" in await page.inner_text("#duration-error")

    # create through the form: SIMPLE 2 for two 1-minute intervals, 2 minutes from now
    await page.get_by_label("office").check()
    await page.get_by_label("Value").fill("2")
    await page.get_by_label("Start").fill("+2m")
    await page.get_by_label("Duration").fill("2m")
    await page.get_by_label("Intervals").fill("2")
    await page.get_by_role("button", name="Create event").click()
    await page.wait_for_url(re.compile(r"/admin/ui/events/[^/?]+\?done=created$"))
    event_id = page.url.rsplit("/", 1)[1].split("?")[0]
    assert "no answer yet" in await page.inner_text("#live_responses")

    # the VEN polls, gets the event and opts in: the table changes without a reload
    await world.step(2 * POLL)
    await page.wait_for_selector("#live_responses .badge.optIn", timeout=WAIT_MS)
    await page.screenshot(path=shots / "event-answered.png", full_page=True)

    await page.goto(f"{world.url}/events")
    assert event_id in await page.inner_text("#live_events")

    # the event runs and the VEN reports: performance rows and the chart
    await page.goto(f"{world.url}/events/{event_id}")
    await world.step(2 * MINUTE + 3 * MINUTE)
    await wait_for_actual_kw(page)  # a number, not the "No performance yet" placeholder
    svg = await chart_svg(page, "#live_performance img.chart")
    assert "No performance yet" not in svg
    for series in ("#4d4d4d", "#0b5cad", "#c2410c"):  # baseline, target, actual
        assert plotted(svg, series) >= 1, series
    await page.screenshot(path=shots / "event-performance.png", full_page=True)

    # the VEN's readings chart
    await page.goto(f"{world.url}/vens")
    await page.get_by_role("link", name="office").click()
    assert "No readings" not in await chart_svg(page, "#live_chart img.chart")
    await page.screenshot(path=shots / "ven-readings.png", full_page=True)

    # the audit log shows the dashboard's create
    await page.goto(f"{world.url}/audit")
    assert "event.create" in await page.inner_text("#live_audit")
    assert "dashboard from 127.0.0.1" in await page.inner_text("#live_audit")

    # forged POSTs (the browser's cookies, but another origin or no CSRF field) are refused
    request = page.context.request
    form = {"csrf": "guess", "start": "now", "duration": "1h", "value": "1",
            "signal": "SIMPLE|level"}
    forged = await request.post(f"{world.url}/events", form=form,
                                headers={"Origin": "http://evil.example"})
    assert forged.status == 403 and "another origin" in await forged.text()
    no_token = await request.post(f"{world.url}/events", form=form,
                                  headers={"Origin": world.url.removesuffix("/admin/ui")})
    assert no_token.status == 403 and "CSRF" in await no_token.text()
    listed = await request.get(f"{world.url}/events?live=1")
    assert listed.ok and (await listed.text()).count("/admin/ui/events/") == 1
    for shot in ("vens", "event-answered", "event-performance", "ven-readings"):
        assert (shots / f"{shot}.png").stat().st_size > 1000
