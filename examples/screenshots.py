"""The README's dashboard screenshots, from a short real scenario:

    .venv/bin/python -m examples.screenshots --out docs/img

Our VTN in process (2.0b, the admin API and its dashboard) and the office building as a real
VEN client polling it over HTTP, its building API and dashboard on, answering by a person
(``auto_answer = false``); every listener on a free loopback port, everything on one
ManualClock starting at ``NOW``. Headless Debian Chromium (``/usr/bin/chromium``), driven by
playwright, logs in to both dashboards; the building's manager opts in with the button; the
event runs; the pages are saved as PNG:

- ``vtn-dashboard-vens.png``, ``vtn-dashboard-event.png`` (performance plotted);
- ``building-dashboard-invitations.png`` (the invitation and its buttons),
  ``building-dashboard-plan.png`` (baseline, target, planned and measured).

``Scenario`` is also what ``tests/e2e/test_ven_dashboard.py`` drives.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from common.clock import ManualClock
from common.messages.enums import SignalName, SignalType
from ven.api.auth import ensure_token
from ven.api.context import ApiContext
from ven.api.server import api_app
from ven.brain import BuildingBrain
from ven.client import Store as VenStore
from ven.client import build_client
from ven.client.config import parse_config
from ven.client.telemetry import TelemetryStore
from ven.measurements import BuildingReadings
from ven.telemetry import TelemetryRecorder
from vtn.admin.routes import admin_routes
from vtn.app import create_app
from vtn.config import AdminSettings, PollSettings, ReportSettings, VtnConfig
from vtn.domain import EventRequest, EventTargets, Signal, SignalInterval
from vtn.storage import Store, open_store

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "NOW", "Scenario", "browser_page", "log_in",
           "scenario"]

ROOT = Path(__file__).resolve().parent.parent
BUILDINGS = ROOT / "examples" / "buildings"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
NOW = datetime(2026, 7, 15, 20, 0, tzinfo=UTC)  # 13:00 in San José: the office is busy
POLL = timedelta(seconds=10)
MINUTE = timedelta(minutes=1)
WAIT_MS = 15_000


@dataclass
class Scenario:
    """The running scenario: both dashboards' URLs and tokens, the clock, the VEN's parts."""

    vtn_ui: str
    """The VTN dashboard's URL (``.../admin/ui``)."""
    admin_token: str
    building_ui: str
    """The building dashboard's URL (``.../ui``)."""
    building_api: str
    building_token: str
    clock: ManualClock
    vtn_store: Store
    ven_store: VenStore
    client: Any
    recorder: TelemetryRecorder

    async def step(self, span: timedelta) -> None:
        """Advance the clock in poll steps; the VEN takes one round per step and writes its
        telemetry."""
        until = self.clock.now() + span
        while self.clock.now() < until:
            self.clock.advance(POLL)
            await self.client.step()
            await self.recorder.flush()

    async def issue_event(self, start: datetime, intervals: int = 2) -> str:
        """A SIMPLE level-2 event for the office, `intervals` minutes from `start`; its ID."""
        vens = await self.vtn_store.vens.list()
        event = await self.vtn_store.events.create(EventRequest(
            targets=EventTargets(ven_ids=tuple(v.ven_id for v in vens)),
            market_context="http://demo.oadr-pair.example/dr",
            signals=(Signal(signal_name=SignalName.SIMPLE, signal_type=SignalType.LEVEL,
                            signal_id="simple", intervals=tuple(
                                SignalInterval(duration=MINUTE, value=2.0)
                                for _ in range(intervals))),),
            start=start, duration=intervals * MINUTE))
        return event.event_id


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@asynccontextmanager
async def scenario(work: Path) -> AsyncIterator[Scenario]:
    """The VTN and the office VEN with its building API, their files in `work`."""
    clock = ManualClock(NOW)
    config = VtnConfig(vtn_id="DEMO-VTN", plain_http=True, polls=PollSettings(frequency=POLL),
                       database_url=f"sqlite+aiosqlite:///{work / 'vtn.sqlite'}",
                       admin=AdminSettings(token_file=work / "admin-token"),
                       reports=ReportSettings(granularity=MINUTE, back_duration=MINUTE))
    store = await open_store(config.database_url, clock=clock)
    runners: list[web.AppRunner] = []
    closers: list[Any] = []
    try:
        runner, vtn_base = await _serve(
            create_app(config, store, clock=clock, extra_routes=admin_routes(config)))
        runners.append(runner)

        async def sleeper(seconds: float) -> None:
            clock.advance(seconds)

        brain = BuildingBrain.simulated(BUILDINGS / "office.toml", clock, seed=3,
                                        history_days=21)
        ven_config = parse_config(f"""
[vtn]
url = "{vtn_base}/OpenADR2/Simple/2.0b"
allow_plain_http = true
[ven]
name = "office"
database = "{work / 'office.sqlite'}"
building = "{BUILDINGS / 'office.toml'}"
poll_interval_s = {POLL.total_seconds()}
[events]
auto_answer = false
[api]
port = 1
""")
        readings = BuildingReadings(brain)
        ven_config = replace(ven_config, reports=replace(
            ven_config.reports, baseline_method=readings.baseline_method))
        ven_store = await VenStore.open(ven_config.database)
        closers.append(ven_store)
        telemetry = await TelemetryStore.open(ven_config.database)
        closers.append(telemetry)
        recorder = TelemetryRecorder(brain, telemetry, clock, ven_config.telemetry)
        client = await build_client(ven_config, store=ven_store, source=readings, clock=clock,
                                    sleeper=sleeper, handler=brain, tick=recorder.tick)
        closers.insert(0, client)
        token = ensure_token(ven_config.api_token_file)
        runner, ven_base = await _serve(api_app(ApiContext(
            config=ven_config, store=ven_store, telemetry=telemetry, clock=clock, brain=brain),
            token=token))
        runners.append(runner)
        await client.start()
        yield Scenario(
            vtn_ui=f"{vtn_base}/admin/ui",
            admin_token=(work / "admin-token").read_text().strip(),
            building_ui=f"{ven_base}/ui", building_api=f"{ven_base}/api/v1",
            building_token=token, clock=clock, vtn_store=store, ven_store=ven_store,
            client=client, recorder=recorder)
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
        for closer in closers:
            await closer.close()
        await store.close()


@asynccontextmanager
async def browser_page() -> AsyncIterator[Any]:
    """A page of headless Debian Chromium, 1280 x 900."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            yield await context.new_page()
        finally:
            await browser.close()


async def log_in(page: Any, ui: str, label: str, token: str) -> None:
    """Log in to the dashboard at `ui` (its token field is labelled `label`)."""
    await page.goto(f"{ui}/login")
    await page.get_by_label(label).fill(token)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(r"/(vens|invitations)$"))


async def chart_svg(page: Any, selector: str) -> str:
    """Wait for the chart image `selector` to load; the SVG it shows (fetched with the page's
    cookies)."""
    await page.wait_for_function(
        "s => { const i = document.querySelector(s);"
        " return i && i.complete && i.naturalWidth > 0 }", arg=selector, timeout=WAIT_MS)
    source = await page.eval_on_selector(selector, "i => i.src")
    svg = str(await (await page.context.request.get(source)).text())
    if "<svg" not in svg:
        raise ValueError(f"{source} is not SVG: {svg[:200]!r}")
    return svg


def plotted(svg: str, colour: str) -> int:
    """How many ``<path>`` elements of `svg` are stroked in `colour` (a series' line)."""
    return len(re.findall(r"<path [^>]*stroke: ?" + re.escape(colour), svg))


async def take(out: Path) -> list[Path]:
    """Run the scenario and save the four screenshots into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="oadr-screenshots-") as tmp:
        async with scenario(Path(tmp)) as world, browser_page() as page:
            start = NOW + 3 * MINUTE
            event_id = await world.issue_event(start, intervals=3)
            await world.step(2 * POLL)

            await log_in(page, world.building_ui, "API token", world.building_token)
            await page.wait_for_selector(f"text=Event {event_id}", timeout=WAIT_MS)
            shots.append(out / "building-dashboard-invitations.png")
            await page.screenshot(path=shots[-1], full_page=True)
            await page.get_by_role(
                "button", name=f"Opt in: whole building, event {event_id}").click()
            await page.wait_for_url(re.compile(r"done="))
            await world.step(start + 3 * MINUTE + 3 * MINUTE - world.clock.now())

            await page.goto(f"{world.building_ui}/plan")
            await chart_svg(page, "#live_plan img.chart")
            shots.append(out / "building-dashboard-plan.png")
            await page.screenshot(path=shots[-1], full_page=True)

            await log_in(page, world.vtn_ui, "Admin token", world.admin_token)
            shots.append(out / "vtn-dashboard-vens.png")
            await page.screenshot(path=shots[-1], full_page=True)
            await page.goto(f"{world.vtn_ui}/events/{event_id}")
            await wait_for_actual_kw(page)
            await chart_svg(page, "#live_performance img.chart")
            shots.append(out / "vtn-dashboard-event.png")
            await page.screenshot(path=shots[-1], full_page=True)
    return shots


async def wait_for_actual_kw(page: Any) -> None:
    """Wait until the VTN event page's performance table shows a number as actual kW."""
    await page.wait_for_function(
        "() => [...document.querySelectorAll('#live_performance tbody tr')].some("
        " r => r.cells.length > 5 && /^-?[0-9]/.test(r.cells[5].innerText.trim()))",
        timeout=WAIT_MS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.screenshots", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img",
                        help="where the PNG files go (default docs/img)")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"no {CHROMIUM}: apt-get install chromium", file=sys.stderr)
        return 1
    for path in asyncio.run(take(args.out)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
