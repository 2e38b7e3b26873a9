"""Push delivery: a fake VEN behind the PushTransport seam, push workers, push-VEN registration."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from common.clock import ManualClock
from common.messages.enums import OptType
from common.messages.event import CreatedEvent, DistributeEvent, EventResponse
from common.messages.poll import Response
from common.messages.report import RegisteredReport, RegisterReport
from common.messages.types import EiResponse, Message, QualifiedEventId
from common.security import InMemoryNonceStore, Verifier
from common.xml import decode, encode
from tests.support.vtn_harness import START, Harness, fingerprint_of, header_config, start_harness
from vtn.push import PushWorker

PUSH_FP = fingerprint_of(7)
"""The certificate fingerprint of the push VEN."""
ADDRESS = "https://ven.test:8081/OpenADR2/Simple/2.0b"


class FakeVen:
    """A push VEN behind the PushTransport seam: answers like a 2.0b VEN, or fails."""

    def __init__(self, ven_id: str = "") -> None:
        self.ven_id = ven_id
        self.received: list[tuple[str, Message]] = []
        self.pins: list[str | None] = []
        self.failing = False
        self.acknowledges = True
        """False: it answers oadrDistributeEvent with a bare oadrResponse (no oadrCreatedEvent)."""

    async def send(
        self, url: str, body: bytes, *, peer_fingerprint: str | None = None
    ) -> tuple[int, bytes]:
        self.pins.append(peer_fingerprint)
        if self.failing:
            raise OSError("connection refused")
        message = decode(body)
        self.received.append((url, message))
        ok = EiResponse(response_code=200, request_id=getattr(message, "request_id", ""))
        if isinstance(message, DistributeEvent) and not self.acknowledges:
            reply: Message = Response(response=ok, ven_id=self.ven_id)
        elif isinstance(message, DistributeEvent):
            answers = tuple(
                EventResponse(
                    response_code=200,
                    request_id=message.request_id,
                    qualified_event_id=QualifiedEventId(
                        event_id=e.event.event_descriptor.event_id,
                        modification_number=e.event.event_descriptor.modification_number,
                    ),
                    opt_type=OptType.OPT_IN,
                )
                for e in message.events
            )
            reply = CreatedEvent(response=ok, ven_id=self.ven_id, event_responses=answers)
        elif isinstance(message, RegisterReport):
            reply = RegisteredReport(response=ok, ven_id=self.ven_id)
        else:
            reply = Response(response=ok, ven_id=self.ven_id)
        return 200, encode(reply)


def push_worker(h: Harness, transport: FakeVen, name: str = "w1") -> PushWorker:
    """A push worker of `h`'s VTN delivering through `transport`."""
    verifier = Verifier(clock=h.clock, nonce_store=InMemoryNonceStore(clock=h.clock))
    return PushWorker(h.vtn, transport, verifier=verifier, worker_id=name)


async def start_push_harness(tmp_path: Path, database_url: str | None = None) -> Harness:
    """A started harness (on `database_url`, or a SQLite file in `tmp_path`); the caller closes
    its client and store."""
    config = header_config(tmp_path)
    if database_url is not None:
        config = replace(config, database_url=database_url)
    built, _ = await start_harness(config, ManualClock(START))
    return built


async def register_push(h: Harness, fingerprint: str = PUSH_FP) -> str:
    """Register a push VEN (at ADDRESS); its ven_id."""
    reg = await h.register(fingerprint, "plant", http_pull_model=False, transport_address=ADDRESS)
    ven = await h.store.vens.get(reg.ven_id)
    assert ven.push and ven.transport_address == ADDRESS
    return reg.ven_id
