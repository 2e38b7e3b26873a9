"""The VEN client against openleadr's VTN over real HTTP: registration, events, opts, reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.clock import ManualClock
from common.messages.enums import OptType
from tests.support.openleadr_vtn import VTN_ID, OpenleadrVtn
from tests.support.ven_client import DEVICES, Recorder
from ven.client import (
    DeterministicSource,
    EventPhase,
    PointKind,
    Store,
    VenClient,
    build_client,
)
from ven.client.config import parse_config
from ven.client.store import Subscription


def ven_config(tmp_path: Path, url: str, extra: str = "", *, auto_answer: bool = True) -> str:
    return f"""
[vtn]
url = "{url}"
allow_plain_http = true

[ven]
name = "test-ven"
database = "{tmp_path / 'ven.sqlite'}"

[events]
auto_answer = {str(auto_answer).lower()}
default_opt = "in"

{extra}
"""


class Harness:
    def __init__(self, vtn: OpenleadrVtn, client: VenClient, store: Store, clock: ManualClock,
                 recorder: Recorder, slept: list[float]) -> None:
        self.vtn, self.client, self.store, self.clock, self.recorder = (
            vtn, client, store, clock, recorder)
        self.slept = slept
        """Every wait the client asked its injected sleeper for [s], in order."""


async def open_client(tmp_path: Path, vtn: OpenleadrVtn, *, auto_answer: bool = True,
                      extra: str = "") -> Harness:
    config = parse_config(ven_config(tmp_path, vtn.url, extra, auto_answer=auto_answer))
    clock = ManualClock(datetime.now(UTC))
    store = await Store.open(config.database)
    recorder = Recorder()
    slept: list[float] = []

    async def sleeper(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    client = await build_client(config, store=store, source=DeterministicSource(), clock=clock,
                                sleeper=sleeper, handler=recorder, device_ids=DEVICES)
    return Harness(vtn, client, store, clock, recorder, slept)


@pytest.fixture
async def ven(tmp_path: Path, vtn: OpenleadrVtn) -> AsyncIterator[Harness]:
    harness = await open_client(tmp_path, vtn)
    yield harness
    await harness.client.close()
    await harness.store.close()


async def test_registers_offers_reports_and_subscribes(ven: Harness):
    await ven.client.start()
    registration = ven.client.registration
    assert registration is not None
    assert (registration.vtn_id, registration.ven_id, registration.registration_id) == (
        VTN_ID, "ven-0001", "reg-0001")
    assert registration.poll_freq == timedelta(seconds=10)
    assert ven.client.poll_interval == timedelta(seconds=10)
    assert len(ven.vtn.received.registrations) == 1
    assert ven.vtn.received.registrations[0]["ven_name"] == "test-ven"
    names = {r["report_name"] for r in ven.vtn.received.metadata}
    # openleadr passes only the telemetry reports to its handler (it skips HISTORY_USAGE)
    assert names == {"METADATA_TELEMETRY_USAGE", "METADATA_TELEMETRY_STATUS"}
    usage = next(r for r in ven.vtn.received.metadata
                 if r["report_name"] == "METADATA_TELEMETRY_USAGE")
    # the baseline has a report of its own (x-TELEMETRY_BASELINE), which openleadr skips
    assert {d["r_id"] for d in usage["report_descriptions"]} == {"usage"}
    (subscription,) = await ven.store.subscriptions()
    assert subscription.r_ids == ("usage",)
    assert subscription.granularity_s == 60 and subscription.report_back_s == 300
    stored = await ven.store.registration()
    assert stored is not None and stored.reports_registered


async def test_event_new_modified_cancelled_with_opt_in(ven: Harness):
    vtn, client = ven.vtn, ven.client
    await client.start()
    vtn.add_event("ev-1", level=2)
    await client.step()
    assert vtn.received.opts == [("ven-0001", "ev-1", "optIn")]
    (state,) = ven.recorder.events
    assert (state.event_id, state.modification_number, state.opt) == ("ev-1", 0, OptType.OPT_IN)
    assert state.summary.startswith("SIMPLE level 2 from ")

    vtn.modify_event("ev-1", level=3)
    await client.step()
    assert vtn.received.opts[-1] == ("ven-0001", "ev-1", "optIn")
    assert len(vtn.received.opts) == 2
    assert ven.recorder.events[-1].modification_number == 1
    payloads = ven.recorder.events[-1].event.event_signals[0].intervals[0].payloads
    assert payloads == (3.0,)

    vtn.cancel_event("ev-1")
    await client.step()
    assert len(vtn.received.opts) == 3  # the cancellation is acknowledged (responseRequired)
    (cancelled,) = ven.recorder.cancels
    assert cancelled.phase is EventPhase.CANCELLED and cancelled.modification_number == 2
    stored = await ven.store.event("ev-1")
    assert stored is not None and stored.phase == "cancelled"

    # Polling again changes nothing: the same list is not answered twice.
    vtn._distribute()
    await client.step()
    assert len(vtn.received.opts) == 3


async def test_implied_cancel_unsupported_signal_never_and_randomization(ven: Harness):
    vtn, client = ven.vtn, ven.client
    await client.start()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    vtn.add_event("ev-rand", start=start, startafter=timedelta(minutes=10))
    vtn.add_event("ev-x", signal_name="x-unknownSignal", signal_type="level")
    vtn.add_event("ev-quiet", response_required="never")
    vtn.add_event("ev-type", signal_name="SIMPLE", signal_type="price")  # a type SIMPLE lacks
    await client.step()
    assert sorted(vtn.received.opts) == [("ven-0001", "ev-rand", "optIn"),
                                         ("ven-0001", "ev-type", "optOut"),
                                         ("ven-0001", "ev-x", "optOut")]
    wrong_type = await ven.store.event("ev-type")
    assert wrong_type is not None and wrong_type.response_code == 460
    rand = await ven.store.event("ev-rand")
    assert rand is not None and start <= rand.effective_start < start + timedelta(minutes=10)
    unsupported = await ven.store.event("ev-x")
    assert unsupported is not None and unsupported.response_code == 460

    vtn.drop_event("ev-rand")
    await client.step()
    (implied,) = ven.recorder.cancels
    assert implied.event_id == "ev-rand" and implied.phase is EventPhase.IMPLIED_CANCELLED


async def test_manual_answer_per_device_and_opt_schedule(tmp_path: Path, vtn: OpenleadrVtn):
    schedule = """
[[opt_schedules]]
id = "maintenance"
opt = "out"
start = 2030-01-01T08:00:00Z
duration_min = 240
reason = "mustRun"
resource_ids = ["ahu-1"]
"""
    ven = await open_client(tmp_path, vtn, auto_answer=False, extra=schedule)
    try:
        await ven.client.start()
        await ven.client.step()
        (scheduled,) = vtn.received.create_opts
        assert scheduled.opt_id == "maintenance" and scheduled.opt_type is OptType.OPT_OUT
        assert scheduled.vavailability is not None
        assert scheduled.vavailability[0].duration == timedelta(hours=4)
        assert scheduled.target.resource_ids == ("ahu-1",)

        vtn.add_event("ev-2", level=1)
        await ven.client.step()
        assert vtn.received.opts == [("ven-0001", "ev-2", "optIn")]  # provisional, at once
        (pending,) = await ven.client.invitations()
        assert pending.event_id == "ev-2" and pending.provisional

        await ven.client.answer("ev-2", OptType.OPT_OUT, device_id="ahu-1")
        await ven.client.step()
        assert vtn.received.opts == [("ven-0001", "ev-2", "optIn")]  # confirmed, not re-sent
        device_opt = vtn.received.create_opts[-1]
        assert device_opt.opt_type is OptType.OPT_OUT
        assert device_opt.target.resource_ids == ("ahu-1",)
        assert device_opt.qualified_event_id is not None
        assert device_opt.qualified_event_id.event_id == "ev-2"
        assert await ven.client.invitations() == []
        state = ven.recorder.events[-1]
        assert state.opt is OptType.OPT_IN and state.device_opts == {"ahu-1": OptType.OPT_OUT}
    finally:
        await ven.client.close()
        await ven.store.close()


@pytest.mark.parametrize("auto_answer", [True, False])
async def test_an_event_is_answered_before_the_next_poll(tmp_path: Path, vtn: OpenleadrVtn,
                                                         auto_answer: bool):
    """Certification: oadrCreatedEvent for a responseRequired=always event goes out before the
    VEN polls again, also when a person has yet to answer (the default, provisionally)."""
    ven = await open_client(tmp_path, vtn, auto_answer=auto_answer)
    polls_at_answer: list[int] = []
    recorded = vtn._on_created_event

    async def on_created(ven_id: str, event_id: str, opt_type: str) -> None:
        polls_at_answer.append(vtn.received.polls)
        await recorded(ven_id, event_id, opt_type)

    vtn.server.add_handler("on_created_event", on_created)
    try:
        await ven.client.start()
        before = vtn.received.polls
        vtn.add_event("ev-1")
        await ven.client.step()
        assert vtn.received.opts == [("ven-0001", "ev-1", "optIn")]
        assert polls_at_answer == [before + 1]  # after the poll that brought it, before the next
        assert vtn.received.polls == before + 2
        (answer,) = await ven.store.answers("ev-1")
        assert answer.source == ("auto" if auto_answer else "provisional")
    finally:
        await ven.client.close()
        await ven.store.close()


async def test_a_provisional_answer_waits_for_a_person_until_the_event_starts(
    tmp_path: Path, vtn: OpenleadrVtn
):
    ven = await open_client(tmp_path, vtn, auto_answer=False)
    try:
        await ven.client.start()
        vtn.add_event("ev-4")
        vtn.add_event("ev-5")
        await ven.client.step()
        assert sorted(vtn.received.opts) == [("ven-0001", "ev-4", "optIn"),
                                             ("ven-0001", "ev-5", "optIn")]
        pending = await ven.client.invitations()
        assert [(s.event_id, s.opt, s.provisional) for s in pending] == [
            ("ev-4", OptType.OPT_IN, True), ("ev-5", OptType.OPT_IN, True)]
        await ven.client.answer("ev-4", OptType.OPT_OUT)  # a change: a new oadrCreatedEvent
        await ven.client.answer("ev-5", OptType.OPT_IN)  # a confirmation: nothing new to send
        await ven.client.step()
        assert vtn.received.opts[2:] == [("ven-0001", "ev-4", "optOut")]
        assert await ven.client.invitations() == []
    finally:
        await ven.client.close()
        await ven.store.close()


async def test_unanswered_invitation_gets_the_default_when_the_event_starts(
    tmp_path: Path, vtn: OpenleadrVtn
):
    ven = await open_client(tmp_path, vtn, auto_answer=False)
    try:
        await ven.client.start()
        start = datetime.now(UTC) + timedelta(minutes=30)
        vtn.add_event("ev-3", start=start)
        vtn.add_event("ev-6", start=start + timedelta(hours=2), response_required="never")
        await ven.client.step()
        assert vtn.received.opts == [("ven-0001", "ev-3", "optIn")]  # provisional, at once
        assert [s.event_id for s in await ven.client.invitations()] == ["ev-3", "ev-6"]
        ven.clock.advance(timedelta(minutes=31))
        await ven.client.step()
        assert [s.event_id for s in await ven.client.invitations()] == ["ev-6"]
        (answer,) = await ven.store.answers("ev-3")
        assert answer.source == "provisional"  # it stands: nothing more is sent
        ven.clock.advance(timedelta(hours=2))
        await ven.client.step()
        assert vtn.received.opts == [("ven-0001", "ev-3", "optIn")]
        (answer,) = await ven.store.answers("ev-6")
        assert answer.source == "default"  # responseRequired=never: recorded, not sent
        assert await ven.client.invitations() == []
    finally:
        await ven.client.close()
        await ven.store.close()


def expected(kind: PointKind, start: datetime, count: int) -> list[tuple[datetime, float]]:
    source = DeterministicSource()
    return [(start + timedelta(minutes=i), source.value(kind, start + timedelta(minutes=i)))
            for i in range(count)]


async def test_periodic_reports_reach_the_vtn(ven: Harness):
    await ven.client.start()
    (sub,) = await ven.store.subscriptions()
    ven.clock.advance(timedelta(minutes=4))
    await ven.client.step()
    assert ven.vtn.received.values == []  # the first period is not complete yet
    ven.clock.advance(timedelta(minutes=7))  # 11 min: two complete 5-min periods
    await ven.client.step()
    usage = sorted(ven.vtn.values("usage"))
    assert usage == expected(PointKind.USAGE, sub.start, 10)
    assert await ven.store.outbox() == []


async def test_cancel_report_with_report_to_follow(ven: Harness):
    await ven.client.start()
    (sub,) = await ven.store.subscriptions()
    ven.clock.advance(timedelta(minutes=3))
    ven.vtn.cancel_report(sub.report_request_id)
    await ven.client.step()
    # The final report carries the three minutes so far; nothing more afterwards.
    assert sorted(ven.vtn.values("usage")) == expected(PointKind.USAGE, sub.start, 3)
    assert await ven.store.subscriptions() == []
    ven.clock.advance(timedelta(minutes=10))
    await ven.client.step()
    assert len(ven.vtn.values("usage")) == 3


async def test_reregistration_on_request(ven: Harness):
    await ven.client.start()
    ven.vtn.request_reregistration()
    await ven.client.step()
    assert len(ven.vtn.received.registrations) == 2
    assert ven.vtn.received.registrations[1]["registration_id"] == "reg-0001"
    assert len(ven.vtn.received.metadata) == 4  # the reports are offered again


async def test_outage_queues_reports_and_delivers_each_once(tmp_path: Path, vtn: OpenleadrVtn):
    ven = await open_client(tmp_path, vtn, extra="[retry]\ninitial_s = 15\nmax_s = 100\n")
    try:
        await _outage(ven)
    finally:
        await ven.client.close()
        await ven.store.close()


async def _outage(ven: Harness) -> None:
    vtn, client = ven.vtn, ven.client
    await client.start()
    (sub,) = await ven.store.subscriptions()
    await vtn.pause()
    ven.clock.advance(timedelta(minutes=5))
    # run() keeps going through failures, backing off: each wait longer, capped and jittered.
    ven.slept.clear()
    await client.run(max_steps=4)
    slept = ven.slept
    # retry: initial 15 s, cap 100 s, jitter in [ceiling/2, ceiling]; never below the 10 s poll
    assert len(slept) == 4
    assert 10 <= slept[0] <= 15 and 15 <= slept[1] <= 30 and 30 <= slept[2] <= 60
    assert 50 <= slept[3] <= 100
    queued = await ven.store.outbox()
    assert [item.kind for item in queued] == ["created_report", "update_report"]
    assert queued[0].attempts == 4  # the head of the queue was tried at each step
    ven.clock.advance(timedelta(minutes=10))
    await client.queue_due_reports()
    assert [item.kind for item in await ven.store.outbox()].count("update_report") == 3
    assert vtn.received.values == []

    await vtn.resume()
    await client.run(max_steps=1)
    assert await ven.store.outbox() == []
    usage = ven.vtn.values("usage")
    minutes = int((ven.clock.now() - sub.start).total_seconds() // 300) * 5
    assert len(usage) == len(set(usage)) == minutes  # every minute once, none twice
    assert sorted(usage) == expected(PointKind.USAGE, sub.start, minutes)


def test_subscription_is_a_value_object():
    sub = Subscription(report_request_id="r", specifier_id="TELEMETRY_USAGE",
                       report_name="TELEMETRY_USAGE", r_ids=("usage",), granularity_s=60,
                       report_back_s=300, start=datetime(2026, 1, 1, tzinfo=UTC), end=None,
                       covered_until=datetime(2026, 1, 1, tzinfo=UTC))
    assert sub.state == "active"


async def test_a_message_the_vtn_fails_on_does_not_block_the_others(tmp_path: Path):
    # openleadr 0.5.36 cannot take resource-status payloads (HTTP 500, KeyError 'value').
    vtn = OpenleadrVtn(report_rids=("usage", "status"))
    await vtn.start()
    ven = await open_client(tmp_path, vtn)
    try:
        await ven.client.start()
        (sub,) = [s for s in await ven.store.subscriptions() if s.r_ids == ("usage",)]
        ven.clock.advance(timedelta(minutes=5))
        await ven.client.step()
        assert sorted(vtn.values("usage")) == expected(PointKind.USAGE, sub.start, 5)
        (stuck,) = await ven.store.outbox()
        assert stuck.kind == "update_report" and "HTTP 500" in (stuck.last_error or "")
        assert stuck.retry_at is not None and stuck.retry_at > ven.clock.now()
        await ven.client.step()  # held back: not retried before its time
        assert (await ven.store.outbox())[0].attempts == 1
    finally:
        await ven.client.close()
        await ven.store.close()
        await vtn.stop()


async def test_history_report_requested_by_create_report(ven: Harness):
    await ven.client.start()
    start = ven.clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    ven.vtn.request_history("hist-1", start=start, duration=timedelta(hours=2),
                            granularity=timedelta(hours=1))
    await ven.client.step()
    source = DeterministicSource()
    assert sorted(ven.vtn.values("history_usage")) == [
        (start + timedelta(hours=h), source.value(PointKind.HISTORY, start + timedelta(hours=h)))
        for h in range(2)
    ]  # [kWh] per 1-hour interval = the average [kW] over that hour
    history = await ven.store.subscription("hist-1")
    assert history is not None and history.state == "complete"
    assert await ven.store.outbox() == []


async def test_operator_requests_in_the_state_file_are_carried_out_by_the_loop(ven: Harness):
    """What `oadr-ven registration ...` queues for a running VEN (openleadr's VTN)."""
    await ven.client.start()
    offered = len(ven.vtn.received.metadata)
    now = datetime.now(UTC)
    query = await ven.store.queue_request("query-registration", now)
    republish = await ven.store.queue_request("republish-reports", now)
    bogus = await ven.store.queue_request("no-such-action", now)
    await ven.client.run(max_steps=1)
    done = await ven.store.request(query)
    assert done is not None and done.state == "done" and done.result is not None
    assert done.result["vtn_id"] == "openleadr-vtn"
    assert done.result["ours"] == "reg-0001"
    republished = await ven.store.request(republish)
    assert republished is not None and republished.state == "done"
    assert len(ven.vtn.received.metadata) == 2 * offered  # at registration, and again
    failed = await ven.store.request(bogus)
    assert failed is not None and failed.state == "failed"
    assert failed.error is not None and "unknown operator action" in failed.error
    assert await ven.store.requests() == []
