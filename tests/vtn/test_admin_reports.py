"""Admin API: opts, report capabilities, subscriptions, readings (JSON and CSV), OpenAPI."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from openapi_spec_validator import validate

from common.messages.enums import OptReason, OptType
from tests.support.admin_api import QUARTER, T0, Admin, seed_reports, simple_event
from vtn.admin.openapi import OPENAPI
from vtn.admin.routes import API_ROOT, ROUTES
from vtn.domain import AvailabilityPeriod, Opt


async def test_opts_list_with_filters(admin: Admin):
    event = await admin.call("POST", "/events", status=201, json=simple_event())
    await admin.store.opts.add(
        Opt(
            opt_id="opt-1",
            ven_id="ven-1",
            opt_type=OptType.OPT_OUT,
            opt_reason=OptReason.OVERRIDE_STATUS,
            created_at=T0,
            received_at=T0,
            event_id=event["event_id"],
            modification_number=0,
        )
    )
    await admin.store.opts.add(
        Opt(
            opt_id="sched-1",
            ven_id="ven-2",
            opt_type=OptType.OPT_IN,
            opt_reason=OptReason.ECONOMIC,
            created_at=T0,
            received_at=T0 + QUARTER,
            availability=(AvailabilityPeriod(start=T0, duration=timedelta(hours=2)),),
        )
    )
    body = await admin.call("GET", "/opts")
    assert [o["opt_id"] for o in body["opts"]] == ["opt-1", "sched-1"]
    first, second = body["opts"]
    assert first["opt_type"] == "optOut" and first["event_id"] == event["event_id"]
    assert second["availability"] == [{"start": "2026-07-01T12:00:00Z", "duration": "PT2H"}]
    only = await admin.call("GET", f"/opts?event_id={event['event_id']}")
    assert [o["opt_id"] for o in only["opts"]] == ["opt-1"]
    only = await admin.call("GET", "/opts?ven_id=ven-2")
    assert [o["opt_id"] for o in only["opts"]] == ["sched-1"]


async def test_capabilities_and_subscriptions(admin: Admin):
    await seed_reports(admin.store)
    body = await admin.call("GET", "/reports/capabilities")
    (capability,) = body["capabilities"]
    assert capability["report_name"] == "METADATA_TELEMETRY_USAGE"
    (point,) = capability["data_points"]
    assert point["r_id"] == "power" and point["unit"]["scale"] == "k"
    assert point["min_period"] == "PT1M" and point["max_period"] == "PT1H"
    body = await admin.call("GET", "/reports/capabilities?ven_id=ven-2")
    assert body["capabilities"] == []
    await admin.call("GET", "/reports/capabilities?ven_id=nope", status=404)
    body = await admin.call("GET", "/reports/subscriptions")
    (subscription,) = body["subscriptions"]
    assert subscription["report_request_id"] == "rr-1"
    assert subscription["granularity"] == "PT15M" and subscription["status"] == "requested"


async def test_readings_query_and_csv_export(admin: Admin):
    await seed_reports(admin.store)
    body = await admin.call("GET", "/reports/readings?ven_id=ven-1")
    assert [r["value"] for r in body["readings"]] == [100, 90, 80, 70]
    assert body["readings"][0] == {
        "ven_id": "ven-1",
        "report_request_id": "rr-1",
        "r_id": "power",
        "start": "2026-07-01T12:00:00Z",
        "duration": "PT15M",
        "value": 100.0,
        "item_units": "W",
        "scale": "k",
        "report_type": "usage",
        "reading_type": "Direct Read",
        "data_quality": None,
    }
    window = "from=2026-07-01T12:15:00Z&to=2026-07-01T12:45:00%2B00:00"
    body = await admin.call("GET", f"/reports/readings?{window}&r_id=power")
    assert [r["value"] for r in body["readings"]] == [90, 80]
    body = await admin.call("GET", "/reports/readings?limit=1")
    assert len(body["readings"]) == 1
    body = await admin.call("GET", "/reports/readings?r_id=other")
    assert body["readings"] == []

    response = await admin.client.get(
        f"{API_ROOT}/reports/readings.csv?ven_id=ven-1", headers=admin.headers()
    )
    assert response.status == 200 and response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [float(r["value"]) for r in rows] == [100, 90, 80, 70]
    assert rows[1]["start"] == "2026-07-01T12:15:00Z" and rows[1]["scale"] == "k"

    bad = await admin.call("GET", "/reports/readings?from=yesterday", status=400)
    assert bad["error"]["field"] == "from"
    bad = await admin.call("GET", "/reports/readings?from=2026-07-01T12:00:00", status=400)
    assert "no time zone" in bad["error"]["message"]
    bad = await admin.call(
        "GET",
        f"/reports/readings?from={T0.isoformat()}&to={T0.isoformat()}".replace("+", "%2B"),
        status=400,
    )
    assert bad["error"]["field"] == "to"


# ---- the OpenAPI document -----------------------------------------------------------------


def test_openapi_document_is_valid_openapi_3_1():
    assert OPENAPI["openapi"].startswith("3.1")
    validate(OPENAPI)


def test_every_route_is_documented_and_every_documented_route_exists():
    served = {(r.method.lower(), r.path) for r in ROUTES}
    documented = {
        (method, path)
        for path, item in OPENAPI["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert served == documented


def test_documented_path_parameters_match_the_routes():
    for path, item in OPENAPI["paths"].items():
        in_path = set(re.findall(r"{(\w+)}", path))
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        assert in_path == declared, path


def test_every_schema_reference_resolves():
    schemas = OPENAPI["components"]["schemas"]
    responses = OPENAPI["components"]["responses"]
    text = repr(OPENAPI)
    for kind, name in re.findall(r"#/components/(schemas|responses)/(\w+)", text):
        assert name in (schemas if kind == "schemas" else responses), name


async def test_the_document_is_served_without_a_token(admin: Admin):
    response = await admin.client.get(f"{API_ROOT}/openapi.json")
    assert response.status == 200
    assert await response.json() == OPENAPI
