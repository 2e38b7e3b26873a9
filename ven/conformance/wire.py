"""The kit's own raw 2.0b client: one POST of XML per call, every byte recorded.

Deliberately not ``ven.client``: the session logic there would hide the VTN's protocol
mistakes (retries, re-registration, queue handling). ``Wire.post`` sends a typed message (or
raw bytes), records the request and the answer as they travelled (``Record``: bytes, headers,
status, TLS version and cipher, the peer certificate's fingerprint), decodes the answer with
``common.xml`` and feeds both messages to a ``common.conformance.Exchange``; the findings are
attached to the record.

Errors: a transport failure (connection refused, TLS, timeout) is recorded (``Record.error``)
and never raised; an answer that does not decode gets a ``payload.decodes`` finding (unless it
is an HTTP error whose body is not declared XML: a refusal without a payload).
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from common.conformance import DECODES, Direction, Exchange, Finding, payload_name
from common.errors import OadrError
from common.messages.types import Message
from common.security import fingerprint_from_der
from common.xml import decode, encode

__all__ = ["Record", "Tls", "Wire"]

TIMEOUT_S = 15.0
"""Seconds one request may take before it is recorded as failed [s]."""


@dataclass(frozen=True, slots=True)
class Tls:
    """The TLS parameters of the connection an answer came on."""

    version: str | None
    cipher: str | None
    peer_fingerprint: str | None
    """The 2.0b fingerprint (last 20 bytes of SHA-256, colon-separated) of the VTN's cert."""
    peer_sha256: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {"version": self.version, "cipher": self.cipher,
                "peer_fingerprint": self.peer_fingerprint, "peer_sha256": self.peer_sha256}


@dataclass(slots=True)
class Record:
    """One request and its answer, as they travelled."""

    service: str
    url: str
    sent_at: datetime
    request_name: str
    request_body: bytes
    request_headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    received_at: datetime | None = None
    tls: Tls | None = None
    error: str | None = None
    reply: Message | None = None
    findings: list[Finding] = field(default_factory=list)
    request_findings: int = 0
    """How many of ``findings`` (the first ones) are about the request; the rest: the reply."""
    direction: str = "ven->vtn"
    """Who sent the request: ``ven->vtn`` (the kit's POST) or ``vtn->ven`` (a push to the
    kit's listener, answered by the kit)."""

    def payload_of(self, index: int) -> str:
        """The payload finding `index` is about."""
        return self.request_name if index < self.request_findings else (self.reply_name or "")

    @property
    def reply_name(self) -> str | None:
        return payload_name(self.reply) if self.reply is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service, "url": self.url, "direction": self.direction,
            "at": self.sent_at.isoformat(), "sent_at": self.sent_at.isoformat(),
            "received_at": self.received_at.isoformat() if self.received_at else None,
            "request": {"payload": self.request_name, "headers": self.request_headers,
                        "body": self.request_body.decode("utf-8", "replace")},
            "response": {"status": self.status, "payload": self.reply_name,
                         "headers": self.response_headers,
                         "body": self.response_body.decode("utf-8", "replace")},
            "tls": self.tls.as_dict() if self.tls else None,
            "error": self.error, "note": "",
            "findings": [{**f.as_dict(), "payload": self.payload_of(i)}
                         for i, f in enumerate(self.findings)],
        }


def _tls_of(response: aiohttp.ClientResponse) -> Tls | None:
    connection = response.connection
    # A small answer read at once releases the connection before the caller sees it; the
    # protocol object (aiohttp's, not public) still has the TLS transport.
    transport = (connection.transport if connection is not None
                 else getattr(getattr(response, "_protocol", None), "transport", None))
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if not isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
        return None
    cipher = ssl_object.cipher()
    der = ssl_object.getpeercert(binary_form=True)
    return Tls(version=ssl_object.version(), cipher=cipher[0] if cipher else None,
               peer_fingerprint=fingerprint_from_der(der) if der else None,
               peer_sha256=hashlib.sha256(der).hexdigest() if der else None)


class Wire:
    """POSTs to one VTN's services (``base_url``/SERVICE), recording everything.

    ``exchange`` is the conversation's rule-check state: replace it (``restart``) at the start
    of each case. ``records`` grows by one per ``post``.
    """

    def __init__(self, base_url: str, *, ssl_context: ssl.SSLContext | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {**(headers or {}), "Content-Type": "application/xml"}
        """Sent with every request: ``headers`` (an identity header, as a TLS-terminating
        proxy in front of the VTN would set it) and the content type."""
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else False
        self._session: aiohttp.ClientSession | None = None
        self.exchange = Exchange()
        self.records: list[Record] = []
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        """What the VTN pushed to the kit's listener (push variants), oldest first."""
        self.push_answer: Callable[[Message], Message | None] | None = None
        """The running case's answer to a pushed message (``None``: oadrResponse 200)."""

    async def __aenter__(self) -> Wire:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_S), auto_decompress=False)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    def restart(self) -> None:
        """A new conversation: a fresh Exchange and an empty record list."""
        self.exchange = Exchange()
        self.records = []
        self.inbox = asyncio.Queue()
        self.push_answer = None

    async def post(self, service: str, message: Message | bytes, *, name: str | None = None
                   ) -> Record:
        """Send `message` (typed, or raw bytes named `name`) to `service`; the record."""
        assert self._session is not None, "use Wire as an async context manager"
        now = datetime.now(UTC)
        if isinstance(message, Message):
            body = encode(message)
            request_name = payload_name(message)
            findings = self.exchange.feed(message, at=now, direction=Direction.VEN_TO_VTN)
        else:
            body, request_name, findings = message, name or "raw", []
        url = f"{self.base_url}/{service}"
        record = Record(service=service, url=url, sent_at=now, request_name=request_name,
                        request_body=body, findings=list(findings),
                        request_findings=len(findings))
        self.records.append(record)
        try:
            async with self._session.post(
                url, data=body, headers=self._headers, ssl=self._ssl,
            ) as response:
                record.tls = _tls_of(response)
                record.request_headers = dict(response.request_info.headers)
                record.status = response.status
                record.response_headers = dict(response.headers)
                record.response_body = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            return record
        record.received_at = datetime.now(UTC)
        xml = "xml" in record.response_headers.get("Content-Type", "").lower()
        if record.response_body.strip() and (xml or record.status < 300):
            self._judge(record)
        return record

    def _judge(self, record: Record) -> None:
        try:
            reply = decode(record.response_body)
        except OadrError as exc:
            record.findings.append(Finding(
                rule=DECODES, path="/", expected="a schema-valid oadrPayload",
                seen=str(exc)[:200], message=f"the answer to {record.request_name} does not "
                f"decode: {exc}"))
            return
        record.reply = reply
        record.findings.extend(self.exchange.feed(reply, at=record.received_at,
                                                  direction=Direction.VTN_TO_VEN))
