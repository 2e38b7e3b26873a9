"""Push delivery from the outbox: replies processed, retries with backoff, no double delivery."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from common.messages.enums import EventStatus, OptType
from common.messages.event import DistributeEvent
from common.messages.poll import Poll, Response
from common.messages.registration import RequestReregistration
from common.messages.types import EiResponse
from common.security import InMemoryNonceStore, Verifier
from common.xml import decode, encode
from tests.support.push import (
    ADDRESS,
    PUSH_FP,
    FakeVen,
    push_worker,
    register_push,
    start_push_harness,
)
from tests.support.vtn_harness import START, Harness, add_event, fingerprint_of
from vtn.domain.event import CANCELLATION_RESENT_FOR
from vtn.push import HttpPushTransport, PushWorker

FP = PUSH_FP


async def test_push_delivers_events_and_processes_the_reply(push_harness: Harness) -> None:
    h = push_harness
    ven_id = await register_push(h)
    event = await add_event(h.store)
    ven = FakeVen(ven_id)
    worker = push_worker(h, ven)
    assert await worker.run_once() == 2  # the VTN's METADATA registration, and the event
    urls = sorted(url for url, _ in ven.received)
    assert urls == [f"{ADDRESS}/EiEvent", f"{ADDRESS}/EiReport"]
    assert set(ven.pins) == {FP}  # only the certificate the VEN registered with will do
    [distribute] = [m for _, m in ven.received if isinstance(m, DistributeEvent)]
    assert [e.event.event_descriptor.event_id for e in distribute.events] == [event.event_id]
    invitation = await h.store.invitations.get(event.event_id, ven_id)
    assert invitation.delivered_modification_number == 0
    assert invitation.opt_type is OptType.OPT_IN  # from the VEN's synchronous oadrCreatedEvent
    assert await h.store.outbox.pending(ven_id=ven_id) == ()
    assert await worker.run_once() == 0  # nothing changed: nothing sent
    await h.store.events.cancel(event.event_id)
    assert await worker.run_once() == 1
    assert ven.received[-1][1].events[0].event.event_descriptor.modification_number == 1


async def test_push_retries_with_backoff_then_gives_up(push_harness: Harness) -> None:
    h = push_harness
    ven_id = await register_push(h)
    ven = FakeVen(ven_id)
    ven.failing = True
    worker = push_worker(h, ven)
    attempts = h.vtn.config.push.max_attempts
    backoff = h.vtn.config.push.backoff
    for attempt in range(1, attempts + 1):
        assert await worker.run_once() == 0
        [item] = await h.store.outbox.pending(ven_id=ven_id) or [None]
        if attempt == attempts:
            assert item is None  # given up
            break
        assert item.attempts == attempt and item.last_error == "OSError: connection refused"
        assert await worker.run_once() == 0  # not due yet
        assert (await h.store.outbox.get(item.item_id)).attempts == attempt
        delay = min(backoff * 2 ** (attempt - 1), h.vtn.config.push.backoff_max)
        assert item.next_attempt_at == h.clock.now() + delay
        h.clock.advance(delay)
    # a VEN back online gets what is queued from now on
    ven.failing = False
    await add_event(h.store)
    assert await worker.run_once() == 1


async def test_pull_items_are_never_pushed(push_harness: Harness) -> None:
    h = push_harness
    reg = await h.register(fingerprint_of(9), "puller")
    [item] = await h.store.outbox.pending(ven_id=reg.ven_id)
    assert item.next_attempt_at == h.clock.now()  # an ordinary item: its VEN decides
    h.clock.advance(timedelta(days=30))
    assert await push_worker(h, FakeVen()).run_once() == 0
    assert len(await h.store.outbox.pending(ven_id=reg.ven_id)) == 1


async def test_what_a_ven_did_not_poll_is_pushed_once_it_registers_for_push_and_back(
    push_harness: Harness,
) -> None:
    h = push_harness
    fingerprint = fingerprint_of(9)
    reg = await h.register(fingerprint, "switcher")
    ven_id = reg.ven_id
    ven = await h.store.vens.get(ven_id)
    await h.vtn.queue.put(ven, RequestReregistration(ven_id=ven_id))
    fake = FakeVen(ven_id)
    worker = push_worker(h, fake)
    assert await worker.run_once() == 0  # a pull VEN: left for its poll
    # the VEN re-registers for push: what it did not poll is pushed, oldest first
    pushing = await h.register(fingerprint, "switcher", http_pull_model=False,
                               transport_address=ADDRESS, registration_id=reg.registration_id,
                               ven_id=ven_id)
    # the re-registration queued no second oadrRegisterReport: the first still waited
    # (``report.queue_vtn_metadata``: one at a time)
    assert await worker.run_once() == 2
    assert [type(m).__name__ for _, m in fake.received] == [
        "RegisterReport", "RequestReregistration"]
    assert await h.store.outbox.pending(ven_id=ven_id) == ()
    # and back to pull: a message queued while it pushed, not yet sent, goes to its poll
    fake.failing = True
    await h.vtn.queue.put(await h.store.vens.get(ven_id), RequestReregistration(ven_id=ven_id))
    assert await worker.run_once() == 0  # failed once, backing off
    await h.register(fingerprint, "switcher", registration_id=pushing.registration_id,
                     ven_id=ven_id)
    polled = [await h.vtn.queue.take(ven_id) for _ in range(3)]
    assert [type(m).__name__ for m in polled] == [
        "RequestReregistration", "RegisterReport", "NoneType"]


@pytest.mark.parametrize("workers", [3])
async def test_concurrent_workers_never_double_deliver(
    tmp_path: Path, database_url: str, workers: int
) -> None:
    h = await start_push_harness(tmp_path, database_url)
    try:
        ven_ids = [await register_push(h, fingerprint_of(20 + i)) for i in range(4)]
        for _ in range(3):
            await add_event(h.store)
            h.clock.advance(timedelta(seconds=1))
        fake = FakeVen()
        crew = [push_worker(h, fake, f"w{i}") for i in range(workers)]
        for _ in range(3):
            await asyncio.gather(*(w.run_once() for w in crew))
        kinds = [(url, type(m).__name__, getattr(m, "ven_id", None)) for url, m in fake.received]
        # each VEN got its METADATA registration once, and (at least) one event list
        register = [k for k in kinds if k[1] == "RegisterReport"]
        assert sorted(v for _, _, v in register) == sorted(ven_ids)
        for ven_id in ven_ids:
            assert await h.store.outbox.pending(ven_id=ven_id) == ()
    finally:
        await h.client.close()
        await h.store.close()


async def test_a_ven_that_switches_to_polling_gets_its_queue_by_poll(push_harness: Harness) -> None:
    h = push_harness
    ven_id = await register_push(h)
    again = await h.register(FP, "plant", http_pull_model=True)
    assert again.ven_id == ven_id
    assert await push_worker(h, FakeVen(ven_id)).run_once() == 0
    got = []
    for _ in range(5):
        reply = await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=FP)
        if isinstance(reply, Response):
            break
        got.append(type(reply).__name__)
    # one: the re-registration queues none while the registration's one still waits
    # (``report.queue_vtn_metadata``)
    assert got == ["RegisterReport"]


async def test_an_event_distribution_queued_for_push_is_built_when_the_ven_polls_it(
    push_harness: Harness,
) -> None:
    h = push_harness
    ven_id = await register_push(h)
    fake = FakeVen(ven_id)
    worker = push_worker(h, fake)
    assert await worker.run_once() == 1  # its METADATA registration
    event = await add_event(h.store)
    fake.failing = True
    assert await worker.run_once() == 0  # the sweep queued an oadrDistributeEvent; it failed
    await h.register(FP, "plant", http_pull_model=True)  # the VEN switches to polling
    got = []
    for _ in range(5):
        reply = await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=FP)
        if isinstance(reply, Response):
            break
        got.append(reply)
    # its changed events, then the queued oadrDistributeEvent (built at the poll, not the
    # sweep's empty placeholder: that would tell the VEN it has no events), then METADATA
    assert [type(m).__name__ for m in got] == [
        "DistributeEvent", "DistributeEvent", "RegisterReport"]
    for message in got[:2]:
        assert isinstance(message, DistributeEvent)
        assert [e.event.event_descriptor.event_id for e in message.events] == [event.event_id]


async def test_an_unacknowledged_cancellation_is_pushed_again_at_most_every_poll_period(
    push_harness: Harness,
) -> None:
    h = push_harness
    ven_id = await register_push(h)
    fake = FakeVen(ven_id)
    worker = push_worker(h, fake)
    event = await add_event(h.store)
    assert await worker.run_once() == 2  # METADATA registration, and the event (acknowledged)
    fake.acknowledges = False
    await h.store.events.cancel(event.event_id)
    assert await worker.run_once() == 1  # the cancellation; not acknowledged
    gap = h.vtn.config.polls.frequency
    h.clock.advance(gap - timedelta(seconds=1))
    for _ in range(3):  # push rounds within the gap send nothing
        assert await worker.run_once() == 0
    h.clock.advance(timedelta(seconds=1))
    assert await worker.run_once() == 1  # a gap after its last push: sent again
    assert await worker.run_once() == 0
    pushed = [m for _, m in fake.received if isinstance(m, DistributeEvent)]
    assert len(pushed) == 3
    for message in pushed[1:]:
        descriptor = message.events[0].event.event_descriptor
        assert descriptor.event_status is EventStatus.CANCELLED
        assert descriptor.modification_number == 1
    # acknowledged at last: no more
    fake.acknowledges = True
    h.clock.advance(gap)
    assert await worker.run_once() == 1
    h.clock.advance(gap)
    assert await worker.run_once() == 0
    # and never for longer than CANCELLATION_RESENT_FOR, acknowledged or not
    second = await add_event(h.store, start=START + timedelta(days=1))
    assert await worker.run_once() == 1
    fake.acknowledges = False
    await h.store.events.cancel(second.event_id)
    assert await worker.run_once() == 1
    h.clock.advance(CANCELLATION_RESENT_FOR)
    assert await worker.run_once() == 0


@contextlib.asynccontextmanager
async def listening_ven(h: Harness, app: web.Application
                        ) -> AsyncIterator[tuple[str, PushWorker]]:
    """A push VEN served by `app` on a real socket, registered with an event waiting for it:
    its venID and a push worker over real HTTP."""
    server = TestServer(app)
    await server.start_server()
    transport = HttpPushTransport(h.vtn.config)
    try:
        address = str(server.make_url("/OpenADR2/Simple/2.0b"))
        ven_id = (
            await h.register(FP, "plant", http_pull_model=False, transport_address=address)
        ).ven_id
        await add_event(h.store)
        verifier = Verifier(clock=h.clock, nonce_store=InMemoryNonceStore(clock=h.clock))
        yield ven_id, PushWorker(h.vtn, transport, verifier=verifier)
    finally:
        await transport.close()
        await server.close()


async def test_http_push_transport_against_a_listening_ven(push_harness: Harness) -> None:
    h = push_harness
    seen: list[str] = []

    async def endpoint(request: web.Request) -> web.Response:
        message = decode(await request.read())
        seen.append(f"{request.match_info['service']}:{type(message).__name__}")
        ok = EiResponse(response_code=200, request_id=getattr(message, "request_id", ""))
        return web.Response(body=encode(Response(response=ok)), content_type="application/xml")

    app = web.Application()
    app.router.add_post("/OpenADR2/Simple/2.0b/{service}", endpoint)
    async with listening_ven(h, app) as (ven_id, worker):
        assert await worker.run_once() == 2
        assert sorted(seen) == ["EiEvent:DistributeEvent", "EiReport:RegisterReport"]
        assert await h.store.outbox.pending(ven_id=ven_id) == ()


async def test_a_ven_that_redirects_a_push_has_not_received_it(push_harness: Harness) -> None:
    h = push_harness
    followed: list[str] = []

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound(str(request.url.with_path("/elsewhere")))

    async def elsewhere(request: web.Request) -> web.Response:  # a POST turned into a GET
        followed.append(request.method)
        ok = EiResponse(response_code=200, request_id="")
        return web.Response(body=encode(Response(response=ok)), content_type="application/xml")

    app = web.Application()
    app.router.add_post("/OpenADR2/Simple/2.0b/{service}", moved)
    app.router.add_route("*", "/elsewhere", elsewhere)
    async with listening_ven(h, app) as (ven_id, worker):
        await worker.run_once()
        assert followed == []  # the redirect is an answer, not a delivery
        assert len(await h.store.outbox.pending(ven_id=ven_id)) == 2  # kept for a retry


async def test_a_round_delivers_each_vens_messages_in_queue_order(push_harness: Harness) -> None:
    h = push_harness
    ven_id = await register_push(h)  # queues the VTN's METADATA oadrRegisterReport first
    await add_event(h.store)
    ven = FakeVen(ven_id)
    worker = push_worker(h, ven)
    assert await worker.run_once() == 2  # one round: both items of the VEN, one after the other
    assert [url.rsplit("/", 1)[1] for url, _ in ven.received] == ["EiReport", "EiEvent"]


async def test_a_round_without_a_sweep_sends_only_what_is_queued(push_harness: Harness) -> None:
    h = push_harness
    ven_id = await register_push(h)
    await add_event(h.store)
    ven = FakeVen(ven_id)
    worker = push_worker(h, ven)
    assert await worker.run_once(sweep=False) == 1  # the METADATA registration only
    assert await worker.run_once() == 1  # swept: the event
    assert [url.rsplit("/", 1)[1] for url, _ in ven.received] == ["EiReport", "EiEvent"]
