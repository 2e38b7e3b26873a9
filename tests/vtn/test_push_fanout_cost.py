"""What a push fan-out spends per VEN: a sweep queues every VEN in one statement, unsigned event
lists are written once per set of event forms (each VEN's document as ``encode`` writes it, with
its own requestID), one INFO line and one metrics update per round."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

import vtn.push
from common.messages.event import DistributeEvent
from common.messages.poll import Response
from common.messages.types import EiResponse, Message
from common.security import InMemoryNonceStore, Signer, Verifier
from common.xml import decode, encode
from tests.support.push import start_push_harness
from tests.support.vtn_harness import add_event, fingerprint_of
from vtn.metrics import VtnMetrics
from vtn.push import PushWorker
from vtn.services.event import queue_changed_events

VENS = 6


class Bodies:
    """Push VENs behind the ``PushTransport`` seam that keep the documents they were sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def send(
        self, url: str, body: bytes, *, peer_fingerprint: str | None = None
    ) -> tuple[int, bytes]:
        self.sent.append((url, body))
        reply = Response(response=EiResponse(response_code=200, request_id="r"), ven_id="")
        return 200, encode(reply)


async def test_a_fan_out_writes_each_ven_the_document_encode_writes_with_its_own_request_id(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = await start_push_harness(tmp_path, database_url)
    try:
        for n in range(VENS):
            await h.register(fingerprint_of(60 + n), f"plant-{n}", http_pull_model=False,
                             transport_address=f"https://ven-{n}.example:8443/OpenADR2/Simple/2.0b")
        bodies = Bodies()
        metrics = VtnMetrics()
        verifier = Verifier(clock=h.clock, nonce_store=InMemoryNonceStore(clock=h.clock))
        worker = PushWorker(h.vtn, bodies, verifier=verifier, worker_id="w", metrics=metrics)
        assert await worker.run_once() == VENS  # their METADATA registrations
        bodies.sent.clear()
        event = await add_event(h.store)
        written: list[type] = []

        def counting(message: Message, *, signer: Signer | None = None) -> bytes:
            written.append(type(message))
            return encode(message, signer=signer)

        monkeypatch.setattr(vtn.push, "encode", counting)
        caplog.clear()  # the registrations' round logged too when INFO was on already
        with caplog.at_level(logging.DEBUG, logger="oadr.vtn.push"):
            assert await worker.run_once() == VENS
        distributions = [(url, body) for url, body in bodies.sent if url.endswith("/EiEvent")]
        assert len(distributions) == VENS
        messages = [decode(body) for _, body in distributions]
        assert all(isinstance(m, DistributeEvent) for m in messages)
        for (_, body), message in zip(distributions, messages, strict=True):
            assert body == encode(message)  # byte for byte what the encoder writes
            assert isinstance(message, DistributeEvent)
            assert [e.event.event_descriptor.event_id for e in message.events] == [
                event.event_id]
        request_ids = [m.request_id for m in messages if isinstance(m, DistributeEvent)]
        assert len(set(request_ids)) == VENS  # one template, a requestID of its own each
        info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO
                and r.name == "oadr.vtn.push"]
        assert info == [f"Pushed {VENS} messages ({VENS} DistributeEvent) to {VENS} VENs"]
        each = [r for r in caplog.records if r.levelno == logging.DEBUG
                and r.getMessage().startswith("Pushed DistributeEvent to VEN ")]
        assert len(each) == VENS
        delivered = metrics.registry.get_sample_value(
            "oadr_vtn_push_deliveries_total", {"outcome": "delivered"})
        assert delivered == 2 * VENS
        assert written == [DistributeEvent]  # the template, once for all the VENs
    finally:
        await h.client.close()
        await h.store.close()


async def test_a_sweep_queues_items_like_enqueue_in_the_queries_order(
    tmp_path: Path, database_url: str
) -> None:
    h = await start_push_harness(tmp_path, database_url)
    try:
        for n in range(VENS):
            await h.register(fingerprint_of(80 + n), f"plant-{n}", http_pull_model=False,
                             transport_address=f"https://ven-{n}.example:8443/OpenADR2/Simple/2.0b")
        for item in await h.store.outbox.pending():  # their METADATA registrations
            await h.store.outbox.mark_delivered(item.item_id, worker="w")
        await add_event(h.store)
        queued = await queue_changed_events(h.vtn)
        assert list(queued) == sorted(queued) and len(queued) == VENS  # ordered by ven_id
        items = await h.store.outbox.pending()
        assert [i.ven_id for i in items] == list(queued)  # queue order: the query's
        assert all(re.fullmatch(r"[0-9a-f]{32}", i.item_id) for i in items)  # as new_id
        assert len({i.item_id for i in items}) == VENS
        assert all(i.attempts == 0 and i.next_attempt_at == i.created_at == h.clock.now()
                   for i in items)
        assert all(isinstance(decode(i.payload), DistributeEvent) for i in items)
        assert await queue_changed_events(h.vtn) == ()  # one waiting per VEN
    finally:
        await h.client.close()
        await h.store.close()
