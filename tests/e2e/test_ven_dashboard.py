"""The building dashboard in a real browser (headless Debian Chromium driven by playwright).

The scenario of ``examples.screenshots``: our VTN in process and the office building as a real
VEN client polling it, answering by a person, its building API and dashboard on a free port,
all on one ManualClock. The browser logs in with the API token, sees the invitation, opts in
with the button; the answer is in the building API and reaches the VTN; the plan and
flexibility charts are SVG with plotted paths; forged POSTs are refused. Screenshots go to the
test's tmp dir.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from examples.screenshots import (
    CHROMIUM,
    MINUTE,
    NOW,
    POLL,
    Scenario,
    browser_page,
    chart_svg,
    plotted,
    scenario,
)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="no /usr/bin/chromium (apt-get install chromium)")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Scenario]:
    async with scenario(tmp_path) as running:
        yield running


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    async with browser_page() as opened:
        yield opened


async def test_manager_answers_an_invitation_and_sees_the_plan(world: Scenario, page: Any,
                                                               tmp_path: Path):
    shots = tmp_path / "screenshots"
    start = NOW + 3 * MINUTE
    event_id = await world.issue_event(start)
    await world.step(2 * POLL)

    # not logged in: to the login page; a wrong token is refused
    await page.goto(f"{world.building_ui}/plan")
    assert page.url.endswith("/ui/login")
    await page.get_by_label("API token").fill("not-the-token")
    async with page.expect_response(re.compile(r"/login$")) as refused:
        await page.get_by_role("button", name="Log in").click()
    assert (await refused.value).status == 401
    assert "not the building API's token" in await page.inner_text("#token-error")
    await page.get_by_label("API token").fill(world.building_token)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(r"/ui/invitations$"))
    assert f"Event {event_id}" in await page.inner_text("#live_pending")
    await page.screenshot(path=shots / "invitations.png", full_page=True)

    # the keyboard reaches the answer buttons; the button records the answer
    opt_in = page.get_by_role("button", name=f"Opt in: whole building, event {event_id}")
    await opt_in.focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/ui/invitations\?done="))
    assert "Answer recorded" in await page.inner_text("[role=status]")
    assert "No event is waiting" in await page.inner_text("#live_pending")
    assert "optIn" in await page.inner_text("#live_answered")
    api = page.context.request
    auth = {"Authorization": f"Bearer {world.building_token}"}
    every = await (await api.get(f"{world.building_api}/invitations?all=true",
                                 headers=auth)).json()
    assert [(s["event_id"], s["opt"], s["provisional"]) for s in every] == [
        (event_id, "optIn", False)]

    # the VEN sends it at its next poll; the VTN's admin API shows it
    await world.step(2 * POLL)
    vtn_api = world.vtn_ui.removesuffix("/ui") + "/api/v1"
    answered = await (await api.get(f"{vtn_api}/events/{event_id}/responses", headers={
        "Authorization": f"Bearer {world.admin_token}"})).json()
    assert [r["opt"] for r in answered["responses"]] == ["optIn"]

    # the event runs: the plan chart plots baseline, target, planned and measured
    await world.step(start + 2 * MINUTE + MINUTE - world.clock.now())
    await page.goto(f"{world.building_ui}/plan")
    assert f"Event {event_id}" in await page.inner_text("#live_plan")
    svg = await chart_svg(page, "#live_plan img.chart")
    for series in ("#4d4d4d", "#0b5cad", "#6b21a8", "#c2410c"):  # baseline .. measured
        assert plotted(svg, series) >= 1, series
    await page.screenshot(path=shots / "plan.png", full_page=True)

    await page.goto(f"{world.building_ui}/flexibility")
    svg = await chart_svg(page, "#live_flexibility img.chart")
    assert "No flexibility" not in svg and svg.count("<path ") > 10
    await page.goto(f"{world.building_ui}/devices")
    assert "kW" in await page.inner_text("#live_devices")
    await page.goto(f"{world.building_ui}/benefits")
    assert "Benefit" in await page.inner_text("main")
    await page.screenshot(path=shots / "benefits.png", full_page=True)

    # forged POSTs (the browser's cookies, but another origin or no CSRF field) are refused
    answer_url = f"{world.building_ui}/invitations/{event_id}/answer"
    forged = await api.post(answer_url, form={"csrf": "guess", "opt": "out"},
                            headers={"Origin": "http://evil.example"})
    assert forged.status == 403 and "another origin" in await forged.text()
    no_token = await api.post(answer_url, form={"opt": "out"},
                              headers={"Origin": world.building_ui.removesuffix("/ui")})
    assert no_token.status == 403 and "CSRF" in await no_token.text()
    again = await (await api.get(f"{world.building_api}/invitations?all=true",
                                 headers=auth)).json()
    assert again[0]["opt"] == "optIn"  # unchanged
    for shot in ("invitations", "plan", "benefits"):
        assert (shots / f"{shot}.png").stat().st_size > 1000
