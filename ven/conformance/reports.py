"""R1/R0: report cases (pull, and the same scenarios as push twins), the harness playing the
VEN against the VTN under test.

"VEN reports" (3010-3060, 3150-3160, 3180): the VTN asks the kit's VEN for reports (the
operator's ``request_report`` / ``cancel_report`` steps, or a request piggy-backed on the
VTN's oadrRegisteredReport); the kit accepts (oadrCreatedReport), sends data (oadrUpdateReport)
and checks the VTN's oadrUpdatedReport, oadrCancelReport and acknowledgements. The kit's VEN
offers KIT_TELEMETRY_USAGE (rID ``kit-usage``, power [W]) and KIT_TELEMETRY_STATUS (rID
``kit-status``, x-resourceStatus).

"VTN reports" (3070-3120, 3170): the kit asks for the VTN's METADATA (oadrCreateReport with
reportSpecifierID ``METADATA``), takes its oadrRegisterReport, and asks for a report it
offers. A VTN whose METADATA lists no report does not produce reports (optional in 2.0b):
3070-3120 are then ``n/a`` with that reason; 3170 still applies.

How the kit reads the cases:

- 3025 "delayed periodic with loadControlState": the request starts a minute from now; the
  kit's TELEMETRY_STATUS data carries oadrLoadControlState in every interval;
- 3027 "short duration": a periodic request over a reportInterval of two minutes;
- 3030 "multiple report-request payloads": the VTN asks for both reports; they may come in one
  oadrCreateReport or in two (the operator asks twice);
- 3050 "piggy-back cancellation": the operator cancels a request, then the kit sends data for
  it before taking the VTN's messages: the oadrUpdatedReport must carry an oadrCancelReport
  naming it;
- 3060 "piggy-back request": the VTN's oadrRegisteredReport must carry oadrReportRequests (the
  kit accepts them and sends data); a VTN asking with oadrCreateReport only fails it;
- 3180 "same payload, multiple requests and updates": one oadrUpdateReport carries reports for
  two requests;
- 3190 negative: oadrUpdateReport for a reportRequestID the VTN never made, oadrCreateReport
  for a reportSpecifierID it never offered, oadrCancelReport for an unknown reportRequestID:
  each is refused with an error code (not 200).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from common.messages.enums import ReadingType, ReportName
from common.messages.poll import Response
from common.messages.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    LoadControlState,
    LoadControlStateValue,
    RegisteredReport,
    RegisterReport,
    Report,
    ReportPayload,
    ReportRequest,
    ReportSpecifier,
    ResourceStatus,
    SpecifierPayload,
    UpdatedReport,
    UpdateReport,
)
from common.messages.types import Interval, Message
from ven.conformance.operator import Step
from ven.conformance.scenario import Harness, NotApplicable, response_code, snippet
from ven.conformance.wire import Record

__all__ = ["CASES", "NOT_RUN"]

USAGE, STATUS = "KIT_TELEMETRY_USAGE", "KIT_TELEMETRY_STATUS"
MESSAGES = 8
"""How many messages of the VTN the kit takes at most while waiting for one."""


# ---- helpers -----------------------------------------------------------------------------------


async def _take(h: Harness, kind: type[Message], text: str) -> Message:
    """Take the VTN's messages (answering the others as a VEN must) until a `kind` arrives."""
    for _ in range(MESSAGES):
        message = await h.next_message()
        if isinstance(message, kind):
            return message
        if message is None:
            break
        await h.answer(message)
    h.expect(False, text, f"no {kind.__name__} from the VTN")
    raise AssertionError("unreachable")


async def _acknowledge(h: Harness, reply: Message, text: str) -> None:
    """Pull: POST `reply` (the VEN's answer to a VTN message), expect oadrResponse 200.
    Push: it was the HTTP answer already."""
    if not h.push:
        h.expect_reply(await h.send("EiReport", reply), Response, text)


async def _accept(h: Harness, create: CreateReport) -> tuple[ReportRequest, ...]:
    """oadrCreatedReport for the VTN's oadrCreateReport; its requests."""
    h.expect(bool(create.report_requests), "the oadrCreateReport holds report requests")
    reply = h.reply_for(create)
    assert reply is not None
    await _acknowledge(h, reply, "the VTN acknowledges the oadrCreatedReport")
    return create.report_requests


async def _requested(h: Harness, specifier: str, text: str, **params: object
                     ) -> ReportRequest:
    """Have the operator ask for report `specifier`; take and accept the VTN's request."""
    await h.operate(Step.REQUEST_REPORT, ven_id=h.ven_id, report_specifier_id=specifier,
                    **params)
    create = await _take(h, CreateReport, text)
    assert isinstance(create, CreateReport)
    requests = await _accept(h, create)
    ours = [r for r in requests if r.report_specifier.report_specifier_id == specifier]
    h.expect(bool(ours), f"the request names {specifier}",
             f"{[r.report_specifier.report_specifier_id for r in requests]}")
    return ours[0]


def _report(request: ReportRequest, *, intervals: int = 1, load_control: bool = False
            ) -> Report:
    """Data for `request`: `intervals` back-to-back intervals of its granularity (1 min if
    none) ending now, one payload per requested rID."""
    spec = request.report_specifier
    step = spec.granularity if spec.granularity > timedelta(0) else timedelta(minutes=1)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - step * intervals
    status = spec.report_specifier_id == STATUS
    r_ids = [p.r_id for p in spec.specifier_payloads] or ["kit-status" if status else "kit-usage"]

    def value(index: int) -> float | ResourceStatus:
        if not status:
            return 1000.0 + index
        state = LoadControlState(level_offset=LoadControlStateValue(current=0)) if (
            load_control) else None
        return ResourceStatus(online=True, manual_override=False, load_control_state=state)

    return Report(
        report_request_id=request.report_request_id,
        report_specifier_id=spec.report_specifier_id, created_date_time=now,
        report_id=f"kit-report-{request.report_request_id}",
        report_name=ReportName.TELEMETRY_STATUS if status else ReportName.TELEMETRY_USAGE,
        dtstart=start, duration=step * intervals,
        intervals=tuple(Interval(payloads=tuple(ReportPayload(r_id=r, value=value(i))
                                               for r in r_ids),
                                 dtstart=start + step * i, duration=step)
                        for i in range(intervals)))


async def _update(h: Harness, reports: Sequence[Report], text: str) -> UpdatedReport:
    assert h.ven_id is not None
    updated: UpdatedReport = h.expect_reply(await h.send("EiReport", UpdateReport(
        request_id=h.request_id(), reports=tuple(reports), ven_id=h.ven_id)), UpdatedReport,
        text)
    return updated


async def _cancelled(h: Harness, report_request_id: str, *, follow: bool) -> CancelReport:
    """Have the operator cancel `report_request_id`; take the VTN's oadrCancelReport."""
    await h.operate(Step.CANCEL_REPORT, ven_id=h.ven_id, report_request_id=report_request_id,
                    report_to_follow=follow)
    cancel = await _take(h, CancelReport, "the VTN sends oadrCancelReport")
    assert isinstance(cancel, CancelReport)
    h.expect(report_request_id in cancel.report_request_ids,
             "the oadrCancelReport names the request", f"{cancel.report_request_ids}")
    return cancel


def _refused(h: Harness, record: Record, text: str) -> None:
    code = response_code(record.reply)
    h.expect((record.reply is not None and code is not None and code != 200)
             or (record.reply is None and (record.status or 0) >= 400), text,
             f"HTTP {record.status} {record.reply_name or snippet(record.response_body)} "
             f"responseCode {code}")


# ---- VEN reports -------------------------------------------------------------------------------


async def r1_3010(h: Harness) -> None:
    """Bootstrap; the operator asks for the VEN's TELEMETRY_STATUS once (one-shot) ->
    oadrCreateReport; oadrCreatedReport -> oadrResponse 200; oadrUpdateReport with the data ->
    oadrUpdatedReport 200."""
    await h.bootstrap()
    request = await _requested(h, STATUS, "the VTN sends oadrCreateReport", one_shot=True)
    await _update(h, [_report(request)], "the VTN acknowledges the report data")
    await h.drain()


async def r1_3020(h: Harness) -> None:
    """Bootstrap; the operator asks for TELEMETRY_STATUS periodically (granularity 1 min,
    an hour) -> oadrCreateReport, accepted; two oadrUpdateReports -> oadrUpdatedReport 200."""
    await h.bootstrap()
    request = await _requested(h, STATUS, "the VTN sends oadrCreateReport", one_shot=False,
                               granularity="PT1M", duration="PT1H")
    await _update(h, [_report(request)], "the VTN acknowledges the first report")
    await _update(h, [_report(request, intervals=2)], "the VTN acknowledges the second report")
    await h.drain()


async def r1_3025(h: Harness) -> None:
    """Bootstrap; a periodic TELEMETRY_STATUS request starting a minute from now; two
    oadrUpdateReports with oadrLoadControlState in every interval -> 200."""
    await h.bootstrap()
    request = await _requested(h, STATUS, "the VTN sends oadrCreateReport", one_shot=False,
                               granularity="PT1M", duration="PT1H", start="+1m")
    await _update(h, [_report(request, load_control=True)],
                  "the VTN acknowledges the first report with loadControlState")
    await _update(h, [_report(request, intervals=2, load_control=True)],
                  "the VTN acknowledges the second report with loadControlState")
    await h.drain()


async def r1_3027(h: Harness) -> None:
    """Bootstrap; a periodic TELEMETRY_USAGE request over two minutes; an oadrUpdateReport
    -> 200."""
    await h.bootstrap()
    request = await _requested(h, USAGE, "the VTN sends oadrCreateReport", one_shot=False,
                               granularity="PT1M", duration="PT2M")
    await _update(h, [_report(request)], "the VTN acknowledges the report")
    await h.drain()


async def r1_3030(h: Harness) -> None:
    """Bootstrap; the operator asks for TELEMETRY_USAGE and TELEMETRY_STATUS; the kit accepts
    the requests (one oadrCreateReport or two) and sends data for each -> 200."""
    await h.bootstrap()
    usage = await _requested(h, USAGE, "the VTN asks for TELEMETRY_USAGE", one_shot=False,
                             granularity="PT1M", duration="PT1H")
    status = await _requested(h, STATUS, "the VTN asks for TELEMETRY_STATUS", one_shot=False,
                              granularity="PT1M", duration="PT1H")
    await _update(h, [_report(usage)], "the VTN acknowledges the usage data")
    await _update(h, [_report(status)], "the VTN acknowledges the status data")
    await h.drain()


async def _periodic(h: Harness) -> ReportRequest:
    await h.bootstrap()
    request = await _requested(h, USAGE, "the VTN sends oadrCreateReport", one_shot=False,
                               granularity="PT1M", duration="PT0S")
    await _update(h, [_report(request)], "the VTN acknowledges the report")
    return request


async def r1_3040(h: Harness) -> None:
    """Bootstrap; a periodic request, data; the operator cancels it -> oadrCancelReport;
    oadrCanceledReport -> oadrResponse 200."""
    request = await _periodic(h)
    cancel = await _cancelled(h, request.report_request_id, follow=False)
    await _acknowledge(h, CanceledReport(response=h.ok(cancel.request_id), ven_id=h.ven_id),
                       "the VTN acknowledges the oadrCanceledReport")
    await h.drain()


async def r1_3045(h: Harness) -> None:
    """Bootstrap; an open-ended periodic request, data; the operator cancels it with
    reportToFollow -> oadrCancelReport reportToFollow=true; oadrCanceledReport (the request
    pending) -> 200; the last oadrUpdateReport -> oadrUpdatedReport 200."""
    request = await _periodic(h)
    cancel = await _cancelled(h, request.report_request_id, follow=True)
    h.expect(cancel.report_to_follow, "the oadrCancelReport says reportToFollow=true")
    await _acknowledge(h, CanceledReport(response=h.ok(cancel.request_id), ven_id=h.ven_id,
                                         pending_reports=(request.report_request_id,)),
                       "the VTN acknowledges the oadrCanceledReport")
    await _update(h, [_report(request)], "the VTN acknowledges the report that follows")
    await h.drain()


async def r1_3050(h: Harness) -> None:
    """Bootstrap; a periodic request, data; the operator cancels it; the kit sends data for it
    before taking the VTN's messages: the oadrUpdatedReport carries an oadrCancelReport naming
    the request (piggy-back); the VEN confirms with oadrCanceledReport -> 200."""
    request = await _periodic(h)
    await h.operate(Step.CANCEL_REPORT, ven_id=h.ven_id,
                    report_request_id=request.report_request_id, report_to_follow=False)
    updated = await _update(h, [_report(request)], "the VTN acknowledges the report")
    cancel = updated.cancel_report
    h.expect(cancel is not None and request.report_request_id in cancel.report_request_ids,
             "the oadrUpdatedReport carries an oadrCancelReport naming the request",
             f"{cancel.report_request_ids if cancel else 'no oadrCancelReport'}")
    assert cancel is not None
    h.expect_reply(await h.send("EiReport", CanceledReport(
        response=h.ok(cancel.request_id), ven_id=h.ven_id)), Response,
        "the VTN acknowledges the oadrCanceledReport")
    await h.drain()


async def r1_3060(h: Harness) -> None:
    """Query, register; oadrRegisterReport -> oadrRegisteredReport 200 carrying
    oadrReportRequests (piggy-back); oadrCreatedReport -> 200; data for each -> 200."""
    await h.query()
    await h.register()
    record = await h.send("EiReport", h.metadata())
    registered = h.expect_reply(record, RegisteredReport,
                                "the VTN acknowledges the VEN's oadrRegisterReport")
    h.expect(bool(registered.report_requests),
             "the oadrRegisteredReport carries report requests (piggy-back)",
             "it carries none")
    h.expect_reply(await h.send("EiReport", CreatedReport(
        response=h.ok(registered.response.request_id), ven_id=h.ven_id,
        pending_reports=tuple(r.report_request_id for r in registered.report_requests))),
        Response, "the VTN acknowledges the oadrCreatedReport")
    for request in registered.report_requests:
        await _update(h, [_report(request)], f"the VTN acknowledges the data for "
                                             f"{request.report_specifier.report_specifier_id}")
    await h.drain()


async def r1_3150(h: Harness) -> None:
    """Bootstrap; the operator asks for TELEMETRY_USAGE once (one-shot); accepted; the data
    -> oadrUpdatedReport 200."""
    await h.bootstrap()
    request = await _requested(h, USAGE, "the VTN sends oadrCreateReport", one_shot=True)
    await _update(h, [_report(request)], "the VTN acknowledges the usage data")
    await h.drain()


async def r1_3160(h: Harness) -> None:
    """Bootstrap; a periodic TELEMETRY_USAGE request (1 min, an hour); three oadrUpdateReports
    -> 200 each."""
    await h.bootstrap()
    request = await _requested(h, USAGE, "the VTN sends oadrCreateReport", one_shot=False,
                               granularity="PT1M", duration="PT1H")
    for count in (1, 2, 3):
        await _update(h, [_report(request, intervals=count)],
                      f"the VTN acknowledges report {count}")
    await h.drain()


async def r1_3180(h: Harness) -> None:
    """Bootstrap; periodic requests for TELEMETRY_USAGE and TELEMETRY_STATUS; one
    oadrUpdateReport carrying a report for each, twice -> 200 each."""
    await h.bootstrap()
    usage = await _requested(h, USAGE, "the VTN asks for TELEMETRY_USAGE", one_shot=False,
                             granularity="PT1M", duration="PT1H")
    status = await _requested(h, STATUS, "the VTN asks for TELEMETRY_STATUS", one_shot=False,
                              granularity="PT1M", duration="PT1H")
    await _update(h, [_report(usage), _report(status)],
                  "the VTN acknowledges two reports in one payload")
    await _update(h, [_report(usage, intervals=2), _report(status, intervals=2)],
                  "the VTN acknowledges two more in one payload")
    await h.drain()


async def r1_3190(h: Harness) -> None:
    """Negative. Bootstrap; oadrUpdateReport for a reportRequestID the VTN never made,
    oadrCreateReport for a reportSpecifierID it never offered, oadrCancelReport for an unknown
    reportRequestID: each refused with an error code; the VTN keeps serving."""
    await h.bootstrap()
    assert h.ven_id is not None
    fake = ReportRequest(report_request_id="kit-never-requested", report_specifier=(
        ReportSpecifier(report_specifier_id=USAGE, granularity=timedelta(minutes=1),
                        report_back_duration=timedelta(0), specifier_payloads=(
                            SpecifierPayload(r_id="kit-usage",
                                             reading_type=ReadingType.X_NOT_APPLICABLE),))))
    _refused(h, await h.send("EiReport", UpdateReport(
        request_id=h.request_id(), reports=(_report(fake),), ven_id=h.ven_id)),
        "data for a reportRequestID the VTN never made is refused")
    _refused(h, await h.send("EiReport", CreateReport(
        request_id=h.request_id(), ven_id=h.ven_id, report_requests=(_request(
            "kit-never-offered", "kit-rid"),))),
        "a request for a report the VTN never offered is refused")
    _refused(h, await h.send("EiReport", CancelReport(
        request_id=h.request_id(), report_request_ids=("kit-never-requested",),
        report_to_follow=False, ven_id=h.ven_id)),
        "a cancellation of an unknown reportRequestID is refused")
    await h.nothing_waiting("the VTN keeps serving")


# ---- VTN reports -------------------------------------------------------------------------------


def _request(specifier: str, *r_ids: str, granularity: timedelta = timedelta(0),
             back: timedelta = timedelta(0)) -> ReportRequest:
    return ReportRequest(
        report_request_id=f"kit-rr-{specifier}-{datetime.now(UTC).timestamp():.6f}",
        report_specifier=ReportSpecifier(
            report_specifier_id=specifier, granularity=granularity, report_back_duration=back,
            specifier_payloads=tuple(SpecifierPayload(r_id=r,
                                                      reading_type=ReadingType.X_NOT_APPLICABLE)
                                     for r in r_ids)))


async def _vtn_metadata(h: Harness) -> RegisterReport:
    """Bootstrap; oadrCreateReport for the VTN's METADATA -> oadrCreatedReport 200; the VTN's
    oadrRegisterReport arrives; oadrRegisteredReport -> 200."""
    await h.bootstrap()
    assert h.ven_id is not None
    h.expect_reply(await h.send("EiReport", CreateReport(
        request_id=h.request_id(), ven_id=h.ven_id,
        report_requests=(_request("METADATA", "METADATA"),))), CreatedReport,
        "the VTN accepts the METADATA request")
    registered = await _take(h, RegisterReport, "the VTN sends its oadrRegisterReport")
    assert isinstance(registered, RegisterReport)
    reply = h.reply_for(registered)
    assert reply is not None
    await _acknowledge(h, reply, "the VTN acknowledges the oadrRegisteredReport")
    return registered


async def r1_3170(h: Harness) -> None:
    """Bootstrap; oadrCreateReport (reportSpecifierID METADATA) -> oadrCreatedReport 200; the
    VTN's oadrRegisterReport (possibly listing no report) follows; oadrRegisteredReport ->
    200."""
    await _vtn_metadata(h)
    await h.drain()


async def _offered(h: Harness) -> tuple[RegisterReport, Report]:
    metadata = await _vtn_metadata(h)
    offered = [r for r in metadata.reports if r.report_descriptions]
    if not offered:
        raise NotApplicable("the VTN produces no reports (optional in 2.0b): its METADATA "
                            "oadrRegisterReport lists none")
    return metadata, offered[0]


def _ask(report: Report, *, periodic: bool) -> ReportRequest:
    rate = report.report_descriptions[0].sampling_rate
    step = rate.min_period if rate is not None and periodic else timedelta(0)
    return _request(report.report_specifier_id,
                    *(d.r_id for d in report.report_descriptions),
                    granularity=step, back=step)


async def _ask_vtn(h: Harness, requests: Sequence[ReportRequest]) -> None:
    assert h.ven_id is not None
    h.expect_reply(await h.send("EiReport", CreateReport(
        request_id=h.request_id(), ven_id=h.ven_id, report_requests=tuple(requests))),
        CreatedReport, "the VTN accepts the report request")


async def _vtn_data(h: Harness, request_ids: set[str], text: str) -> UpdateReport:
    update = await _take(h, UpdateReport, text)
    assert isinstance(update, UpdateReport)
    named = {r.report_request_id for r in update.reports}
    h.expect(bool(named & request_ids), f"{text}: for the kit's request",
             f"reportRequestIDs {sorted(named)}")
    reply = h.reply_for(update)
    assert reply is not None
    await _acknowledge(h, reply, "the VTN acknowledges the oadrUpdatedReport")
    return update


async def r1_3070(h: Harness) -> None:
    """VTN reports, one-shot: the VTN's METADATA; oadrCreateReport for its first report
    (granularity and reportBackDuration 0) -> 200; its oadrUpdateReport arrives."""
    _, report = await _offered(h)
    request = _ask(report, periodic=False)
    await _ask_vtn(h, [request])
    await _vtn_data(h, {request.report_request_id}, "the VTN sends the report")


async def r1_3080(h: Harness) -> None:
    """VTN reports, periodic: as R1_3070 at the report's minPeriod; two oadrUpdateReports."""
    _, report = await _offered(h)
    request = _ask(report, periodic=True)
    await _ask_vtn(h, [request])
    await _vtn_data(h, {request.report_request_id}, "the VTN sends the first report")
    await _vtn_data(h, {request.report_request_id}, "the VTN sends the second report")


async def r1_3090(h: Harness) -> None:
    """VTN reports, multiple requests: one oadrCreateReport with two requests (one-shot) ->
    200; the VTN's data names them."""
    metadata, report = await _offered(h)
    others = [r for r in metadata.reports if r.report_descriptions and r is not report]
    requests = [_ask(report, periodic=False), _ask(others[0] if others else report,
                                                   periodic=False)]
    await _ask_vtn(h, requests)
    wanted = {r.report_request_id for r in requests}
    first = await _vtn_data(h, wanted, "the VTN sends data")
    left = wanted - {r.report_request_id for r in first.reports}
    if left:
        await _vtn_data(h, left, "the VTN sends data for the other request")


async def r1_3100(h: Harness) -> None:
    """VTN reports, cancel: a periodic request, its first data; oadrCancelReport ->
    oadrCanceledReport 200."""
    _, report = await _offered(h)
    request = _ask(report, periodic=True)
    await _ask_vtn(h, [request])
    await _vtn_data(h, {request.report_request_id}, "the VTN sends the report")
    assert h.ven_id is not None
    h.expect_reply(await h.send("EiReport", CancelReport(
        request_id=h.request_id(), report_request_ids=(request.report_request_id,),
        report_to_follow=False, ven_id=h.ven_id)), CanceledReport,
        "the VTN cancels the report")


async def r1_3110(h: Harness) -> None:
    """VTN reports, piggy-back cancel: a periodic request; the kit answers its first data with
    an oadrUpdatedReport carrying oadrCancelReport -> the VTN acknowledges (pull: oadrResponse
    200) and sends no more data."""
    _, report = await _offered(h)
    request = _ask(report, periodic=True)
    await _ask_vtn(h, [request])
    update = await _take(h, UpdateReport, "the VTN sends the report")
    assert isinstance(update, UpdateReport) and h.ven_id is not None
    cancel = CancelReport(request_id=h.request_id(),
                          report_request_ids=(request.report_request_id,),
                          report_to_follow=False, ven_id=h.ven_id)
    if not h.push:
        h.expect_reply(await h.send("EiReport", UpdatedReport(
            response=h.ok(update.request_id), cancel_report=cancel, ven_id=h.ven_id)),
            Response, "the VTN acknowledges the oadrUpdatedReport with the cancellation")
    seen = await h.drain()
    h.expect(not any(isinstance(m, UpdateReport) for m in seen),
             "no more data after the piggy-backed cancellation",
             f"{[type(m).__name__ for m in seen]}")


async def r1_3120(h: Harness) -> None:
    """VTN reports, piggy-back request: the kit answers the VTN's METADATA with an
    oadrRegisteredReport carrying an oadrReportRequest for its first report -> the VTN's
    data arrives."""
    await h.bootstrap()
    assert h.ven_id is not None
    h.expect_reply(await h.send("EiReport", CreateReport(
        request_id=h.request_id(), ven_id=h.ven_id,
        report_requests=(_request("METADATA", "METADATA"),))), CreatedReport,
        "the VTN accepts the METADATA request")
    metadata = await _take(h, RegisterReport, "the VTN sends its oadrRegisterReport")
    assert isinstance(metadata, RegisterReport)
    offered = [r for r in metadata.reports if r.report_descriptions]
    if not offered:
        h.expect_reply(await h.send("EiReport", RegisteredReport(
            response=h.ok(metadata.request_id), ven_id=h.ven_id)), Response,
            "the VTN acknowledges the oadrRegisteredReport")
        raise NotApplicable("the VTN produces no reports (optional in 2.0b): its METADATA "
                            "oadrRegisterReport lists none")
    request = _ask(offered[0], periodic=False)
    h.expect_reply(await h.send("EiReport", RegisteredReport(
        response=h.ok(metadata.request_id), report_requests=(request,), ven_id=h.ven_id)),
        Response, "the VTN acknowledges the oadrRegisteredReport with a request")
    await _vtn_data(h, {request.report_request_id}, "the VTN sends the report")


CASES = (
    ("R1_3010", "VEN reports: one-shot (pull)", r1_3010, True),
    ("R1_3020", "VEN reports: periodic (pull)", r1_3020, True),
    ("R1_3025", "VEN reports: delayed periodic with loadControlState (pull)", r1_3025, True),
    ("R1_3027", "VEN reports: short duration (pull)", r1_3027, True),
    ("R1_3030", "VEN reports: multiple report requests (pull)", r1_3030, True),
    ("R1_3040", "VEN reports: cancel report (pull)", r1_3040, True),
    ("R1_3045", "VEN reports: cancel with reportToFollow (pull)", r1_3045, True),
    ("R1_3050", "VEN reports: piggy-back cancellation (pull)", r1_3050, True),
    ("R1_3060", "VEN reports: piggy-back request (pull)", r1_3060, False),
    ("R1_3070", "VTN reports: one-shot (pull)", r1_3070, False),
    ("R1_3080", "VTN reports: periodic (pull)", r1_3080, False),
    ("R1_3090", "VTN reports: multiple requests (pull)", r1_3090, False),
    ("R1_3100", "VTN reports: cancel (pull)", r1_3100, False),
    ("R1_3110", "VTN reports: piggy-back cancel (pull)", r1_3110, False),
    ("R1_3120", "VTN reports: piggy-back request (pull)", r1_3120, False),
    ("R1_3150", "TELEMETRY_USAGE one-shot (pull)", r1_3150, True),
    ("R1_3160", "TELEMETRY_USAGE periodic (pull)", r1_3160, True),
    ("R1_3170", "Metadata report request (pull)", r1_3170, False),
    ("R1_3180", "Same payload, multiple requests and updates (pull)", r1_3180, True),
    ("R1_3190", "Negative report scenarios (pull)", r1_3190, False),
)

NOT_RUN = (
    ("R1_3130", "HISTORY_USAGE (pull)",
     "optional (HISTORY_USAGE): the kit's VEN offers no HISTORY_USAGE report yet, so the VTN "
     "cannot be asked to request one"),
    ("R1_3140", "HISTORY_USAGE subset (pull)",
     "optional (HISTORY_USAGE): the kit's VEN offers no HISTORY_USAGE report yet, so the VTN "
     "cannot be asked to request one"),
)
