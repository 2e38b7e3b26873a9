"""The VTN protocol tests' harness: an in-process VTN on a fresh SQLite database."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from common.clock import ManualClock
from common.messages.enums import OptType, ProfileName, SignalName, SignalType, TransportName
from common.messages.event import CreatedEvent, EventResponse
from common.messages.poll import Poll, Response
from common.messages.registration import CreatedPartyRegistration, CreatePartyRegistration
from common.messages.types import EiResponse, Message, QualifiedEventId
from common.xml import decode, encode
from vtn.app import VTN_KEY, create_app
from vtn.config import AdminSettings, PollSettings, TlsSettings, VtnConfig
from vtn.domain import Event, EventRequest, EventTargets, Signal, SignalInterval
from vtn.polls import CachedWork
from vtn.polls.gate import PollGate
from vtn.polls.in_force import EventsInForce
from vtn.services.context import Vtn
from vtn.storage import Store, open_store

START = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
HEADER = "X-Client-Fingerprint"


def fingerprint_of(n: int) -> str:
    """A made-up certificate fingerprint, distinct per `n`."""
    return ":".join(f"{(n + i) % 256:02X}" for i in range(10))


def header_config(tmp_path: Path, **changes: Any) -> VtnConfig:
    """Plain HTTP with identity from a proxy header (both explicit), on a SQLite file."""
    config = VtnConfig(
        vtn_id="TEST-VTN",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}",
        plain_http=True,
        tls=TlsSettings(client_fingerprint_header=HEADER),
        polls=PollSettings(frequency=timedelta(seconds=1)),
        admin=AdminSettings(token_file=tmp_path / "admin-token"),
        max_body_bytes=64 * 1024,
    )
    return replace(config, **changes)


@dataclass
class Harness:
    """A running VTN app and a client to talk to it."""

    client: TestClient
    store: Store
    clock: ManualClock
    vtn: Vtn

    async def post_bytes(
        self,
        service: str,
        body: bytes,
        *,
        fingerprint: str | None = None,
        content_type: str | None = "application/xml",
    ) -> tuple[int, bytes]:
        """POST raw bytes; the HTTP status and body."""
        headers = {}
        if fingerprint is not None:
            headers[HEADER] = fingerprint
        if content_type is not None:
            headers["Content-Type"] = content_type
        response = await self.client.post(
            f"/OpenADR2/Simple/2.0b/{service}", data=body, headers=headers
        )
        return response.status, await response.read()

    async def post(
        self, service: str, message: Message, *, fingerprint: str | None, signer: Any = None
    ) -> Message:
        """POST a typed message; the typed reply (the HTTP status must be 200)."""
        status, body = await self.post_bytes(
            service, encode(message, signer=signer), fingerprint=fingerprint
        )
        assert status == 200, body
        return decode(body)

    async def register(
        self, fingerprint: str, name: str = "office", **fields: Any
    ) -> CreatedPartyRegistration:
        """Register a pull VEN (or as `fields` say) and return the VTN's answer."""
        request = CreatePartyRegistration(
            request_id="reg-1",
            profile_name=ProfileName.B,
            transport_name=TransportName.SIMPLE_HTTP,
            report_only=False,
            xml_signature=False,
            ven_name=name,
            **{"http_pull_model": True, **fields},
        )
        reply = await self.post("EiRegisterParty", request, fingerprint=fingerprint)
        assert isinstance(reply, CreatedPartyRegistration), reply
        assert reply.response.response_code == 200, reply.response
        return reply


async def start_harness(config: VtnConfig, clock: ManualClock) -> tuple[Harness, TestClient]:
    """Open the store, build the app, start a test client."""
    store = await open_store(config.database_url, clock=clock)
    app = create_app(config, store, clock=clock)
    client = TestClient(TestServer(app))
    await client.start_server()
    return Harness(client=client, store=store, clock=clock, vtn=app[VTN_KEY]), client


def simple_event(
    *,
    targets: EventTargets | None = None,
    start: datetime = START + timedelta(hours=1),
    duration: timedelta = timedelta(hours=1),
    priority: int = 0,
    level: float = 2.0,
) -> EventRequest:
    """A SIMPLE-level event request."""
    return EventRequest(
        targets=targets or EventTargets.everyone(),
        market_context="http://market.test/program-1",
        signals=(
            Signal(
                signal_name=SignalName.SIMPLE,
                signal_type=SignalType.LEVEL,
                signal_id="sig-1",
                intervals=(SignalInterval(duration=duration, value=level),),
            ),
        ),
        start=start,
        duration=duration,
        priority=priority,
    )


async def poll(h: Harness, ven_id: str, n: int) -> Message:
    """oadrPoll of `ven_id` with the certificate of `fingerprint_of(n)`; the typed reply."""
    return await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=fingerprint_of(n))


async def registered_and_drained(h: Harness, n: int, **fields: Any) -> str:
    """Register VEN `n` (``fingerprint_of(n)``) and poll until what registration queued is
    taken; its ven_id."""
    ven_id = (await h.register(fingerprint_of(n), name=f"ven {n}", **fields)).ven_id
    while not isinstance(await poll(h, ven_id, n), Response):
        pass
    return ven_id


async def acknowledge(h: Harness, ven_id: str, n: int, event_id: str, number: int) -> None:
    """oadrCreatedEvent of `ven_id` (certificate `fingerprint_of(n)`) opting in to
    modification `number` of `event_id`: what acknowledges a cancellation."""
    ok = EiResponse(response_code=200, request_id="ack", response_description="OK")
    answer = CreatedEvent(response=ok, ven_id=ven_id, event_responses=(EventResponse(
        response_code=200, request_id="ack", opt_type=OptType.OPT_IN,
        qualified_event_id=QualifiedEventId(event_id=event_id, modification_number=number)),))
    reply = await h.post("EiEvent", answer, fingerprint=fingerprint_of(n))
    assert isinstance(reply, Response) and reply.response.response_code == 200, reply


def cache_of(h: Harness) -> CachedWork:
    """What `h`'s application knows of each VEN's waiting work (``poll_cache`` must be on)."""
    polls = h.vtn.polls
    assert isinstance(polls, CachedWork)
    return polls


def gate_of(h: Harness) -> PollGate:
    """The poll gate of `h`'s application (it must have one)."""
    return cache_of(h).gate


def in_force_of(h: Harness) -> EventsInForce:
    """The events in force of `h`'s application (it must have the poll cache)."""
    return cache_of(h).in_force


async def add_event(store: Store, **kwargs: Any) -> Event:
    """Store a SIMPLE event for everyone (or as `kwargs` say)."""
    return await store.events.create(simple_event(**kwargs))
