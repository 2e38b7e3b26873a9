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
   failure is retried after ``push.backoff`` doubled per attempt (capped), and given up after
   ``push.max_attempts``.

The network is behind ``PushTransport`` (``send(url, body) -> (status, body)``), so tests run
without sockets; ``HttpPushTransport`` is the aiohttp one. Time comes from the injected clock.

Who the VTN pushes to: the VEN's HTTPS endpoint must present a certificate issued by a CA in
``tls.ca``. 2.0b VEN certificates name the VEN, not a host, so by default the host name is not
checked; instead the certificate must be the one the VEN registered with (its 2.0b
fingerprint), checked right after the TLS handshake, before anything is sent; a mismatch is a
failed attempt. (aiohttp pins only full SHA-256 digests and only with an unverified context, so
``HttpPushTransport`` plugs a 2.0b-fingerprint check into its connector's fingerprint hook,
``TCPConnector._get_fingerprint``, keeping the verified context; tests/vtn/test_push_e2e.py
covers both outcomes.) ``push.check_hostname = true`` switches to the web's usual host-name
check instead (a VEN behind a proxy with a web certificate).
"""

from __future__ import annotations

import asyncio
import ssl
from contextvars import ContextVar
from datetime import timedelta
from typing import Protocol
from uuid import uuid4

import aiohttp

from common.clock import clock_sleep
from common.errors import ConfigError, OadrError, ProtocolError, SignatureError, TargetMismatch
from common.messages.event import DistributeEvent
from common.messages.registration import CancelPartyRegistration, RequestReregistration
from common.messages.report import CancelReport, CreateReport, RegisterReport
from common.messages.types import Message
from common.security import Verifier, client_context, normalize_fingerprint, peer_fingerprint
from common.security.signing import SIGNATURE_TAG
from common.xml import Limits, encode, from_element, parse
from vtn.app import dispatch
from vtn.config import VtnConfig
from vtn.domain import PushOutboxItem, Ven
from vtn.logs import PUSH, ven_label
from vtn.metrics import VtnMetrics
from vtn.services.context import Caller, Vtn
from vtn.services.event import changed_events, current_events, deliver_events, distribute
from vtn.services.queue import decode_item
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


PUSH_BATCH = 100
"""Items one round claims; ``AT_ONCE`` of their VENs are pushed to at the same time."""
AT_ONCE = 8
"""VENs a worker pushes to, or sweeps, at the same time: each holds a database connection at
times, and more than the engine's pool keeps open (5, + 10 opened and closed on demand) would
spend the time on opening connections."""


def service_of(message: Message) -> str:
    """The 2.0b service endpoint a VTN-initiated `message` is POSTed to."""
    return _SERVICE_OF[type(message)]


class PushTransport(Protocol):
    """Sends one POST to a VEN."""

    async def send(
        self, url: str, body: bytes, *, peer_fingerprint: str | None = None
    ) -> tuple[int, bytes]:
        """POST `body` (XML) to `url`; return the HTTP status and the response body.

        With `peer_fingerprint`, an https `url` must be served with the certificate of that
        2.0b fingerprint (checked before `body` is sent; else ``aiohttp.ClientError``).
        Raises ``OSError``/``aiohttp.ClientError``/``TimeoutError`` when the VEN cannot be
        reached.
        """
        ...


class HttpPushTransport:
    """``PushTransport`` over aiohttp, with the VTN's client certificate when TLS is on."""

    def __init__(self, config: VtnConfig, *, max_response_bytes: int | None = None) -> None:
        self._context: ssl.SSLContext | None = None
        if not config.plain_http and config.tls.cert and config.tls.key and config.tls.ca:
            try:
                self._context = client_context(config.tls.cert, config.tls.key, ca=config.tls.ca,
                                               check_hostname=config.push.check_hostname,
                                               password=config.tls.key_passphrase)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"tls.cert/tls.key/tls.ca: cannot load them: {exc}") from exc
        self._timeout = aiohttp.ClientTimeout(total=config.push.timeout.total_seconds())
        self._max = max_response_bytes or config.max_body_bytes
        self._session: aiohttp.ClientSession | None = None

    async def send(
        self, url: str, body: bytes, *, peer_fingerprint: str | None = None
    ) -> tuple[int, bytes]:
        """POST `body` to `url` (responses larger than the body cap are cut off and refused);
        with `peer_fingerprint`, an https VEN must present that certificate before anything
        is sent."""
        if self._session is None:
            # a new connection per push: a pooled one would skip the per-VEN certificate check
            connector = _PinningConnector(ssl=self._context if self._context else True,
                                          force_close=True)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        headers = {"Content-Type": "application/xml"}
        pin = _PIN.set(peer_fingerprint if url.lower().startswith("https:") else None)
        try:
            async with self._session.post(url, data=body, headers=headers) as response:
                chunks = []
                size = 0
                while chunk := await response.content.read(64 * 1024):
                    size += len(chunk)
                    if size > self._max:
                        raise OSError(f"the reply from {url} exceeds {self._max} bytes")
                    chunks.append(chunk)
                return response.status, b"".join(chunks)
        finally:
            _PIN.reset(pin)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None


_PIN: ContextVar[str | None] = ContextVar("oadr_push_pin", default=None)
"""The 2.0b fingerprint the server of the request being made must present (``None``: any)."""


class _VenFingerprint(aiohttp.Fingerprint):
    """aiohttp's fingerprint check, on the 2.0b fingerprint of the server's certificate."""

    def __init__(self, expected: str) -> None:  # not super(): that one wants a SHA-256 digest
        self._expected = normalize_fingerprint(expected)

    def check(self, transport: asyncio.Transport) -> None:
        """``aiohttp.ServerFingerprintMismatch`` unless the peer's certificate is the one."""
        found = peer_fingerprint(transport.get_extra_info("ssl_object"))
        if found is None or normalize_fingerprint(found) != self._expected:
            host, port, *_ = transport.get_extra_info("peername") or ("?", 0)
            raise aiohttp.ServerFingerprintMismatch(
                self._expected.encode(), (found or "no certificate").encode(), host, port
            )


class _PinningConnector(aiohttp.TCPConnector):
    """A connector that checks each new TLS connection against ``_PIN`` (if set)."""

    def _get_fingerprint(self, req: aiohttp.ClientRequest) -> aiohttp.Fingerprint | None:
        expected = _PIN.get()
        return super()._get_fingerprint(req) if expected is None else _VenFingerprint(expected)


class PushWorker:
    """Delivers the outbox to push VENs; run several against one database if you like."""

    def __init__(
        self,
        vtn: Vtn,
        transport: PushTransport,
        *,
        verifier: Verifier,
        worker_id: str | None = None,
        batch: int = PUSH_BATCH,
        metrics: VtnMetrics | None = None,
    ) -> None:
        self._vtn = vtn
        self._metrics = metrics
        self._transport = transport
        self._verifier = verifier
        self.worker_id = worker_id or f"push-{uuid4().hex[:8]}"
        self._batch = batch
        self._full = False
        self._limits = Limits(max_bytes=vtn.config.max_body_bytes)

    def __repr__(self) -> str:
        return f"PushWorker({self.worker_id!r})"

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; between rounds wait ``push.interval`` of the VTN's clock
        (or for `stop`)."""
        interval = self._vtn.config.push.interval.total_seconds()
        while not stop.is_set():
            went_on, self._full = self._full, False
            try:
                await self.run_once(sweep=not went_on)
            except Exception:  # keep delivering whatever one round hit (the log has it)
                PUSH.exception("A push round failed; trying again in %.0f s", interval)
            if self._full:  # a full batch: more may be due at once (a fan-out to many VENs)
                await asyncio.sleep(0)
                continue
            await clock_sleep(self._vtn.clock, interval, stop)  # simulated time: scaled

    async def run_once(self, *, sweep: bool = True) -> int:
        """One round: queue changed events, deliver what is due; returns how many were sent.

        ``run`` goes on at once after a full batch, without sweeping again until the outbox
        is drained: each sweep looks at every push VEN whose events changed and that has not
        had them yet, so sweeping after each batch of a fan-out to N VENs would cost N^2 / batch.
        """
        if sweep:
            await self.sweep_events()
        items = await self._vtn.store.outbox.claim(self.worker_id, limit=self._batch)
        self._full = len(items) >= self._batch
        by_ven: dict[str, list[PushOutboxItem]] = {}
        for item in items:  # oldest first: each VEN's items in the order they were queued
            by_ven.setdefault(item.ven_id, []).append(item)

        turns = asyncio.Semaphore(AT_ONCE)

        async def in_order(queued: list[PushOutboxItem]) -> int:
            async with turns:
                return sum([await self.deliver(item) for item in queued])

        # ``AT_ONCE`` VENs at a time, each VEN's messages one after the other
        outcomes = await asyncio.gather(*(in_order(q) for q in by_ven.values()),
                                        return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return sum(o for o in outcomes if isinstance(o, int))

    async def sweep_events(self) -> None:
        """Queue an oadrDistributeEvent for each push VEN whose events changed.

        One query finds those VENs (``polls.push_vens_with_changed_events``): an idle sweep
        loads no VEN, however many are registered.

        A cancellation the VEN has not acknowledged (``domain.awaits_acknowledgement``) is
        pushed again, but not sooner than ``polls.frequency`` after its last push: the pace a
        polling VEN would get it at, not every round.
        """
        store = self._vtn.store
        vens = await store.polls.push_vens_with_changed_events(
            self._vtn.clock.now(), resend_gap=self._vtn.config.polls.frequency
        )
        async def one(ven_id: str) -> None:
            try:
                ven = await store.vens.get(ven_id)
            except NotFound:  # never expected: registrations are not deleted
                return
            if not ven.push or ven.report_only or ven.cancelled:  # it changed meanwhile
                return
            if await changed_events(self._vtn, ven) is None:
                return
            if await self._vtn.queue.has_pending(ven.ven_id, "oadrDistributeEvent"):
                return
            await self._vtn.queue.put(ven, distribute(self._vtn, ven, []))

        for start in range(0, len(vens), AT_ONCE):  # lookups of one chunk are grouped
            chunk = vens[start:start + AT_ONCE]
            outcomes = await asyncio.gather(*(one(v) for v in chunk), return_exceptions=True)
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome

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
        if not ven.push:  # it re-registered for pull since the claim: leave the item to its poll
            await store.outbox.release(item.item_id, worker=self.worker_id)
            return False
        try:
            message = decode_item(item)
        except ProtocolError as exc:  # written by an older VTN and no longer readable
            return await self._fail(item, ven, "a queued message", exc.description, final=True)
        events = None
        if isinstance(message, DistributeEvent):  # always the VEN's current list
            events = await current_events(self._vtn, ven)
            message = distribute(self._vtn, ven, events)
        name = type(message).__name__
        if not ven.transport_address:
            return await self._fail(item, ven, name, "the VEN has no transport address", final=True)
        url = f"{ven.transport_address.rstrip('/')}/{service_of(message)}"
        body = encode(message, signer=self._vtn.signer)
        pin = None if self._vtn.config.push.check_hostname else ven.fingerprint
        try:
            status, reply = await self._transport.send(url, body, peer_fingerprint=pin)
        except (OSError, aiohttp.ClientError, TimeoutError) as exc:
            return await self._fail(item, ven, name, f"{type(exc).__name__}: {exc}")
        except ValueError as exc:  # no certificate fingerprint to pin (a plain-HTTP registration)
            error = f"cannot authenticate the VEN: {exc}"
            return await self._fail(item, ven, name, error, final=True)
        if status != 200:
            return await self._fail(item, ven, name, f"HTTP {status}")
        await store.outbox.mark_delivered(item.item_id, worker=self.worker_id)
        self._count("delivered")
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
        if final or item.attempts >= config.push.max_attempts:
            await self._vtn.store.outbox.mark_failed(
                item.item_id, worker=self.worker_id, backoff=None, error=error
            )
            self._count("given_up")
            PUSH.error(
                "Gave up pushing %s to VEN %s after %d attempt(s): %s",
                name,
                ven_label(ven),
                item.attempts,
                error,
            )
            return False
        backoff = min(config.push.backoff * 2 ** (item.attempts - 1), config.push.backoff_max)
        await self._vtn.store.outbox.mark_failed(
            item.item_id, worker=self.worker_id, backoff=backoff, error=error
        )
        self._count("retry")
        PUSH.warning(
            "Push of %s to VEN %s failed (attempt %d of %d): %s; retrying in %s",
            name,
            ven_label(ven),
            item.attempts,
            config.push.max_attempts,
            error,
            _words(backoff),
        )
        return False

    def _count(self, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.push(outcome)

    async def _process_reply(self, ven: Ven, reply: bytes) -> None:
        """Handle the VEN's synchronous reply as a request from that VEN (errors are logged)."""
        try:
            root = parse(reply, limits=self._limits)
            if root.find(SIGNATURE_TAG) is not None:
                await self._verifier.verify(root, expected_fingerprint=ven.fingerprint)
            elif self._vtn.config.signing.require_signatures:
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
        except Exception:  # one VEN's reply must never stop the round for the others
            PUSH.exception("Could not process the reply of VEN %s", ven_label(ven))


def _words(delay: timedelta) -> str:
    seconds = delay.total_seconds()
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
