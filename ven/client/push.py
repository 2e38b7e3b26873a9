"""The VEN's push endpoint (2.0b push mode): the VTN POSTs its requests, the HTTP response answers.

Our interpretation of 2.0b simpleHttp push (task: VEN push mode):

- The VEN registers with ``oadrHttpPullModel=false`` and ``oadrTransportAddress`` = the
  ``[push] address``. It serves ``POST {address path}/OpenADR2/Simple/2.0b/{service}`` and,
  for VTNs that append the service name to the transport address itself (ours does),
  ``POST {address path}/{service}``; service is EiEvent, EiReport, EiRegisterParty or EiOpt.
- Replies, built by the same code as in pull mode (``VenClient.handle``):
  oadrDistributeEvent -> oadrCreatedEvent when an answer is due at once (responseRequired
  ``always`` and answered automatically), else oadrResponse 200 and the oadrCreatedEvent goes
  out later in a POST of its own (the outbox); oadrCreateReport -> oadrCreatedReport;
  oadrRegisterReport -> oadrRegisteredReport; oadrCancelReport -> oadrCanceledReport;
  oadrCancelPartyRegistration -> oadrCanceledPartyRegistration; oadrRequestReregistration ->
  oadrResponse, and the VEN registers again in its next round (after the HTTP answer).
  A reply the client queued for the VTN is taken out of the outbox and sent in the response
  instead; if that response is lost, the VTN's retry of its request gets a new answer.
- Refusals: not the VTN's client certificate -> HTTP 403; body over the cap -> 413; empty or
  not XML -> 400; XML that is not valid 2.0b, an unsigned or badly signed message when
  signatures are verified (the pull policy), a payload of another service, a venID, vtnID or
  registrationID that is not ours, a push before registration -> HTTP 200 with an
  oadrResponse whose eiResponse carries the 2.0b code (454/453, 463, 453, 452, 450); a
  cancellation gets an oadrCanceledPartyRegistration with the code instead (as in pull). A
  failure of ours gets 469 with a reference id that is logged. The server keeps serving.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import ssl
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from common.errors import (
    BodyTooLarge,
    InvalidId,
    MalformedXml,
    NotRecognized,
    OutOfSequence,
    ProtocolError,
    ResponseCode,
)
from common.messages.event import CreatedEvent, DistributeEvent
from common.messages.poll import Response
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    RequestReregistration,
)
from common.messages.report import CancelReport, CreateReport, RegisterReport
from common.messages.types import EiResponse, Message
from common.security import peer_fingerprint, server_context
from common.xml import decode
from common.xml.names import BASE_PATH
from ven.client.config import PushSettings, TlsFiles, VenConfig
from ven.client.session import VenClient
from ven.client.store import Store

__all__ = ["BASE_PATH", "PUSH_SERVICES", "PushServer", "respond"]

log = logging.getLogger("ven.client")

PUSH_SERVICES: dict[str, tuple[type[Message], ...]] = {
    "EiEvent": (DistributeEvent,),
    "EiReport": (CreateReport, RegisterReport, CancelReport),
    "EiRegisterParty": (CancelPartyRegistration, RequestReregistration),
    "EiOpt": (),  # nothing the VTN initiates; served so that a misdirected payload gets 453
}
"""What the VTN may push to each service endpoint."""

_QUEUED_REPLY = {
    DistributeEvent: "created_event", CreateReport: "created_report",
    CancelReport: "canceled_report",
}
"""The outbox kind of the reply the client queues for a message (pull mode sends it later)."""

_READ_CHUNK = 64 * 1024


async def respond(client: VenClient, store: Store, message: Message) -> Message:
    """Act on a pushed `message` (``client.handle``) and return the reply for the HTTP
    response: the one the client answered at once, or the one it queued (taken out of the
    outbox), else an oadrResponse 200."""
    kind = _QUEUED_REPLY.get(type(message))
    replies: list[Message] = []
    async with client.handling:
        last = max((item.id for item in await store.outbox(states=("queued", "rejected"))),
                   default=0)
        await client.handle(message, replies=replies)
        queued = [] if kind is None else [
            item for item in await store.outbox() if item.id > last and item.kind == kind]
        for item in queued:
            await store.outbox_done(item.id)
    if replies:
        return replies[-1]
    taken = [decode(item.message_xml) for item in queued]
    answers = [m for m in taken if isinstance(m, CreatedEvent)]
    if answers and len(answers) == len(taken):  # one oadrCreatedEvent answers them all
        responses = tuple(r for m in answers for r in m.event_responses)
        return dataclasses.replace(answers[0], event_responses=responses)
    if taken:
        return taken[-1]
    return _response(client, 200, getattr(message, "request_id", None), "OK")


def _response(
    client: VenClient, code: int, request_id: str | None, description: str
) -> Response:
    registration = client.registration
    return Response(
        response=EiResponse(response_code=code, request_id=request_id or "",
                            response_description=description),
        ven_id=None if registration is None else registration.ven_id)


def _refusal(client: VenClient, message: Message | None, code: int, description: str
             ) -> Message:
    """The answer refusing `message` with `code`: an oadrCanceledPartyRegistration carrying
    the code for a cancellation (as in pull, certification case N0_5070), else an
    oadrResponse."""
    if isinstance(message, CancelPartyRegistration):
        return CanceledPartyRegistration(
            response=EiResponse(response_code=code, request_id=message.request_id,
                                response_description=description),
            registration_id=message.registration_id,
            ven_id=None if client.registration is None else client.registration.ven_id)
    return _response(client, code, getattr(message, "request_id", None), description)


class _Refusal(Exception):
    """A request refused below the 2.0b level, with its HTTP status."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class PushServer:
    """The aiohttp server of the push endpoint; ``start()`` binds, ``stop()`` closes.

    `client` may be attached after ``start()`` (``attach``): with ``listen`` port 0 the
    transport address is only known once bound (tests). Until then requests get HTTP 503.
    """

    def __init__(
        self,
        settings: PushSettings,
        *,
        store: Store,
        client: VenClient | None = None,
        tls: TlsFiles | None = None,
        vtn_fingerprint: str | None = None,
    ) -> None:
        if settings.uses_tls and (tls is None or not vtn_fingerprint):
            raise ValueError("an https push endpoint needs the TLS files and the VTN fingerprint")
        if not settings.uses_tls and not settings.allow_plain_http:
            raise ValueError("a plain http push endpoint needs allow_plain_http")
        self._settings = settings
        self._store = store
        self._client = client
        self._tls = tls
        self._fingerprint = vtn_fingerprint
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @classmethod
    def from_config(
        cls, config: VenConfig, *, store: Store, client: VenClient | None = None
    ) -> PushServer:
        """The push server `config` describes (its ``[push]`` table must be present)."""
        if config.push is None:
            raise ValueError("the config has no [push] table")
        return cls(config.push, store=store, client=client, tls=config.tls,
                   vtn_fingerprint=config.vtn_fingerprint)

    def __repr__(self) -> str:
        return f"PushServer({self._settings.address!r}, port={self.port})"

    @property
    def url(self) -> str:
        """The bound address as a base URL (scheme, listen host, actual port)."""
        scheme = "https" if self._settings.uses_tls else "http"
        host = self._settings.listen_host
        host = f"[{host}]" if ":" in host else host
        return f"{scheme}://{host}:{self.port}"

    def attach(self, client: VenClient) -> None:
        """Serve pushed messages with `client` from now on."""
        self._client = client

    async def start(self) -> None:
        """Bind ``listen`` and serve; ``port`` is then the actual port."""
        app = web.Application()
        prefix = _path_of(self._settings.address)
        for service in PUSH_SERVICES:
            handler = self._endpoint(service)
            app.router.add_post(f"{prefix}{BASE_PATH}/{service}", handler)
            app.router.add_post(f"{prefix}/{service}", handler)
        context: ssl.SSLContext | None = None
        if self._settings.uses_tls and self._tls is not None:
            context = server_context(self._tls.cert, self._tls.key, ca=self._tls.ca)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.listen_host, self._settings.listen_port,
                           ssl_context=context)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("Push endpoint listening on %s:%d (announced as %s)",
                 self._settings.listen_host, self.port, self._settings.address)

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- one request ---------------------------------------------------------------------------

    def _endpoint(self, service: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return await self._handle(request, service)

        handle.__name__ = f"push_{service}"
        return handle

    async def _handle(self, request: web.Request, service: str) -> web.Response:
        remote = request.remote or "an unknown address"
        client = self._client
        if client is None:
            return _refuse(remote, 503, "the VEN is starting")
        try:
            self._check_peer(request)
            body = await self._read_body(request)
        except _Refusal as exc:
            return _refuse(remote, exc.status, exc.reason)
        exchange = client.exchange
        message: Message | None = None
        try:
            message = await exchange.decode(body)
            self._check_message(client, service, message)
            reply = await respond(client, self._store, message)
        except BodyTooLarge as exc:
            return _refuse(remote, 413, exc.description)
        except MalformedXml as exc:
            return _refuse(remote, 400, exc.description)
        except ProtocolError as exc:
            reference = _reference()
            log.warning("Refused a pushed %s from %s: %s (%d) [ref %s]",
                        _name(message), remote, exc.description, int(exc.code), reference)
            reply = _refusal(client, message, int(exc.code), f"{exc.description} (ref {reference})")
        except Exception:  # a bug or a storage failure: the VTN learns only a reference
            reference = _reference()
            log.exception("Failed on a pushed %s from %s [ref %s]", _name(message), remote,
                          reference)
            reply = _response(client, int(ResponseCode.DEPLOYMENT_ERROR_OR_OTHER_ERROR),
                              getattr(message, "request_id", None),
                              f"internal error (ref {reference})")
        return web.Response(body=exchange.encode(reply), content_type="application/xml")

    def _check_peer(self, request: web.Request) -> None:
        if not self._settings.uses_tls:
            return
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        seen = peer_fingerprint(ssl_object)
        if seen != self._fingerprint:
            raise _Refusal(403, f"client certificate {seen or '(none)'} is not the VTN's")

    async def _read_body(self, request: web.Request) -> bytes:
        cap = self._settings.max_body_bytes
        if request.content_length is not None and request.content_length > cap:
            raise _Refusal(413, f"the body of {request.content_length} bytes exceeds {cap}")
        chunks: list[bytes] = []
        size = 0
        while chunk := await request.content.read(_READ_CHUNK):
            size += len(chunk)
            if size > cap:
                raise _Refusal(413, f"the body exceeds {cap} bytes")
            chunks.append(chunk)
        if size == 0:
            raise _Refusal(400, "the body is empty")
        return b"".join(chunks)

    @staticmethod
    def _check_message(client: VenClient, service: str, message: Message) -> None:
        if type(message) not in PUSH_SERVICES[service]:
            raise NotRecognized(f"{type(message).__name__} is not pushed to {service}")
        registration = client.registration
        if registration is None:
            raise OutOfSequence("this VEN is not registered (yet)")
        ven_id = getattr(message, "ven_id", None)
        if ven_id and ven_id != registration.ven_id:
            raise InvalidId(f"venID {ven_id!r} is not ours ({registration.ven_id})")
        vtn_id = getattr(message, "vtn_id", None)
        if vtn_id and vtn_id != registration.vtn_id:
            raise InvalidId(f"vtnID {vtn_id!r} is not our VTN's ({registration.vtn_id})")
        if (isinstance(message, CancelPartyRegistration)
                and message.registration_id != registration.registration_id):
            raise InvalidId(f"registrationID {message.registration_id!r} is not ours")


def _path_of(address: str) -> str:
    return urlsplit(address).path.rstrip("/")


def _name(message: Message | None) -> str:
    return "message" if message is None else type(message).__name__


def _reference() -> str:
    return secrets.token_hex(4)


def _refuse(remote: str, status: int, reason: str) -> web.Response:
    reference = _reference()
    log.warning("Refused a push from %s: %s (HTTP %d) [ref %s]", remote, reason, status,
                reference)
    return web.Response(status=status, text=f"{reason} (ref {reference})\n")
