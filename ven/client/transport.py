"""The transport seam: ``send(service, body) -> body``, and its aiohttp implementation.

Errors ``send`` raises::

    Exception
    ├── TransportError            no usable answer: worth retrying (a hint says what to check)
    └── ProtocolError
        └── NotRegisteredOrAuthorized
            └── WrongVtnCertificate   the VTN's certificate is not the configured one: a
                                      configuration error, never retried
"""

from __future__ import annotations

import ssl
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp

from common.errors import NotRegisteredOrAuthorized
from common.security import normalize_fingerprint, peer_fingerprint
from common.xml import DEFAULT_LIMITS

__all__ = [
    "SERVICES",
    "FingerprintMismatch",
    "HttpTransport",
    "Transport",
    "TransportError",
    "WrongVtnCertificate",
    "pin_fingerprint",
]

SERVICES = ("EiRegisterParty", "EiEvent", "EiOpt", "EiReport", "OadrPoll")
_READ_CHUNK = 64 * 1024


class TransportError(Exception):
    """The VTN could not be reached, timed out, or answered with a non-2xx HTTP status.

    Worth retrying later, except when ``status`` is 404 or 405: the VTN does not offer that
    service at all. The message says what happened in plain words.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def service_missing(self) -> bool:
        """True when the VTN answered 404/405: it does not offer the service."""
        return self.status in (404, 405)


class FingerprintMismatch(ssl.SSLCertVerificationError):
    """The TLS peer's certificate is not the one whose fingerprint is configured (raised in
    the handshake; ``expected`` and ``seen`` are fingerprints, ``seen`` "" without one)."""

    def __init__(self, message: str, *, expected: str = "", seen: str = "") -> None:
        super().__init__(message)
        self.expected = expected
        self.seen = seen


class WrongVtnCertificate(NotRegisteredOrAuthorized):
    """The server at the VTN URL presented a certificate whose fingerprint is not the
    configured ``[vtn] fingerprint``: a configuration error (or another server), not a
    network failure; the client stops instead of retrying."""

    def __init__(self, url: str, *, expected: str, seen: str) -> None:
        super().__init__(
            f"the VTN at {url} presented a certificate with fingerprint {seen or '(none)'}, "
            f"not the configured VTN fingerprint {expected}: if this server is your VTN, set "
            "[vtn] fingerprint in the VEN's configuration to its fingerprint; otherwise fix "
            "[vtn] url")
        self.url = url
        self.expected = expected
        self.seen = seen


def pin_fingerprint(context: ssl.SSLContext, expected: str) -> None:
    """Make every TLS connection of `context` fail its handshake unless the peer's 2.0b
    certificate fingerprint is `expected` (checked right after the handshake, before any
    application data; uses the public ``SSLContext.sslobject_class`` hook)."""
    wanted = normalize_fingerprint(expected)

    class PinnedSSLObject(ssl.SSLObject):
        def do_handshake(self) -> None:
            super().do_handshake()
            seen = peer_fingerprint(self)
            if seen != wanted:
                raise FingerprintMismatch(
                    f"the server presented certificate {seen or '(none)'}, not the configured "
                    f"VTN fingerprint {wanted}", expected=wanted, seen=seen or "")

    context.sslobject_class = PinnedSSLObject


class Transport(Protocol):
    """Delivers one request body to a VTN service and returns the VTN's answer body."""

    async def send(self, service: str, body: bytes) -> bytes:
        """POST `body` to `service` (one of ``SERVICES``); the response body (may be empty).

        Raises ``TransportError`` when there is no usable answer, and
        ``NotRegisteredOrAuthorized`` when the peer is not the configured VTN.
        """
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class HttpTransport:
    """Simple HTTP(S) transport to ``{base_url}/{service}``.

    With `ssl_context` the VTN's certificate fingerprint must equal `expected_fingerprint`:
    the context is pinned (see ``pin_fingerprint``), so a wrong server fails the TLS handshake
    before any request byte is sent, and ``send`` raises ``NotRegisteredOrAuthorized``.
    Without `ssl_context` the URL must be plain ``http`` and `allow_plain_http` must be True.
    Nothing fails open. An answer longer than `max_body_bytes` (by default the codec's cap,
    ``common.xml.DEFAULT_LIMITS.max_bytes``) is not read past the cap: ``send`` raises
    ``TransportError`` and the connection is dropped; the transport stays usable.
    """

    def __init__(
        self,
        base_url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        expected_fingerprint: str | None = None,
        allow_plain_http: bool = False,
        timeout: float = 30.0,
        max_body_bytes: int = DEFAULT_LIMITS.max_bytes,
    ) -> None:
        if max_body_bytes <= 0:
            raise ValueError(f"max_body_bytes must be positive, got {max_body_bytes}")
        https = base_url.lower().startswith("https://")
        if https and (ssl_context is None or expected_fingerprint is None):
            raise NotRegisteredOrAuthorized(
                "refusing to talk to an https VTN without a TLS context and the VTN's expected "
                "certificate fingerprint"
            )
        if not https and not allow_plain_http:
            raise NotRegisteredOrAuthorized(
                f"refusing plain http to {base_url}: set vtn.allow_plain_http = true explicitly"
            )
        if not https and ssl_context is not None:
            raise ValueError("a TLS context was given for a plain http URL")
        self._base_url = base_url.rstrip("/")
        if ssl_context is not None and expected_fingerprint is not None:
            pin_fingerprint(ssl_context, expected_fingerprint)
        self._ssl = ssl_context
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_body = max_body_bytes
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"HttpTransport({self._base_url!r}, tls={self._ssl is not None})"

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self._ssl if self._ssl is not None else False)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._session

    async def send(self, service: str, body: bytes) -> bytes:
        """POST one message; see ``Transport.send``."""
        if service not in SERVICES:
            raise ValueError(f"unknown 2.0b service {service!r}")
        url = f"{self._base_url}/{service}"
        try:
            async with self._client().post(
                url, data=body, headers={"Content-Type": "application/xml"}
            ) as response:
                if not 200 <= response.status < 300:
                    raise TransportError(
                        f"the VTN answered HTTP {response.status} at {url}", status=response.status)
                return await self._read_capped(response, url)
        except aiohttp.ClientConnectorCertificateError as exc:
            mismatch = exc.certificate_error
            if isinstance(mismatch, FingerprintMismatch):
                raise WrongVtnCertificate(self._base_url, expected=mismatch.expected,
                                          seen=mismatch.seen) from exc
            reason = getattr(mismatch, "verify_message", None) or type(mismatch).__name__
            raise TransportError(f"the VTN's certificate at {url} is not trusted ({reason}): "
                                 "check [tls] ca") from exc
        except aiohttp.ClientError as exc:
            raise TransportError(f"cannot reach the VTN at {url}: {self._hint(exc)}") from exc
        except TimeoutError as exc:
            raise TransportError(f"the VTN at {url} did not answer in time") from exc

    def _hint(self, exc: aiohttp.ClientError) -> str:
        """What went wrong in one line, with what to check (no exception reprs)."""
        where = urlsplit(self._base_url).netloc
        if isinstance(exc, aiohttp.ClientConnectorSSLError | aiohttp.ClientSSLError) or (
                isinstance(exc, aiohttp.ClientOSError) and isinstance(exc.__cause__, ssl.SSLError)):
            reason = getattr(getattr(exc, "os_error", None), "reason", None)
            if reason == "WRONG_VERSION_NUMBER":
                return (f"the server at {where} does not speak TLS: if the VTN serves plain "
                        "HTTP there, use an http:// URL (and vtn.allow_plain_http), or fix "
                        "the port")
            return f"the TLS handshake with {where} failed ({reason or 'no reason given'})"
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            if self._ssl is None:
                return (f"the server at {where} closed the connection without an answer: if "
                        "the VTN uses TLS, use an https:// URL (with [vtn] fingerprint and "
                        "[tls]), or fix the port")
            return f"the server at {where} closed the connection without an answer"
        if isinstance(exc, aiohttp.ClientConnectorError):
            error = exc.os_error
            if isinstance(error, ConnectionRefusedError):
                return (f"nothing is listening at {where}: is the VTN running, and are the "
                        "host and port in [vtn] url right?")
            return f"cannot connect to {where} ({error.strerror or type(error).__name__})"
        return f"{type(exc).__name__}" + (f" ({exc})" if str(exc) else "")

    async def _read_capped(self, response: aiohttp.ClientResponse, url: str) -> bytes:
        """The answer body, refused by its Content-Length first, then counted while read."""
        cap = self._max_body
        length = response.content_length
        if length is not None and length > cap:
            response.close()
            raise TransportError(
                f"the VTN's answer at {url} is {length} bytes, more than the {cap}-byte cap; "
                "not read")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_READ_CHUNK):
            size += len(chunk)
            if size > cap:
                response.close()  # drop the connection: the rest is never read
                raise TransportError(
                    f"the VTN's answer at {url} exceeds the {cap}-byte cap; stopped reading")
            chunks.append(chunk)
        return b"".join(chunks)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None
