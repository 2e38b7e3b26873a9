"""Admin API in-process on a fresh SQLite database: token, VENs, events, responses, errors."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from common.messages.enums import OptType
from common.xml import decode
from tests.support.admin_api import T0, Admin, config, simple_event
from vtn.admin.routes import API_ROOT, admin_routes

# ---- token --------------------------------------------------------------------------------


async def test_token_file_is_created_private_and_reused(admin: Admin):
    mode = stat.S_IMODE(os.stat(admin.token_file).st_mode)
    assert mode == 0o600 and len(admin.token) >= 32
    again = web.Application()
    admin_routes(config(admin.token_file), store=admin.store, clock=admin.clock)(again)
    assert admin.token_file.read_text().strip() == admin.token


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer "])
async def test_every_route_but_the_document_needs_the_token(admin: Admin, header: str | None):
    headers = {} if header is None else {"Authorization": header}
    for method, path in (
        ("GET", "/vens"),
        ("POST", "/events"),
        ("GET", "/events/x"),
        ("GET", "/reports/readings.csv"),
    ):
        response = await admin.client.request(method, API_ROOT + path, headers=headers)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json())["error"]["status"] == 401
    response = await admin.client.get(API_ROOT + "/openapi.json")
    assert response.status == 200


# ---- VENs ---------------------------------------------------------------------------------


async def test_list_and_show_vens(admin: Admin):
    body = await admin.call("GET", "/vens")
    assert [v["ven_id"] for v in body["vens"]] == ["ven-1", "ven-2", "ven-3"]
    ven = await admin.call("GET", "/vens/ven-2")
    assert ven["ven_name"] == "building 2" and ven["group_ids"] == ["north"]
    assert ven["status"] == "registered" and ven["registered_at"] == "2026-07-01T12:00:00Z"
    assert ven["poll_frequency"] == "PT10S"
    missing = await admin.call("GET", "/vens/nope", status=404)
    assert "nope" in missing["error"]["message"]


async def test_cancel_ven_queues_the_cancellation_and_conflicts_the_second_time(admin: Admin):
    body = await admin.call("POST", "/vens/ven-3/cancel")
    assert body["ven"]["status"] == "cancelled"
    assert body["queued"] == "oadrCancelPartyRegistration"
    (item,) = await admin.store.outbox.pending(ven_id="ven-3")
    message = decode(item.payload)
    assert type(message).__name__ == "CancelPartyRegistration"
    assert message.ven_id == "ven-3"
    assert message.registration_id == (await admin.store.vens.get("ven-3")).registration_id
    again = await admin.call("POST", "/vens/ven-3/cancel", status=409)
    assert "already cancelled" in again["error"]["message"]
    listed = await admin.call("GET", "/vens")
    assert "ven-3" not in [v["ven_id"] for v in listed["vens"]]
    listed = await admin.call("GET", "/vens?include_cancelled=true")
    assert "ven-3" in [v["ven_id"] for v in listed["vens"]]
    await admin.call("POST", "/vens/nope/cancel", status=404)


# ---- events -------------------------------------------------------------------------------


async def test_create_simple_event_relative_start_equal_intervals(admin: Admin):
    response = await admin.client.post(
        API_ROOT + "/events",
        headers=admin.headers(),
        json=simple_event(priority=1, test_event=True, startafter="PT2M", ramp_up="10m"),
    )
    assert response.status == 201
    event = await response.json()
    assert response.headers["Location"].endswith(event["event_id"])
    assert event["start"] == "2026-07-01T12:05:00Z" and event["end"] == "2026-07-01T13:05:00Z"
    assert event["modification_number"] == 0 and event["status"] == "near"  # ramp-up
    assert event["priority"] == 1 and event["test_event"] is True
    assert event["startafter"] == "PT2M" and event["ramp_up"] == "PT10M"
    assert event["targets"]["ven_ids"] == ["ven-1"] and event["targets"]["all"] is False
    (signal,) = event["signals"]
    assert signal["signal_name"] == "SIMPLE" and signal["signal_type"] == "level"
    assert signal["unit"] is None
    assert [i["duration"] for i in signal["intervals"]] == ["PT15M"] * 4
    assert [i["start"][11:16] for i in signal["intervals"]] == ["12:05", "12:20", "12:35", "12:50"]
    assert {i["value"] for i in signal["intervals"]} == {2}
    assert event.pop("warnings") == []  # only the answer to POST has them
    shown = await admin.call("GET", f"/events/{event['event_id']}")
    assert shown == event


async def test_create_dispatch_and_price_events_with_units(admin: Admin):
    dispatch = await admin.call(
        "POST",
        "/events",
        status=201,
        json={
            "targets": {"all": True},
            "signal_name": "LOAD_DISPATCH",
            "kw": [50, 80],
            "start": "2026-07-01T15:00:00+02:00",
            "duration": "PT1H",
            "intervals": 2,
            "response_required": "never",
            "market_context": "http://mc.example/dr",
        },
    )
    assert dispatch["start"] == "2026-07-01T13:00:00Z"
    assert dispatch["targets"]["all"] is True and dispatch["response_required"] == "never"
    (signal,) = dispatch["signals"]
    assert signal["signal_type"] == "setpoint"
    assert signal["unit"] == {"kind": "powerReal", "units": "W", "scale": "k"}
    assert [i["value"] for i in signal["intervals"]] == [50, 80]
    assert dispatch["market_context"] == "http://mc.example/dr"

    price = await admin.call(
        "POST",
        "/events",
        status=201,
        json={
            "targets": {"group_ids": ["north"]},
            "signal_name": "ELECTRICITY_PRICE",
            "start": "+PT1H",
            "intervals": [{"duration": "30m", "value": 0.31}, {"duration": "PT1H", "value": 0.45}],
        },
    )
    assert price["duration"] == "PT1H30M"
    (signal,) = price["signals"]
    assert signal["signal_type"] == "price" and signal["unit"]["units"] == "USD"
    assert [i["value"] for i in signal["intervals"]] == [0.31, 0.45]

    control = await admin.call(
        "POST",
        "/events",
        status=201,
        json={
            "targets": {"ven_ids": ["ven-2"]},
            "signal_name": "LOAD_CONTROL",
            "kw": 20,
            "start": "now",
            "duration": "30m",
        },
    )
    assert control["signals"][0]["signal_type"] == "x-loadControlCapacity"
    assert control["status"] == "active"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"start": "tomorrow"}, "start", "ISO 8601"),
        ({"start": "2026-07-01T15:00:00"}, "start", "no time zone"),
        ({"start": "+5x"}, "start", "duration"),
        ({"duration": "P1M"}, "duration", "duration"),
        ({"duration": "0m"}, "duration", "longer than zero"),
        ({"level": 7}, "level", "0, 1, 2 or 3"),
        ({"level": [1, 2]}, "level", "2 values for 4 intervals"),
        ({"level": "high"}, "level", "number"),
        ({"kw": 5}, "kw", "not level and kw"),
        ({"signal_name": "BID_LOAD"}, "signal_name", "SIMPLE, LOAD_DISPATCH"),
        ({"signal_type": "price"}, "signal_type", "take level"),
        ({"intervals": 7}, "intervals", "whole seconds"),
        ({"intervals": 0}, "intervals", "count"),
        ({"priority": -1}, "priority", "0 (no priority)"),
        ({"test_event": "yes"}, "test_event", "true or false"),
        ({"response_required": "sometimes"}, "response_required", "always"),
        ({"targets": {}}, "targets", "all: true"),
        ({"targets": {"all": True, "ven_ids": ["ven-1"]}}, "targets", "not both"),
        ({"targets": {"ven_ids": ["ven-9"]}}, "targets.ven_ids", "ven-9"),
        ({"targets": {"venids": ["ven-1"]}}, "targets.venids", "unknown field"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"startafter": "soon"}, "startafter", "duration"),
        ({"start": "2026-06-30T00:00:00Z"}, "start", "over already"),
    ],
)
async def test_event_validation_names_the_field(admin: Admin, changes, field, words):
    body = await admin.call("POST", "/events", status=400, json=simple_event(**changes))
    assert body["error"]["field"] == field
    assert words in body["error"]["message"]
    assert body["error"]["message"].startswith(field)


async def test_payload_must_fit_the_signal(admin: Admin):
    event = simple_event(kw=5)
    del event["level"]
    body = await admin.call("POST", "/events", status=400, json=event)
    assert body["error"] == {
        "status": 400,
        "field": "kw",
        "message": "kw: SIMPLE signals take level values",
    }
    event = simple_event(signal_name="LOAD_DISPATCH", signal_type="setpoint")
    body = await admin.call("POST", "/events", status=400, json=event)
    assert body["error"]["message"] == "level: a LOAD_DISPATCH setpoint signal takes kw values"
    body = await admin.call(
        "POST",
        "/events",
        status=400,
        json=simple_event(
            intervals=[{"duration": "30m", "value": 1}, {"duration": "30m"}], level=None
        ),
    )
    assert body["error"]["field"] == "intervals[1].value"
    body = await admin.call(
        "POST",
        "/events",
        status=400,
        json=simple_event(intervals=[{"duration": "30m", "value": 1}], duration=None),
    )
    assert "either in the intervals or as level" in body["error"]["message"]


async def test_event_body_must_be_a_json_object(admin: Admin):
    body = await admin.call("POST", "/events", status=400, data="{not json")
    assert "not JSON" in body["error"]["message"]
    body = await admin.call("POST", "/events", status=400, json=[1, 2])
    assert "JSON object" in body["error"]["message"]
    body = await admin.call("POST", "/events", status=400, json={"targets": {"all": True}})
    assert body["error"]["field"] == "start"


async def test_modify_bumps_the_modification_number_and_keeps_what_is_not_given(admin: Admin):
    event = await admin.call("POST", "/events", status=201, json=simple_event())
    path = f"/events/{event['event_id']}"
    signal_id = event["signals"][0]["signal_id"]

    modified = await admin.call("PATCH", path, json={"level": 3, "reason": "hotter"})
    assert modified["modification_number"] == 1
    assert modified["modification_reason"] == "hotter"
    assert modified["modified_at"] == "2026-07-01T12:00:00Z"
    assert [i["value"] for i in modified["signals"][0]["intervals"]] == [3] * 4
    assert [i["duration"] for i in modified["signals"][0]["intervals"]] == ["PT15M"] * 4
    assert modified["signals"][0]["signal_id"] == signal_id
    assert modified["start"] == event["start"]

    admin.clock.advance(timedelta(minutes=1))
    longer = await admin.call("PATCH", path, json={"duration": "2h"})
    assert longer["modification_number"] == 2
    assert [i["duration"] for i in longer["signals"][0]["intervals"]] == ["PT30M"] * 4
    assert {i["value"] for i in longer["signals"][0]["intervals"]} == {3}

    retargeted = await admin.call(
        "PATCH",
        path,
        json={
            "targets": {"all": True},
            "intervals": 2,
            "start": "+10m",
            "expected_modification_number": 2,
        },
    )
    assert retargeted["modification_number"] == 3
    assert retargeted["targets"]["all"] is True
    assert retargeted["start"] == "2026-07-01T12:11:00Z"
    assert [i["duration"] for i in retargeted["signals"][0]["intervals"]] == ["PT1H"] * 2

    stale = await admin.call(
        "PATCH", path, status=409, json={"level": 1, "expected_modification_number": 2}
    )
    assert "modification 3" in stale["error"]["message"]
    bad = await admin.call("PATCH", path, status=400, json={"level": 9})
    assert bad["error"]["field"] == "level"
    empty = await admin.call("PATCH", path, status=400, json={})
    assert "nothing to modify" in empty["error"]["message"]
    await admin.call("PATCH", "/events/nope", status=404, json={"level": 1})
    assert (await admin.call("GET", path))["modification_number"] == 3


async def test_cancel_event_then_modify_or_cancel_again_conflicts(admin: Admin):
    event = await admin.call("POST", "/events", status=201, json=simple_event())
    path = f"/events/{event['event_id']}"
    cancelled = await admin.call("POST", f"{path}/cancel", json={"reason": "cooler"})
    assert cancelled["status"] == "cancelled" and cancelled["modification_number"] == 1
    assert cancelled["cancelled_at"] == "2026-07-01T12:00:00Z"
    await admin.call("POST", f"{path}/cancel", status=409)
    await admin.call("PATCH", path, status=409, json={"level": 1})
    await admin.call("POST", "/events/nope/cancel", status=404)


async def test_list_events_with_filters(admin: Admin):
    first = await admin.call("POST", "/events", status=201, json=simple_event(start="+1h"))
    second = await admin.call("POST", "/events", status=201, json=simple_event(start="+5m"))
    await admin.call("POST", f"/events/{first['event_id']}/cancel")
    listed = await admin.call("GET", "/events")
    assert [e["event_id"] for e in listed["events"]] == [second["event_id"], first["event_id"]]
    live = await admin.call("GET", "/events?include_cancelled=false")
    assert [e["event_id"] for e in live["events"]] == [second["event_id"]]
    later = await admin.call("GET", "/events?ending_after=2026-07-01T13:30:00Z")
    assert [e["event_id"] for e in later["events"]] == [first["event_id"]]
    one = await admin.call("GET", "/events?limit=1")
    assert len(one["events"]) == 1
    bad = await admin.call("GET", "/events?limit=0", status=400)
    assert bad["error"]["field"] == "limit"
    bad = await admin.call("GET", "/events?include_cancelled=maybe", status=400)
    assert bad["error"]["field"] == "include_cancelled"


async def test_responses_show_each_targeted_ven(admin: Admin):
    event = await admin.call(
        "POST", "/events", status=201, json=simple_event(targets={"group_ids": ["north"]})
    )
    event_id = event["event_id"]
    await admin.store.invitations.mark_delivered(event_id, "ven-1", 0)
    admin.clock.advance(timedelta(seconds=30))
    await admin.store.invitations.record_opt(
        event_id, "ven-1", modification_number=0, opt_type=OptType.OPT_IN
    )
    await admin.call("PATCH", f"/events/{event_id}", json={"level": 1})
    body = await admin.call("GET", f"/events/{event_id}/responses")
    assert body["modification_number"] == 1
    first, second = body["responses"]
    assert first["ven_id"] == "ven-1" and first["ven_name"] == "building 1"
    assert first["delivered"] is True and first["delivered_modification_number"] == 0
    assert first["current"] is False
    assert first["opt"] == "optIn" and first["opted_at"] == "2026-07-01T12:00:30Z"
    assert first["response_code"] == 200
    assert second["ven_id"] == "ven-2" and second["delivered"] is False
    assert second["opt"] is None
    await admin.call("GET", "/events/nope/responses", status=404)


async def test_mounted_on_the_vtn_application_beside_the_2_0b_endpoints(admin: Admin):
    from vtn.app import BASE_PATH, VTN_KEY, create_app

    settings = config(admin.token_file)
    app = create_app(settings, admin.store, clock=admin.clock, extra_routes=admin_routes(settings))
    assert app[VTN_KEY].store is admin.store
    async with TestClient(TestServer(app)) as client:
        response = await client.get(API_ROOT + "/vens", headers=admin.headers())
        assert response.status == 200
        assert len((await response.json())["vens"]) == 3
        response = await client.get(API_ROOT + "/vens")
        assert response.status == 401
        response = await client.post(f"{BASE_PATH}/OadrPoll", data=b"",
                                     headers={"Content-Type": "application/xml"})
        assert response.status == 400  # the protocol side answers as before
        response = await client.post(API_ROOT + "/vens/ven-1/cancel", headers=admin.headers())
        assert response.status == 200
    (item,) = await admin.store.outbox.pending(ven_id="ven-1")
    # held for the pull VEN's next oadrPoll: push workers claim only push VENs' items
    assert await admin.store.outbox.claim("w", limit=10) == ()
    taken = await admin.store.outbox.take_next("ven-1", worker="oadrPoll")
    assert taken is not None and taken.item_id == item.item_id
    assert b"oadrCancelPartyRegistration" in taken.payload


async def test_an_unexpected_failure_is_a_500_with_a_reference_only(admin: Admin, monkeypatch,
                                                                      caplog):
    async def broken(**_: object) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(admin.store.vens, "list", broken)
    body = await admin.call("GET", "/vens", status=500)
    assert "hunter2" not in repr(body)
    reference = body["error"]["reference"]
    assert any(reference in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("text", "expected"), [
    ("PT1H30M", timedelta(hours=1, minutes=30)), ("pt15m", timedelta(minutes=15)),
    ("1h30m", timedelta(hours=1, minutes=30)), ("90s", timedelta(seconds=90)),
    ("2d", timedelta(days=2)), ("P1DT2H", timedelta(days=1, hours=2)),
])
def test_durations_in_iso_and_short_form(text, expected):
    from vtn.admin.timeinput import parse_duration

    assert parse_duration(text, "duration") == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "1x", "h", "-PT1H", "P1Y", "5"])
def test_bad_durations_name_the_field(text):
    from vtn.admin.problems import BadRequest
    from vtn.admin.timeinput import parse_duration

    with pytest.raises(BadRequest) as caught:
        parse_duration(text, "ramp_up")
    assert caught.value.field == "ramp_up"


def test_starts_relative_absolute_and_now():
    from vtn.admin.timeinput import parse_start

    now = T0.replace(microsecond=123456)
    assert parse_start("now", now) == T0
    assert parse_start("+5m", now) == T0 + timedelta(minutes=5)
    assert parse_start("+PT1H", now) == T0 + timedelta(hours=1)
    later = T0 + timedelta(seconds=51)  # relative starts are aligned up to the whole minute
    assert parse_start("+1m", later) == T0 + timedelta(minutes=2)
    assert parse_start("+90s", later) == T0 + timedelta(minutes=3)
    assert parse_start("2026-07-01T16:00:00+02:00", now) == T0 + timedelta(hours=2)


async def test_events_the_admin_api_did_not_shape_are_not_modified(admin: Admin):
    from common.messages.enums import SignalName, SignalType
    from vtn.domain import EventRequest, EventTargets, Signal, SignalInterval

    event = await admin.store.events.create(EventRequest(
        targets=EventTargets.everyone(), market_context="http://mc", start=T0,
        duration=timedelta(hours=1), signals=(Signal(
            signal_name=SignalName.BID_LOAD, signal_type=SignalType.SETPOINT, signal_id="s",
            intervals=(SignalInterval(duration=timedelta(hours=1), value=5),)),)))
    body = await admin.call("PATCH", f"/events/{event.event_id}", status=409, json={"level": 1})
    assert "does not modify" in body["error"]["message"]
    shown = await admin.call("GET", f"/events/{event.event_id}")
    assert shown["signals"][0]["signal_name"] == "BID_LOAD"


async def test_overlapping_events_of_one_market_context_are_kept_with_a_warning(admin: Admin):
    first = await admin.call("POST", "/events", status=201, json=simple_event())
    assert first["warnings"] == []
    # ven-1 is in group north: the same VEN, the same market context, overlapping periods
    second = await admin.call("POST", "/events", status=201, json=simple_event(
        targets={"group_ids": ["north"]}, start="+30m"))
    [warning] = second["warnings"]
    assert first["event_id"] in warning and "ven-1, ven-2" not in warning
    assert "ven-1" in warning and "overlap" in warning
    # another VEN only, or after the first one ends: no warning
    apart = await admin.call("POST", "/events", status=201, json=simple_event(
        targets={"ven_ids": ["ven-3"]}))
    assert apart["warnings"] == []
    later = await admin.call("POST", "/events", status=201, json=simple_event(start="+2h"))
    assert later["warnings"] == []
    # a modification that makes it overlap warns too
    moved = await admin.call("PATCH", f"/events/{later['event_id']}", json={"start": "+10m"})
    assert len(moved["warnings"]) == 2 and first["event_id"] in moved["warnings"][0]
