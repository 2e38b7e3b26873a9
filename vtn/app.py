"""The VTN's aiohttp application: the five 2.0b Simple HTTP endpoints behind one boundary.

The boundary (``Boundary.handle``) is the only place where bytes from a VEN meet the services:

1. transport: body size cap (HTTP 413 before reading past it), XML content type (415), empty
   body (400);
2. identity: the TLS client certificate's fingerprint, or the configured proxy header, or none
   on explicitly configured plain HTTP;
3. decoding: ``common.xml.parse`` (hardened, XSD-validated) and ``from_element``; bytes that are
   not XML at all get HTTP 400, XML that is not valid 2.0b gets the 454/453 eiResponse;
4. the payload must belong to the endpoint (453 otherwise);
5. XML signature (``Verifier`` with the database nonce store, bound to the connection's
   fingerprint) when present, and required when configured (463);
6. the venID in the message must be the certificate's VEN (463), and known (452; a cancelled
   registration's or, without a certificate, an unknown venID: 463, not registered); a
   cancelled registration may only register again, or poll until it has taken its queue
   (which holds the VTN's oadrCancelPartyRegistration), then 463 (``services.poll``);
7. the service handler; every ``ProtocolError`` becomes the request's reply type with the code
   in its eiResponse (HTTP 200); a database that cannot be used now (``StorageUnavailable``:
   down, restarting, disk full) HTTP 503 with Retry-After, nothing done; anything else 469
   with a reference id that is logged; no internal detail reaches the peer.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from aiohttp import hdrs, web
from lxml import etree

from common.clock import Clock
from common.errors import (
    BodyTooLarge,
    ConfigError,
    InvalidId,
    MalformedXml,
    NotRecognized,
    NotRegisteredOrAuthorized,
    ProtocolError,
    ResponseCode,
    SignatureError,
)
from common.messages.poll import Poll, Response
from common.messages.registration import CreatedPartyRegistration
from common.messages.types import Message
from common.security import Signer, Verifier, normalize_fingerprint, peer_fingerprint
from common.security.signing import SIGNATURE_TAG
from common.xml import Limits, encode, from_element, parse
from common.xml.names import BASE_PATH
from vtn.config import VtnConfig
from vtn.connections import guard_of
from vtn.domain import Ven
from vtn.logs import PROTOCOL, ven_label
from vtn.metrics import VtnMetrics
from vtn.polls import CachedWork, DatabaseWork, Waiting, WaitingWork
from vtn.polls.bodies import KnownPolls
from vtn.services import REGISTRATION_MESSAGES, SERVICES, error_reply
from vtn.services.context import Caller, Vtn
from vtn.services.lastseen import LastSeen
from vtn.services.poll import NOTHING_WAITS
from vtn.services.queue import MessageQueue
from vtn.services.registration import UNAUTHENTICATED, encode_created
from vtn.storage import NotFound, StorageUnavailable, Store

__all__ = [
    "BASE_PATH",
    "BOUNDARY_KEY",
    "METRICS_KEY",
    "VTN_KEY",
    "Boundary",
    "create_app",
    "dispatch",
    "load_signer",
]


VTN_KEY = web.AppKey("oadr_vtn", Vtn)
"""The application's ``Vtn`` (config, store, clock, queue, signer), for extra routes."""

METRICS_KEY = web.AppKey("oadr_metrics", VtnMetrics)
"""The application's ``VtnMetrics`` (the admin listener's ``/metrics`` exposes them)."""



class _Reply(web.Response):
    """An XML reply that knows the eiResponse code it carries (for the request metrics)."""

    ei_code: int | None = None


UNAVAILABLE_RETRY_AFTER_S = 5
"""Retry-After of the HTTP 503 answered while the database is unavailable [s]."""
UNAVAILABLE_LOG_EVERY_S = 10.0
"""While the database is unavailable, the 503s are logged at most this often [s]."""
XML_CONTENT_TYPES = frozenset({"application/xml", "text/xml"})
_READ_CHUNK = 64 * 1024
_ANY_SERVICE = {t: h for handlers in SERVICES.values() for t, h in handlers.items()}


def load_signer(config: VtnConfig, clock: Clock) -> Signer | None:
    """The signer of the VTN's messages when ``signing.sign_messages`` is on (``ConfigError`` if the
    certificate or key cannot be used)."""
    pair = config.signing_pair
    if pair is None:
        return None
    cert, key = pair
    try:
        cert_pem, key_pem = Path(cert).read_bytes(), Path(key).read_bytes()
    except OSError as exc:
        raise ConfigError(f"signing.cert/signing.key: cannot read {exc.filename}") from exc
    passphrase = config.tls.key_passphrase.encode() if config.tls.key_passphrase else None
    return Signer(cert_pem, key_pem, clock=clock, passphrase=passphrase)


def _reference() -> str:
    """A short id that ties a refusal in the log to what the peer was told."""
    return secrets.token_hex(4)


_PLACEHOLDER = "\u2603venid\u2603"
_EMPTY_HEAD, _EMPTY_TAIL = encode(Response(response=NOTHING_WAITS, ven_id=_PLACEHOLDER)).split(
    _PLACEHOLDER.encode()
)


def empty_poll_reply(ven_id: str | None) -> bytes:
    """The bytes ``encode`` makes of the oadrResponse 200 to an empty poll of `ven_id`, from a
    template (the same bytes, without building the tree)."""
    if ven_id is None or not ven_id.isprintable():  # lxml writes some characters as &#13;...
        return encode(Response(response=NOTHING_WAITS, ven_id=ven_id))
    return _EMPTY_HEAD + xml_escape(ven_id).encode() + _EMPTY_TAIL


class _TransportRefusal(Exception):
    """A request refused below the 2.0b level (not XML, too large, wrong content type)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Boundary:
    """Turns HTTP requests into typed messages for the services, and their replies into XML."""

    def __init__(self, vtn: Vtn, metrics: VtnMetrics | None = None) -> None:
        self._vtn = vtn
        self._metrics = metrics if metrics is not None else VtnMetrics()
        config = vtn.config
        self._limits = Limits(max_bytes=config.max_body_bytes)
        self._verifier = Verifier(
            clock=vtn.clock, nonce_store=vtn.store.nonces, window=config.signing.replay_window
        )
        self._anonymous = config.plain_http and config.tls.client_fingerprint_header is None
        self.seen = LastSeen(vtn.store, vtn.clock)
        self.known_polls = KnownPolls()
        """Unsigned poll bodies read before: not parsed again (``vtn.polls.bodies``)."""
        self._refused_unavailable = 0
        self._unavailable_logged_at = -UNAVAILABLE_LOG_EVERY_S

    async def run(self, stop: asyncio.Event) -> None:
        """The boundary's background work until `stop`: writing when VENs were last seen,
        what ``Vtn.polls`` does in the background (hearing other processes' changes), and
        handing the request counts to the metrics (``VtnMetrics.run``)."""
        await asyncio.gather(
            asyncio.create_task(self.seen.run(stop), name="oadr-vtn-last-seen"),
            asyncio.create_task(self._vtn.polls.run(stop), name="oadr-vtn-change-notices"),
            asyncio.create_task(self._metrics.run(stop), name="oadr-vtn-metrics"),
        )

    @property
    def verifier(self) -> Verifier:
        """The signature verifier (shared with push replies)."""
        return self._verifier

    def endpoint(self, service: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        """The aiohttp handler of one service endpoint."""

        async def handle(request: web.Request) -> web.Response:
            started = time.perf_counter()
            guard = guard_of(request.transport)
            if guard is not None:  # the head is complete: the header timeout is over
                guard.request_started()
            try:
                response = await self.handle(request, service)
            finally:
                if guard is not None:
                    guard.request_finished()
            self._metrics.request(service, response.status,
                                  response.ei_code if isinstance(response, _Reply) else None,
                                  time.perf_counter() - started)
            return response

        handle.__name__ = f"oadr_{service}"
        return handle

    async def handle(self, request: web.Request, service: str) -> web.Response:
        """Answer one POST to `service`; never raises for anything the peer sent."""
        remote = request.remote or "an unknown address"
        try:
            body = await self._read_body(request)
            known = self.known_polls.get(body) if service == "OadrPoll" else None
            root = parse(body, limits=self._limits) if known is None else None
        except _TransportRefusal as exc:
            refusal = self._refuse(remote, exc.status, exc.reason)
            if exc.status == 408:  # a VEN that stalls keeps no connection
                refusal.force_close()
            return refusal
        except BodyTooLarge as exc:
            return self._refuse(remote, 413, exc.description)
        except MalformedXml as exc:
            return self._refuse(remote, 400, exc.description)
        except ProtocolError as exc:  # XML, but not a valid 2.0b document
            return self._error(remote, None, None, exc)
        except Exception as exc:  # never expected from the hardened parser
            return self._internal_error(remote, None, None, exc)
        message: Message | None = None
        ven: Ven | None = None
        try:
            if known is not None:
                message = known
            elif root is not None:
                message = from_element(root)
                if service == "OadrPoll":
                    self.known_polls.remember(body, root, message)
            else:  # cannot happen: parsed unless known
                raise ValueError("neither a known poll nor a parsed body")
            handler = SERVICES[service].get(type(message))
            if handler is None:
                raise NotRecognized(
                    f"{type(message).__name__} is not a payload of the {service} service"
                )
            caller = await self._authenticate(root, message, service, request, remote)
            ven = caller.ven
            reply = await handler(self._vtn, caller, message)
            body = self._encode(reply)
        except ProtocolError as exc:
            return self._error(remote, message, ven, exc)
        except StorageUnavailable as exc:  # down, restarting, disk full: the VEN tries again
            return self._unavailable(remote, exc)
        except Exception as exc:  # a bug or a database failure: the peer learns only a reference
            return self._internal_error(remote, message, ven, exc)
        if ven is not None:
            self.seen.heard(ven)
        response = _Reply(body=body, content_type="application/xml")
        response.ei_code = int(getattr(getattr(reply, "response", None), "response_code", 200))
        return response

    def _encode(self, reply: Message) -> bytes:
        """`reply` as bytes; the empty poll's oadrResponse (most replies) and a registration's
        oadrCreatedPartyRegistration from templates, when unsigned."""
        if self._vtn.signer is None:
            if type(reply) is Response and reply.response == NOTHING_WAITS:
                return empty_poll_reply(reply.ven_id)
            if type(reply) is CreatedPartyRegistration and (fast := encode_created(reply)):
                return fast
        return encode(reply, signer=self._vtn.signer)

    # ---- transport ------------------------------------------------------------------------

    async def _read_body(self, request: web.Request) -> bytes:
        """The request's body, all of it within ``limits.body_timeout`` (else HTTP 408)."""
        if request.content.is_eof():  # all of it arrived with the head (a poll, usually)
            return await self._read_whole_body(request)
        limit = self._vtn.config.limits.body_timeout.total_seconds()
        try:
            async with asyncio.timeout(limit):
                return await self._read_whole_body(request)
        except TimeoutError:
            raise _TransportRefusal(
                408, f"the body did not arrive within {limit:g} s (limits.body_timeout)"
            ) from None

    async def _read_whole_body(self, request: web.Request) -> bytes:
        cap = self._vtn.config.max_body_bytes
        if request.content_length is not None and request.content_length > cap:
            raise _TransportRefusal(
                413, f"the body of {request.content_length} bytes exceeds {cap}"
            )
        if hdrs.CONTENT_TYPE in request.headers:
            content_type = request.content_type
            if content_type not in XML_CONTENT_TYPES and not content_type.endswith("+xml"):
                raise _TransportRefusal(415, f"content type {content_type!r} is not XML")
        length = request.content_length
        plain = not request.headers.get(hdrs.TRANSFER_ENCODING) and not request.headers.get(
            hdrs.CONTENT_ENCODING  # a compressed body is longer than its Content-Length
        )
        if length is not None and plain:
            try:
                body = await request.content.readexactly(length) if length else b""
            except asyncio.IncompleteReadError as exc:
                raise _TransportRefusal(
                    400, f"the body ended after {len(exc.partial)} of {length} bytes"
                ) from None
            if not body:
                raise _TransportRefusal(400, "the body is empty")
            return body
        chunks = []
        size = 0
        while chunk := await request.content.read(_READ_CHUNK):
            size += len(chunk)
            if size > cap:
                raise _TransportRefusal(413, f"the body exceeds {cap} bytes")
            chunks.append(chunk)
        if size == 0:
            raise _TransportRefusal(400, "the body is empty")
        return b"".join(chunks)

    # ---- identity -------------------------------------------------------------------------

    def _fingerprint(self, request: web.Request) -> str | None:
        header = self._vtn.config.tls.client_fingerprint_header
        if header is not None:
            value = request.headers.get(header)
            if not value:
                return None
            try:
                return normalize_fingerprint(value)
            except ValueError:
                return None
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        return peer_fingerprint(ssl_object)

    async def _authenticate(
        self,
        root: etree._Element | None,
        message: Message,
        service: str,
        request: web.Request,
        remote: str,
    ) -> Caller:
        fingerprint = self._fingerprint(request)
        if fingerprint is None and not self._anonymous:
            raise NotRegisteredOrAuthorized("no client certificate identifies this VEN")
        await self._check_signature(root, fingerprint)
        registering = isinstance(message, REGISTRATION_MESSAGES)
        named = getattr(message, "ven_id", None)
        ven, waiting = await self._lookup(message, fingerprint, named)
        if fingerprint is not None:
            if ven is None:
                if registering:
                    return Caller(fingerprint=fingerprint, ven=None, remote=remote)
                raise NotRegisteredOrAuthorized(
                    f"the certificate {fingerprint} is not registered; register first"
                )
            if named and named != ven.ven_id:
                # a registered caller naming a venID nobody has: the ID is invalid (452); a
                # cancelled one is not registered, whatever it names (463)
                if not ven.cancelled and not await self._known(named):
                    raise InvalidId(f"venID {named!r} is not known")
                raise NotRegisteredOrAuthorized(
                    f"venID {named!r} does not belong to the certificate {fingerprint}"
                )
        else:
            if ven is None:
                if registering:
                    return Caller(fingerprint=None, ven=None, remote=remote)
                # without a certificate the venID is the identity: an unknown one is a sender
                # that is not registered (N1_0080: no reply or 463), not an invalid ID
                raise NotRegisteredOrAuthorized(
                    f"venID {named!r} is not registered; register first" if named
                    else "no venID given, and no certificate identifies this VEN"
                )
            if not ven.fingerprint.startswith(UNAUTHENTICATED):
                raise NotRegisteredOrAuthorized(
                    f"VEN {ven.ven_id} registered with a certificate; it must use TLS"
                )
        if ven.cancelled and service not in ("EiRegisterParty", "OadrPoll"):
            raise NotRegisteredOrAuthorized(f"the registration of VEN {ven.ven_id} is cancelled")
        return Caller(fingerprint=fingerprint, ven=ven, remote=remote, waiting=waiting)

    async def _lookup(
        self, message: Message, fingerprint: str | None, named: str | None
    ) -> tuple[Ven | None, Waiting | None]:
        """The VEN of the certificate (or, without one, of the venID named); for an oadrPoll
        also what waits for it (``Vtn.polls``: found with the VEN)."""
        if not isinstance(message, Poll):
            if fingerprint is not None:
                return await self._vtn.store.vens.by_fingerprint(fingerprint), None
            return (await self._by_id(named) if named else None), None
        if fingerprint is None and not named:
            return None, None
        waiting = await self._vtn.polls.waiting(
            self._vtn.clock.now(), ven_id=named, fingerprint=fingerprint
        )
        return (waiting.ven if waiting is not None else None), waiting

    async def _known(self, ven_id: str) -> bool:
        return await self._by_id(ven_id) is not None

    async def _by_id(self, ven_id: str) -> Ven | None:
        try:
            return await self._vtn.store.vens.get(ven_id)
        except NotFound:
            return None

    async def _check_signature(self, root: etree._Element | None, fingerprint: str | None) -> None:
        """`root`'s signature checked; ``None``: a poll known to be unsigned (``KnownPolls``)."""
        required = self._vtn.config.signing.require_signatures
        if root is None or root.find(SIGNATURE_TAG) is None:
            if required:
                raise SignatureError("this VTN requires signed messages")
            return
        if fingerprint is None:
            if required:
                raise SignatureError("a signature cannot be checked without a client certificate")
            return  # plain HTTP: there is no certificate to bind the signature to
        await self._verifier.verify(root, expected_fingerprint=fingerprint)

    # ---- refusals -------------------------------------------------------------------------

    def _refuse(self, remote: str, status: int, reason: str) -> web.Response:
        reference = _reference()
        PROTOCOL.warning(
            "Rejected a request from %s: %s (HTTP %d) [ref %s]", remote, reason, status, reference
        )
        return web.Response(status=status, text=f"{reason} (ref {reference})\n")

    def _error(
        self, remote: str, message: Message | None, ven: Ven | None, error: ProtocolError
    ) -> web.Response:
        reference = _reference()
        code = int(error.code)
        kind = type(message).__name__ if message is not None else "a message"
        PROTOCOL.warning(
            "Rejected %s from %s%s: %s (%d) [ref %s]",
            kind,
            remote,
            f" (VEN {ven_label(ven)})" if ven is not None else "",
            error.description,
            code,
            reference,
        )
        return self._reply_error(message, ven, code, f"{error.description} (ref {reference})")

    def _unavailable(self, remote: str, error: StorageUnavailable) -> web.Response:
        """HTTP 503 with Retry-After: nothing was done, the VEN may send the same again. Logged
        at once, then at most once per ``UNAVAILABLE_LOG_EVERY_S`` with the count refused."""
        self._refused_unavailable += 1
        now = time.monotonic()
        if now >= self._unavailable_logged_at + UNAVAILABLE_LOG_EVERY_S:
            self._unavailable_logged_at = now
            PROTOCOL.error(
                "The database is unavailable; answering HTTP 503 (Retry-After %d s) to %s and "
                "every request that needs it (%d so far): %s", UNAVAILABLE_RETRY_AFTER_S,
                remote, self._refused_unavailable, error,
            )
        return web.Response(status=503, text="the database is unavailable; try again later\n",
                            headers={hdrs.RETRY_AFTER: str(UNAVAILABLE_RETRY_AFTER_S)})

    def _internal_error(
        self, remote: str, message: Message | None, ven: Ven | None, error: Exception
    ) -> web.Response:
        reference = _reference()
        PROTOCOL.error(
            "Failed to handle %s from %s [ref %s]",
            type(message).__name__ if message is not None else "a message",
            remote,
            reference,
            exc_info=error,
        )
        code = int(ResponseCode.DEPLOYMENT_ERROR_OR_OTHER_ERROR)
        return self._reply_error(message, ven, code, f"internal error (ref {reference})")

    def _reply_error(
        self, message: Message | None, ven: Ven | None, code: int, description: str
    ) -> web.Response:
        ven_id = ven.ven_id if ven is not None else getattr(message, "ven_id", None)
        reply = error_reply(message, code, description, self._vtn.config.vtn_id, ven_id)
        try:
            body = encode(reply, signer=self._vtn.signer)
        except Exception:  # never expected: our own reply does not encode
            PROTOCOL.exception("Could not encode an error reply")
            return web.Response(status=500, text="internal error\n")
        response = _Reply(body=body, content_type="application/xml")
        response.ei_code = code
        return response


BOUNDARY_KEY = web.AppKey("oadr_boundary", Boundary)
"""The application's ``Boundary`` (its verifier serves the push worker too)."""


def create_app(
    config: VtnConfig,
    store: Store,
    *,
    clock: Clock,
    signer: Signer | None = None,
    extra_routes: Callable[[web.Application], None] | None = None,
    metrics: VtnMetrics | None = None,
) -> web.Application:
    """The VTN application on `store`.

    `signer` defaults to the one ``config`` describes (``load_signer``). `extra_routes` is
    called with the application to add more routes (the admin API); they find the ``Vtn``
    under ``app[VTN_KEY]``. `metrics` (a new ``VtnMetrics`` by default) counts the requests;
    it is ``app[METRICS_KEY]``.
    """
    polls: WaitingWork = (
        CachedWork(store, clock) if config.polls.cache else DatabaseWork(store, clock)
    )
    vtn = Vtn(
        config=config,
        store=store,
        clock=clock,
        queue=MessageQueue(store),
        signer=signer if signer is not None else load_signer(config, clock),
        polls=polls,
    )
    # the 2.0b endpoints tell the connection guard themselves; other routes need a middleware
    app = web.Application(middlewares=[_guarded] if extra_routes is not None else [])
    app[VTN_KEY] = vtn
    app[METRICS_KEY] = metrics = metrics if metrics is not None else VtnMetrics()
    boundary = Boundary(vtn, metrics)
    app[BOUNDARY_KEY] = boundary
    app.cleanup_ctx.append(_background(boundary))
    for service in SERVICES:
        app.router.add_post(f"{BASE_PATH}/{service}", boundary.endpoint(service))
    if extra_routes is not None:
        extra_routes(app)
    return app


@web.middleware
async def _guarded(request: web.Request, handler: Any) -> web.StreamResponse:
    """Tell the connection guard (``vtn.connections``) that a request's head is complete."""
    guard = guard_of(request.transport)
    if guard is None:
        return await handler(request)
    guard.request_started()
    try:
        return await handler(request)
    finally:
        guard.request_finished()


def _background(boundary: Boundary) -> Callable[[web.Application], AsyncIterator[None]]:
    """The boundary's background work, from the application's start to its cleanup."""

    async def context(_app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(boundary.run(stop), name="oadr-vtn-boundary")
        yield
        stop.set()
        await task

    return context


async def dispatch(vtn: Vtn, caller: Caller, message: Message) -> Message:
    """Handle `message` with whichever service accepts it (for replies a VEN gives to a push)."""
    handler = _ANY_SERVICE.get(type(message))
    if handler is None:
        raise NotRecognized(f"{type(message).__name__} is not a request the VTN handles")
    return await handler(vtn, caller, message)
