"""The VTN as a report producer (its METADATA) and as a report requester (what it asks for).

Conformance: R1_3070-3120 (a VEN's oadrCreateReport for the VTN's METADATA), N1_0020 and
N1_0060 (the VTN's oadrRegisterReport after every registration), and the report-request rules
(reportRequestID never 0 and unique, readingType x-notApplicable, granularity >= minPeriod,
HISTORY requests with granularity and reportBackDuration 0 and a reportInterval).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.messages.enums import ReadingType
from common.messages.poll import Poll, Response
from common.messages.report import (
    CreatedReport,
    CreateReport,
    RegisterReport,
    ReportRequest,
    ReportSpecifier,
    SpecifierPayload,
)
from tests.support.ven_reports import metadata_report
from tests.support.vtn_harness import START, Harness, fingerprint_of
from vtn.services.report import request_report

FP = fingerprint_of(1)


async def drain(h: Harness, ven_id: str) -> list:
    """Poll until the VTN answers oadrResponse; every message it handed out."""
    got = []
    for _ in range(20):
        reply = await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=FP)
        if isinstance(reply, Response):
            return got
        got.append(reply)
    raise AssertionError("the queue never emptied")


def ask(ven_id: str, *specifiers: str) -> CreateReport:
    """A VEN's oadrCreateReport for `specifiers` (``METADATA``: the VTN's metadata)."""
    return CreateReport(
        request_id="cr-1",
        ven_id=ven_id,
        report_requests=tuple(
            ReportRequest(
                report_request_id=f"req-{n}",
                report_specifier=ReportSpecifier(
                    report_specifier_id=specifier,
                    granularity=timedelta(0),
                    report_back_duration=timedelta(0),
                    specifier_payloads=(
                        SpecifierPayload(r_id="0", reading_type=ReadingType.X_NOT_APPLICABLE),
                    ),
                ),
            )
            for n, specifier in enumerate(specifiers, start=1)
        ),
    )


# ---- the VTN's own METADATA (R1_3070-3120, N1_0020, N1_0060) -------------------------------


async def test_a_metadata_request_is_answered_with_the_vtn_register_report(harness: Harness):
    h = harness
    reg = await h.register(FP)
    await drain(h, reg.ven_id)
    reply = await h.post("EiReport", ask(reg.ven_id, "METADATA"), fingerprint=FP)
    assert isinstance(reply, CreatedReport), reply
    assert reply.response.response_code == 200 and reply.response.request_id == "cr-1"
    assert reply.pending_reports == ()  # a METADATA request is answered, not kept
    [register] = await drain(h, reg.ven_id)
    assert isinstance(register, RegisterReport) and register.ven_id == reg.ven_id
    assert register.report_request_id == "req-1"
    assert register.reports == ()  # the VTN offers no reports of its own (yet)


async def test_a_request_for_a_report_the_vtn_does_not_offer_is_461(harness: Harness):
    h = harness
    reg = await h.register(FP)
    await drain(h, reg.ven_id)
    reply = await h.post("EiReport", ask(reg.ven_id, "METADATA", "vtn-price"), fingerprint=FP)
    assert isinstance(reply, CreatedReport) and reply.response.response_code == 461
    assert "vtn-price" in (reply.response.response_description or "")
    # its METADATA part is still answered
    [register] = await drain(h, reg.ven_id)
    assert isinstance(register, RegisterReport)


async def test_every_registration_queues_the_vtn_register_report_once(harness: Harness):
    h = harness
    reg = await h.register(FP)
    [first] = await drain(h, reg.ven_id)
    assert isinstance(first, RegisterReport)
    again = await h.register(FP)  # unchanged (N1_0060)
    assert again.registration_id == reg.registration_id
    [second] = await drain(h, reg.ven_id)
    assert isinstance(second, RegisterReport) and second.request_id != first.request_id
    # registering again while one waits queues no second copy
    await h.register(FP)
    await h.register(FP)
    assert [type(m) for m in await drain(h, reg.ven_id)] == [RegisterReport]


# ---- what the VTN asks a VEN for --------------------------------------------------------------


async def registered_with_metadata(h: Harness) -> tuple[str, ReportRequest]:
    reg = await h.register(FP)
    reply = await h.post("EiReport", metadata_report(reg.ven_id), fingerprint=FP)
    [configured] = reply.report_requests
    await drain(h, reg.ven_id)
    return reg.ven_id, configured


async def test_requests_follow_the_report_request_rules(harness: Harness):
    h = harness
    ven_id, configured = await registered_with_metadata(h)
    spec = configured.report_specifier
    assert [p.reading_type for p in spec.specifier_payloads] == [ReadingType.X_NOT_APPLICABLE]
    assert spec.granularity >= timedelta(seconds=10)  # the metadata's minPeriod
    assert spec.report_interval is not None and spec.report_interval.duration == timedelta(0)

    periodic = await request_report(h.vtn, ven_id, "spec-usage", granularity=timedelta(minutes=1),
                                    report_back_duration=timedelta(minutes=5))
    history = await request_report(h.vtn, ven_id, "spec-history", start=START - timedelta(days=1),
                                   duration=timedelta(days=1))
    one_shot = await request_report(h.vtn, ven_id, "spec-usage", one_shot=True)
    sent = await drain(h, ven_id)
    requests = [m.report_requests[0] for m in sent]
    ids = [r.report_request_id for r in requests] + [configured.report_request_id]
    assert "0" not in ids and len(set(ids)) == len(ids)
    assert [r.report_request_id for r in requests] == [
        periodic.report_request_id, history.report_request_id, one_shot.report_request_id]
    for request in requests:
        payloads = request.report_specifier.specifier_payloads
        assert {p.reading_type for p in payloads} == {ReadingType.X_NOT_APPLICABLE}
    usage, past, once = (r.report_specifier for r in requests)
    assert usage.granularity == timedelta(minutes=1)
    assert usage.report_back_duration == timedelta(minutes=5)
    assert usage.report_interval is not None and usage.report_interval.dtstart <= START
    assert (past.granularity, past.report_back_duration) == (timedelta(0), timedelta(0))
    assert past.report_interval is not None
    assert past.report_interval.dtstart == START - timedelta(days=1)
    assert past.report_interval.duration == timedelta(days=1)
    assert once.report_back_duration == timedelta(0) and once.granularity >= timedelta(seconds=10)


async def test_a_granularity_below_the_min_period_is_refused(harness: Harness):
    h = harness
    ven_id, _ = await registered_with_metadata(h)
    with pytest.raises(ValueError, match="minPeriod"):
        await request_report(h.vtn, ven_id, "spec-usage", granularity=timedelta(seconds=1))
    with pytest.raises(ValueError, match="no rIDs"):
        await request_report(h.vtn, ven_id, "spec-usage", r_ids=("nope",))
