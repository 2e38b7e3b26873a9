"""What a VEN receives in oadrDistributeEvent: send-time createdDateTime, its own eiTarget only,
the 2.0b order, cancellations re-sent until acknowledged, and completed events kept a while."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from common.messages.enums import EventStatus, OptType, ResponseRequired
from common.messages.event import CreatedEvent, DistributeEvent, EventResponse, RequestEvent
from common.messages.poll import Response
from common.messages.types import EiResponse, QualifiedEventId
from tests.support.push import FakeVen, push_worker, register_push
from tests.support.vtn_harness import (
    START,
    Harness,
    add_event,
    fingerprint_of,
    poll,
    registered_and_drained,
)
from vtn.domain import EventTargets
from vtn.domain.event import CANCELLATION_RESENT_FOR, COMPLETED_VISIBLE_FOR


async def request_events(h: Harness, ven_id: str, n: int) -> DistributeEvent:
    reply = await h.post("EiEvent", RequestEvent(request_id="rq", ven_id=ven_id),
                         fingerprint=fingerprint_of(n))
    assert isinstance(reply, DistributeEvent)
    return reply


def ids_of(message: DistributeEvent) -> list[str]:
    return [e.event.event_descriptor.event_id for e in message.events]


async def acknowledge(h: Harness, ven_id: str, n: int, event_id: str, number: int) -> None:
    ok = EiResponse(response_code=200, request_id="ack", response_description="OK")
    answer = CreatedEvent(response=ok, ven_id=ven_id, event_responses=(EventResponse(
        response_code=200, request_id="ack", opt_type=OptType.OPT_IN,
        qualified_event_id=QualifiedEventId(event_id=event_id, modification_number=number)),))
    reply = await h.post("EiEvent", answer, fingerprint=fingerprint_of(n))
    assert isinstance(reply, Response) and reply.response.response_code == 200


# ---- createdDateTime: the instant eventStatus and currentValue were computed at ---------------


async def test_created_date_time_is_the_instant_the_payload_is_built(harness: Harness) -> None:
    h = harness
    ven_id = await registered_and_drained(h, 1)
    await add_event(h.store, start=START + timedelta(minutes=10), level=3.0)
    first = await poll(h, ven_id, 1)
    assert isinstance(first, DistributeEvent)
    assert first.events[0].event.event_descriptor.created_date_time == START
    h.clock.advance(timedelta(minutes=30))  # the event is active now
    later = await request_events(h, ven_id, 1)
    descriptor = later.events[0].event.event_descriptor
    assert descriptor.event_status is EventStatus.ACTIVE
    assert descriptor.created_date_time == START + timedelta(minutes=30)
    assert later.events[0].event.event_signals[0].current_value == 3.0


# ---- eiTarget: each VEN sees itself and what applies to it, never another VEN -------------------


async def test_each_ven_sees_only_its_own_ven_id_in_the_target(harness: Harness) -> None:
    h = harness
    first = await registered_and_drained(h, 1)
    second = await registered_and_drained(h, 2)
    await h.store.vens.assign(second, group_ids=["north"])
    event = await add_event(h.store, targets=EventTargets(
        ven_ids=(first, second), group_ids=("north", "south")))
    for ven_id, n, groups in ((first, 1, ()), (second, 2, ("north",))):
        polled = await poll(h, ven_id, n)
        asked = await request_events(h, ven_id, n)
        for message in (polled, asked):
            assert isinstance(message, DistributeEvent)
            assert ids_of(message) == [event.event_id]
            target = message.events[0].event.target
            assert target.ven_ids == (ven_id,)
            assert target.group_ids == groups


async def test_a_pushed_event_names_only_the_ven_it_is_pushed_to(push_harness: Harness) -> None:
    h = push_harness
    ven_id = await register_push(h)
    other = await registered_and_drained(h, 1)
    await add_event(h.store, targets=EventTargets(ven_ids=(other, ven_id)))
    ven = FakeVen(ven_id)
    await push_worker(h, ven).run_once()
    [pushed] = [m for _, m in ven.received if isinstance(m, DistributeEvent)]
    assert pushed.events[0].event.target.ven_ids == (ven_id,)


# ---- order: active events by priority, then the others by start time --------------------------


async def test_active_events_by_priority_then_the_others_by_start_time(harness: Harness) -> None:
    h = harness
    ven_id = await registered_and_drained(h, 1)
    started = START - timedelta(minutes=30)
    active_low = await add_event(h.store, start=started, priority=5)
    active_none = await add_event(h.store, start=started - timedelta(minutes=5), priority=0)
    active_high = await add_event(h.store, start=started + timedelta(minutes=5), priority=1)
    later_high = await add_event(h.store, start=START + timedelta(hours=3), priority=1)
    sooner_none = await add_event(h.store, start=START + timedelta(hours=1), priority=0)
    cancelled = await add_event(h.store, start=START + timedelta(hours=2), priority=1)
    await h.store.events.cancel(cancelled.event_id)
    expected = [active_high, active_low, active_none, sooner_none, cancelled, later_high]
    polled = await poll(h, ven_id, 1)
    assert isinstance(polled, DistributeEvent)
    assert ids_of(polled) == [e.event_id for e in expected]
    assert ids_of(await request_events(h, ven_id, 1)) == [e.event_id for e in expected]


# ---- a cancellation is re-sent until the VEN acknowledges it (A_E3_0657) ----------------------


async def test_an_unacknowledged_cancellation_is_sent_again(harness: Harness) -> None:
    await resends_until_acknowledged(harness)


async def test_an_unacknowledged_cancellation_is_sent_again_through_the_gate(
    gated: Harness,
) -> None:
    await resends_until_acknowledged(gated)


async def resends_until_acknowledged(h: Harness) -> None:
    ven_id = await registered_and_drained(h, 1)
    event = await add_event(h.store)
    assert isinstance(await poll(h, ven_id, 1), DistributeEvent)
    await acknowledge(h, ven_id, 1, event.event_id, 0)
    assert isinstance(await poll(h, ven_id, 1), Response)
    await h.store.events.cancel(event.event_id)
    for _ in range(3):  # never acknowledged: sent at every poll
        again = await poll(h, ven_id, 1)
        assert isinstance(again, DistributeEvent)
        descriptor = again.events[0].event.event_descriptor
        assert descriptor.event_status is EventStatus.CANCELLED
        assert descriptor.modification_number == 1
    await acknowledge(h, ven_id, 1, event.event_id, 1)
    assert isinstance(await poll(h, ven_id, 1), Response)
    assert isinstance(await poll(h, ven_id, 1), Response)


async def test_cancellation_resending_stops_after_its_window(harness: Harness) -> None:
    h = harness
    ven_id = await registered_and_drained(h, 1)
    event = await add_event(h.store, start=START + timedelta(days=2))
    assert isinstance(await poll(h, ven_id, 1), DistributeEvent)
    await h.store.events.cancel(event.event_id)
    assert isinstance(await poll(h, ven_id, 1), DistributeEvent)
    h.clock.advance(CANCELLATION_RESENT_FOR)
    assert isinstance(await poll(h, ven_id, 1), Response)


async def test_a_cancellation_that_needs_no_answer_is_sent_once(harness: Harness) -> None:
    h = harness
    ven_id = await registered_and_drained(h, 1)
    event = await add_event(h.store)
    never = dataclasses.replace(event.request, response_required=ResponseRequired.NEVER)
    await h.store.events.modify(event.event_id, never)
    assert isinstance(await poll(h, ven_id, 1), DistributeEvent)
    await h.store.events.cancel(event.event_id)
    assert isinstance(await poll(h, ven_id, 1), DistributeEvent)
    assert isinstance(await poll(h, ven_id, 1), Response)


# ---- a just-ended event stays, completed, for a while (A_E3_0685) -----------------------------


async def test_an_ended_event_is_listed_completed_through_startafter_and_a_grace(
    harness: Harness,
) -> None:
    h = harness
    ven_id = await registered_and_drained(h, 1)
    event = await add_event(h.store, start=START + timedelta(minutes=10),
                            duration=timedelta(minutes=20))
    startafter = timedelta(minutes=30)
    await h.store.events.modify(event.event_id, dataclasses.replace(
        event.request, tolerance_startafter=startafter))
    assert isinstance(await poll(h, ven_id, 1), DistributeEvent)
    await acknowledge(h, ven_id, 1, event.event_id, 1)
    end = START + timedelta(minutes=30)
    h.clock.set(end + timedelta(minutes=1))
    assert isinstance(await poll(h, ven_id, 1), Response)  # completion alone sends nothing
    ended = await request_events(h, ven_id, 1)
    assert ids_of(ended) == [event.event_id]
    assert ended.events[0].event.event_descriptor.event_status is EventStatus.COMPLETED
    assert ended.events[0].event.event_signals[0].current_value == 0.0
    h.clock.set(end + startafter + COMPLETED_VISIBLE_FOR - timedelta(seconds=1))
    assert ids_of(await request_events(h, ven_id, 1)) == [event.event_id]
    h.clock.set(end + startafter + COMPLETED_VISIBLE_FOR)
    assert ids_of(await request_events(h, ven_id, 1)) == []
