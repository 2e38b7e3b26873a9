"""What each VEN has waiting (``vtn.polls``): the same behaviour from both implementations,
straight from the database (``DatabaseWork``) and cached (``CachedWork``), swapped by a
parametrized fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from common.clock import ManualClock
from common.messages.event import DistributeEvent
from common.messages.poll import Response
from common.messages.registration import RequestReregistration
from tests.support.vtn_harness import (
    START,
    Harness,
    acknowledge,
    add_event,
    fingerprint_of,
    header_config,
    simple_event,
    start_harness,
)
from tests.support.vtn_harness import poll as _poll
from tests.support.vtn_harness import registered_and_drained as _registered_and_drained
from tests.support.waiting import until
from vtn.domain import EventTargets, VenRegistration
from vtn.polls import CachedWork, DatabaseWork, Waiting, WaitingWork
from vtn.polls.waiting import unseen

IMPLEMENTATIONS = {"database": DatabaseWork, "cached": CachedWork}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
async def h(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    """A VTN whose ``Vtn.polls`` is each implementation in turn (the cached one listening)."""
    config = header_config(tmp_path)
    config = replace(config, polls=replace(config.polls, cache=request.param == "cached"))
    built, client = await start_harness(config, ManualClock(START))
    try:
        assert type(built.vtn.polls) is IMPLEMENTATIONS[request.param]
        polls = built.vtn.polls
        if isinstance(polls, CachedWork):
            assert await until(lambda: polls.gate.live), "the cache listens"
        yield built
    finally:
        await client.close()
        await built.store.close()


def _work(h: Harness) -> WaitingWork:
    return h.vtn.polls


async def _waiting(h: Harness, ven_id: str) -> Waiting:
    found = await _work(h).waiting(h.clock.now(), ven_id=ven_id)
    assert found is not None and found.ven.ven_id == ven_id
    return found


async def test_an_unknown_ven_has_no_answer(h: Harness) -> None:
    assert await _work(h).waiting(START, ven_id="nobody") is None
    assert await _work(h).waiting(START, fingerprint=fingerprint_of(42)) is None


async def test_a_drained_ven_has_nothing_waiting_by_id_or_certificate(h: Harness) -> None:
    ven_id = await _registered_and_drained(h, 1)
    for _ in range(3):  # the cached one answers the later ones from memory
        by_id = await _waiting(h, ven_id)
        by_fingerprint = await _work(h).waiting(START, fingerprint=fingerprint_of(1))
        assert by_fingerprint is not None and by_fingerprint.ven.ven_id == ven_id
        for found in (by_id, by_fingerprint):
            assert (found.events_changed, found.queued) == (False, False)
        assert await _work(h).new_events(by_id.ven, waiting=by_id) is None


async def test_a_new_event_waits_until_it_is_delivered(h: Harness) -> None:
    ven_id = await _registered_and_drained(h, 1)
    assert isinstance(await _poll(h, ven_id, 1), Response)
    event = await add_event(h.store)
    waiting = await _waiting(h, ven_id)
    assert waiting.events_changed and not waiting.queued
    new = await _work(h).new_events(waiting.ven, waiting=waiting)
    assert [e.event_id for e in new or []] == [event.event_id]
    reply = await _poll(h, ven_id, 1)
    assert isinstance(reply, DistributeEvent)
    assert [e.event.event_descriptor.event_id for e in reply.events] == [event.event_id]
    waiting = await _waiting(h, ven_id)
    assert not waiting.events_changed
    assert await _work(h).new_events(waiting.ven, waiting=waiting) is None
    assert isinstance(await _poll(h, ven_id, 1), Response)
    # a modification is new again; a cancellation too
    await h.store.events.modify(event.event_id, simple_event(level=3.0))
    assert (await _waiting(h, ven_id)).events_changed
    reply = await _poll(h, ven_id, 1)
    assert isinstance(reply, DistributeEvent)
    assert reply.events[0].event.event_descriptor.modification_number == 1
    await h.store.events.cancel(event.event_id)
    # the cancellation needs an answer (responseRequired always): it waits, and is sent at
    # each poll, until the VEN acknowledges it (docs/vtn.md, "What a VEN receives")
    for _ in range(2):
        assert (await _waiting(h, ven_id)).events_changed
        reply = await _poll(h, ven_id, 1)
        assert isinstance(reply, DistributeEvent)
        assert reply.events[0].event.event_descriptor.modification_number == 2
    await acknowledge(h, ven_id, 1, event.event_id, 2)
    assert not (await _waiting(h, ven_id)).events_changed
    assert isinstance(await _poll(h, ven_id, 1), Response)


async def test_events_follow_targets_and_the_distribution_order(h: Harness) -> None:
    plain = await _registered_and_drained(h, 1)
    member = await _registered_and_drained(h, 2)
    await h.store.vens.assign(member, group_ids=["north"])
    everyone = await add_event(h.store)  # START + 1 h, no priority
    north = await h.store.events.create(simple_event(
        targets=EventTargets(group_ids=("north",)), priority=1,
        start=START + timedelta(minutes=90)))
    work = _work(h)
    assert [e.event_id for e in await work.events(await h.store.vens.get(plain))] == [
        everyone.event_id]
    assert [e.event_id for e in await work.events(await h.store.vens.get(member))] == [
        everyone.event_id, north.event_id]  # not active: by start time, whatever the priority
    for ven_id, n, count in ((plain, 1, 1), (member, 2, 2)):
        reply = await _poll(h, ven_id, n)
        assert isinstance(reply, DistributeEvent) and len(reply.events) == count
        assert isinstance(await _poll(h, ven_id, n), Response)
    h.clock.set(START + timedelta(minutes=100))  # both active: priority 1 first
    assert [e.event_id for e in await work.events(await h.store.vens.get(member))] == [
        north.event_id, everyone.event_id]
    # ended events are no longer anyone's
    h.clock.advance(simple_event().duration * 3)
    assert await work.events(await h.store.vens.get(member)) == []


async def test_report_only_and_cancelled_vens_have_no_events(h: Harness) -> None:
    reporter = (await h.store.vens.create(VenRegistration(
        fingerprint=fingerprint_of(1), ven_name="reporter", report_only=True))).ven_id
    leaving = await _registered_and_drained(h, 2)
    await add_event(h.store)
    await h.store.vens.cancel(leaving)
    work = _work(h)
    for ven_id in (reporter, leaving):
        ven = await h.store.vens.get(ven_id)
        assert await work.events(ven) == []
        assert await work.new_events(ven) is None
        assert not (await _waiting(h, ven_id)).events_changed
    assert not isinstance(await _poll(h, reporter, 1), DistributeEvent)


async def test_a_queued_message_waits_until_taken(h: Harness) -> None:
    ven_id = await _registered_and_drained(h, 1)
    assert isinstance(await _poll(h, ven_id, 1), Response)
    await h.vtn.queue.put(await h.store.vens.get(ven_id), RequestReregistration(ven_id=ven_id))
    waiting = await _waiting(h, ven_id)
    assert waiting.queued and not waiting.events_changed
    assert isinstance(await _poll(h, ven_id, 1), RequestReregistration)
    assert not (await _waiting(h, ven_id)).queued
    assert isinstance(await _poll(h, ven_id, 1), Response)


async def test_delivered_then_a_new_event_still_reaches_the_ven(h: Harness) -> None:
    ven_id = await _registered_and_drained(h, 1)
    first = await add_event(h.store)
    waiting = await _waiting(h, ven_id)
    events = await _work(h).new_events(waiting.ven, waiting=waiting)
    assert events is not None
    await h.store.invitations.mark_all_delivered(
        ven_id, {e.event_id: e.modification_number for e in events})
    _work(h).delivered(waiting)
    assert not (await _waiting(h, ven_id)).events_changed
    second = await add_event(h.store)
    reply = await _poll(h, ven_id, 1)
    assert isinstance(reply, DistributeEvent)
    assert {e.event.event_descriptor.event_id for e in reply.events} == {
        first.event_id, second.event_id}


async def test_unseen_is_every_event_when_one_is_new(h: Harness) -> None:
    ven_id = await _registered_and_drained(h, 1)
    ven = await h.store.vens.get(ven_id)
    assert await unseen(h.store, ven, [], START) is None
    old, new = await add_event(h.store), await add_event(h.store)
    await h.store.invitations.mark_all_delivered(ven_id, {old.event_id: 0})
    assert [e.event_id for e in await unseen(h.store, ven, [old, new], START) or []] == [
        old.event_id, new.event_id]
    assert await unseen(h.store, ven, [old], START) is None


async def test_the_gate_never_tells_a_report_only_or_cancelled_ven_of_events() -> None:
    """A remembered VEN that takes no events is not sent to the database by an event change
    (the database would say nothing changed for it)."""
    from tests.support.poll_gate import FakeStore, gate_on, make_event, make_ven, nothing_waiting
    from vtn.polls.gate import Verdict
    from vtn.storage import EVENTS

    store = FakeStore()
    gate = await gate_on(store)
    reporter = replace(make_ven(1), report_only=True)
    gate.remember(nothing_waiting(reporter), gate.token())
    gate.remember(nothing_waiting(make_ven(2)), gate.token())
    store.events.events = (make_event("e-1"),)
    gate._in_force.changed(EVENTS)
    assert await gate.verdict(START, ven_id="ven-1") == (reporter, Verdict.NOTHING)
    assert await gate.verdict(START, ven_id="ven-2") == (make_ven(2), Verdict.EVENTS)
