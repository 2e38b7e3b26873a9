"""The VTN's 2.0b services in-process: registration, events, opts, reports and polling."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from common.clock import ManualClock
from common.messages.enums import (
    EventStatus,
    OptReason,
    OptType,
    ReadingType,
)
from common.messages.event import (
    CreatedEvent,
    DistributeEvent,
    EventResponse,
    RequestEvent,
)
from common.messages.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt
from common.messages.poll import Poll, Response
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    QueryRegistration,
    RequestReregistration,
)
from common.messages.report import (
    CancelReport,
    CreatedReport,
    CreateReport,
    RegisteredReport,
    RegisterReport,
    Report,
    ReportPayload,
    UpdatedReport,
    UpdateReport,
)
from common.messages.types import EiResponse, Interval, Period, QualifiedEventId, Target
from tests.support.ven_reports import metadata_report, update_report
from tests.support.vtn_harness import (
    START,
    Harness,
    add_event,
    fingerprint_of,
    header_config,
    start_harness,
)
from vtn.admin.performance import expected_json, performance_json
from vtn.cli.output import show_time
from vtn.cli.views import expected_words, performance_table
from vtn.config import ReportSettings
from vtn.domain import EventTargets, SubscriptionStatus
from vtn.services.registration import cancel_registration, request_reregistration
from vtn.services.report import cancel_report, request_report
from vtn.storage import ReadingQuery

FP = fingerprint_of(1)


def ok(request_id: str = "r") -> EiResponse:
    return EiResponse(response_code=200, request_id=request_id, response_description="OK")


async def poll(h: Harness, ven_id: str, fingerprint: str = FP):
    return await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=fingerprint)


async def drain(h: Harness, ven_id: str, fingerprint: str = FP) -> list:
    """Poll until the VTN answers oadrResponse; every message it handed out."""
    got = []
    for _ in range(20):
        reply = await poll(h, ven_id, fingerprint)
        if isinstance(reply, Response):
            return got
        got.append(reply)
    raise AssertionError("the queue never emptied")


# ---- registration ---------------------------------------------------------------------------


async def test_query_before_and_after_registration(harness: Harness) -> None:
    h = harness
    before = await h.post("EiRegisterParty", QueryRegistration(request_id="q1"), fingerprint=FP)
    assert isinstance(before, CreatedPartyRegistration)
    assert before.ven_id is None and before.registration_id is None
    assert before.vtn_id == "TEST-VTN"
    assert before.requested_oadr_poll_freq == timedelta(seconds=1)
    assert [p.profile_name.value for p in before.profiles] == ["2.0b"]
    reg = await h.register(FP)
    after = await h.post("EiRegisterParty", QueryRegistration(request_id="q2"), fingerprint=FP)
    assert after.ven_id == reg.ven_id and after.registration_id == reg.registration_id
    assert after.response.request_id == "q2"


async def test_registration_binds_fingerprint_and_is_idempotent(harness: Harness) -> None:
    h = harness
    first = await h.register(FP, "office-sj")
    ven = await h.store.vens.get(first.ven_id)
    assert ven.fingerprint == FP and ven.ven_name == "office-sj" and ven.http_pull_model
    again = await h.register(FP, "office-sj")
    assert (again.ven_id, again.registration_id) == (first.ven_id, first.registration_id)
    renamed = await h.register(FP, "office-sf", registration_id=first.registration_id)
    assert renamed.ven_id == first.ven_id
    assert (await h.store.vens.get(first.ven_id)).ven_name == "office-sf"
    # a registrationID the VEN does not hold
    wrong = await h.post(
        "EiRegisterParty",
        _create(registration_id="not-mine"),
        fingerprint=FP,
    )
    assert wrong.response.response_code == 452
    assert len(await h.store.vens.list()) == 1


def _create(**fields):
    from common.messages.enums import ProfileName, TransportName
    from common.messages.registration import CreatePartyRegistration

    return CreatePartyRegistration(
        request_id="reg-x",
        profile_name=ProfileName.B,
        transport_name=TransportName.SIMPLE_HTTP,
        report_only=False,
        xml_signature=False,
        http_pull_model=True,
        **fields,
    )


async def test_a_second_ven_with_the_same_certificate_is_refused_and_flagged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    first = await h.register(FP, "building-a")
    await drain(h, first.ven_id)  # building-a is polling
    h.clock.advance(timedelta(seconds=30))
    caplog.set_level(logging.WARNING, logger="oadr.vtn")
    # another building, another state file, the same certificate: no registrationID
    refused = await h.post("EiRegisterParty", _create(ven_name="building-b"), fingerprint=FP)
    assert isinstance(refused, CreatedPartyRegistration)
    assert refused.response.response_code == 463
    assert refused.ven_id is None and refused.registration_id is None
    ven = await h.store.vens.get(first.ven_id)
    assert (ven.ven_name, ven.registration_id) == ("building-a", first.registration_id)
    assert ven.conflict_ven_name == "building-b" and ven.conflict_at == h.clock.now()
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "each VEN needs its own certificate" in warning and first.ven_id in warning
    assert "re-registered" not in caplog.text

    # the same VEN restarted with a lost state file (same venName): a legitimate re-registration
    again = await h.register(FP, "building-a")
    assert again.ven_id == first.ven_id

    # a VEN holding its registrationID may rename itself
    renamed = await h.register(FP, "building-a2", registration_id=again.registration_id)
    assert renamed.ven_id == first.ven_id
    assert (await h.store.vens.get(first.ven_id)).conflict_at is None

    # once the registered VEN has been silent for long, another name takes the registration over
    h.clock.advance(timedelta(hours=1))
    moved = await h.register(FP, "building-b")
    assert moved.ven_id == first.ven_id
    assert (await h.store.vens.get(first.ven_id)).ven_name == "building-b"


async def test_registration_queues_the_vtn_metadata_report(harness: Harness) -> None:
    h = harness
    reg = await h.register(FP)
    got = await drain(h, reg.ven_id)
    assert len(got) == 1 and isinstance(got[0], RegisterReport)
    assert got[0].reports == () and got[0].ven_id == reg.ven_id
    # the VEN acknowledges it
    ack = await h.post(
        "EiReport",
        RegisteredReport(response=ok(got[0].request_id), ven_id=reg.ven_id),
        fingerprint=FP,
    )
    assert isinstance(ack, Response) and ack.response.response_code == 200


async def test_ven_cancels_its_registration(harness: Harness) -> None:
    h = harness
    reg = await h.register(FP)
    reply = await h.post(
        "EiRegisterParty",
        CancelPartyRegistration(
            request_id="c1", registration_id=reg.registration_id, ven_id=reg.ven_id
        ),
        fingerprint=FP,
    )
    assert isinstance(reply, CanceledPartyRegistration) and reply.response.response_code == 200
    assert (await h.store.vens.get(reg.ven_id)).cancelled
    # a cancelled VEN cannot use the other services
    refused = await h.post(
        "EiEvent", RequestEvent(request_id="e", ven_id=reg.ven_id), fingerprint=FP
    )
    assert refused.response.response_code == 463
    # and registers again from the same certificate
    back = await h.register(FP)
    assert back.ven_id == reg.ven_id and back.registration_id != reg.registration_id


async def test_vtn_initiated_cancel_and_reregistration_go_through_the_poll_queue(
    harness: Harness,
) -> None:
    h = harness
    reg = await h.register(FP)
    await drain(h, reg.ven_id)
    await request_reregistration(h.vtn, reg.ven_id)
    [message] = await drain(h, reg.ven_id)
    assert isinstance(message, RequestReregistration) and message.ven_id == reg.ven_id
    ack = await h.post(
        "EiRegisterParty", Response(response=ok("x"), ven_id=reg.ven_id), fingerprint=FP
    )
    assert ack.response.response_code == 200
    await cancel_registration(h.vtn, reg.ven_id)
    [cancel] = await drain(h, reg.ven_id)
    assert isinstance(cancel, CancelPartyRegistration)
    assert cancel.registration_id == reg.registration_id
    acknowledged = await h.post(
        "EiRegisterParty",
        CanceledPartyRegistration(
            response=ok(cancel.request_id), registration_id=reg.registration_id, ven_id=reg.ven_id
        ),
        fingerprint=FP,
    )
    assert isinstance(acknowledged, Response) and acknowledged.response.response_code == 200


# ---- events ---------------------------------------------------------------------------------


async def test_request_event_orders_and_marks_delivery(harness: Harness) -> None:
    h = harness
    reg = await h.register(FP)
    ven_id = reg.ven_id
    later = await add_event(h.store, start=START + timedelta(hours=3), priority=1)
    no_priority = await add_event(h.store, start=START + timedelta(hours=1), priority=0)
    earlier = await add_event(h.store, start=START + timedelta(hours=2), priority=1)
    active = await add_event(h.store, start=START - timedelta(minutes=5), priority=0)
    other = await add_event(h.store, targets=EventTargets(ven_ids=("someone-else",)))
    reply = await h.post("EiEvent", RequestEvent(request_id="e1", ven_id=ven_id), fingerprint=FP)
    assert isinstance(reply, DistributeEvent)
    assert reply.response is not None and reply.response.request_id == "e1"
    ids = [e.event.event_descriptor.event_id for e in reply.events]
    # active first (by priority, then start time); then the others by start time alone,
    # whatever their priority (2.0b A_E3_0510/0520/0525; docs/vtn.md "What a VEN receives")
    assert ids == [active.event_id, no_priority.event_id, earlier.event_id, later.event_id]
    assert other.event_id not in ids
    statuses = [e.event.event_descriptor.event_status for e in reply.events]
    assert statuses[0] is EventStatus.ACTIVE and statuses[1] is EventStatus.FAR
    invitation = await h.store.invitations.get(later.event_id, ven_id)
    assert invitation is not None and invitation.delivered_modification_number == 0
    assert invitation.delivered_at == START
    limited = await h.post(
        "EiEvent", RequestEvent(request_id="e2", ven_id=ven_id, reply_limit=2), fingerprint=FP
    )
    assert len(limited.events) == 2


async def test_poll_delivers_changed_events_once_and_created_event_records_the_opt(
    harness: Harness,
) -> None:
    h = harness
    reg = await h.register(FP)
    ven_id = reg.ven_id
    await drain(h, ven_id)
    event = await add_event(h.store)
    got = await poll(h, ven_id)
    assert isinstance(got, DistributeEvent)
    assert [e.event.event_descriptor.event_id for e in got.events] == [event.event_id]
    assert isinstance(await poll(h, ven_id), Response)  # nothing changed since
    h.clock.advance(timedelta(minutes=1))
    answer = CreatedEvent(
        response=ok(got.request_id),
        ven_id=ven_id,
        event_responses=(
            EventResponse(
                response_code=200,
                request_id=got.request_id,
                qualified_event_id=QualifiedEventId(event_id=event.event_id, modification_number=0),
                opt_type=OptType.OPT_IN,
            ),
        ),
    )
    reply = await h.post("EiEvent", answer, fingerprint=FP)
    assert isinstance(reply, Response) and reply.response.response_code == 200
    invitation = await h.store.invitations.get(event.event_id, ven_id)
    assert invitation.opt_type is OptType.OPT_IN
    assert invitation.opted_at == START + timedelta(minutes=1)
    # a modification is delivered again
    await h.store.events.cancel(event.event_id, reason="grid is fine")
    again = await poll(h, ven_id)
    assert isinstance(again, DistributeEvent)
    descriptor = again.events[0].event.event_descriptor
    assert descriptor.modification_number == 1 and descriptor.event_status is EventStatus.CANCELLED
    # an answer about an unknown event is 452
    unknown = CreatedEvent(
        response=ok("x"),
        ven_id=ven_id,
        event_responses=(
            EventResponse(
                response_code=200,
                request_id="x",
                qualified_event_id=QualifiedEventId(event_id="nope", modification_number=0),
                opt_type=OptType.OPT_OUT,
            ),
        ),
    )
    assert (await h.post("EiEvent", unknown, fingerprint=FP)).response.response_code == 452


# ---- opts -----------------------------------------------------------------------------------


async def test_event_opt_and_schedule_are_stored_and_cancelled(harness: Harness) -> None:
    h = harness
    reg = await h.register(FP)
    ven_id = reg.ven_id
    event = await add_event(h.store)
    event_opt = CreateOpt(
        opt_id="opt-1",
        opt_type=OptType.OPT_OUT,
        opt_reason=OptReason.OVERRIDE_STATUS,
        ven_id=ven_id,
        created_date_time=START,
        request_id="o1",
        qualified_event_id=QualifiedEventId(event_id=event.event_id, modification_number=0),
        target=Target(resource_ids=("hvac-1",)),
    )
    reply = await h.post("EiOpt", event_opt, fingerprint=FP)
    assert isinstance(reply, CreatedOpt) and reply.response.response_code == 200
    assert reply.opt_id == "opt-1"
    again = await h.post("EiOpt", event_opt, fingerprint=FP)  # idempotent
    assert again.response.response_code == 200
    schedule = CreateOpt(
        opt_id="opt-2",
        opt_type=OptType.OPT_IN,
        opt_reason=OptReason.PARTICIPATING,
        ven_id=ven_id,
        created_date_time=START,
        request_id="o2",
        vavailability=(Period(dtstart=START + timedelta(days=1), duration=timedelta(hours=4)),),
    )
    assert (await h.post("EiOpt", schedule, fingerprint=FP)).response.response_code == 200
    stored = {o.opt_id: o for o in await h.store.opts.list(ven_id=ven_id)}
    assert stored["opt-1"].event_id == event.event_id
    assert stored["opt-1"].resource_ids == ("hvac-1",)
    assert stored["opt-2"].availability[0].duration == timedelta(hours=4)
    # the same optID for a different opt is refused
    clash = CreateOpt(
        opt_id="opt-1",
        opt_type=OptType.OPT_IN,
        opt_reason=OptReason.ECONOMIC,
        ven_id=ven_id,
        created_date_time=START,
        request_id="o3",
        vavailability=schedule.vavailability,
    )
    assert (await h.post("EiOpt", clash, fingerprint=FP)).response.response_code == 451
    cancel = await h.post(
        "EiOpt", CancelOpt(request_id="c", opt_id="opt-2", ven_id=ven_id), fingerprint=FP
    )
    assert isinstance(cancel, CanceledOpt) and cancel.response.response_code == 200
    assert [o.opt_id for o in await h.store.opts.list(ven_id=ven_id)] == ["opt-1"]
    missing = await h.post(
        "EiOpt", CancelOpt(request_id="c", opt_id="nope", ven_id=ven_id), fingerprint=FP
    )
    assert missing.response.response_code == 452
    unknown_event = CreateOpt(
        opt_id="opt-9",
        opt_type=OptType.OPT_OUT,
        opt_reason=OptReason.ECONOMIC,
        ven_id=ven_id,
        created_date_time=START,
        request_id="o9",
        qualified_event_id=QualifiedEventId(event_id="nope", modification_number=0),
    )
    assert (await h.post("EiOpt", unknown_event, fingerprint=FP)).response.response_code == 452


# ---- reports --------------------------------------------------------------------------------


async def test_reports_registered_requested_and_readings_stored_idempotently(
    harness: Harness,
) -> None:
    h = harness
    reg = await h.register(FP)
    ven_id = reg.ven_id
    reply = await h.post("EiReport", metadata_report(ven_id), fingerprint=FP)
    assert isinstance(reply, RegisteredReport) and reply.response.response_code == 200
    # TELEMETRY_USAGE is requested (configured); HISTORY_USAGE is not
    [request] = reply.report_requests
    specifier = request.report_specifier
    assert specifier.report_specifier_id == "spec-usage"
    assert [p.r_id for p in specifier.specifier_payloads] == ["load"]
    assert specifier.granularity == timedelta(minutes=1)
    caps = await h.store.reports.capabilities(ven_id)
    assert {c.report_specifier_id for c in caps} == {"spec-usage", "spec-history"}
    subscription = await h.store.reports.subscription(request.report_request_id)
    assert subscription.status is SubscriptionStatus.REQUESTED
    created = await h.post(
        "EiReport",
        CreatedReport(
            response=ok("rr"), pending_reports=(request.report_request_id,), ven_id=ven_id
        ),
        fingerprint=FP,
    )
    assert isinstance(created, Response) and created.response.response_code == 200
    subscription = await h.store.reports.subscription(request.report_request_id)
    assert subscription.status is SubscriptionStatus.ACTIVE
    update = update_report(ven_id, request.report_request_id, [4.0, 5.0, 6.0])
    for _ in range(2):  # sent twice: stored once
        answer = await h.post("EiReport", update, fingerprint=FP)
        assert isinstance(answer, UpdatedReport) and answer.response.response_code == 200
    readings = await h.store.reports.readings(ReadingQuery(ven_id=ven_id))
    assert [r.value for r in readings] == [4.0, 5.0, 6.0]
    assert readings[0].r_id == "load" and readings[0].item_units == "W"
    assert readings[0].scale == "k" and readings[0].reading_type is ReadingType.DIRECT_READ
    # a report the VTN never asked for
    stray = await h.post("EiReport", update_report(ven_id, "not-requested", [1.0]), fingerprint=FP)
    assert isinstance(stray, UpdatedReport) and stray.response.response_code == 452
    # the VTN asks for a one-shot history report and cancels the telemetry
    await drain(h, ven_id)
    one_shot = await request_report(h.vtn, ven_id, "spec-history", one_shot=True)
    h.clock.advance(1)  # the queue is ordered by the time of queueing
    await cancel_report(h.vtn, request.report_request_id)
    got = await drain(h, ven_id)
    assert isinstance(got[0], CreateReport) and isinstance(got[1], CancelReport)
    assert got[0].report_requests[0].report_request_id == one_shot.report_request_id
    assert got[0].report_requests[0].report_specifier.granularity == timedelta(0)
    assert got[1].report_request_ids == (request.report_request_id,)
    # data for the cancelled request gets the cancellation piggy-backed (R1_3050); data for a
    # live request does not
    late = await h.post("EiReport", update_report(ven_id, request.report_request_id, [7.0]),
                        fingerprint=FP)
    assert isinstance(late, UpdatedReport) and late.response.response_code == 200
    assert late.cancel_report is not None
    assert late.cancel_report.report_request_ids == (request.report_request_id,)
    assert answer.cancel_report is None  # the answer to the live request's data, above


async def test_report_requests_from_a_ven_are_not_supported(harness: Harness) -> None:
    h = harness
    reg = await h.register(FP)
    from common.messages.report import ReportRequest, ReportSpecifier, SpecifierPayload

    ask = CreateReport(
        request_id="cr",
        ven_id=reg.ven_id,
        report_requests=(
            ReportRequest(
                report_request_id="x",
                report_specifier=ReportSpecifier(
                    report_specifier_id="vtn-report",
                    granularity=timedelta(minutes=1),
                    report_back_duration=timedelta(minutes=1),
                    specifier_payloads=(
                        SpecifierPayload(r_id="a", reading_type=ReadingType.DIRECT_READ),
                    ),
                ),
            ),
        ),
    )
    reply = await h.post("EiReport", ask, fingerprint=FP)
    assert isinstance(reply, CreatedReport) and reply.response.response_code == 461


def _our_ven_metadata(ven_id: str, *, baseline_report: bool) -> RegisterReport:
    """Our VEN's oadrRegisterReport (``ven.client.reports``): the baseline in a report of its
    own (x-TELEMETRY_BASELINE), or, as older VENs and other vendors send it, inside
    TELEMETRY_USAGE."""
    from dataclasses import replace

    from ven.client.config import ReportPoints
    from ven.client.reports import metadata_reports

    reports = metadata_reports(ReportPoints(baseline_method="CAISO 10-in-10"), START)
    if not baseline_report:
        usage, baseline = (next(r for r in reports if r.report_specifier_id == s)
                           for s in ("TELEMETRY_USAGE", "TELEMETRY_BASELINE"))
        merged = replace(usage, report_descriptions=usage.report_descriptions
                         + baseline.report_descriptions)
        reports = tuple(merged if r is usage else r for r in reports if r is not baseline)
    return RegisterReport(request_id="rr", reports=reports, ven_id=ven_id)


def _telemetry(ven_id: str, request_id: str, specifier: str, values: dict[str, float]):
    """Two one-minute intervals from the event's start with `values` per rID [kW] (the
    baseline's confidence 80 %)."""
    start = START + timedelta(hours=1)
    intervals = tuple(
        Interval(payloads=tuple(
            ReportPayload(r_id=r_id, value=v, confidence=80 if r_id == "baseline" else None)
            for r_id, v in values.items()),
            dtstart=start + timedelta(minutes=i), duration=timedelta(minutes=1))
        for i in range(2))
    report = Report(report_request_id=request_id, report_specifier_id=specifier,
                    created_date_time=START, dtstart=start, intervals=intervals)
    return UpdateReport(request_id="u", reports=(report,), ven_id=ven_id)


@pytest.mark.parametrize("baseline_report", [True, False], ids=["own-report", "in-usage"])
async def test_the_ven_baseline_is_requested_stored_and_used_for_performance(
    harness: Harness, baseline_report: bool
) -> None:
    h = harness
    ven_id = (await h.register(FP)).ven_id
    event = await add_event(h.store)  # SIMPLE level 2 for everyone, an hour from now
    reply = await h.post("EiReport", _our_ven_metadata(ven_id, baseline_report=baseline_report),
                         fingerprint=FP)
    assert isinstance(reply, RegisteredReport) and reply.response.response_code == 200
    asked = {r.report_specifier.report_specifier_id: r for r in reply.report_requests}
    if baseline_report:
        assert set(asked) == {"TELEMETRY_USAGE", "TELEMETRY_BASELINE", "TELEMETRY_STATUS",
                              "EXPECTED_DELIVERY"}
        assert [p.r_id for p in asked["TELEMETRY_BASELINE"].report_specifier
                .specifier_payloads] == ["baseline"]
        sent = [("TELEMETRY_USAGE", {"usage": 80.0}), ("TELEMETRY_BASELINE", {"baseline": 100.0})]
    else:
        assert set(asked) == {"TELEMETRY_USAGE", "TELEMETRY_STATUS", "EXPECTED_DELIVERY"}
        sent = [("TELEMETRY_USAGE", {"usage": 80.0, "baseline": 100.0})]
    for specifier, values in sent:
        request_id = asked[specifier].report_request_id
        answer = await h.post("EiReport", _telemetry(ven_id, request_id, specifier, values),
                              fingerprint=FP)
        assert isinstance(answer, UpdatedReport) and answer.response.response_code == 200
    readings = await h.store.reports.readings(ReadingQuery(ven_id=ven_id))
    assert sorted((r.r_id, r.value, r.confidence) for r in readings) == [
        ("baseline", 100.0, 80), ("baseline", 100.0, 80), ("usage", 80.0, None),
        ("usage", 80.0, None)]
    row = await h.store.performance.get(event.event_id, ven_id)
    assert row is not None and row.data_points == 2
    assert (row.baseline_kw, row.requested_kw, row.target_kw, row.actual_kw) == (
        100.0, pytest.approx(20.0), pytest.approx(80.0), 80.0)
    assert (row.baseline_method, row.baseline_confidence) == ("caiso-10-in-10", 80)
    assert row.delivered_pct == pytest.approx(100.0)


def _projection(ven_id: str, request_id: str, delta_kw: float, baseline_kw: float,
                which: tuple[int, ...] = (0, 1)):
    """What our VEN's plan expects over the event (two half-hour intervals from its start; the
    `which` of them): planned demand - baseline `delta_kw` and the projected baseline [kW]."""
    start = START + timedelta(hours=1)
    intervals = tuple(
        Interval(payloads=(ReportPayload(r_id="expected_delta", value=delta_kw),
                           ReportPayload(r_id="expected_baseline", value=baseline_kw)),
                 dtstart=start + timedelta(minutes=30 * i), duration=timedelta(minutes=30))
        for i in which)
    report = Report(report_request_id=request_id, report_specifier_id="EXPECTED_DELIVERY",
                    created_date_time=START, dtstart=start, duration=timedelta(hours=1),
                    intervals=intervals)
    return UpdateReport(request_id="p", reports=(report,), ven_id=ven_id)


async def test_the_expected_delivery_is_stored_before_the_event_apart_from_the_baseline(
    harness: Harness,
) -> None:
    h = harness
    ven_id = (await h.register(FP)).ven_id
    event = await add_event(h.store)  # SIMPLE level 2 (20 % of the baseline), in an hour
    reply = await h.post("EiReport", _our_ven_metadata(ven_id, baseline_report=True),
                         fingerprint=FP)
    assert isinstance(reply, RegisteredReport)
    asked = {r.report_specifier.report_specifier_id: r.report_request_id
             for r in reply.report_requests}
    # before the event: the plan expects 9 kW of the 24 kW asked from a 120 kW baseline
    answer = await h.post("EiReport", _projection(ven_id, asked["EXPECTED_DELIVERY"], -9.0,
                                                  120.0), fingerprint=FP)
    assert isinstance(answer, UpdatedReport) and answer.response.response_code == 200
    row = await h.store.performance.get(event.event_id, ven_id)
    assert row is not None and row.data_points == 0 and row.baseline_kw is None
    assert (row.expected_kw, row.expected_requested_kw) == (9.0, pytest.approx(24.0))
    assert row.expected_pct == pytest.approx(37.5)
    assert [(i.expected_kw, i.duration) for i in row.expected_intervals] == [
        (9.0, timedelta(minutes=30))] * 2
    # a revised plan replaces the figure; measured telemetry keeps its own baseline
    await h.post("EiReport", _projection(ven_id, asked["EXPECTED_DELIVERY"], -12.0, 120.0),
                 fingerprint=FP)
    for specifier, values in (("TELEMETRY_USAGE", {"usage": 80.0}),
                              ("TELEMETRY_BASELINE", {"baseline": 100.0})):
        await h.post("EiReport", _telemetry(ven_id, asked[specifier], specifier, values),
                     fingerprint=FP)
    row = await h.store.performance.get(event.event_id, ven_id)
    assert row is not None and row.data_points == 2 and row.baseline_kw == 100.0
    assert row.requested_kw == pytest.approx(20.0) and row.reduction_kw == 20.0
    assert (row.expected_kw, row.expected_pct) == (12.0, pytest.approx(50.0))


async def test_a_projection_sent_again_replaces_what_it_covers_and_says_when(
    harness: Harness,
) -> None:
    """A re-plan that changes the expectation materially is sent again (an oadrUpdateReport on
    the same request): the VTN keeps the latest value of each interval, shows the latest
    expectation in the performance row and the admin API, and when it last changed."""
    h = harness
    ven_id = (await h.register(FP)).ven_id
    event = await add_event(h.store)  # SIMPLE level 2 (20 % of the baseline), in an hour
    reply = await h.post("EiReport", _our_ven_metadata(ven_id, baseline_report=True),
                         fingerprint=FP)
    assert isinstance(reply, RegisteredReport)
    asked = {r.report_specifier.report_specifier_id: r.report_request_id
             for r in reply.report_requests}[("EXPECTED_DELIVERY")]
    await h.post("EiReport", _projection(ven_id, asked, -9.0, 120.0), fingerprint=FP)
    first = await h.store.performance.get(event.event_id, ven_id)
    assert first is not None and first.expected_pct == pytest.approx(37.5)
    assert first.expected_at == START
    # the event's first half-hour is over; the re-plan now expects the whole 24 kW of the rest
    h.clock.advance(timedelta(hours=1, minutes=31))
    answer = await h.post("EiReport", _projection(ven_id, asked, -24.0, 120.0, which=(1,)),
                          fingerprint=FP)
    assert isinstance(answer, UpdatedReport) and answer.response.response_code == 200
    row = await h.store.performance.get(event.event_id, ven_id)
    assert row is not None
    assert [(i.expected_kw, i.said_at) for i in row.expected_intervals] == [
        (9.0, START), (24.0, START + timedelta(hours=1, minutes=31))]
    assert row.expected_kw == pytest.approx(16.5) and row.expected_pct == pytest.approx(68.75)
    assert row.expected_at == START + timedelta(hours=1, minutes=31)
    body = performance_json(row)  # what `event responses` and `performance` show
    said = body["expected_at"]
    assert expected_json(row) == {"expected_kw": 16.5, "expected_requested_kw": 24.0,
                                  "expected_pct": 68.8, "expected_at": said}
    assert datetime.fromisoformat(said) == START + timedelta(hours=1, minutes=31)
    assert [datetime.fromisoformat(i["said_at"]) for i in body["expected_intervals"]] == [
        START, START + timedelta(hours=1, minutes=31)]
    assert expected_words(body, utc=True) == (
        f"16 of 24 kW (69%) at {show_time(said, utc=True)}")
    assert "EXPECTED AT" in performance_table({"event_id": event.event_id,
                                               "performance": [body]})


async def test_a_vtn_configured_without_the_baseline_does_not_ask_for_it(tmp_path: Path) -> None:
    config = header_config(tmp_path, reports=ReportSettings(request=("TELEMETRY_USAGE",)))
    h, client = await start_harness(config, ManualClock(START))
    try:
        ven_id = (await h.register(FP)).ven_id
        reply = await h.post("EiReport", _our_ven_metadata(ven_id, baseline_report=True),
                             fingerprint=FP)
        assert isinstance(reply, RegisteredReport)
        assert [r.report_specifier.report_specifier_id for r in reply.report_requests] == [
            "TELEMETRY_USAGE"]
    finally:
        await client.close()
        await h.store.close()
