"""A VEN that reports its parts (a usage point per metered circuit, a status point per device,
each naming its resource in reportDataSource): the VTN asks for every point, stores every
reading with its rID, and keeps the VEN's performance on the building's usage alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.messages.report import (
    RegisteredReport,
    RegisterReport,
    Report,
    ReportPayload,
    ResourceStatus,
    UpdatedReport,
    UpdateReport,
)
from common.messages.types import Interval
from tests.support.vtn_harness import START, Harness, add_event, fingerprint_of
from ven.client.config import PartPoint, ReportPoints
from ven.client.reports import metadata_reports
from vtn.domain import ReportCapability, ReportDescription
from vtn.services.performance import part_usage_rids
from vtn.storage import ReadingQuery

FP = fingerprint_of(1)
POINTS = ReportPoints(
    usage_parts=(PartPoint(r_id="usage-hvac", resource_id="hvac"),
                 PartPoint(r_id="usage-lighting", resource_id="lighting")),
    status_parts=(PartPoint(r_id="status-rtu", resource_id="rtu"),
                  PartPoint(r_id="status-fan", resource_id="fan")))


def _update(ven_id: str, request_id: str, specifier: str,
            values: dict[str, float | ResourceStatus]) -> UpdateReport:
    """Two one-minute intervals from the event's start with `values` per rID."""
    start = START + timedelta(hours=1)
    intervals = tuple(
        Interval(payloads=tuple(ReportPayload(r_id=r_id, value=v) for r_id, v in values.items()),
                 dtstart=start + timedelta(minutes=i), duration=timedelta(minutes=1))
        for i in range(2))
    report = Report(report_request_id=request_id, report_specifier_id=specifier,
                    created_date_time=START, dtstart=start, intervals=intervals)
    return UpdateReport(request_id="u", reports=(report,), ven_id=ven_id)


async def test_part_points_are_requested_stored_and_left_out_of_performance(
        harness: Harness) -> None:
    h = harness
    ven_id = (await h.register(FP)).ven_id
    event = await add_event(h.store)  # SIMPLE level 2 for everyone, an hour from now
    reply = await h.post("EiReport", RegisterReport(
        request_id="rr", reports=metadata_reports(POINTS, START), ven_id=ven_id), fingerprint=FP)
    assert isinstance(reply, RegisteredReport) and reply.response.response_code == 200
    asked = {r.report_specifier.report_specifier_id: r for r in reply.report_requests}
    assert [p.r_id for p in asked["TELEMETRY_USAGE"].report_specifier.specifier_payloads] == [
        "usage", "usage-hvac", "usage-lighting"]
    assert [p.r_id for p in asked["TELEMETRY_STATUS"].report_specifier.specifier_payloads] == [
        "status", "status-rtu", "status-fan"]
    offered = {c.report_specifier_id: c for c in await h.store.reports.capabilities(ven_id)}
    status = offered["TELEMETRY_STATUS"]
    assert [(d.r_id, d.resource_id) for d in status.descriptions] == [
        ("status", None), ("status-rtu", "rtu"), ("status-fan", "fan")]

    sent = [("TELEMETRY_USAGE", {"usage": 80.0, "usage-hvac": 30.0, "usage-lighting": 5.0}),
            ("TELEMETRY_BASELINE", {"baseline": 100.0}),
            ("TELEMETRY_STATUS", {
                "status": ResourceStatus(online=False, manual_override=True),
                "status-rtu": ResourceStatus(online=True, manual_override=True),
                "status-fan": ResourceStatus(online=False, manual_override=False)})]
    for specifier, values in sent:
        answer = await h.post("EiReport", _update(
            ven_id, asked[specifier].report_request_id, specifier, values), fingerprint=FP)
        assert isinstance(answer, UpdatedReport) and answer.response.response_code == 200
    readings = await h.store.reports.readings(ReadingQuery(ven_id=ven_id))
    first = {r.r_id: r.value for r in readings if r.start == START + timedelta(hours=1)}
    assert first == {"usage": 80.0, "usage-hvac": 30.0, "usage-lighting": 5.0,
                     "baseline": 100.0, "status": 0.0, "status-rtu": 1.0, "status-fan": 0.0}
    row = await h.store.performance.get(event.event_id, ven_id)
    assert row is not None and row.data_points == 2
    assert row.actual_kw == 80.0  # the building's usage, not a circuit's
    assert row.baseline_kw == 100.0


def _capability(*descriptions: tuple[str, str | None]) -> ReportCapability:
    from common.messages.enums import ReadingType, ReportName, ReportType

    return ReportCapability(
        ven_id="v", report_specifier_id="TELEMETRY_USAGE",
        report_name=ReportName.METADATA_TELEMETRY_USAGE, created_at=START, duration=None,
        descriptions=tuple(ReportDescription(
            r_id=r_id, report_type=ReportType.USAGE, reading_type=ReadingType.DIRECT_READ,
            resource_id=resource) for r_id, resource in descriptions))


@pytest.mark.parametrize(("descriptions", "parts"), [
    ((("usage", None),), set()),
    ((("usage", "meter-1"),), set()),
    ((("usage", None), ("usage-hvac", "hvac")), {"usage-hvac"}),
    ((("usage-hvac", "hvac"), ("usage", None)), {"usage-hvac"}),
    ((("usage", "site"), ("usage-hvac", "hvac"), ("usage-pv", "pv")), {"usage-hvac", "usage-pv"}),
])
def test_the_whole_is_the_usage_point_without_a_resource_or_else_the_first(
        descriptions: tuple[tuple[str, str | None], ...], parts: set[str]) -> None:
    assert part_usage_rids([_capability(*descriptions)]) == parts
