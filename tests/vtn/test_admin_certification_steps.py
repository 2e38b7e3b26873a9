"""Admin API steps certification asks of a VTN's console: refusing overlapping events
(``[events] overlap = "refuse"``, A_E3_0530) and cancelling with responseRequired never
(A_E3_0498)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from common.clock import ManualClock
from common.messages.enums import EventStatus, ResponseRequired
from tests.support.admin_api import T0, Admin, open_seeded_store, simple_event
from vtn.admin.routes import admin_routes
from vtn.config import AdminSettings, EventSettings, VtnConfig
from vtn.domain.event import awaits_acknowledgement
from vtn.services.event import to_oadr_event


async def _call(api: Admin, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    body = await api.call(method, path, **kwargs)
    assert isinstance(body, dict)
    return body


@pytest.fixture
async def refusing(tmp_path: Path) -> AsyncIterator[Admin]:
    """The admin API of a VTN configured with ``[events] overlap = "refuse"``."""
    clock = ManualClock(T0)
    store = await open_seeded_store(tmp_path, clock)
    token_file = tmp_path / "var" / "admin-token"
    app = web.Application()
    admin_routes(VtnConfig(plain_http=True, admin=AdminSettings(token_file=token_file),
                           events=EventSettings(overlap="refuse")), store=store, clock=clock)(app)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Admin(client, store, clock, token_file.read_text().strip(), token_file)
    finally:
        await client.close()
        await store.close()


async def test_refuse_mode_turns_an_overlapping_event_away(refusing: Admin):
    first = await _call(refusing, "POST", "/events", status=201, json=simple_event())
    # ven-1 is in group north: the same VEN, the same market context, overlapping periods
    refused = await _call(refusing, "POST", "/events", status=409, json=simple_event(
        targets={"group_ids": ["north"]}, start="+30m"))
    message = refused["error"]["message"]
    assert first["event_id"] in message and "ven-1" in message and "refused" in message
    assert [e.event_id for e in await refusing.store.events.list()] == [first["event_id"]]
    # another market context, another VEN only, or after the first one ends: created
    await _call(refusing, "POST", "/events", status=201, json=simple_event(
        market_context="http://MarketContext2"))
    await _call(refusing, "POST", "/events", status=201, json=simple_event(
        targets={"ven_ids": ["ven-3"]}))
    later = await _call(refusing, "POST", "/events", status=201, json=simple_event(start="+2h"))
    # a modification that would make it overlap is refused, and the event stays as it was
    await _call(refusing, "PATCH", f"/events/{later['event_id']}", status=409,
                        json={"start": "+10m"})
    kept = await refusing.store.events.get(later["event_id"])
    assert kept.modification_number == 0
    # moving an event within its own period is no overlap with itself
    moved = await _call(refusing, "PATCH", f"/events/{first['event_id']}", json={"start": "+6m"})
    assert moved["modification_number"] == 1 and moved["warnings"] == []


async def test_the_default_mode_still_only_warns(admin: Admin):
    await _call(admin, "POST", "/events", status=201, json=simple_event())
    second = await _call(admin, "POST", "/events", status=201,
                              json=simple_event(start="+30m"))
    assert len(second["warnings"]) == 1


async def test_a_cancellation_can_say_response_required_never(admin: Admin):
    created = await _call(admin, "POST", "/events", status=201, json=simple_event())
    assert created["response_required"] == "always"
    bad = await _call(admin, "POST", f"/events/{created['event_id']}/cancel", status=400,
                           json={"response_required": "sometimes"})
    assert bad["error"]["field"] == "response_required"
    cancelled = await _call(admin, "POST", f"/events/{created['event_id']}/cancel",
                                 json={"response_required": "never"})
    assert cancelled["modification_number"] == 1 and cancelled["response_required"] == "never"
    event = await admin.store.events.get(created["event_id"])
    wire = to_oadr_event(event, admin.clock.now(), None, await admin.store.vens.get("ven-1"))
    descriptor = wire.event.event_descriptor
    assert (descriptor.event_status, descriptor.modification_number, wire.response_required) == (
        EventStatus.CANCELLED, 1, ResponseRequired.NEVER)
    # a cancellation that needs no answer is not sent again to a VEN that did not answer it
    assert not awaits_acknowledgement(event, None, admin.clock.now())


async def test_a_plain_cancellation_keeps_the_events_response_required(admin: Admin):
    created = await _call(admin, "POST", "/events", status=201, json=simple_event())
    cancelled = await _call(admin, "POST", f"/events/{created['event_id']}/cancel")
    assert cancelled["response_required"] == "always"
    event = await admin.store.events.get(created["event_id"])
    assert awaits_acknowledgement(event, 0, admin.clock.now())
