"""The poll gate: empty polls answered from memory, and every change that must reach a VEN
still reaching it (in one process, across a read that races a write, and across two workers
on the real PostgreSQL server)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from common.clock import ManualClock
from common.messages.event import DistributeEvent, RequestEvent
from common.messages.poll import Response
from common.messages.registration import RequestReregistration
from common.messages.types import EiResponse
from common.xml import encode
from tests.support.poll_gate import (
    FakeStore,
    gate_on,
    make_event,
    make_ven,
    nothing_waiting,
)
from tests.support.vtn_harness import (
    START,
    Harness,
    add_event,
    fingerprint_of,
    header_config,
    in_force_of,
    simple_event,
    start_harness,
)
from tests.support.vtn_harness import gate_of as _gate
from tests.support.vtn_harness import poll as _poll
from tests.support.vtn_harness import registered_and_drained as _registered_and_drained
from tests.support.waiting import until
from vtn.app import empty_poll_reply
from vtn.config import PollSettings
from vtn.domain import EventTargets, Ven
from vtn.polls import DatabaseWork
from vtn.polls.gate import PollGate, Verdict
from vtn.polls.in_force import EventsInForce
from vtn.storage import ALL_VENS, EVENTS, PollState, open_store

# ---- the gate on its own -----------------------------------------------------------------------


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _known(gate: PollGate, **key: str) -> Ven | None:
    ven, verdict = await gate.verdict(START, **key)
    return ven if verdict is Verdict.NOTHING else None


async def test_remembers_only_vens_with_nothing_waiting() -> None:
    gate = await gate_on()
    one, two, three = make_ven(1), make_ven(2), make_ven(3)
    gate.remember(nothing_waiting(one), gate.token())
    gate.remember(PollState(ven=two, events_changed=True, queued=False), gate.token())
    gate.remember(PollState(ven=three, events_changed=False, queued=True), gate.token())
    assert await _known(gate, ven_id="ven-1") == one
    assert await _known(gate, fingerprint=one.fingerprint) == one
    assert await _known(gate, ven_id="ven-2") is None
    assert await _known(gate, ven_id="ven-3") is None
    assert await _known(gate, fingerprint=two.fingerprint) is None
    assert gate.hits == 2


async def test_a_notice_forgets_its_ven_or_everyone() -> None:
    gate = await gate_on()
    for n in (1, 2, 3):
        gate.remember(nothing_waiting(make_ven(n)), gate.token())
    gate.changed("ven-2")
    assert await _known(gate, ven_id="ven-2") is None
    assert await _known(gate, fingerprint=fingerprint_of(2)) is None
    assert await _known(gate, ven_id="ven-1") is not None
    gate.changed(ALL_VENS)
    assert len(gate) == 0
    assert await _known(gate, ven_id="ven-1") is None


async def test_a_notice_during_the_read_wins_over_its_result() -> None:
    gate = await gate_on()
    token = gate.token()
    gate.changed("ven-1")  # committed while the poll was reading
    gate.remember(nothing_waiting(make_ven(1)), token)
    assert await _known(gate, ven_id="ven-1") is None
    token = gate.token()
    gate.changed(ALL_VENS)
    gate.remember(nothing_waiting(make_ven(1)), token)
    assert await _known(gate, ven_id="ven-1") is None
    token = gate.token()
    gate._in_force.changed(EVENTS)  # the event set changed while it was reading
    gate.remember(nothing_waiting(make_ven(1)), token)
    assert await _known(gate, ven_id="ven-1") is None
    await gate._in_force.current()
    token = gate.token()
    gate.changed("ven-2")  # another VEN's notice does not matter
    gate.remember(nothing_waiting(make_ven(1)), token)
    assert await _known(gate, ven_id="ven-1") is not None


async def test_an_event_change_is_compared_with_what_each_ven_had() -> None:
    store = FakeStore()
    north = EventTargets(group_ids=("north",))
    store.events.events = (make_event("e-1", targets=north),)
    gate = await gate_on(store)
    plain, member = make_ven(1), replace(make_ven(2), group_ids=("north",))
    for ven in (plain, member):
        gate.remember(nothing_waiting(ven), gate.token())
    # a new event for the group only: the group member must get it, the other VEN not
    store.events.events = (make_event("e-1", targets=north), make_event("e-2", targets=north))
    gate._in_force.changed(EVENTS)
    assert await gate.verdict(START, ven_id="ven-1") == (plain, Verdict.NOTHING)
    assert await gate.verdict(START, ven_id="ven-2") == (member, Verdict.EVENTS)
    token = gate.token()
    gate.delivered(member, token)  # the poll delivered them
    assert await gate.verdict(START, ven_id="ven-2") == (member, Verdict.NOTHING)
    # a modification of an event it has is new to it; an ended event is not
    store.events.events = (make_event("e-1", 1, targets=north), make_event("e-2", targets=north))
    gate._in_force.changed(EVENTS)
    assert await gate.verdict(START, ven_id="ven-2") == (member, Verdict.EVENTS)
    later = START + timedelta(hours=3)  # both events ended
    assert await gate.verdict(later, ven_id="ven-2") == (member, Verdict.NOTHING)


async def test_a_ven_remembered_at_a_set_no_longer_kept_is_read_again() -> None:
    store = FakeStore()
    gate = await gate_on(store)
    gate.remember(nothing_waiting(make_ven(1)), gate.token())
    for n in range(EventsInForce.KEEP_SETS + 1):
        store.events.events = (make_event(f"e-{n}"),)
        gate._in_force.changed(EVENTS)
        await gate._in_force.current()
    assert await gate.verdict(START, ven_id="ven-1") == (None, Verdict.UNKNOWN)
    assert len(gate) == 0


async def test_entries_expire_and_a_gate_that_is_not_live_never_answers() -> None:
    clock = FakeMonotonic()
    gate = await gate_on(ttl=60.0, monotonic=clock)
    gate.remember(nothing_waiting(make_ven(1)), gate.token())
    clock.now += 59.9
    assert await _known(gate, ven_id="ven-1") is not None
    clock.now += 0.2
    assert await _known(gate, ven_id="ven-1") is None
    assert len(gate) == 0
    gate.remember(nothing_waiting(make_ven(1)), gate.token())
    gate.set_live(False)
    assert await _known(gate, ven_id="ven-1") is None
    gate.remember(nothing_waiting(make_ven(1)), gate.token())
    assert len(gate) == 0
    gate.set_live(True)  # (re)connected: what was remembered before is gone
    assert await _known(gate, ven_id="ven-1") is None


async def test_a_new_certificate_replaces_the_old_fingerprint() -> None:
    gate = await gate_on()
    old = make_ven(1)
    gate.remember(nothing_waiting(old), gate.token())
    new = replace(old, fingerprint=fingerprint_of(9))
    gate.changed("ven-1")
    gate.remember(nothing_waiting(new), gate.token())
    assert await _known(gate, fingerprint=fingerprint_of(1)) is None
    assert await _known(gate, fingerprint=fingerprint_of(9)) == new


# ---- through the boundary ----------------------------------------------------------------------


def _reregistration() -> RequestReregistration:
    return RequestReregistration(ven_id="ven")


def _no_database(monkeypatch: pytest.MonkeyPatch, h: Harness) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("an empty poll of a remembered VEN reached the database")

    monkeypatch.setattr(h.store.polls, "state", refuse)


async def test_a_second_empty_poll_does_not_reach_the_database(
    gated: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = gated
    ven_id = await _registered_and_drained(h, 1)
    await _poll(h, ven_id, 1)  # remembered by now
    hits = _gate(h).hits
    _no_database(monkeypatch, h)
    for _ in range(3):
        reply = await _poll(h, ven_id, 1)
        assert isinstance(reply, Response) and reply.response.response_code == 200
        assert reply.ven_id == ven_id
    assert _gate(h).hits == hits + 3


async def test_every_kind_of_new_work_reaches_a_remembered_ven(gated: Harness) -> None:
    h = gated
    ven_id = await _registered_and_drained(h, 1)
    other = await _registered_and_drained(h, 2)
    for v, n in ((ven_id, 1), (other, 2)):
        assert isinstance(await _poll(h, v, n), Response)
    # an event for everyone
    await add_event(h.store)
    assert isinstance(await _poll(h, ven_id, 1), DistributeEvent)
    assert isinstance(await _poll(h, other, 2), DistributeEvent)
    assert isinstance(await _poll(h, ven_id, 1), Response)
    assert isinstance(await _poll(h, other, 2), Response)
    # a modification
    event = (await h.store.events.list())[0]
    await h.store.events.modify(event.event_id, simple_event(level=3.0))
    reply = await _poll(h, ven_id, 1)
    assert isinstance(reply, DistributeEvent)
    assert reply.events[0].event.event_descriptor.modification_number == 1
    # a group assignment that makes the VEN a target of a group event
    await h.store.events.create(simple_event(targets=EventTargets(group_ids=("north",))))
    assert isinstance(await _poll(h, other, 2), DistributeEvent)  # the modification
    assert isinstance(await _poll(h, other, 2), Response)
    await h.store.vens.assign(other, group_ids=["north"])
    reply = await _poll(h, other, 2)
    assert isinstance(reply, DistributeEvent) and len(reply.events) == 2
    # a queued message
    assert isinstance(await _poll(h, other, 2), Response)
    await h.vtn.queue.put(await h.store.vens.get(other), _reregistration())
    assert isinstance(await _poll(h, other, 2), RequestReregistration)
    assert isinstance(await _poll(h, other, 2), Response)


async def test_a_write_that_commits_during_the_read_is_not_papered_over(
    gated: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = gated
    ven_id = await _registered_and_drained(h, 1)
    _gate(h).changed(ALL_VENS)  # the next poll reads the database
    read = h.store.polls.state

    async def read_then_an_event_commits(**kwargs: Any) -> PollState | None:
        state = await read(**kwargs)  # nothing waits ...
        await add_event(h.store)  # ... and then an event commits before the poll remembers
        return state

    monkeypatch.setattr(h.store.polls, "state", read_then_an_event_commits)
    assert isinstance(await _poll(h, ven_id, 1), Response)
    monkeypatch.undo()
    assert isinstance(await _poll(h, ven_id, 1), DistributeEvent)


async def test_a_cancelled_registration_is_seen_at_once(gated: Harness) -> None:
    h = gated
    ven_id = await _registered_and_drained(h, 1)
    assert isinstance(await _poll(h, ven_id, 1), Response)
    await h.store.vens.cancel(ven_id)
    await add_event(h.store)
    assert isinstance(await _poll(h, ven_id, 1), Response)  # a cancelled VEN gets no events
    remembered = await _known(_gate(h), ven_id=ven_id)  # as the database has it now, if at all
    assert remembered is None or remembered.cancelled
    reply = await h.post(
        "EiEvent", RequestEvent(request_id="r", ven_id=ven_id), fingerprint=fingerprint_of(1)
    )
    assert isinstance(reply, DistributeEvent)
    assert reply.response is not None and reply.response.response_code == 463


async def test_two_workers_hear_each_others_changes(tmp_path: Path, database_url: str) -> None:
    """Two VTN processes' worth of apps on one database: what one writes reaches the VENs the
    other one remembers (PostgreSQL: NOTIFY; SQLite: the notice table)."""
    config = header_config(tmp_path, database_url=database_url)
    first, first_client = await start_harness(config, ManualClock(START))
    second, second_client = await start_harness(config, ManualClock(START))
    try:
        gates = _gate(first), _gate(second)
        assert await until(lambda: all(g.live for g in gates)), "both gates listen"
        ven_ids = [await _registered_and_drained(first, n) for n in range(1, 6)]
        # the registrations' notices reach the second worker after a delay and make it forget
        # what it remembered before them: poll until it remembers all five
        async with asyncio.timeout(10):
            while len(gates[1]) < 5:
                for n, ven_id in enumerate(ven_ids, start=1):
                    assert isinstance(await _poll(second, ven_id, n), Response)
                await asyncio.sleep(0.02)  # notices travel between the workers
        in_force = in_force_of(second)
        generation = in_force.generation
        await add_event(first.store)  # written by the first worker only
        assert await until(lambda: in_force.generation > generation), "the second worker heard it"
        for n, ven_id in enumerate(ven_ids, start=1):
            assert isinstance(await _poll(second, ven_id, n), DistributeEvent)
            assert isinstance(await _poll(first, ven_id, n), Response)
        # a message queued by the first worker reaches a VEN the second one remembers
        assert isinstance(await _poll(second, ven_ids[0], 1), Response)
        await first.vtn.queue.put(await first.store.vens.get(ven_ids[0]), _reregistration())
        assert await until(lambda: ven_ids[0] not in gates[1]._entries), "the notice arrived"
        assert isinstance(await _poll(second, ven_ids[0], 1), RequestReregistration)
    finally:
        for client, built in ((first_client, first), (second_client, second)):
            await client.close()
            await built.store.close()


async def test_a_started_vtn_warms_the_gate_in_one_query(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """VENs registered before the start (and with nothing waiting) are answered from memory
    from their first poll; a VEN with work waiting is not remembered."""
    from vtn.domain import VenRegistration

    config = header_config(tmp_path, database_url=database_url)
    async with await open_store(database_url, clock=ManualClock(START)) as seeding:
        vens = [await seeding.vens.create(VenRegistration(fingerprint=fingerprint_of(n),
                                                          ven_name=f"v{n}")) for n in range(6)]
        await seeding.outbox.enqueue(vens[5].ven_id, b"<waiting/>")
    built, client = await start_harness(config, ManualClock(START))
    try:
        gate = _gate(built)
        assert await until(lambda: len(gate) == 5), "the gate is warm"
        assert await _known(gate, ven_id=vens[5].ven_id) is None
        _no_database(monkeypatch, built)
        for n, ven in enumerate(vens[:5]):
            assert isinstance(await _poll(built, ven.ven_id, n), Response)
    finally:
        await client.close()
        await built.store.close()


@pytest.mark.parametrize("ven_id", ["ven-1", "a&b<c>d\"e'f", "välkommen-☃", " spaced ", ""])
def test_the_empty_poll_template_is_what_encode_makes(ven_id: str) -> None:
    reply = Response(response=EiResponse(response_code=200, request_id="",
                                         response_description="OK"), ven_id=ven_id)
    assert empty_poll_reply(ven_id) == encode(reply)
    assert empty_poll_reply(None) == encode(Response(response=reply.response))


async def test_without_the_poll_cache_every_poll_reads_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    polls = PollSettings(frequency=timedelta(seconds=1), cache=False)
    config = header_config(tmp_path, polls=polls)
    h, client = await start_harness(config, ManualClock(START))
    try:
        assert isinstance(h.vtn.polls, DatabaseWork)  # no gate, no events in memory
        ven_id = await _registered_and_drained(h, 1)
        reads: list[str] = []
        state = h.store.polls.state

        async def counted(**kwargs: Any) -> PollState | None:
            reads.append(kwargs.get("ven_id") or kwargs.get("fingerprint") or "")
            return await state(**kwargs)

        monkeypatch.setattr(h.store.polls, "state", counted)
        assert isinstance(await _poll(h, ven_id, 1), Response)
        await add_event(h.store)
        assert isinstance(await _poll(h, ven_id, 1), DistributeEvent)
        assert isinstance(await _poll(h, ven_id, 1), Response)
        await h.vtn.queue.put(await h.store.vens.get(ven_id), _reregistration())
        assert isinstance(await _poll(h, ven_id, 1), RequestReregistration)
        assert len(reads) == 4  # one read per poll
    finally:
        await client.close()
        await h.store.close()
