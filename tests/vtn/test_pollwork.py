"""Polls with work at scale: the events in force read once per change (not per VEN), deliveries
written by group commit, and last-seen times written in batches."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from common.clock import ManualClock
from common.messages.event import DistributeEvent
from tests.support.vtn_harness import (
    START,
    Harness,
    add_event,
    fingerprint_of,
    in_force_of,
    simple_event,
)
from tests.support.vtn_harness import poll as _poll
from tests.support.vtn_harness import registered_and_drained as _register
from vtn.domain import EventTargets
from vtn.services.lastseen import RESOLUTION, LastSeen
from vtn.storage import StorageError, open_store
from vtn.storage.batches import GroupCommit


async def test_the_events_in_force_are_read_once_per_change_not_per_ven(
    gated: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = gated
    ven_ids = [await _register(h, n) for n in range(1, 5)]
    await h.store.vens.assign(ven_ids[3], group_ids=["north"])
    in_force = in_force_of(h)

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a VEN's events were read from the database")

    monkeypatch.setattr(h.store.events, "for_ven", refuse)
    loads = in_force.loads
    everyone = await add_event(h.store)
    north = await h.store.events.create(simple_event(
        targets=EventTargets(group_ids=("north",)), priority=1,
        start=START + timedelta(minutes=90)))
    replies = [await _poll(h, v, n) for n, v in enumerate(ven_ids, start=1)]
    assert all(isinstance(r, DistributeEvent) for r in replies)
    assert [[e.event.event_descriptor.event_id for e in r.events] for r in replies] == [
        [everyone.event_id]] * 3 + [[everyone.event_id, north.event_id]]  # not active: by start
    assert in_force.loads == loads + 1
    # time passing ends the events without a reload: nothing is sent after their end
    h.clock.advance(timedelta(hours=3))
    await h.store.events.modify(everyone.event_id, simple_event(start=START + timedelta(hours=4)))
    reply = await _poll(h, ven_ids[3], 4)
    assert [e.event.event_descriptor.event_id for e in reply.events] == [everyone.event_id]
    assert in_force.loads == loads + 2


async def test_concurrent_deliveries_share_transactions(gated: Harness) -> None:
    h = gated
    ven_ids = [await _register(h, n) for n in range(1, 31)]
    writes: list[int] = []
    invitations = h.store.invitations
    original = invitations._batches._handle

    async def counted(batches: list[Any]) -> Any:
        writes.append(len(batches))
        return await original(batches)

    invitations._batches._handle = counted  # type: ignore[method-assign]
    event = await add_event(h.store)
    replies = await asyncio.gather(*(_poll(h, v, n) for n, v in enumerate(ven_ids, start=1)))
    assert all(isinstance(r, DistributeEvent) for r in replies)
    assert sum(writes) == 30 and len(writes) < 30, writes
    delivered = await invitations.list_for_event(event.event_id)
    assert {i.ven_id for i in delivered} == set(ven_ids)
    assert all(i.delivered_modification_number == 0 for i in delivered)


async def test_lookups_that_arrive_together_share_one_statement(gated: Harness) -> None:
    h = gated
    ven_ids = [await _register(h, n) for n in range(1, 21)]
    event = await add_event(h.store)
    for n, ven_id in enumerate(ven_ids[:10], start=1):
        assert isinstance(await _poll(h, ven_id, n), DistributeEvent)
    invitations = h.store.invitations
    calls: list[int] = []
    original = invitations._lookups._handle

    async def counted(ven_ids: list[str]) -> Any:
        calls.append(len(ven_ids))
        return await original(ven_ids)

    invitations._lookups._handle = counted  # type: ignore[method-assign]
    found = await asyncio.gather(*(invitations.delivered_numbers(v) for v in ven_ids))
    assert found == [{event.event_id: 0}] * 10 + [{}] * 10
    assert sum(calls) == 20 and len(calls) < 20, calls


async def test_a_failed_group_write_fails_every_caller_and_the_next_one_works() -> None:
    written: list[list[int]] = []
    fail = True
    gate = asyncio.Event()

    async def write(items: list[int]) -> None:
        await gate.wait()
        if fail and 1 in items:
            raise StorageError("disk full")
        written.append(items)

    group = GroupCommit(write)
    first = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0)  # the first write starts and waits on the gate
    rest = [asyncio.create_task(group.submit(i)) for i in (2, 3)]
    await asyncio.sleep(0)
    gate.set()
    with pytest.raises(StorageError):
        await first
    await asyncio.gather(*rest)
    assert written == [[2, 3]]
    fail = False
    await group.submit(4)
    assert written == [[2, 3], [4]]


async def test_last_seen_is_written_in_batches_at_its_resolution(tmp_path: Path) -> None:
    clock = ManualClock(START)
    url = f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}"
    async with await open_store(url, clock=clock) as store:
        from vtn.domain import VenRegistration

        vens = [await store.vens.create(VenRegistration(fingerprint=fingerprint_of(n),
                                                        ven_name=f"v{n}")) for n in range(3)]
        seen = LastSeen(store, clock)
        for ven in vens:
            seen.heard(ven)
        assert seen.due == 0  # registered just now: within the resolution
        clock.advance(RESOLUTION + timedelta(seconds=1))
        for ven in vens:
            seen.heard(ven)
            seen.heard(ven)
        assert seen.due == 3
        await seen.flush()
        assert seen.due == 0
        assert [(await store.vens.get(v.ven_id)).last_seen_at for v in vens] == [clock.now()] * 3
        clock.advance(timedelta(seconds=30))
        seen.heard(vens[0])  # written 30 s ago: not again
        assert seen.due == 0
