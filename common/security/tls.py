"""TLS contexts offering the Alliance TLS 1.2 suites next to modern ones; peer fingerprints.

Certificates and keys are given as file paths (``ssl`` loads key pairs only from files); the
trust anchors `ca` as a path to a PEM bundle, or as PEM text/bytes.

Offered on TLS 1.2, in order of preference: ECDHE with AES-GCM or ChaCha20 (forward secrecy,
AEAD), then the suites the OpenADR Alliance requires for 2.0 certification,
TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (``ECDHE-ECDSA-AES128-SHA256``) and
TLS_RSA_WITH_AES_128_CBC_SHA256 (``AES128-SHA256``). TLS 1.3 uses OpenSSL's default suites.
Nothing older than TLS 1.2 is accepted.
"""

from __future__ import annotations

import os
import ssl

from common.security.fingerprint import fingerprint_from_der

__all__ = [
    "ALLIANCE_CIPHERS",
    "TLS12_CIPHERS",
    "client_context",
    "peer_fingerprint",
    "server_context",
]

StrPath = str | os.PathLike[str]

ALLIANCE_CIPHERS = ("ECDHE-ECDSA-AES128-SHA256", "AES128-SHA256")
_MODERN_TLS12 = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
)
TLS12_CIPHERS = ":".join((*_MODERN_TLS12, *ALLIANCE_CIPHERS))


def _refuse_passphrase_prompt() -> bytes:
    """Passphrase callback for unencrypted keys: an encrypted key then fails to load."""
    raise ssl.SSLError("the TLS key is encrypted and no passphrase was configured")


def _base_context(
    purpose: ssl.Purpose,
    cert: StrPath,
    key: StrPath,
    ca: StrPath | bytes,
    password: str | bytes | None = None,
) -> ssl.SSLContext:
    protocol = (
        ssl.PROTOCOL_TLS_SERVER if purpose is ssl.Purpose.CLIENT_AUTH else ssl.PROTOCOL_TLS_CLIENT
    )
    context = ssl.SSLContext(protocol)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)
    # a passphrase-protected key without `password` raises instead of prompting on a terminal
    try:
        context.load_cert_chain(
            certfile=cert, keyfile=key, password=password or _refuse_passphrase_prompt
        )
    except ssl.SSLError as exc:
        if getattr(exc, "reason", None) not in ("KEY_VALUES_MISMATCH", "NO_CERTIFICATE_ASSIGNED"):
            raise
        raise ssl.SSLError(f"the private key {key} does not match the certificate {cert}: "
                           "give the key the certificate was issued for") from exc
    if isinstance(ca, bytes | bytearray):
        context.load_verify_locations(cadata=bytes(ca).decode("ascii"))
    elif isinstance(ca, str) and ca.lstrip().startswith("-----BEGIN"):
        context.load_verify_locations(cadata=ca)
    else:
        context.load_verify_locations(cafile=ca)
    return context


def server_context(
    cert: StrPath,
    key: StrPath,
    *,
    ca: StrPath | bytes,
    require_client_cert: bool = True,
    password: str | bytes | None = None,
) -> ssl.SSLContext:
    """A TLS server context (the VTN, or a VEN's push endpoint).

    Clients must present a certificate issued by `ca` unless `require_client_cert` is False,
    in which case one is requested and checked if sent. The 2.0b identity check (client
    certificate fingerprint against the registered one) is the application's job: see
    ``peer_fingerprint``.
    """
    context = _base_context(ssl.Purpose.CLIENT_AUTH, cert, key, ca, password)
    context.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    return context


def client_context(
    cert: StrPath,
    key: StrPath,
    *,
    ca: StrPath | bytes,
    check_hostname: bool = True,
    password: str | bytes | None = None,
) -> ssl.SSLContext:
    """A TLS client context presenting `cert`, trusting servers issued by `ca`.

    The server's host name is checked against its certificate unless `check_hostname` is False
    (the server certificate is verified against `ca` either way).
    """
    context = _base_context(ssl.Purpose.SERVER_AUTH, cert, key, ca, password)
    context.check_hostname = check_hostname
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def peer_fingerprint(connection: ssl.SSLObject | ssl.SSLSocket | bytes | None) -> str | None:
    """The 2.0b fingerprint of the peer's certificate, or ``None`` when it sent none.

    Takes an ``ssl.SSLObject`` (for example ``transport.get_extra_info("ssl_object")`` in
    asyncio or aiohttp), an ``ssl.SSLSocket``, or the certificate's DER bytes.
    """
    if connection is None:
        return None
    der = connection if isinstance(connection, bytes) else connection.getpeercert(binary_form=True)
    return fingerprint_from_der(der) if der else None
