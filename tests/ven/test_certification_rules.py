"""The VEN against the certification rules it used to break (CONFORMANCE.md known gaps 12-19):
METADATA reports, foreign vtnID / market context / eiTarget, oadrCreateOpt contents, foreign
registrationID and bad report requests (452), randomised stops after a cancellation, and
staying unregistered after the VTN cancels. openleadr's VTN is the peer where the VTN side
matters; answers the peer cannot show are read from the VEN's outbox or push replies."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.clock import ManualClock
from common.errors import ConfigError
from common.messages.enums import (
    EventStatus,
    OptType,
    ReadingType,
    ReportName,
    ReportType,
    SignalName,
    SignalType,
)
from common.messages.event import CreatedEvent, EiEvent, EventDescriptor, EventSignal
from common.messages.registration import CanceledPartyRegistration, CancelPartyRegistration
from common.messages.report import (
    CreatedReport,
    CreateReport,
    ReportRequest,
    ReportSpecifier,
    SpecifierPayload,
)
from common.messages.types import Interval, Message, Period, Target
from common.xml import decode
from tests.support.openleadr_vtn import VTN_ID, OpenleadrVtn
from tests.support.ven_client import DEVICES, Recorder
from ven.client import DeterministicSource, EventPhase, Store, VenClient, build_client
from ven.client.config import ReportPoints, parse_config
from ven.client.events import invalid_content
from ven.client.reports import BASELINE_REPORT, metadata_reports


class HalfWay(random.Random):
    """A random source whose every draw is 0.5 (a deterministic randomised stop)."""

    def random(self) -> float:
        return 0.5


class Ven:
    def __init__(self, client: VenClient, store: Store, clock: ManualClock,
                 recorder: Recorder) -> None:
        self.client, self.store, self.clock, self.recorder = client, store, clock, recorder

    async def queued(self, kind: str) -> list[Message]:
        """The decoded messages of `kind` waiting in the outbox."""
        return [decode(i.message_xml) for i in await self.store.outbox() if i.kind == kind]

    async def close(self) -> None:
        await self.client.close()
        await self.store.close()


async def open_ven(tmp_path: Path, vtn: OpenleadrVtn, *, events: str = "", ven: str = "",
                   extra: str = "", auto_answer: bool = True) -> Ven:
    config = parse_config(f"""
[vtn]
url = "{vtn.url}"
allow_plain_http = true

[ven]
name = "test-ven"
database = "{tmp_path / 'ven.sqlite'}"
{ven}

[events]
auto_answer = {str(auto_answer).lower()}
{events}

{extra}
""")
    clock = ManualClock(datetime.now(UTC))
    store = await Store.open(config.database)
    recorder = Recorder()

    async def sleeper(seconds: float) -> None:
        clock.advance(seconds)

    client = await build_client(config, store=store, source=DeterministicSource(), clock=clock,
                                sleeper=sleeper, handler=recorder, device_ids=DEVICES,
                                rng=HalfWay())
    return Ven(client, store, clock, recorder)


@pytest.fixture
async def ven(tmp_path: Path, vtn: OpenleadrVtn) -> AsyncIterator[Ven]:
    harness = await open_ven(tmp_path, vtn)
    await harness.client.start()
    yield harness
    await harness.close()


# ---- 12: METADATA reports ----------------------------------------------------------------------


def test_metadata_reports_follow_the_register_report_rules():
    points = ReportPoints(max_sampling=timedelta(minutes=30))
    reports = {r.report_name: r for r in metadata_reports(points, datetime.now(UTC))}
    assert ReportName.METADATA_TELEMETRY_USAGE in reports
    assert ReportName.METADATA_TELEMETRY_STATUS in reports
    for report in reports.values():
        assert report.report_request_id == "0"
        assert report.report_id is None and report.dtstart is None and not report.intervals
        assert report.duration is not None and report.duration >= points.max_sampling
        for description in report.report_descriptions:
            assert description.sampling_rate is not None
            assert description.sampling_rate.max_period <= report.duration
    usage = reports[ReportName.METADATA_TELEMETRY_USAGE]
    assert [(d.r_id, d.report_type, d.reading_type) for d in usage.report_descriptions] == [
        ("usage", ReportType.USAGE, ReadingType.DIRECT_READ)]
    (baseline_report,) = [r for r in reports.values()
                          if r.report_name == ReportName.parse("x-METADATA_TELEMETRY_BASELINE")]
    (baseline,) = baseline_report.report_descriptions
    assert baseline.r_id == "baseline" and baseline.report_type is ReportType.BASELINE
    assert BASELINE_REPORT.value == "x-TELEMETRY_BASELINE"


async def test_openleadr_accepts_the_metadata_and_subscribes_to_usage(ven: Ven):
    vtn_metadata = ven.client  # registered by the fixture
    assert vtn_metadata.registration is not None
    (subscription,) = await ven.store.subscriptions()
    assert subscription.specifier_id == "TELEMETRY_USAGE" and subscription.r_ids == ("usage",)


# ---- 15: report requests naming what we never offered get 452 ------------------------------


def _request(request_id: str, specifier: str, *r_ids: str) -> ReportRequest:
    return ReportRequest(report_request_id=request_id, report_specifier=ReportSpecifier(
        report_specifier_id=specifier, granularity=timedelta(minutes=1),
        report_back_duration=timedelta(minutes=5),
        specifier_payloads=tuple(SpecifierPayload(r_id=r, reading_type=ReadingType.DIRECT_READ)
                                 for r in r_ids)))


@pytest.mark.parametrize("request_", [
    _request("rr-spec", "NO_SUCH_SPECIFIER", "usage"),
    _request("rr-rid", "TELEMETRY_USAGE", "usage", "no-such-rid"),
], ids=["reportSpecifierID", "rID"])
async def test_a_report_request_for_something_not_offered_gets_452(
    ven: Ven, request_: ReportRequest
):
    await ven.client.handle(CreateReport(request_id="cr-1", report_requests=(request_,)))
    created = (await ven.queued("created_report"))[-1]
    assert isinstance(created, CreatedReport)
    assert int(created.response.response_code) == 452
    assert await ven.store.subscription(request_.report_request_id) is None


# ---- 13: vtnID, market context, eiTarget -------------------------------------------------------


@pytest.mark.parametrize("vtn_id", [VTN_ID.upper(), "another-vtn"], ids=["case", "foreign"])
async def test_events_from_another_vtn_id_are_refused_with_452(
    ven: Ven, vtn: OpenleadrVtn, vtn_id: str, monkeypatch: pytest.MonkeyPatch
):
    sent: list[Message] = []
    request = ven.client.exchange.request

    async def recording(service: str, message: Message) -> Message | None:
        sent.append(message)
        return await request(service, message)

    monkeypatch.setattr(ven.client.exchange, "request", recording)
    vtn.server.services["poll_service"].vtn_id = vtn_id
    vtn.add_event("ev-foreign")
    await ven.client.poll()  # the refusal goes out before the next poll
    (created,) = [m for m in sent if isinstance(m, CreatedEvent)]
    assert int(created.response.response_code) == 452
    assert [r.opt_type for r in created.event_responses] == [OptType.OPT_OUT]
    assert await ven.store.event("ev-foreign") is None and ven.recorder.events == []
    assert vtn.received.opts == [("ven-0001", "ev-foreign", "optOut")]
    assert await ven.queued("created_event") == []


async def test_an_unknown_market_context_is_answered_opt_out_453(tmp_path: Path,
                                                                 vtn: OpenleadrVtn):
    ven = await open_ven(tmp_path, vtn, events='market_contexts = ["http://market.test"]')
    try:
        await ven.client.start()
        vtn.add_event("ev-ours")
        vtn.add_event("ev-theirs")
        vtn.events["ev-theirs"].event_descriptor.market_context = "http://other.test"
        await ven.client.step()
        assert sorted(vtn.received.opts) == [("ven-0001", "ev-ours", "optIn"),
                                             ("ven-0001", "ev-theirs", "optOut")]
        theirs = await ven.store.event("ev-theirs")
        assert theirs is not None and theirs.response_code == 453
    finally:
        await ven.close()


async def test_an_event_targeted_elsewhere_is_answered_opt_out_462(tmp_path: Path,
                                                                   vtn: OpenleadrVtn):
    ven = await open_ven(tmp_path, vtn, ven='group_ids = ["north"]')
    try:
        await ven.client.start()
        for event_id, target in [("ev-other-ven", {"ven_id": "ven-0002"}),
                                 ("ev-device", {"resource_id": "ahu-1"}),
                                 ("ev-group", {"group_id": "north"}),
                                 ("ev-other-group", {"group_id": "south"})]:
            vtn.add_event(event_id)
            vtn.events[event_id].targets = [target]
            vtn.events[event_id].targets_by_type = {k: [v] for k, v in target.items()}
        await ven.client.step()
        assert sorted(vtn.received.opts) == [("ven-0001", "ev-device", "optIn"),
                                             ("ven-0001", "ev-group", "optIn"),
                                             ("ven-0001", "ev-other-group", "optOut"),
                                             ("ven-0001", "ev-other-ven", "optOut")]
        for event_id in ("ev-other-ven", "ev-other-group"):
            stored = await ven.store.event(event_id)
            assert stored is not None and stored.response_code == 462
    finally:
        await ven.close()


async def test_an_invalid_event_is_answered_opt_out_454(tmp_path: Path, vtn: OpenleadrVtn):
    """A_E1_0330: a SIMPLE level outside 0-3 (here in the deprecated spelling ``simple``:
    openleadr refuses to send it as SIMPLE) is refused, optOut 454; a valid event next to it
    is taken."""
    ven = await open_ven(tmp_path, vtn)
    try:
        await ven.client.start()
        vtn.add_event("ev-valid")
        vtn.add_event("ev-level", signal_name="simple", level=7.0)
        await ven.client.step()
        assert sorted(vtn.received.opts) == [("ven-0001", "ev-level", "optOut"),
                                             ("ven-0001", "ev-valid", "optIn")]
        refused = await ven.store.event("ev-level")
        assert refused is not None and refused.response_code == 454
        valid = await ven.store.event("ev-valid")
        assert valid is not None and valid.response_code == 200
    finally:
        await ven.close()


def test_invalid_content_names_a_bad_level_or_intervals_that_do_not_fill_the_period():
    """openleadr repairs short intervals before sending, so the rule is pinned here."""
    start = datetime(2026, 7, 1, 14, tzinfo=UTC)

    def event(levels: list[float], minutes: list[int], length: int) -> EiEvent:
        signal = EventSignal(
            intervals=tuple(Interval(payloads=(v,), duration=timedelta(minutes=m), uid=str(n))
                            for n, (v, m) in enumerate(zip(levels, minutes, strict=True))),
            signal_name=SignalName.SIMPLE, signal_type=SignalType.LEVEL, signal_id="s")
        return EiEvent(
            event_descriptor=EventDescriptor(event_id="e", modification_number=0,
                                             market_context="http://market.test",
                                             created_date_time=start,
                                             event_status=EventStatus.FAR),
            active_period=Period(dtstart=start, duration=timedelta(minutes=length)),
            event_signals=(signal,), target=Target())

    assert invalid_content(event([1, 3], [10, 20], 30)) is None
    assert invalid_content(event([1], [30], 0)) is None  # open-ended: nothing to add up to
    assert invalid_content(event([1, 7], [10, 20], 30)) == (
        "signal s: SIMPLE level 7 is not 0, 1, 2 or 3")
    assert invalid_content(event([1], [10], 30)) == (
        "signal s: its intervals last 0:10:00, its active period 0:30:00")


# ---- 14: oadrCreateOpt contents ----------------------------------------------------------------


async def test_create_opt_for_an_event_has_no_market_context_and_schedules_a_device_class(
    tmp_path: Path, vtn: OpenleadrVtn
):
    schedule = """
[[opt_schedules]]
id = "maintenance"
opt = "out"
start = 2030-01-01T08:00:00Z
duration_min = 240
device_classes = ["Thermostat"]
"""
    ven = await open_ven(tmp_path, vtn, extra=schedule, auto_answer=False)
    try:
        await ven.client.start()
        await ven.client.step()
        (scheduled,) = vtn.received.create_opts
        assert scheduled.device_class is not None
        assert scheduled.device_class.end_device_assets == ("Thermostat",)
        vtn.add_event("ev-opt")
        await ven.client.step()
        await ven.client.answer("ev-opt", OptType.OPT_OUT, device_id="ahu-1")
        await ven.client.step()
        event_opt = vtn.received.create_opts[-1]
        assert event_opt.qualified_event_id is not None
        assert event_opt.market_context is None and event_opt.vavailability is None
    finally:
        await ven.close()


def test_an_unknown_device_class_is_a_configuration_error():
    with pytest.raises(ConfigError, match="device_classes"):
        parse_config("""
[vtn]
url = "http://127.0.0.1:1/OpenADR2/Simple/2.0b"
allow_plain_http = true
[ven]
name = "v"
[[opt_schedules]]
id = "x"
opt = "out"
start = 2030-01-01T08:00:00Z
duration_min = 60
device_classes = ["Toaster"]
""")


# ---- 15 and 19: registration cancelled by the VTN ----------------------------------------------


async def test_a_cancel_with_a_foreign_registration_id_is_refused_452(ven: Ven, vtn: OpenleadrVtn):
    replies: list[Message] = []
    await ven.client.handle(CancelPartyRegistration(
        request_id="cancel-1", registration_id="reg-9999", ven_id="ven-0001"), replies=replies)
    (reply,) = replies
    assert isinstance(reply, CanceledPartyRegistration)
    assert int(reply.response.response_code) == 452
    vtn.queue.append(("oadrCancelPartyRegistration", {
        "registration_id": "reg-9999", "ven_id": "ven-0001", "request_id": "cancel-2"}))
    await ven.client.step()  # the same over a poll: answered, still registered
    assert ven.client.registration is not None and await ven.store.registration() is not None


async def test_after_the_vtn_cancels_the_ven_stays_unregistered_by_default(
    ven: Ven, vtn: OpenleadrVtn
):
    vtn.queue.append(("oadrCancelPartyRegistration", {
        "registration_id": "reg-0001", "ven_id": "ven-0001", "request_id": "cancel-reg"}))
    await ven.client.step()
    assert ven.client.registration is None
    await ven.client.run(max_steps=3)
    assert len(vtn.received.registrations) == 1 and ven.client.registration is None


async def test_reregister_after_cancel_is_a_setting(tmp_path: Path, vtn: OpenleadrVtn):
    ven = await open_ven(tmp_path, vtn, ven="reregister_after_cancel = true")
    try:
        await ven.client.start()
        vtn.queue.append(("oadrCancelPartyRegistration", {
            "registration_id": "reg-0001", "ven_id": "ven-0001", "request_id": "cancel-reg"}))
        await ven.client.step()
        assert ven.client.registration is None
        await ven.client.run(max_steps=1)
        assert len(vtn.received.registrations) == 2 and ven.client.registration is not None
    finally:
        await ven.close()


# ---- 18: a cancelled event stops at a random moment within startafter --------------------------


@pytest.mark.parametrize("explicit", [True, False], ids=["explicit", "implied"])
async def test_a_cancelled_active_event_stops_within_startafter(
    ven: Ven, vtn: OpenleadrVtn, explicit: bool
):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)
    vtn.add_event("ev-run", start=start, startafter=timedelta(minutes=10))
    await ven.client.step()
    (running,) = await ven.client.event_states()
    assert running.status.value == "active"
    cancelled_at = ven.clock.now()
    if explicit:
        vtn.cancel_event("ev-run")
    else:
        vtn.drop_event("ev-run")
    await ven.client.step()
    stored = await ven.store.event("ev-run")
    assert stored is not None and stored.phase == EventPhase.STOPPING.value
    assert stored.end == cancelled_at + timedelta(minutes=5)  # 0.5 of the 10-minute window
    assert ven.recorder.cancels == []
    (still,) = await ven.client.event_states()
    assert still.status.value == "active"

    ven.clock.advance(timedelta(minutes=5))
    await ven.client.step()
    (cancel,) = ven.recorder.cancels
    assert cancel.event_id == "ev-run" and cancel.status.value == "cancelled"
    stopped = await ven.store.event("ev-run")
    assert stopped is not None and stopped.phase == EventPhase.CANCELLED.value


async def test_a_cancelled_pending_event_stops_at_once(ven: Ven, vtn: OpenleadrVtn):
    vtn.add_event("ev-later", startafter=timedelta(minutes=10))
    await ven.client.step()
    vtn.cancel_event("ev-later")
    await ven.client.step()
    (cancel,) = ven.recorder.cancels
    assert cancel.event_id == "ev-later"
    stored = await ven.store.event("ev-later")
    assert stored is not None and stored.phase == EventPhase.CANCELLED.value
