"""Push delivery: POST queued messages to push VENs from the shared outbox, with retries.

A ``PushWorker`` repeatedly

1. sweeps the push VENs: each one whose events changed since its last delivery, and that has
   no oadrDistributeEvent waiting, gets one queued, all in one transaction
   (``vtn.services.event.queue_changed_events``; its content is built when it is sent, so it
   always carries the VEN's current events);
2. claims due outbox items in batches (``FOR UPDATE SKIP LOCKED`` in storage: several workers,
   on one or several machines, never hold the same item) and POSTs each to
   ``<transportAddress>/<service>``, signed at that moment when signing is on,
   ``push.concurrency`` VENs at a time, each VEN's own items one after the other (an
   unsigned oadrDistributeEvent is written once per set of event forms: ``_encode``);
3. records the batch's deliveries in one transaction (the items delivered and the events each
   VEN received: ``OutboxStore.finish_pushes``), then treats each VEN's synchronous reply
   (oadrCreatedEvent, oadrCreatedReport, ...) like a request from that VEN (signature bound to
   its registered certificate); a failure is retried after ``push.backoff`` doubled per
   attempt (capped), and given up after ``push.max_attempts``. The log has one INFO line per
   round (each delivery at DEBUG); the deliveries are counted in the metrics at once.

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

Connections: a push whose certificate is pinned opens a new connection (aiohttp's pool keys
connections by host and port, not by the certificate expected, so a kept connection would skip
the check for the next VEN at that address; in a fan-out each VEN gets one push anyway). Pushes
without a pin (plain HTTP in development, or ``push.check_hostname``, a per-host check) reuse
kept-alive connections per address.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import timedelta
from logging import DEBUG
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
from vtn.domain import Event, PushOutboxItem, Ven
from vtn.logs import PUSH, ven_label
from vtn.metrics import VtnMetrics
from vtn.services.context import Caller, Vtn
from vtn.services.event import current_events, distribute, queue_changed_events
from vtn.services.queue import decode_item, payload_marker
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


PUSH_BATCH = 500
"""Items one round claims; ``push.concurrency`` of their VENs are pushed to at the same time,
and their deliveries recorded in one transaction at the end of the round."""


_DISTRIBUTE = payload_marker("oadrDistributeEvent")
"""In the payload of a queued oadrDistributeEvent only (built afresh when it is sent)."""

BODIES_KEEP = 64
"""Unsigned oadrDistributeEvent documents kept as templates (the newest), by the event forms
they carry (``vtn.services.eventforms``: in a fan-out, each second's VENs share them)."""

_SLOT = f"oadr-push-request-{uuid4().hex}"
"""Written as the requestID of a template; each VEN's document has its own requestID there."""

_PLAIN_ID = re.compile(r"[A-Za-z0-9._-]+")
"""A requestID written as is in XML text (``new_request_id``'s are hex)."""


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
        self._limit = config.push.concurrency
        self._pinned: aiohttp.ClientSession | None = None
        self._pooled: aiohttp.ClientSession | None = None

    def _session(self, pinned: bool) -> aiohttp.ClientSession:
        """The session for a push with (a new connection each) or without a certificate pin
        (connections kept alive per address)."""
        if pinned:
            if self._pinned is None:
                connector = _PinningConnector(ssl=self._context if self._context else True,
                                              force_close=True)
                self._pinned = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
            return self._pinned
        if self._pooled is None:
            connector = _PinningConnector(ssl=self._context if self._context else True,
                                          limit=self._limit)
            self._pooled = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._pooled

    async def send(
        self, url: str, body: bytes, *, peer_fingerprint: str | None = None
    ) -> tuple[int, bytes]:
        """POST `body` to `url` (responses larger than the body cap are cut off and refused);
        with `peer_fingerprint`, an https VEN must present that certificate before anything
        is sent."""
        expected = peer_fingerprint if url.lower().startswith("https:") else None
        session = self._session(pinned=expected is not None)
        headers = {"Content-Type": "application/xml"}
        pin = _PIN.set(expected)
        try:
            async with session.post(url, data=body, headers=headers,
                                    allow_redirects=False) as response:
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
        """Close the connection pools."""
        for session in (self._pinned, self._pooled):
            if session is not None:
                await session.close()
        self._pinned = self._pooled = None


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


@dataclass(frozen=True, slots=True)
class _Pushed:
    """A claimed item the VEN took (HTTP 200), to be recorded delivered."""

    item: PushOutboxItem
    ven: Ven
    name: str
    """The message's type name, for the log."""
    events: list[Event] | None
    """The events an oadrDistributeEvent carried (``None`` for other messages)."""
    reply: bytes


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
        self._bodies: dict[tuple[str, tuple[int, ...]], tuple[DistributeEvent, bytes]] = {}

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

        vens = await self._look_up(list(by_ven))
        turns = asyncio.Semaphore(self._vtn.config.push.concurrency)
        pushed: list[_Pushed] = []

        async def in_order(queued: list[PushOutboxItem]) -> None:
            async with turns:
                for item in queued:
                    done = await self._push(item, vens.get(item.ven_id))
                    if done is not None:
                        pushed.append(done)

        # ``push.concurrency`` VENs at a time, each VEN's messages one after the other
        outcomes = await asyncio.gather(*(in_order(q) for q in by_ven.values()),
                                        return_exceptions=True)
        if pushed:  # recorded even when another VEN's push raised: these VENs have them
            await self._finish(pushed)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return len(pushed)

    async def sweep_events(self) -> int:
        """Queue an oadrDistributeEvent for each push VEN whose events changed; how many.

        One transaction for all (``queue_changed_events``): an idle sweep is one query and
        loads no VEN, however many are registered. A cancellation the VEN has not acknowledged
        (``domain.awaits_acknowledgement``) is pushed again, but not sooner than
        ``polls.frequency`` after its last push: the pace a polling VEN would get it at, not
        every round.
        """
        return len(await queue_changed_events(self._vtn))

    async def deliver(self, item: PushOutboxItem) -> bool:
        """POST one claimed item and record the outcome (alone: ``run_once`` records a whole
        batch at once). True when the VEN took it."""
        vens = await self._look_up([item.ven_id])
        done = await self._push(item, vens.get(item.ven_id))
        if done is not None:
            await self._finish([done])
        return done is not None

    async def _look_up(self, ven_ids: list[str]) -> dict[str, Ven]:
        """The VENs of `ven_ids` that are known, read together (``VenStore.get`` answers
        lookups that arrive at once with one statement)."""
        found = await asyncio.gather(*(self._vtn.store.vens.get(v) for v in ven_ids),
                                     return_exceptions=True)
        vens: dict[str, Ven] = {}
        for ven in found:
            if isinstance(ven, NotFound):
                continue
            if isinstance(ven, BaseException):
                raise ven
            vens[ven.ven_id] = ven
        return vens

    async def _push(self, item: PushOutboxItem, ven: Ven | None) -> _Pushed | None:
        """POST one claimed item to `ven` (``None``: unknown); a failure is recorded at once,
        a success returned for ``_finish``."""
        store = self._vtn.store
        if ven is None:
            await store.outbox.mark_failed(
                item.item_id, worker=self.worker_id, backoff=None, error="VEN unknown"
            )
            return None
        if not ven.push:  # it re-registered for pull since the claim: leave the item to its poll
            await store.outbox.release(item.item_id, worker=self.worker_id)
            return None
        events = None
        message: Message
        if _DISTRIBUTE in item.payload:  # always the VEN's current list: no need to parse it
            events = await current_events(self._vtn, ven)
            message = distribute(self._vtn, ven, events)
        else:
            try:
                message = decode_item(item)
            except ProtocolError as exc:  # written by an older VTN and no longer readable
                await self._fail(item, ven, "a queued message", exc.description, final=True)
                return None
            if isinstance(message, DistributeEvent):
                events = await current_events(self._vtn, ven)
                message = distribute(self._vtn, ven, events)
        name = type(message).__name__
        if not ven.transport_address:
            await self._fail(item, ven, name, "the VEN has no transport address", final=True)
            return None
        url = f"{ven.transport_address.rstrip('/')}/{service_of(message)}"
        body = self._encode(message)
        pin = None if self._vtn.config.push.check_hostname else ven.fingerprint
        try:
            status, reply = await self._transport.send(url, body, peer_fingerprint=pin)
        except (OSError, aiohttp.ClientError, TimeoutError) as exc:
            await self._fail(item, ven, name, f"{type(exc).__name__}: {exc}")
            return None
        except ValueError as exc:  # no certificate fingerprint to pin (a plain-HTTP registration)
            error = f"cannot authenticate the VEN: {exc}"
            await self._fail(item, ven, name, error, final=True)
            return None
        if status != 200:
            await self._fail(item, ven, name, f"HTTP {status}")
            return None
        return _Pushed(item, ven, name, events, reply)

    def _encode(self, message: Message) -> bytes:
        """The document of `message`, signed when signing is on. An unsigned
        oadrDistributeEvent is its events' template (written once for all the VENs shown the
        same event forms) with its own requestID: the same bytes ``encode`` writes."""
        signer = self._vtn.signer
        if (signer is not None or not isinstance(message, DistributeEvent)
                or message.response is not None or not _PLAIN_ID.fullmatch(message.request_id)):
            return encode(message, signer=signer)
        key = (message.vtn_id, tuple(id(form) for form in message.events))
        kept = self._bodies.get(key)
        if kept is None or any(a is not b for a, b in zip(kept[0].events, message.events,
                                                          strict=True)):
            template = replace(message, request_id=_SLOT)
            document = encode(template)
            if document.count(_SLOT.encode()) != 1:  # cannot happen: a fresh uuid
                return encode(message)
            if len(self._bodies) >= BODIES_KEEP:
                del self._bodies[next(iter(self._bodies))]  # the oldest
            kept = self._bodies[key] = (template, document)  # holds the forms: ids stay theirs
        return kept[1].replace(_SLOT.encode(), message.request_id.encode())

    async def _finish(self, pushed: Sequence[_Pushed]) -> None:
        """Record `pushed` delivered, with the events each VEN received, in one transaction;
        then log them and handle the VENs' replies."""
        deliveries: dict[str, dict[str, int]] = {}
        for done in pushed:
            if done.events:
                numbers = deliveries.setdefault(done.ven.ven_id, {})
                for event in done.events:
                    numbers[event.event_id] = max(numbers.get(event.event_id, -1),
                                                  event.modification_number)
        await self._vtn.store.outbox.finish_pushes(
            [done.item.item_id for done in pushed], worker=self.worker_id, deliveries=deliveries)
        now = self._vtn.clock.now()
        self._count("delivered", len(pushed))
        each = PUSH.isEnabledFor(DEBUG)
        names: dict[str, int] = {}
        for done in pushed:
            names[done.name] = names.get(done.name, 0) + 1
            if done.events:
                await self._vtn.deliveries.delivered(self._vtn.store, now, done.ven, done.events)
            if each:
                PUSH.debug("Pushed %s to VEN %s (attempt %d)", done.name, ven_label(done.ven),
                           done.item.attempts)
        if len(pushed) == 1:  # one line per round, however many VENs (10,000 in a fan-out)
            done = pushed[0]
            PUSH.info("Pushed %s to VEN %s (attempt %d)", done.name, ven_label(done.ven),
                      done.item.attempts)
        else:
            PUSH.info("Pushed %d messages (%s) to %d VENs", len(pushed),
                      ", ".join(f"{n} {name}" for name, n in sorted(names.items())),
                      len({done.ven.ven_id for done in pushed}))
        turns = asyncio.Semaphore(self._vtn.config.push.concurrency)

        async def reply(done: _Pushed) -> None:
            async with turns:
                await self._process_reply(done.ven, done.reply)

        await asyncio.gather(*(reply(d) for d in pushed if d.reply.strip()))

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

    def _count(self, outcome: str, count: int = 1) -> None:
        if self._metrics is not None:
            self._metrics.push(outcome, count)

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
