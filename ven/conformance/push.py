"""The kit's push endpoint: in the push variants (N0_50xx, E0_60xx) the VTN under test POSTs
its messages to the kit, which records them, answers them at once and hands them to the case.

``PushListener`` serves ``POST <any path>/<service>`` on one address (the VTN appends the
service name to the transport address the kit registered). Each request becomes a ``Record``
of the ``Wire`` (direction ``vtn->ven``: the request is the VTN's message, the answer the
kit's), judged by the same ``Exchange`` as the rest of the case. The answer comes from the
running case (``Wire.push_answer``); an undecodable body is answered HTTP 400 and recorded as
a ``payload.decodes`` finding. The decoded message goes to ``Wire.inbox`` for the case.
"""

from __future__ import annotations

import hashlib
import ssl
from datetime import UTC, datetime

from aiohttp import web

from common.conformance import DECODES, Direction, Finding, payload_name
from common.errors import OadrError
from common.messages.poll import Response
from common.messages.types import EiResponse
from common.security import peer_fingerprint
from common.xml import decode, encode
from ven.conformance.wire import Record, Tls, Wire

__all__ = ["PushListener"]

MAX_BODY = 1024 * 1024
"""The largest pushed body read [bytes]."""


class PushListener:
    """Listens on `host`:`port` for the VTN's pushes and records them on `wire`."""

    def __init__(self, wire: Wire, host: str, port: int, *,
                 tls: ssl.SSLContext | None = None) -> None:
        self.wire = wire
        self.host, self.port, self._tls = host, port, tls
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Listen; the bound port (`port` 0 takes a free one)."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port, ssl_context=self._tls).start()
        self.port = self._runner.addresses[0][1]
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        now = datetime.now(UTC)
        service = request.path.rstrip("/").rsplit("/", 1)[-1]
        record = Record(service=service, url=str(request.url), sent_at=now, request_name="",
                        request_body=body, request_headers=dict(request.headers),
                        direction="vtn->ven", tls=_tls_of(request))
        self.wire.records.append(record)
        try:
            message = decode(body)
        except OadrError as exc:
            record.findings.append(Finding(
                rule=DECODES, path="/", expected="a schema-valid oadrPayload",
                seen=str(exc)[:200], message=f"a pushed {service} body does not decode: {exc}"))
            record.request_findings = 1
            record.status, record.received_at = 400, datetime.now(UTC)
            record.response_body = b"not a valid 2.0b payload"
            return web.Response(status=400, body=record.response_body)
        record.request_name = payload_name(message)
        record.findings = list(self.wire.exchange.feed(message, at=now,
                                                       direction=Direction.VTN_TO_VEN))
        record.request_findings = len(record.findings)
        answer = self.wire.push_answer(message) if self.wire.push_answer is not None else None
        if answer is None:
            answer = Response(response=EiResponse(
                response_code=200, request_id=str(getattr(message, "request_id", "") or "")),
                ven_id=getattr(message, "ven_id", None))
        record.reply = answer
        record.response_body = encode(answer)
        record.status, record.received_at = 200, datetime.now(UTC)
        record.response_headers = {"Content-Type": "application/xml"}
        record.findings.extend(self.wire.exchange.feed(answer, at=record.received_at,
                                                       direction=Direction.VEN_TO_VTN))
        self.wire.inbox.put_nowait(message)
        return web.Response(body=record.response_body, content_type="application/xml")


def _tls_of(request: web.Request) -> Tls | None:
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is None:
        return None
    cipher = ssl_object.cipher()
    der = ssl_object.getpeercert(binary_form=True)
    return Tls(version=ssl_object.version(), cipher=cipher[0] if cipher else None,
               peer_fingerprint=peer_fingerprint(ssl_object),
               peer_sha256=hashlib.sha256(der).hexdigest() if der else None)
