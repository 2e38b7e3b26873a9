"""``ScriptedVtn``: the harness's fake VTN, an aiohttp listener that a scenario scripts.

It serves the five 2.0b simpleHttp services under one base path, answers each VEN message
with what a plain 2.0b VTN answers (see ``_default_answer``) unless the running scenario has
queued something for the next poll or installed an ``answer`` hook, and records every
exchange (``Record``: bytes, headers, TLS version and cipher, the client certificate's
fingerprint). Every message is fed to ``common.conformance.Exchange`` in its direction; the
findings on the VEN's messages fail the case.

It owns its state in memory (one VEN, one registration); it does not use the VTN's services
or storage: it is a script, not a VTN.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count

import aiohttp
from aiohttp import web

from common.conformance import DECODES, Direction, Exchange, Finding, Rule, payload_name
from common.errors import OadrError
from common.messages.enums import ProfileName, ResponseCode, TransportName
from common.messages.event import CreatedEvent, DistributeEvent, OadrEvent, RequestEvent
from common.messages.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt
from common.messages.poll import Poll, Response
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    CreatePartyRegistration,
    Profile,
    QueryRegistration,
    RequestReregistration,
)
from common.messages.report import (
    CanceledReport,
    CreatedReport,
    RegisteredReport,
    RegisterReport,
    UpdatedReport,
    UpdateReport,
)
from common.messages.types import EiResponse, Message
from common.security import normalize_fingerprint, peer_fingerprint
from common.xml import decode, encode
from vtn.conformance.records import Record

__all__ = ["HTTP_HEADERS", "SERVICES", "Outgoing", "ScriptedVtn", "ok"]

SERVICES = ("EiRegisterParty", "EiEvent", "EiOpt", "EiReport", "OadrPoll")
MAX_BODY = 1024 * 1024
"""The largest request body read [bytes]."""
PUSH_TIMEOUT = 15.0
"""How long one push to the VEN may take [s]."""
PUSH_SETTLE = 0.2
"""A push goes out once no request of the VEN has been handled for this long [s]."""

HTTP_HEADERS = Rule("http.headers", "requests must carry the HTTP headers Host, Content-Length "
                    "and Content-Type application/xml (log review 1200)")

Answer = Callable[[Message], Message | None]
"""A scenario's hook: the answer to a VEN message, or ``None`` for the default answer."""


def ok(request_id: str = "", code: ResponseCode | int = ResponseCode.OK) -> EiResponse:
    """An eiResponse with `code` (default 200) echoing `request_id`."""
    return EiResponse(response_code=code, request_id=request_id,
                      response_description="OK" if code == ResponseCode.OK else None)


@dataclass(frozen=True)
class Outgoing:
    """A message the harness hands the VEN at its next poll.

    ``deliberate`` marks a fault a negative case sends on purpose (a wrong vtnID, a foreign
    registrationID): it is recorded and checked, but not taught to the conversation's
    ``Exchange`` (the VEN is right to ignore it, and an unanswered event would blame it).
    """

    message: Message
    deliberate: bool = False
    on_delivery: Callable[[], None] | None = None
    """Called when the VEN's poll takes the message (e.g. the harness forgets a cancelled
    registration at that instant)."""


@dataclass
class Registration:
    """The VEN's registration with the harness (``push_address``: its transport address when
    it registered for push)."""

    ven_id: str
    registration_id: str
    push_address: str | None = None


class ScriptedVtn:
    """The fake VTN (see the module docstring).

    ``vtn_id`` is the harness's vtnID; ``poll_freq`` the requestedOadrPollFreq it hands out;
    ``ven_fingerprint`` (normalised) is required of the client certificate when set.
    """

    def __init__(self, *, vtn_id: str = "TH-VTN-1", poll_freq: timedelta = timedelta(seconds=10),
                 ven_fingerprint: str | None = None, base_path: str = "/OpenADR2/Simple/2.0b",
                 push: bool = False, push_tls: ssl.SSLContext | None = None,
                 push_settle: float = PUSH_SETTLE) -> None:
        self.vtn_id = vtn_id
        self.poll_freq = poll_freq
        self.ven_fingerprint = (normalize_fingerprint(ven_fingerprint)
                                if ven_fingerprint else None)
        self.base_path = base_path.rstrip("/")
        self.registration: Registration | None = None
        self.events: tuple[OadrEvent, ...] = ()
        """The events an oadrRequestEvent is answered with."""
        self.outbox: deque[Outgoing] = deque()
        self.answer: Answer | None = None
        self.records: list[Record] = []
        self.case_id = "setup"
        self.exchange = Exchange(vtn_ids={vtn_id})
        self._ids = count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.push = push
        """The push variants: the VEN is expected to register for push, and what is queued
        for it is POSTed to its transport address instead of waiting for a poll."""
        self._push_tls = push_tls
        self._push_settle = push_settle
        self._kick = asyncio.Event()
        self._pusher: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._last_request = 0.0

    # ---- life ------------------------------------------------------------------------------

    def app(self) -> web.Application:
        """The aiohttp application (one route per service)."""
        app = web.Application(client_max_size=MAX_BODY)
        for service in SERVICES:
            app.router.add_post(f"{self.base_path}/{service}", self._handler(service))
        return app

    async def start(self, host: str, port: int, tls: ssl.SSLContext | None = None) -> str:
        """Listen on `host`:`port` (0: any free port); the VEN's base URL."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=tls)
        await site.start()
        bound = self._runner.addresses[0][1]
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://{host}:{bound}{self.base_path}"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PUSH_TIMEOUT))
        self._pusher = asyncio.create_task(self._push_loop())
        return self.url

    async def stop(self) -> None:
        """Stop listening (and pushing)."""
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
            self._pusher = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- push ------------------------------------------------------------------------------

    def _push_target(self) -> str | None:
        return self.registration.push_address if self.registration is not None else None

    async def _push_loop(self) -> None:
        """Deliver the outbox to a push VEN, one message at a time, each once no request of
        the VEN has been handled for ``push_settle`` seconds (so the VEN has its answer to
        the registration before the first push)."""
        while True:
            await self._kick.wait()
            self._kick.clear()
            while self._push_target() is not None and self.outbox:
                settle = self._last_request + self._push_settle - time.monotonic()
                if settle > 0:
                    await asyncio.sleep(settle)
                    continue
                target = self._push_target()
                if target is None or not self.outbox:
                    break
                item = self.outbox.popleft()
                if item.on_delivery is not None:
                    item.on_delivery()
                await self._push_one(target, item)

    async def _push_one(self, target: str, item: Outgoing) -> None:
        """POST `item` to the VEN at `target`; record it and the VEN's HTTP answer."""
        assert self._session is not None
        message = item.message
        service = _service_of(message)
        body = encode(message)
        record = Record(at=datetime.now(UTC), case_id=self.case_id, service=service,
                        request_headers={"Content-Type": "application/xml"}, request_body=body,
                        payload="", answer=payload_name(message), direction="vtn->ven")
        if item.deliberate:
            record.note = "deliberate fault (negative case): not taught to the exchange"
        else:
            record.harness_findings = self.exchange.feed(message, at=record.at,
                                                         direction=Direction.VTN_TO_VEN)
        try:
            async with self._session.post(f"{target.rstrip('/')}/{service}", data=body,
                                          headers=record.request_headers,
                                          ssl=self._push_tls or False) as response:
                record.status = response.status
                self._tls_facts_of(response, record)  # before the read releases the connection
                record.response_body = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            record.status = 0
            record.note = f"push failed: {type(exc).__name__}: {exc}"
        else:
            self._judge_push_answer(record)
        self.records.append(record)
        self._changed.set()

    def _judge_push_answer(self, record: Record) -> None:
        if record.status != 200 or not record.response_body.strip():
            record.note = (record.note + "; " if record.note else "") + (
                f"the VEN answered HTTP {record.status}")
            return
        try:
            reply = decode(record.response_body)
        except OadrError as exc:
            record.findings.append(Finding(rule=DECODES, path="/", expected="a 2.0b payload",
                                           seen=type(exc).__name__, message=str(exc)))
            return
        record.message = reply
        record.payload = payload_name(reply)
        record.findings.extend(self.exchange.feed(reply, at=datetime.now(UTC),
                                                  direction=Direction.VEN_TO_VTN))

    @staticmethod
    def _tls_facts_of(response: aiohttp.ClientResponse, record: Record) -> None:
        connection = response.connection
        # A small answer read at once releases the connection before the caller sees it;
        # the protocol object (aiohttp's, not public) still has the TLS transport.
        transport = (connection.transport if connection is not None
                     else getattr(getattr(response, "_protocol", None), "transport", None))
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if ssl_object is None:
            return
        record.tls_version = ssl_object.version()
        cipher = ssl_object.cipher()
        record.cipher = cipher[0] if cipher else None
        record.client_fingerprint = peer_fingerprint(ssl_object)

    # ---- what scenarios use ----------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A fresh identifier (``prefix-7``)."""
        return f"{prefix}-{next(self._ids)}"

    def begin(self, case_id: str) -> int:
        """Start recording for `case_id`; the index of its first record. Each case starts
        with no events in force and no answer owed from an earlier case (a VEN that never
        answered one case's event is judged in that case, not again in every later one)."""
        self.case_id = case_id
        self.outbox.clear()
        self.answer = None
        self.events = ()
        self.exchange.unanswered.clear()
        return len(self.records)

    def queue(self, message: Message, *, deliberate: bool = False,
              on_delivery: Callable[[], None] | None = None) -> Outgoing:
        """Hand `message` to the VEN at its next poll (after what is queued already)."""
        item = Outgoing(message, deliberate, on_delivery)
        self.outbox.append(item)
        self._kick.set()
        return item

    def since(self, start: int) -> list[Record]:
        """The records from index `start` on."""
        return self.records[start:]

    def delivered(self, item: Outgoing) -> bool:
        """Whether a poll has taken `item` from the outbox."""
        return all(queued is not item for queued in self.outbox)

    def received(self, start: int, kind: type[Message]) -> list[Message]:
        """The VEN's decoded messages of type `kind` since record `start`."""
        return [m for r in self.records[start:] if (m := r.message) is not None
                and isinstance(m, kind)]

    async def until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Whether `condition` (over the records and state) became true within `timeout`
        seconds; re-checked after every exchange."""
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                return condition()
        return True

    # ---- the endpoint ----------------------------------------------------------------------

    def _handler(self, service: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._handle(service, request)
        return handle

    async def _handle(self, service: str, request: web.Request) -> web.Response:
        body = await request.read()
        record = Record(at=datetime.now(UTC), case_id=self.case_id, service=service,
                        request_headers=dict(request.headers), request_body=body, payload="")
        self._tls_facts(request, record)
        try:
            response = self._respond(record)
        finally:
            self.records.append(record)
            self._last_request = time.monotonic()
            self._changed.set()
            self._kick.set()
        return response

    def _tls_facts(self, request: web.Request, record: Record) -> None:
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if ssl_object is None:
            return
        record.tls_version = ssl_object.version()
        cipher = ssl_object.cipher()
        record.cipher = cipher[0] if cipher else None
        record.client_fingerprint = peer_fingerprint(ssl_object)

    def _respond(self, record: Record) -> web.Response:
        if self.ven_fingerprint is not None and record.client_fingerprint != self.ven_fingerprint:
            record.status = 403
            record.note = (f"client certificate {record.client_fingerprint or 'absent'} is not "
                           f"the VEN's {self.ven_fingerprint}")
            return web.Response(status=403, text=record.note)
        try:
            message = decode(record.request_body)
        except OadrError as exc:
            record.findings.append(Finding(rule=DECODES, path="/", expected="a 2.0b payload",
                                           seen=type(exc).__name__, message=str(exc)))
            record.status = 400
            record.note = str(exc)
            return web.Response(status=400, text="not a valid 2.0b payload")
        record.message = message
        record.payload = payload_name(message)
        record.findings = _header_findings(record) + self.exchange.feed(
            message, at=record.at, direction=Direction.VEN_TO_VTN)
        answer, deliberate = self._answer(message)
        record.answer = payload_name(answer)
        record.response_body = encode(answer)
        if deliberate:
            record.note = "deliberate fault (negative case): not taught to the exchange"
        else:
            record.harness_findings = self.exchange.feed(answer, at=datetime.now(UTC),
                                                         direction=Direction.VTN_TO_VEN)
        return web.Response(body=record.response_body, content_type="application/xml")

    def _answer(self, message: Message) -> tuple[Message, bool]:
        if self.answer is not None and (scripted := self.answer(message)) is not None:
            return scripted, False
        if isinstance(message, Poll):
            if self.registration is None or message.ven_id != self.registration.ven_id:
                return Response(response=ok("", ResponseCode.NOT_REGISTERED_OR_AUTHORIZED),
                                ven_id=message.ven_id), False
            if self.outbox:
                item = self.outbox.popleft()
                if item.on_delivery is not None:
                    item.on_delivery()
                return item.message, item.deliberate
            return Response(response=ok(""), ven_id=message.ven_id), False
        return self._default_answer(message), False

    def _default_answer(self, message: Message) -> Message:  # one answer per payload type
        ven_id = self.registration.ven_id if self.registration else None
        if isinstance(message, QueryRegistration):
            return self._created_registration(message.request_id)
        if isinstance(message, CreatePartyRegistration):
            return self._register(message)
        if isinstance(message, CancelPartyRegistration):
            self.registration = None
            return CanceledPartyRegistration(response=ok(message.request_id),
                                             registration_id=message.registration_id,
                                             ven_id=message.ven_id)
        if isinstance(message, RegisterReport):
            return RegisteredReport(response=ok(message.request_id), ven_id=ven_id)
        if isinstance(message, RequestEvent):
            return DistributeEvent(request_id=self.new_id("distribute"), vtn_id=self.vtn_id,
                                   events=self.events, response=ok(message.request_id))
        if isinstance(message, CreatedEvent):
            return Response(response=ok(message.response.request_id), ven_id=ven_id)
        if isinstance(message, CreateOpt):
            return CreatedOpt(response=ok(message.request_id), opt_id=message.opt_id)
        if isinstance(message, CancelOpt):
            return CanceledOpt(response=ok(message.request_id), opt_id=message.opt_id)
        if isinstance(message, UpdateReport):
            return UpdatedReport(response=ok(message.request_id), ven_id=ven_id)
        request_id = _request_id_of(message)
        return Response(response=ok(request_id), ven_id=ven_id)

    def _created_registration(self, request_id: str) -> CreatedPartyRegistration:
        current = self.registration
        return CreatedPartyRegistration(
            response=ok(request_id), vtn_id=self.vtn_id,
            profiles=(Profile(profile_name=ProfileName.B,
                              transports=(TransportName.SIMPLE_HTTP,)),),
            registration_id=current.registration_id if current else None,
            ven_id=current.ven_id if current else None,
            requested_oadr_poll_freq=self.poll_freq)

    def _register(self, message: CreatePartyRegistration) -> CreatedPartyRegistration:
        current = self.registration
        push_address = (message.transport_address if message.http_pull_model is False
                        else None)
        if current is None or message.registration_id != current.registration_id:
            ven_id = current.ven_id if current else self.new_id("th-ven")
            self.registration = Registration(ven_id, self.new_id("th-reg"), push_address)
            # The VTN's own (empty) metadata follows a registration (N1_0020).
            self.queue(RegisterReport(request_id=self.new_id("register-report"),
                                      ven_id=ven_id))
        else:
            current.push_address = push_address
        return self._created_registration(message.request_id)


def _service_of(message: Message) -> str:
    """The VEN service a pushed `message` goes to."""
    if isinstance(message, DistributeEvent):
        return "EiEvent"
    if isinstance(message, CancelPartyRegistration | RequestReregistration):
        return "EiRegisterParty"
    if isinstance(message, CreateOpt | CancelOpt):
        return "EiOpt"
    return "EiReport"


def _request_id_of(message: Message) -> str:
    """The requestID a generic oadrResponse echoes (the answer's, for an answer)."""
    if isinstance(message, CanceledPartyRegistration | CreatedReport | CanceledReport
                  | Response):
        return message.response.request_id
    request_id = getattr(message, "request_id", "")
    return request_id if isinstance(request_id, str) else ""


def _header_findings(record: Record) -> list[Finding]:
    """The log-review 1200 check on the VEN's request headers."""
    headers = {name.lower(): value for name, value in record.request_headers.items()}
    findings = [
        Finding(rule=HTTP_HEADERS, path=f"HTTP {name}", expected="present", seen="absent",
                message=f"the request has no {name} header")
        for name in ("Host", "Content-Length") if name.lower() not in headers
    ]
    content_type = headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/xml":
        findings.append(Finding(rule=HTTP_HEADERS, path="HTTP Content-Type",
                                expected="application/xml", seen=content_type or "absent",
                                message="the request's Content-Type is not application/xml"))
    return findings
