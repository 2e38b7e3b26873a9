"""The R cases where the VEN is tested (R1_30xx pull, R0_80xx push): the harness asks for the
VEN's reports (oadrCreateReport, or piggy-backed on oadrRegisteredReport / oadrUpdatedReport)
and judges its oadrCreatedReport, oadrUpdateReport and oadrCanceledReport.

Every request is built from the METADATA the VEN registered (its last oadrRegisterReport in the
run): the report's reportSpecifierID and rIDs, granularity = the rID's oadrMinPeriod (the rule
``report.granularity-min-period`` holds), readingType ``x-notApplicable``. Time passes on the
VEN's clock: a periodic request waits for the VEN's reports within the case's timeout, so a VEN
whose minPeriod is longer than that fails the periodic cases (run the VEN with a short sampling
period for certification).

Interpretations (the harness's texts are not copied, only its case names):

- 3010 one-shot and 3150: reportBackDuration 0, no reportInterval: one oadrUpdateReport.
- 3020 periodic and 3160: reportBackDuration = granularity: two oadrUpdateReports, then the
  harness cancels the report (not judged).
- 3025 delayed periodic: TELEMETRY_STATUS with a reportInterval starting a few granularities
  ahead: no data before that start; loadControlState, where sent, in all intervals or none
  (rule ``report.load-control-state``).
- 3027 short duration: a reportInterval of two granularities: the VEN stops by itself; after
  the end at most the reports of that window arrive.
- 3045 cancel with reportToFollow: after oadrCanceledReport at most one more report.
- 3050 piggy-back cancellation: oadrUpdatedReport carrying oadrCancelReport: the VEN stops
  (one report already under way is tolerated).
- 3060 piggy-back request: the VEN's oadrRegisterReport (re-published by the operator, or its
  re-registration) is answered with report requests inside oadrRegisteredReport.
- 3130/3140 HISTORY_USAGE: granularity and reportBackDuration 0 (rule ``report.history-
  request``), a reportInterval in the past (3140: a subset: one rID, half the window); n/a when
  the VEN's METADATA offers no HISTORY_USAGE.
- 3180: two requests for the same rID: both pending, both updated.
- 3190 negative: an unknown reportSpecifierID and an unknown rID: code 452 each.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from common.messages.enums import ReadingType, ReportName, ResponseCode
from common.messages.registration import CreatePartyRegistration, RequestReregistration
from common.messages.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    RegisteredReport,
    RegisterReport,
    Report,
    ReportRequest,
    ReportSpecifier,
    SpecifierPayload,
    UpdatedReport,
    UpdateReport,
)
from common.messages.types import Message, Period
from vtn.conformance.operator import Step
from vtn.conformance.records import Outcome
from vtn.conformance.scenarios import PASSED, Context, Verdict
from vtn.conformance.server import ok

__all__ = ["REPORT_CASES"]

METADATA_SPECIFIER = "METADATA"


def _metadata(ctx: Context) -> dict[str, Report]:
    """The VEN's METADATA reports by name, from its last oadrRegisterReport in the run."""
    offered = ctx.vtn.received(0, RegisterReport)
    if not offered:
        return {}
    reports: Sequence[Report] = offered[-1].reports  # type: ignore[attr-defined]
    return {str(r.report_name): r for r in reports if r.report_name is not None}


def _min_period(report: Report) -> timedelta:
    periods = [d.sampling_rate.min_period for d in report.report_descriptions
               if d.sampling_rate is not None]
    return max(periods, default=timedelta(0))


def _request(ctx: Context, report: Report, *, back: timedelta | None = None,
             granularity: timedelta | None = None, interval: Period | None = None,
             r_ids: Sequence[str] | None = None, specifier: str | None = None
             ) -> ReportRequest:
    """A request of `report` (all its rIDs unless `r_ids`); granularity its minPeriod, and
    reportBackDuration `back` (default 0: one-shot)."""
    grain = _min_period(report) if granularity is None else granularity
    ids = [d.r_id for d in report.report_descriptions] if r_ids is None else list(r_ids)
    return ReportRequest(
        report_request_id=ctx.vtn.new_id("rr"),
        report_specifier=ReportSpecifier(
            report_specifier_id=specifier or report.report_specifier_id,
            granularity=grain, report_back_duration=back or timedelta(0),
            specifier_payloads=tuple(SpecifierPayload(r_id=r, reading_type=ReadingType.
                                                      X_NOT_APPLICABLE) for r in ids),
            report_interval=interval))


async def _offered(ctx: Context, name: ReportName) -> Report | Verdict:
    """The VEN's METADATA report `name` once registered, or the failing verdict."""
    if (problem := await ctx.registered()) is not None:
        return problem
    report = _metadata(ctx).get(f"METADATA_{name}")
    if report is None:
        return Outcome.FAIL, f"the VEN's METADATA offers no METADATA_{name}"
    return report


async def _create(ctx: Context, *requests: ReportRequest) -> Verdict | None:
    """Deliver oadrCreateReport of `requests`; ``None`` once the VEN accepted all (200, each
    pending)."""
    vtn = ctx.vtn
    mark = len(vtn.records)
    message = CreateReport(request_id=vtn.new_id("create-report"), report_requests=requests,
                           ven_id=vtn.registration.ven_id if vtn.registration else None)
    if (missed := await ctx.deliver(message)) is not None:
        return missed
    return await _accepted(ctx, mark, requests)


async def _accepted(ctx: Context, mark: int, requests: Sequence[ReportRequest]
                    ) -> Verdict | None:
    vtn = ctx.vtn
    wanted = {r.report_request_id for r in requests}
    if not await vtn.until(lambda: bool(vtn.received(mark, CreatedReport)), ctx.timeout):
        return Outcome.FAIL, "the VEN did not answer with oadrCreatedReport"
    created = vtn.received(mark, CreatedReport)[-1]
    code = int(created.response.response_code)  # type: ignore[attr-defined]
    if code != ResponseCode.OK:
        return Outcome.FAIL, f"oadrCreatedReport carries code {code}, expected 200"
    missing = wanted - set(created.pending_reports)  # type: ignore[attr-defined]
    if missing:
        return Outcome.FAIL, (f"oadrPendingReports lacks {', '.join(sorted(missing))}")
    return None


def _updates(ctx: Context, after: int, request_id: str) -> list[Report]:
    return [r for u in ctx.vtn.received(after, UpdateReport)
            for r in u.reports if r.report_request_id == request_id]  # type: ignore[attr-defined]


async def _await_updates(ctx: Context, after: int, request_id: str, count: int,
                         timeout: float | None = None) -> Verdict | None:
    if await ctx.vtn.until(lambda: len(_updates(ctx, after, request_id)) >= count,
                           ctx.timeout if timeout is None else timeout):
        return None
    seen = len(_updates(ctx, after, request_id))
    return Outcome.FAIL, (f"{seen} oadrUpdateReport(s) for report {request_id} within "
                          f"{ctx.timeout:g} s, expected {count}")


async def _cancel(ctx: Context, *request_ids: str, follow: bool = False) -> Verdict | None:
    """Deliver oadrCancelReport; ``None`` once the VEN answered oadrCanceledReport 200."""
    vtn = ctx.vtn
    mark = len(vtn.records)
    if (missed := await ctx.deliver(CancelReport(
            request_id=vtn.new_id("cancel-report"), report_request_ids=request_ids,
            report_to_follow=follow,
            ven_id=vtn.registration.ven_id if vtn.registration else None))) is not None:
        return missed
    if not await vtn.until(lambda: bool(vtn.received(mark, CanceledReport)), ctx.timeout):
        return Outcome.FAIL, "the VEN did not answer oadrCancelReport with oadrCanceledReport"
    canceled = vtn.received(mark, CanceledReport)[-1]
    code = int(canceled.response.response_code)  # type: ignore[attr-defined]
    if code != ResponseCode.OK:
        return Outcome.FAIL, f"oadrCanceledReport carries code {code}, expected 200"
    still = set(request_ids) & set(canceled.pending_reports)  # type: ignore[attr-defined]
    if still:
        return Outcome.FAIL, f"oadrCanceledReport still lists {', '.join(sorted(still))}"
    return None


async def _stops(ctx: Context, request_id: str, *, tolerated: int = 0) -> Verdict:
    """Watch ``quiet`` plus 1 s [s]: at most `tolerated` more reports of `request_id`
    (judged against a VEN sampling every second or so: see the module docstring)."""
    after = len(ctx.vtn.records)
    await ctx.vtn.until(lambda: len(_updates(ctx, after, request_id)) > tolerated,
                        ctx.quiet + 1.0)
    late = len(_updates(ctx, after, request_id))
    if late > tolerated:
        return Outcome.FAIL, (f"the VEN sent {late} more oadrUpdateReport(s) for report "
                              f"{request_id} after it ended")
    return PASSED


async def _one_shot(ctx: Context, name: ReportName) -> Verdict:
    report = await _offered(ctx, name)
    if not isinstance(report, Report):
        return report
    request = _request(ctx, report)
    mark = len(ctx.vtn.records)
    if (problem := await _create(ctx, request)) is not None:
        return problem
    return await _await_updates(ctx, mark, request.report_request_id, 1) or PASSED


async def _periodic(ctx: Context, name: ReportName) -> Verdict:
    report = await _offered(ctx, name)
    if not isinstance(report, Report):
        return report
    request = _request(ctx, report, back=_min_period(report))
    mark = len(ctx.vtn.records)
    if (problem := await _create(ctx, request)) is not None:
        return problem
    if (problem := await _await_updates(ctx, mark, request.report_request_id, 2)) is not None:
        return problem
    await ctx.deliver(CancelReport(request_id=ctx.vtn.new_id("cancel-report"),
                                   report_request_ids=(request.report_request_id,),
                                   report_to_follow=False))  # cleanup, not judged
    return PASSED


async def r1_3010(ctx: Context) -> Verdict:
    """One-shot: a TELEMETRY_STATUS request with reportBackDuration 0 gets oadrCreatedReport
    200 (pending) and one oadrUpdateReport."""
    return await _one_shot(ctx, ReportName.TELEMETRY_STATUS)


async def r1_3020(ctx: Context) -> Verdict:
    """Periodic: a TELEMETRY_STATUS request with reportBackDuration = granularity gets two
    oadrUpdateReports (then the harness cancels it)."""
    return await _periodic(ctx, ReportName.TELEMETRY_STATUS)


async def r1_3150(ctx: Context) -> Verdict:
    """TELEMETRY_USAGE one-shot: as R1_3010, for the usage report."""
    return await _one_shot(ctx, ReportName.TELEMETRY_USAGE)


async def r1_3160(ctx: Context) -> Verdict:
    """TELEMETRY_USAGE periodic: as R1_3020, for the usage report."""
    return await _periodic(ctx, ReportName.TELEMETRY_USAGE)


async def r1_3025(ctx: Context) -> Verdict:
    """Delayed periodic: TELEMETRY_STATUS over a reportInterval two granularities ahead: no
    data from before its start (loadControlState judged by the rules)."""
    report = await _offered(ctx, ReportName.TELEMETRY_STATUS)
    if not isinstance(report, Report):
        return report
    grain = max(_min_period(report), timedelta(seconds=1))
    start = datetime.now(UTC).replace(microsecond=0) + 2 * grain
    request = _request(ctx, report, back=grain, interval=Period(dtstart=start,
                                                                duration=4 * grain))
    mark = len(ctx.vtn.records)
    if (problem := await _create(ctx, request)) is not None:
        return problem
    if (problem := await _await_updates(ctx, mark, request.report_request_id, 1)) is not None:
        return problem
    early = [r for r in _updates(ctx, mark, request.report_request_id)
             for i in r.intervals if i.dtstart is not None and i.dtstart < start]
    if early:
        return Outcome.FAIL, (f"the delayed report {request.report_request_id} carries data "
                              f"from before its reportInterval's start {start:%H:%M:%S}")
    await _cancel(ctx, request.report_request_id)  # cleanup, not judged
    return PASSED


async def r1_3027(ctx: Context) -> Verdict:
    """Short duration: a reportInterval of two granularities: reports inside it, none after
    it ends."""
    report = await _offered(ctx, ReportName.TELEMETRY_USAGE)
    if not isinstance(report, Report):
        return report
    grain = max(_min_period(report), timedelta(seconds=1))
    start = datetime.now(UTC).replace(microsecond=0)
    request = _request(ctx, report, back=grain, interval=Period(dtstart=start,
                                                                duration=2 * grain))
    mark = len(ctx.vtn.records)
    if (problem := await _create(ctx, request)) is not None:
        return problem
    if (problem := await _await_updates(ctx, mark, request.report_request_id, 1)) is not None:
        return problem
    end = start + 2 * grain
    await ctx.vtn.until(lambda: datetime.now(UTC) >= end + grain, ctx.timeout)
    after = [i for r in _updates(ctx, mark, request.report_request_id) for i in r.intervals
             if i.dtstart is not None and i.dtstart >= end]
    if after:
        return Outcome.FAIL, (f"the short report {request.report_request_id} carries data "
                              f"after its reportInterval ended at {end:%H:%M:%S}")
    later = len(ctx.vtn.records)
    await ctx.vtn.until(lambda: bool(_updates(ctx, later, request.report_request_id)),
                        ctx.quiet + grain.total_seconds())
    if _updates(ctx, later, request.report_request_id):
        return Outcome.FAIL, (f"the VEN kept sending report {request.report_request_id} after "
                              "its reportInterval ended")
    return PASSED


async def r1_3030(ctx: Context) -> Verdict:
    """Multiple report-request payloads: usage and status requested in one oadrCreateReport:
    both pending, both reported."""
    usage = await _offered(ctx, ReportName.TELEMETRY_USAGE)
    status = await _offered(ctx, ReportName.TELEMETRY_STATUS)
    if not isinstance(usage, Report):
        return usage
    if not isinstance(status, Report):
        return status
    requests = (_request(ctx, usage), _request(ctx, status))
    mark = len(ctx.vtn.records)
    if (problem := await _create(ctx, *requests)) is not None:
        return problem
    for request in requests:
        if (problem := await _await_updates(ctx, mark, request.report_request_id, 1)):
            return problem
    return PASSED


async def _running(ctx: Context) -> str | Verdict:
    """The reportRequestID of a periodic TELEMETRY_USAGE report that has sent once."""
    report = await _offered(ctx, ReportName.TELEMETRY_USAGE)
    if not isinstance(report, Report):
        return report
    request = _request(ctx, report, back=_min_period(report))
    mark = len(ctx.vtn.records)
    if (problem := await _create(ctx, request)) is not None:
        return problem
    if (problem := await _await_updates(ctx, mark, request.report_request_id, 1)) is not None:
        return problem
    return request.report_request_id


async def r1_3040(ctx: Context) -> Verdict:
    """Cancel: a running periodic report cancelled (reportToFollow false): oadrCanceledReport
    200 without it pending, then no more reports."""
    request_id = await _running(ctx)
    if not isinstance(request_id, str):
        return request_id
    if (problem := await _cancel(ctx, request_id)) is not None:
        return problem
    return await _stops(ctx, request_id)


async def r1_3045(ctx: Context) -> Verdict:
    """Cancel with reportToFollow: oadrCanceledReport 200, then at most one more report."""
    request_id = await _running(ctx)
    if not isinstance(request_id, str):
        return request_id
    if (problem := await _cancel(ctx, request_id, follow=True)) is not None:
        return problem
    return await _stops(ctx, request_id, tolerated=1)


async def r1_3050(ctx: Context) -> Verdict:
    """Piggy-back cancellation: oadrUpdatedReport carrying oadrCancelReport stops the report
    (at most one more)."""
    request_id = await _running(ctx)
    if not isinstance(request_id, str):
        return request_id
    vtn = ctx.vtn
    cancel = CancelReport(request_id=vtn.new_id("cancel-report"),
                          report_request_ids=(request_id,), report_to_follow=False,
                          ven_id=vtn.registration.ven_id if vtn.registration else None)
    carried: list[Message] = []

    def piggy_back(message: Message) -> Message | None:
        if not isinstance(message, UpdateReport) or carried:
            return None
        if not any(r.report_request_id == request_id for r in message.reports):
            return None
        answer = UpdatedReport(response=ok(message.request_id), cancel_report=cancel,
                               ven_id=message.ven_id)
        carried.append(answer)
        return answer

    vtn.answer = piggy_back
    try:
        if not await vtn.until(lambda: bool(carried), ctx.timeout):
            return Outcome.FAIL, f"no further oadrUpdateReport for {request_id} to answer"
    finally:
        vtn.answer = None
    return await _stops(ctx, request_id, tolerated=1)


async def r1_3060(ctx: Context) -> Verdict:
    """Piggy-back request: a request inside the oadrRegisteredReport answering the VEN's
    re-published METADATA is reported."""
    if (problem := await ctx.registered()) is not None:
        return problem
    vtn = ctx.vtn
    usage = _metadata(ctx).get("METADATA_TELEMETRY_USAGE")
    if usage is None:
        return Outcome.FAIL, "the VEN's METADATA offers no METADATA_TELEMETRY_USAGE"
    request = _request(ctx, usage)
    mark = len(vtn.records)
    answered: list[Message] = []

    def piggy_back(message: Message) -> Message | None:
        if not isinstance(message, RegisterReport) or answered:
            return None
        answer = RegisteredReport(response=ok(message.request_id), report_requests=(request,),
                                  ven_id=message.ven_id)
        answered.append(answer)
        return answer

    vtn.answer = piggy_back
    try:
        asked = await ctx.ask(Step(ctx.case_id, "republish-reports",
                                   "make the VEN send its METADATA (oadrRegisterReport) again"))
        if asked is not None:  # without an operator: ask the VEN to re-register
            ctx_mark = len(vtn.records)
            if (missed := await ctx.deliver(RequestReregistration(
                    ven_id=vtn.registration.ven_id if vtn.registration else ""))) is not None:
                return missed
            if not await vtn.until(lambda: bool(vtn.received(ctx_mark,
                                                             CreatePartyRegistration)),
                                   ctx.timeout):
                return asked
        if not await vtn.until(lambda: bool(answered), ctx.timeout):
            return Outcome.FAIL, "the VEN sent no oadrRegisterReport to piggy-back on"
    finally:
        vtn.answer = None
    return await _await_updates(ctx, mark, request.report_request_id, 1) or PASSED


async def r1_3170(ctx: Context) -> Verdict:
    """Metadata request: oadrCreateReport for METADATA makes the VEN send its
    oadrRegisterReport again."""
    if (problem := await ctx.registered()) is not None:
        return problem
    vtn = ctx.vtn
    request = ReportRequest(
        report_request_id=vtn.new_id("rr"),
        report_specifier=ReportSpecifier(
            report_specifier_id=METADATA_SPECIFIER, granularity=timedelta(0),
            report_back_duration=timedelta(0),
            specifier_payloads=(SpecifierPayload(r_id="0",
                                                 reading_type=ReadingType.X_NOT_APPLICABLE),)))
    mark = len(vtn.records)
    if (missed := await ctx.deliver(CreateReport(
            request_id=vtn.new_id("create-report"), report_requests=(request,),
            ven_id=vtn.registration.ven_id if vtn.registration else None))) is not None:
        return missed
    if not await vtn.until(lambda: bool(vtn.received(mark, RegisterReport)), ctx.timeout):
        return Outcome.FAIL, "the VEN did not send its METADATA (oadrRegisterReport) again"
    created = vtn.received(mark, CreatedReport)
    refused = [c for c in created
               if int(c.response.response_code) != ResponseCode.OK]  # type: ignore[attr-defined]
    if refused:
        return Outcome.FAIL, "the VEN refused the METADATA request"
    return PASSED


async def r1_3180(ctx: Context) -> Verdict:
    """Same payload, multiple requests: two requests for one rID: both pending, both updated
    twice."""
    report = await _offered(ctx, ReportName.TELEMETRY_USAGE)
    if not isinstance(report, Report):
        return report
    r_id = report.report_descriptions[0].r_id
    first = _request(ctx, report, back=_min_period(report), r_ids=[r_id])
    mark = len(ctx.vtn.records)
    if (problem := await _create(ctx, first)) is not None:
        return problem
    second = _request(ctx, report, back=_min_period(report), r_ids=[r_id])
    if (problem := await _create(ctx, second)) is not None:
        return problem
    for request in (first, second):
        if (problem := await _await_updates(ctx, mark, request.report_request_id, 2)):
            return problem
    await _cancel(ctx, first.report_request_id, second.report_request_id)  # cleanup
    return PASSED


async def r1_3190(ctx: Context) -> Verdict:
    """Negative: an unknown reportSpecifierID and an unknown rID are each answered 452 and not
    listed as pending."""
    report = await _offered(ctx, ReportName.TELEMETRY_USAGE)
    if not isinstance(report, Report):
        return report
    vtn = ctx.vtn
    for fault, request in (
            ("an unknown reportSpecifierID", _request(ctx, report, specifier="NO-SUCH-REPORT")),
            ("an unknown rID", _request(ctx, report, r_ids=["no-such-rid"]))):
        mark = len(vtn.records)
        if (missed := await ctx.deliver(CreateReport(
                request_id=vtn.new_id("create-report"), report_requests=(request,),
                ven_id=vtn.registration.ven_id if vtn.registration else None),
                deliberate=True)) is not None:
            return missed
        if not await vtn.until(lambda at=mark: bool(vtn.received(at, CreatedReport)),  # type: ignore[misc]
                               ctx.timeout):
            return Outcome.FAIL, f"the VEN did not answer a request of {fault}"
        created = vtn.received(mark, CreatedReport)[-1]
        code = int(created.response.response_code)  # type: ignore[attr-defined]
        if code != ResponseCode.INVALID_ID:
            return Outcome.FAIL, f"a request of {fault} was answered {code}, expected 452"
        if request.report_request_id in created.pending_reports:  # type: ignore[attr-defined]
            return Outcome.FAIL, f"the request of {fault} is listed as pending"
    return PASSED


async def _history(ctx: Context, *, subset: bool) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    report = _metadata(ctx).get("METADATA_HISTORY_USAGE")
    if report is None:
        return Outcome.NOT_APPLICABLE, ("optional: the VEN's METADATA offers no "
                                        "METADATA_HISTORY_USAGE")
    grain = max(_min_period(report), timedelta(seconds=1))
    end = datetime.now(UTC).replace(microsecond=0)
    length = 4 * grain
    ids = [d.r_id for d in report.report_descriptions]
    window = Period(dtstart=end - (length / 2 if subset else length),
                    duration=length / 2 if subset else length)
    request = _request(ctx, report, granularity=timedelta(0), interval=window,
                       r_ids=ids[:1] if subset else ids)
    mark = len(ctx.vtn.records)
    if (problem := await _create(ctx, request)) is not None:
        return problem
    if (problem := await _await_updates(ctx, mark, request.report_request_id, 1)) is not None:
        return problem
    window_end = window.dtstart + window.duration
    outside = [i for r in _updates(ctx, mark, request.report_request_id) for i in r.intervals
               if i.dtstart is not None and not window.dtstart <= i.dtstart < window_end]
    if outside:
        return Outcome.FAIL, "the HISTORY_USAGE report carries data outside the requested window"
    return PASSED


async def r1_3130(ctx: Context) -> Verdict:
    """HISTORY_USAGE (optional): a past window, granularity and reportBackDuration 0: one
    report inside the window; n/a when not offered."""
    return await _history(ctx, subset=False)


async def r1_3140(ctx: Context) -> Verdict:
    """HISTORY_USAGE subset (optional): one rID, half the window; n/a when not offered."""
    return await _history(ctx, subset=True)


REPORT_CASES: tuple[tuple[str, str, Callable[[Context], Awaitable[Verdict]]], ...] = (
    ("R1_3010_TH_VTN", "VEN reports: one-shot", r1_3010),
    ("R1_3020_TH_VTN", "VEN reports: periodic", r1_3020),
    ("R1_3025_TH_VTN", "VEN reports: delayed periodic (TELEMETRY_STATUS)", r1_3025),
    ("R1_3027_TH_VTN", "VEN reports: short duration", r1_3027),
    ("R1_3030_TH_VTN", "VEN reports: multiple report-request payloads", r1_3030),
    ("R1_3040_TH_VTN", "VEN reports: cancel report", r1_3040),
    ("R1_3045_TH_VTN", "VEN reports: cancel with reportToFollow", r1_3045),
    ("R1_3050_TH_VTN", "VEN reports: piggy-back cancellation", r1_3050),
    ("R1_3060_TH_VTN", "VEN reports: piggy-back request", r1_3060),
    ("R1_3130_TH_VTN", "HISTORY_USAGE (optional)", r1_3130),
    ("R1_3140_TH_VTN", "HISTORY_USAGE subset (optional)", r1_3140),
    ("R1_3150_TH_VTN", "TELEMETRY_USAGE one-shot", r1_3150),
    ("R1_3160_TH_VTN", "TELEMETRY_USAGE periodic", r1_3160),
    ("R1_3170_TH_VTN", "Metadata report request", r1_3170),
    ("R1_3180_TH_VTN", "Same payload, multiple requests and updates", r1_3180),
    ("R1_3190_TH_VTN", "Negative: unknown reportSpecifierID and rID (452)", r1_3190),
)
"""(ID, title, script) of each R case, in run order."""
