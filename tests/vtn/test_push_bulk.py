"""Push fan-out in bulk: one sweep transaction queues an event for every push VEN, exactly once
however many workers sweep at once, and a round records its deliveries in one transaction with
each VEN's messages in queue order."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from common.messages.event import DistributeEvent
from common.messages.poll import Response
from common.messages.registration import RequestReregistration
from common.messages.types import EiResponse, Message
from common.security import InMemoryNonceStore, Verifier
from common.xml import decode, encode
from tests.support.push import start_push_harness
from tests.support.vtn_harness import Harness, add_event, fingerprint_of
from vtn.push import PushWorker
from vtn.services.event import queue_changed_events
from vtn.services.queue import payload_marker

DISTRIBUTE = payload_marker("oadrDistributeEvent")


class Fleet:
    """Push VENs behind the ``PushTransport`` seam, told apart by their transport address."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Message]] = []

    async def send(
        self, url: str, body: bytes, *, peer_fingerprint: str | None = None
    ) -> tuple[int, bytes]:
        message = decode(body)
        await asyncio.sleep(0)  # let the other VENs' pushes interleave
        self.received.append((url.rsplit("/", 1)[0], message))
        reply = Response(response=EiResponse(response_code=200, request_id="r"), ven_id="")
        return 200, encode(reply)

    def of(self, address: str) -> list[str]:
        return [type(m).__name__ for a, m in self.received if a == address]


def worker(h: Harness, fleet: Fleet, name: str) -> PushWorker:
    verifier = Verifier(clock=h.clock, nonce_store=InMemoryNonceStore(clock=h.clock))
    return PushWorker(h.vtn, fleet, verifier=verifier, worker_id=name)


async def _fleet(h: Harness, count: int) -> dict[str, str]:
    """`count` push VENs at their own addresses: ven_id -> address."""
    vens = {}
    for n in range(count):
        address = f"https://ven-{n}.example:8443/OpenADR2/Simple/2.0b"
        reg = await h.register(fingerprint_of(40 + n), f"plant-{n}", http_pull_model=False,
                               transport_address=address)
        vens[str(reg.ven_id)] = address
    return vens


async def test_concurrent_sweeps_queue_one_distribution_per_ven(
    tmp_path: Path, database_url: str
) -> None:
    h = await start_push_harness(tmp_path, database_url)
    try:
        vens = await _fleet(h, 12)
        await add_event(h.store)
        queued = await asyncio.gather(*(queue_changed_events(h.vtn) for _ in range(4)))
        assert sorted(v for q in queued for v in q) == sorted(vens)  # each VEN by one sweep
        for ven_id in vens:
            waiting = [i for i in await h.store.outbox.pending(ven_id=ven_id)
                       if DISTRIBUTE in i.payload]
            assert len(waiting) == 1
        assert await queue_changed_events(h.vtn) == ()  # one waits already for each
    finally:
        await h.client.close()
        await h.store.close()


async def test_a_fan_out_reaches_each_ven_once_in_queue_order_with_several_workers(
    tmp_path: Path, database_url: str
) -> None:
    h = await start_push_harness(tmp_path, database_url)
    try:
        vens = await _fleet(h, 10)
        for ven_id in vens:  # behind each VEN's METADATA registration: a second message
            await h.vtn.queue.put(await h.store.vens.get(ven_id),
                                  RequestReregistration(ven_id=ven_id))
        event = await add_event(h.store)
        fleet = Fleet()
        crew = [worker(h, fleet, f"w{n}") for n in range(3)]
        for _ in range(3):
            await asyncio.gather(*(w.run_once() for w in crew))
        for ven_id, address in vens.items():
            # oldest first: what was queued before the sweep, then the event
            assert fleet.of(address) == ["RegisterReport", "RequestReregistration",
                                         "DistributeEvent"], ven_id
            assert await h.store.outbox.pending(ven_id=ven_id) == ()
            invitation = await h.store.invitations.get(event.event_id, ven_id)
            assert invitation is not None
            assert invitation.delivered_modification_number == event.modification_number
        distributions = [m for _, m in fleet.received if isinstance(m, DistributeEvent)]
        assert all([e.event.event_descriptor.event_id for e in m.events] == [event.event_id]
                   for m in distributions)
        assert Counter(a for a, m in fleet.received if isinstance(m, DistributeEvent)) == {
            a: 1 for a in vens.values()}
        assert sum([await w.run_once() for w in crew]) == 0  # nothing changed: nothing sent
    finally:
        await h.client.close()
        await h.store.close()


async def test_finishing_a_batch_marks_only_waiting_items_and_records_deliveries(
    tmp_path: Path, database_url: str
) -> None:
    h = await start_push_harness(tmp_path, database_url)
    try:
        vens = await _fleet(h, 3)
        event = await add_event(h.store)
        await queue_changed_events(h.vtn)
        items = await h.store.outbox.claim("w", limit=100)
        ids = [i.item_id for i in items if DISTRIBUTE in i.payload]
        assert len(ids) == 3
        deliveries = {v: {event.event_id: event.modification_number} for v in vens}
        done = await h.store.outbox.finish_pushes(ids, worker="w", deliveries=deliveries)
        assert done == frozenset(ids)
        again = await h.store.outbox.finish_pushes(ids, worker="w", deliveries={})
        assert again == frozenset()  # finished already
        for ven_id in vens:
            invitation = await h.store.invitations.get(event.event_id, ven_id)
            assert invitation is not None and invitation.delivered_modification_number == 0
        # the sweep sees them delivered: nothing to queue
        assert await queue_changed_events(h.vtn) == ()
    finally:
        await h.client.close()
        await h.store.close()
