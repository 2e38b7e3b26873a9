"""Push delivery: POST queued messages to push VENs from the shared outbox, with retries.

A ``PushWorker`` repeatedly

1. sweeps the push VENs: one whose events changed since its last delivery, and that has no
   oadrDistributeEvent waiting, gets one queued (its content is built when it is sent, so it
   always carries the VEN's current events);
2. claims due outbox items (``FOR UPDATE SKIP LOCKED`` in storage: several workers, on one or
   several machines, never hold the same item) and POSTs each to
   ``<transportAddress>/<service>``, signed at that moment when signing is on;
3. treats the VEN's synchronous reply (oadrCreatedEvent, oadrCreatedReport, ...) like a request
   from that VEN (signature bound to its registered certificate), and records the delivery; a
   failure is retried after ``push_backoff`` doubled per attempt (capped), and given up after
   ``push_max_attempts``.

The network is behind ``PushTransport`` (``send(url, body) -> (status, body)``), so tests run
without sockets; ``HttpPushTransport`` is the aiohttp one. Time comes from the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from datetime import timedelta
from typing import Protocol
from uuid import uuid4

import aiohttp

from common.errors import ConfigError, OadrError, ProtocolError, SignatureError, TargetMismatch
from common.messages.event import DistributeEvent
from common.messages.registration import CancelPartyRegistration, RequestReregistration
from common.messages.report import CancelReport, CreateReport, RegisterReport
from common.messages.types import Message
from common.security import Verifier, client_context
from common.xml import Limits, encode, from_element, parse
from vtn.app import dispatch
from vtn.config import VtnConfig
from vtn.domain import PushOutboxItem, Ven
from vtn.logs import PUSH, ven_label
from vtn.services.context import Caller, Vtn
from vtn.services.event import changed_events, current_events, deliver_events, distribute
from vtn.services.queue import PULL_ONLY, decode_item
from vtn.storage import NotFound

__all__ = ["HttpPushTransport", "PushTransport", "PushWorker", "service_of"]

_SERVICE_OF: dict[type[Message], str] = {
    DistributeEvent: "EiEvent",
    RegisterReport: "EiReport",
    CreateReport: "EiReport",
    CancelReport: "EiReport",
    CancelPartyRegistration: "EiRegisterParty",
    RequestReregistration: "EiRegisterParty",
}
_SIGNATURE_TAG = "{http://www.w3.org/2000/09/xmldsig#}Signature"


def service_of(message: Message) -> str:
    """The 2.0b service endpoint a VTN-initiated `message` is POSTed to."""
    return _SERVICE_OF[type(message)]


class PushTransport(Protocol):
    """Sends one POST to a VEN."""

    async def send(self, url: str, body: bytes) -> tuple[int, bytes]:
        """POST `body` (XML) to `url`; return the HTTP status and the response body.

        Raises ``OSError``/``aiohttp.ClientError``/``TimeoutError`` when the VEN cannot be
        reached.
        """
        ...


class HttpPushTransport:
    """``PushTransport`` over aiohttp, with the VTN's client certificate when TLS is on."""

    def __init__(self, config: VtnConfig, *, max_response_bytes: int | None = None) -> None:
        self._context: ssl.SSLContext | None = None
        if not config.plain_http and config.tls_cert and config.tls_key and config.tls_ca:
            try:
                self._context = client_context(config.tls_cert, config.tls_key, ca=config.tls_ca)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"tls_cert/tls_key/tls_ca: cannot load them: {exc}") from exc
        self._timeout = aiohttp.ClientTimeout(total=config.push_timeout.total_seconds())
        self._max = max_response_bytes or config.max_body_bytes
        self._session: aiohttp.ClientSession | None = None

    async def send(self, url: str, body: bytes) -> tuple[int, bytes]:
        """POST `body` to `url` (responses larger than the body cap are cut off and refused)."""
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=self._context if self._context else True)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        headers = {"Content-Type": "application/xml"}
        async with self._session.post(url, data=body, headers=headers) as response:
            chunks = []
            size = 0
            while chunk := await response.content.read(64 * 1024):
                size += len(chunk)
                if size > self._max:
                    raise OSError(f"the reply from {url} exceeds {self._max} bytes")
                chunks.append(chunk)
            return response.status, b"".join(chunks)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None


class PushWorker:
    """Delivers the outbox to push VENs; run several against one database if you like."""

    def __init__(
        self,
        vtn: Vtn,
        transport: PushTransport,
        *,
        verifier: Verifier,
        worker_id: str | None = None,
        batch: int = 10,
    ) -> None:
        self._vtn = vtn
        self._transport = transport
        self._verifier = verifier
        self.worker_id = worker_id or f"push-{uuid4().hex[:8]}"
        self._batch = batch
        self._limits = Limits(max_bytes=vtn.config.max_body_bytes)

    def __repr__(self) -> str:
        return f"PushWorker({self.worker_id!r})"

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; between rounds wait ``push_interval`` (or for `stop`)."""
        interval = self._vtn.config.push_interval.total_seconds()
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # keep delivering whatever one round hit (the log has it)
                PUSH.exception("A push round failed; trying again in %.0f s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    async def run_once(self) -> int:
        """One round: queue changed events, deliver what is due; returns how many were sent."""
        await self.sweep_events()
        items = await self._vtn.store.outbox.claim(self.worker_id, limit=self._batch)
        delivered = 0
        for item in items:
            if await self.deliver(item):
                delivered += 1
        return delivered

    async def sweep_events(self) -> None:
        """Queue an oadrDistributeEvent for each push VEN whose events changed."""
        for ven in await self._vtn.store.vens.list():
            if not ven.push or ven.report_only:
                continue
            if await changed_events(self._vtn, ven) is None:
                continue
            if await self._vtn.queue.has_pending(ven.ven_id, "oadrDistributeEvent"):
                continue
            await self._vtn.queue.put(ven, distribute(self._vtn, []))

    async def deliver(self, item: PushOutboxItem) -> bool:
        """POST one claimed item; record the outcome. True when the VEN took it."""
        store = self._vtn.store
        try:
            ven = await store.vens.get(item.ven_id)
        except NotFound:
            await store.outbox.mark_failed(
                item.item_id, worker=self.worker_id, backoff=None, error="VEN unknown"
            )
            return False
        if not ven.push:  # it polls now (re-registered): leave the item to its poll
            wait = PULL_ONLY - self._vtn.clock.now()
            await store.outbox.mark_failed(
                item.item_id, worker=self.worker_id, backoff=wait, error="the VEN polls now"
            )
            return False
        try:
            message = decode_item(item)
        except ProtocolError as exc:  # written by an older VTN and no longer readable
            return await self._fail(item, ven, "a queued message", exc.description, final=True)
        events = None
        if isinstance(message, DistributeEvent):  # always the VEN's current list
            events = await current_events(self._vtn, ven)
            message = distribute(self._vtn, events)
        name = type(message).__name__
        if not ven.transport_address:
            return await self._fail(item, ven, name, "the VEN has no transport address", final=True)
        url = f"{ven.transport_address.rstrip('/')}/{service_of(message)}"
        body = encode(message, signer=self._vtn.signer)
        try:
            status, reply = await self._transport.send(url, body)
        except (OSError, aiohttp.ClientError, TimeoutError) as exc:
            return await self._fail(item, ven, name, f"{type(exc).__name__}: {exc}")
        if status != 200:
            return await self._fail(item, ven, name, f"HTTP {status}")
        await store.outbox.mark_delivered(item.item_id, worker=self.worker_id)
        if events is not None:
            await deliver_events(self._vtn, ven, events)
        PUSH.info("Pushed %s to VEN %s (attempt %d)", name, ven_label(ven), item.attempts)
        if reply.strip():
            await self._process_reply(ven, reply)
        return True

    async def _fail(
        self, item: PushOutboxItem, ven: Ven, name: str, error: str, *, final: bool = False
    ) -> bool:
        config = self._vtn.config
        if final or item.attempts >= config.push_max_attempts:
            await self._vtn.store.outbox.mark_failed(
                item.item_id, worker=self.worker_id, backoff=None, error=error
            )
            PUSH.error(
                "Gave up pushing %s to VEN %s after %d attempt(s): %s",
                name,
                ven_label(ven),
                item.attempts,
                error,
            )
            return False
        backoff = min(config.push_backoff * 2 ** (item.attempts - 1), config.push_backoff_max)
        await self._vtn.store.outbox.mark_failed(
            item.item_id, worker=self.worker_id, backoff=backoff, error=error
        )
        PUSH.warning(
            "Push of %s to VEN %s failed (attempt %d of %d): %s; retrying in %s",
            name,
            ven_label(ven),
            item.attempts,
            config.push_max_attempts,
            error,
            _words(backoff),
        )
        return False

    async def _process_reply(self, ven: Ven, reply: bytes) -> None:
        """Handle the VEN's synchronous reply as a request from that VEN (errors are logged)."""
        try:
            root = parse(reply, limits=self._limits)
            if root.find(_SIGNATURE_TAG) is not None:
                await self._verifier.verify(root, expected_fingerprint=ven.fingerprint)
            elif self._vtn.config.require_signatures:
                raise SignatureError("the reply is not signed")
            message = from_element(root)
            named = getattr(message, "ven_id", None)
            if named and named != ven.ven_id:
                raise TargetMismatch(f"the reply names venID {named!r}")
            caller = Caller(
                fingerprint=ven.fingerprint, ven=ven, remote=ven.transport_address or ""
            )
            await dispatch(self._vtn, caller, message)
        except ProtocolError as exc:
            PUSH.warning(
                "Ignored the reply of VEN %s to a push: %s (%d)",
                ven_label(ven),
                exc.description,
                int(exc.code),
            )
        except OadrError as exc:
            PUSH.error("Could not process the reply of VEN %s: %s", ven_label(ven), exc)


def _words(delay: timedelta) -> str:
    seconds = delay.total_seconds()
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
