"""The poll gate's event-set generations across workers, the poll path around it (progress
logging), ``Batches``, the request-body fast path and the empty-poll template."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from logging import INFO
from pathlib import Path
from typing import Any

import pytest

from common.clock import ManualClock
from common.messages.event import DistributeEvent
from common.messages.poll import Poll, Response
from common.messages.types import EiResponse
from common.xml import decode, encode
from tests.support.poll_gate import FakeStore, make_event, make_ven, nothing_waiting
from tests.support.vtn_harness import (
    HEADER,
    START,
    Harness,
    add_event,
    fingerprint_of,
    header_config,
    in_force_of,
    start_harness,
)
from tests.support.vtn_harness import gate_of as _gate
from tests.support.vtn_harness import poll as _poll
from tests.support.vtn_harness import registered_and_drained as _registered_and_drained
from tests.support.waiting import until
from vtn.app import empty_poll_reply
from vtn.domain import VenRegistration
from vtn.logs import PROTOCOL
from vtn.polls.gate import PollGate, Verdict
from vtn.polls.in_force import EventsInForce
from vtn.storage import EVENTS, PollState, StorageError
from vtn.storage.batches import Batches

# ---- 1. a set read after the state read ---------------------------------------------------------


@pytest.mark.parametrize("change", ["new event", "modification"])
async def test_a_set_read_after_the_state_read_does_not_vouch_for_the_ven(change: str) -> None:
    """A VEN is remembered against an event set only if that set was read before its state
    (``Token.set_read``): a set read after it could hold another worker's change whose notice
    has not arrived, which the VEN does not have; once the notice came, the in-memory
    comparison would find nothing new and the VEN would miss the change until the TTL."""
    store = FakeStore()
    store.events.events = (make_event("e-1"),)  # what the VEN has (delivered), as the DB says
    in_force = EventsInForce(store, ManualClock(START), live=True)  # type: ignore[arg-type]
    gate = PollGate(in_force, live=True)
    ven = make_ven(1)
    token = gate.token()  # generation 0: its set not read yet
    state = nothing_waiting(ven)  # polls.state: nothing waits (read at t1)
    # t2: the other worker commits; its NOTIFY / notice row has not reached this process yet
    if change == "new event":
        store.events.events = (make_event("e-1"), make_event("e-2"))
    else:
        store.events.events = (make_event("e-1", 1),)
    await in_force.current()  # t3: the set of generation 0 is read, with the change in it
    gate.remember(state, token)
    in_force.changed(EVENTS)  # t4: the other worker's notice arrives
    _, verdict = await gate.verdict(START, ven_id="ven-1")
    assert verdict is not Verdict.NOTHING, "the VEN would miss the change until the gate's TTL"


async def test_two_workers_a_change_between_state_read_and_set_read_reaches_the_ven(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same through the real boundary and two workers on one database: the first worker's
    event, whose notice reaches the second only after the second answered a poll (a notice's
    normal latency: up to TAIL_SECONDS on SQLite, a network trip on PostgreSQL), still reaches
    the VEN at its next poll."""
    config = header_config(tmp_path, database_url=database_url)
    first, first_client = await start_harness(config, ManualClock(START))
    second, second_client = await start_harness(config, ManualClock(START))
    try:
        gates = _gate(first), _gate(second)
        assert await until(lambda: all(g.live for g in gates)), "both gates listen"
        ven_id = await _registered_and_drained(first, 1)
        # notices arrive in commit order: once a later one has reached the second worker, the
        # registration's own have too
        await first.store.vens.create(
            VenRegistration(fingerprint=fingerprint_of(99), ven_name="marker", ven_id="marker")
        )
        assert await until(lambda: "marker" in gates[1]._changed_at), (
            "the notices reached the second")
        in_force = in_force_of(second)
        real_changed = in_force.changed
        held: list[str] = []
        monkeypatch.setattr(in_force, "changed",
                            lambda v: held.append(v) if v == EVENTS else real_changed(v))
        # the VEN takes the database path, and the set of this generation is not read yet
        # (as right after any earlier event notice)
        gates[1]._forget(ven_id)
        in_force.refresh()
        read = second.store.polls.state

        async def read_then_the_other_worker_commits(**kwargs: Any) -> PollState | None:
            state = await read(**kwargs)
            await add_event(first.store)  # an event for everyone, written by the first worker
            return state

        monkeypatch.setattr(second.store.polls, "state", read_then_the_other_worker_commits)
        assert isinstance(await _poll(second, ven_id, 1), Response)  # fine: it read before
        monkeypatch.setattr(second.store.polls, "state", read)
        assert await until(lambda: EVENTS in held), "the first worker's notice reached the second"
        monkeypatch.setattr(in_force, "changed", real_changed)
        for notice in held:
            in_force.changed(notice)
        state = await first.store.polls.state(ven_id=ven_id, now=START)
        assert state is not None and state.events_changed  # the database has work for it
        reply = await _poll(second, ven_id, 1)
        assert isinstance(reply, DistributeEvent), "answered 'nothing' from memory instead"
    finally:
        for client, built in ((first_client, first), (second_client, second)):
            await client.close()
            await built.store.close()


# ---- 2. the progress log is best effort ---------------------------------------------------------


@pytest.fixture
async def vtn(tmp_path: Path) -> AsyncIterator[Harness]:
    built, client = await start_harness(header_config(tmp_path), ManualClock(START))
    assert await until(lambda: _gate(built).live), "the gate listens"
    try:
        yield built
    finally:
        await client.close()
        await built.store.close()


async def test_a_failing_progress_count_does_not_lose_the_delivery(
    vtn: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing progress count (INFO) does not cost the VEN its event: the delivery is
    committed and answered; the log line is best effort (a warning says it was skipped)."""
    caplog.set_level(INFO, logger=PROTOCOL.name)
    ven_id = await _registered_and_drained(vtn, 1)
    await add_event(vtn.store)

    async def broken(*_args: Any, **_kwargs: Any) -> tuple[int, int]:
        raise StorageError("reading from the database failed")

    monkeypatch.setattr(vtn.store.invitations, "delivery_counts", broken)
    first = await _poll(vtn, ven_id, 1)
    assert isinstance(first, DistributeEvent), "the event did not reach the VEN"
    assert any("Could not count" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    assert isinstance(await _poll(vtn, ven_id, 1), Response)


# ---- 3. Batches -------------------------------------------------------------------------------


async def test_batches_a_short_result_fails_its_callers_instead_of_hanging_them() -> None:
    """A handle that returns fewer results than items fails every caller of the batch (no
    caller waits for ever)."""

    async def short(items: list[int]) -> list[int]:
        return items[:-1]

    batches: Batches[int, int] = Batches(short)
    calls = [asyncio.ensure_future(batches.submit(n)) for n in range(3)]
    _done, pending = await asyncio.wait(calls, timeout=1.0)
    for call in pending:
        call.cancel()
    assert not pending, f"{len(pending)} caller(s) never answered"


# ---- 4. the body fast path -----------------------------------------------------------------------


async def test_a_gzip_body_with_its_content_length_is_read_whole(vtn: Harness) -> None:
    """A ``Content-Encoding: gzip`` body (aiohttp inflates it; its Content-Length is the
    compressed size) is read whole, with or without ``Transfer-Encoding: chunked``: the
    one-call read is only for plain bodies."""
    ven_id = await _registered_and_drained(vtn, 1)
    body = gzip.compress(encode(Poll(ven_id=ven_id)))
    headers = {HEADER: fingerprint_of(1), "Content-Type": "application/xml",
               "Content-Encoding": "gzip"}

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    url = "/OpenADR2/Simple/2.0b/OadrPoll"
    chunked = await vtn.client.post(url, data=chunks(), headers=headers)
    assert chunked.status == 200, await chunked.text()  # the loop path
    sized = await vtn.client.post(url, data=body, headers=headers)
    assert sized.status == 200, await sized.text()  # the readexactly path


# ---- 5. the empty-poll template -----------------------------------------------------------------


@pytest.mark.parametrize("ven_id", ["a\rb", "\r"])
def test_the_template_escapes_a_carriage_return_as_encode_does(ven_id: str) -> None:
    reply = Response(response=EiResponse(response_code=200, request_id="",
                                         response_description="OK"), ven_id=ven_id)
    assert empty_poll_reply(ven_id) == encode(reply)


async def test_a_ven_whose_id_has_a_carriage_return_gets_its_id_back(vtn: Harness) -> None:
    """A VEN may choose its venID at registration (``&#13;`` in a valid message gives a CR);
    its empty polls are answered with that id, not one whose CR a parser turned into LF."""
    ven_id = await _registered_and_drained(vtn, 1, ven_id="ven\r1")
    assert ven_id == "ven\r1"
    status, body = await vtn.post_bytes("OadrPoll", encode(Poll(ven_id=ven_id)),
                                        fingerprint=fingerprint_of(1))
    assert status == 200
    reply = decode(body)
    assert isinstance(reply, Response)
    assert reply.ven_id == ven_id
