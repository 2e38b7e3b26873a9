"""G1/G0: general and security cases, the harness playing the VEN against the VTN under test.

How the kit reads them:

- G1_4010 (security): over https only (a plain-HTTP run reports it ``n/a``). The kit opens
  connections of its own to the VTN's host and port: (1) TLS 1.2 offering only the two
  Alliance suites (TLS_RSA_WITH_AES_128_CBC_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256)
  with its client certificate: the handshake must succeed on one of them (which one follows
  from the VTN's key type) and an oadrQueryRegistration must be answered; (2) the same
  without a client certificate: the VTN must refuse (a failed handshake, a closed connection,
  or no 2.0b payload). The versions, suites and fingerprints are the case's checks.
- G1_4011: after the bootstrap, an empty oadrPoll gets oadrResponse 200 (push twin G0_9011:
  nothing is pushed).
- G1_4015 (pull only): the operator queues two messages for the VEN (an event, and a request
  for its TELEMETRY_STATUS report); successive oadrPolls return them one at a time, each
  once, and then oadrResponse.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from urllib.parse import urlsplit

from common.messages.event import DistributeEvent
from common.messages.registration import QueryRegistration
from common.messages.report import CreateReport
from common.security import client_context, fingerprint_from_der
from common.security.tls import ALLIANCE_CIPHERS
from common.xml import encode
from ven.conformance.operator import Step
from ven.conformance.scenario import Harness, NotApplicable

__all__ = ["CASES", "NOT_RUN"]

HANDSHAKE_LIMIT_S = 15.0
"""How long one handshake and answer of G1_4010 may take [s]."""


def _alliance_context(h: Harness, *, with_certificate: bool) -> ssl.SSLContext:
    assert h.tls_files is not None
    context = client_context(h.tls_files.cert, h.tls_files.key, ca=h.tls_files.ca,
                             check_hostname=False)
    if not with_certificate:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=h.tls_files.ca)
        context.check_hostname = False
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(":".join(ALLIANCE_CIPHERS))
    return context


async def _try(url: str, context: ssl.SSLContext) -> tuple[str | None, str | None, str | None,
                                                          bytes]:
    """Connect to `url` with `context` and POST an oadrQueryRegistration: (version, cipher,
    the VTN's 2.0b fingerprint, the answer's bytes); ``ssl.SSLError``/``OSError`` on failure."""
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 443
    body = encode(QueryRegistration(request_id="kit-4010"))
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=context, server_hostname=host),
        HANDSHAKE_LIMIT_S)
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        cipher = ssl_object.cipher() if ssl_object else None
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        path = parts.path.rstrip("/") + "/EiRegisterParty"
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                     f"Content-Type: application/xml\r\nContent-Length: {len(body)}\r\n"
                     "Connection: close\r\n\r\n".encode() + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), HANDSHAKE_LIMIT_S)
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
    return (ssl_object.version() if ssl_object else None, cipher[0] if cipher else None,
            fingerprint_from_der(der) if der else None, answer)


async def g1_4010(h: Harness) -> None:
    """Security: TLS 1.2 with the Alliance suites and the kit's client certificate works (an
    oadrQueryRegistration is answered); without a client certificate the VTN refuses."""
    url = h.wire.base_url
    if not url.startswith("https://"):
        raise NotApplicable("a security case: the VTN under test is reached over plain HTTP "
                            "(run the kit with an https:// --vtn-url and --cert/--key/--ca)")
    h.expect(h.tls_files is not None, "the run has the kit's client certificate files")
    try:
        version, cipher, fingerprint, answer = await _try(
            url, _alliance_context(h, with_certificate=True))
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        h.expect(False, "a TLS 1.2 handshake offering only the Alliance suites succeeds",
                 f"{type(exc).__name__}: {exc}")
        raise AssertionError("unreachable") from exc
    h.expect(version == "TLSv1.2" and cipher in ALLIANCE_CIPHERS,
             "a TLS 1.2 handshake offering only the Alliance suites succeeds",
             f"{version} {cipher}")
    h.expect(True, f"negotiated {version} {cipher}; the VTN's certificate {fingerprint}")
    h.expect(b" 200 " in answer.split(b"\r\n", 1)[0]
             and b"oadrCreatedPartyRegistration" in answer,
             "over it, oadrQueryRegistration is answered (oadrCreatedPartyRegistration)",
             answer[:160].decode("utf-8", "replace"))
    try:
        _, _, _, answer = await _try(url, _alliance_context(h, with_certificate=False))
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        h.expect(True, f"without a client certificate the VTN refuses the connection "
                       f"({type(exc).__name__})")
        return
    h.expect(b"oadrCreatedPartyRegistration" not in answer,
             "without a client certificate the VTN refuses the connection (or answers no "
             "2.0b payload)", answer[:160].decode("utf-8", "replace"))


async def g1_4011(h: Harness) -> None:
    """Bootstrap, take what the VTN sends; an empty oadrPoll -> oadrResponse 200 (push:
    nothing more is pushed)."""
    await h.bootstrap()
    await h.nothing_waiting("an empty poll is answered")


async def g1_4015(h: Harness) -> None:
    """Bootstrap; the operator creates an event for the VEN and asks for its TELEMETRY_STATUS
    report; oadrPolls de-queue an oadrDistributeEvent and an oadrCreateReport, one per poll,
    each once; then oadrPoll -> oadrResponse."""
    if h.push:
        raise NotApplicable("a pull case: a push VEN does not poll")
    await h.bootstrap()
    await h.operate(Step.CREATE_EVENT, ven_id=h.ven_id, signal_name="SIMPLE",
                    signal_type="level", value=1, start="+1h", duration="PT1H",
                    response_required="always")
    await h.operate(Step.REQUEST_REPORT, ven_id=h.ven_id,
                    report_specifier_id="KIT_TELEMETRY_STATUS", one_shot=True)
    seen = await h.drain()
    kinds = [type(m).__name__ for m in seen]
    h.expect(kinds.count("DistributeEvent") == 1 and kinds.count("CreateReport") == 1,
             "the polls bring the event and the report request, each once",
             f"polls brought {kinds}")
    h.expect(all(isinstance(m, DistributeEvent | CreateReport) for m in seen),
             "nothing else is de-queued", f"{kinds}")


CASES = (
    ("G1_4010", "Security: TLS 1.2 Alliance suites and X.509 client certificates (pull)",
     g1_4010, False),
    ("G1_4011", "VEN empty oadrPoll (pull)", g1_4011, False),
    ("G1_4015", "VEN de-queue using oadrPoll (pull)", g1_4015, True),
)

NOT_RUN = (
    ("G1_4020", "VTN concurrent A and B operation (pull)",
     "needs a 2.0a VEN next to a 2.0b one; the kit speaks profile 2.0b only (and our VTN "
     "offers 2.0b only: its oadrCreatedPartyRegistration lists no 2.0a profile)"),
)
