"""Admin API actions queued for a VEN: request and cancel a report, ask a VEN to re-register.

Conformance: N1_0050 (oadrRequestReregistration), R1_3010-3050 and R1_3130-3180 (report
requests and cancellations the operator makes).
"""

from __future__ import annotations

from datetime import timedelta

from common.messages.enums import ReadingType
from common.messages.registration import RequestReregistration
from common.messages.report import CancelReport, CreateReport
from common.messages.types import Message
from tests.support.admin_api import T0, Admin, seed_reports
from vtn.services.queue import decode_item


async def queued(admin: Admin, ven_id: str) -> list[Message]:
    """The messages waiting for `ven_id`, oldest first."""
    return [decode_item(i) for i in await admin.store.outbox.pending(ven_id=ven_id)]


async def test_request_a_report_queues_create_report(admin: Admin):
    await seed_reports(admin.store)
    body = await admin.call("POST", "/reports/subscriptions", status=201, json={
        "ven_id": "ven-1", "report_specifier_id": "telemetry", "granularity": "5m",
        "report_back_duration": "PT15M"})
    assert body["queued"] == "oadrCreateReport"
    subscription = body["subscription"]
    assert subscription["granularity"] == "PT5M" and subscription["r_ids"] == ["power"]
    assert subscription["report_request_id"] not in ("0", "rr-1")
    [message] = await queued(admin, "ven-1")
    assert isinstance(message, CreateReport)
    [request] = message.report_requests
    assert request.report_request_id == subscription["report_request_id"]
    spec = request.report_specifier
    assert spec.report_specifier_id == "telemetry"
    assert spec.granularity == timedelta(minutes=5)
    assert spec.report_back_duration == timedelta(minutes=15)
    assert [p.reading_type for p in spec.specifier_payloads] == [ReadingType.X_NOT_APPLICABLE]
    assert spec.report_interval is not None and spec.report_interval.dtstart == T0
    listed = await admin.call("GET", "/reports/subscriptions?ven_id=ven-1")
    assert len(listed["subscriptions"]) == 2


async def test_a_bad_report_request_is_400_with_its_field(admin: Admin):
    await seed_reports(admin.store)
    base = {"ven_id": "ven-1", "report_specifier_id": "telemetry"}
    bad = await admin.call("POST", "/reports/subscriptions", status=400,
                           json=base | {"granularity": "10s"})
    assert bad["error"]["field"] == "granularity" and "minPeriod" in bad["error"]["message"]
    bad = await admin.call("POST", "/reports/subscriptions", status=400,
                           json=base | {"r_ids": ["voltage"]})
    assert "voltage" in bad["error"]["message"]
    bad = await admin.call("POST", "/reports/subscriptions", status=400,
                           json=base | {"report_specifier_id": "nope"})
    assert "telemetry" in bad["error"]["message"]  # what it offers instead
    bad = await admin.call("POST", "/reports/subscriptions", status=400, json={"ven_id": "ven-1"})
    assert bad["error"]["field"] == "report_specifier_id"
    bad = await admin.call("POST", "/reports/subscriptions", status=400,
                           json=base | {"granularty": "5m"})
    assert bad["error"]["field"] == "granularty"
    await admin.call("POST", "/reports/subscriptions", status=404,
                     json=base | {"ven_id": "ven-9"})
    assert await queued(admin, "ven-1") == []


async def test_cancel_a_report_request_queues_cancel_report(admin: Admin):
    await seed_reports(admin.store)
    body = await admin.call("POST", "/reports/subscriptions/rr-1/cancel",
                            json={"report_to_follow": True})
    assert body["queued"] == "oadrCancelReport"
    assert body["subscription"]["status"] == "cancelled"
    [message] = await queued(admin, "ven-1")
    assert isinstance(message, CancelReport)
    assert message.report_request_ids == ("rr-1",) and message.report_to_follow
    await admin.call("POST", "/reports/subscriptions/rr-1/cancel", status=409)
    await admin.call("POST", "/reports/subscriptions/nope/cancel", status=404)


async def test_ask_a_ven_to_register_again(admin: Admin):
    body = await admin.call("POST", "/vens/ven-1/reregister")
    assert body["queued"] == "oadrRequestReregistration" and body["ven"]["ven_id"] == "ven-1"
    [message] = await queued(admin, "ven-1")
    assert isinstance(message, RequestReregistration) and message.ven_id == "ven-1"
    await admin.call("POST", "/vens/ven-9/reregister", status=404)
    await admin.call("POST", "/vens/ven-2/cancel")
    await admin.call("POST", "/vens/ven-2/reregister", status=409)
