"""TLS contexts: real handshakes over loopback, suites negotiated, client certificates enforced."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

import pytest

from common.security.tls import (
    ALLIANCE_CIPHERS,
    client_context,
    peer_fingerprint,
    server_context,
)

HOST = "127.0.0.1"
TIMEOUT = 10  # [s] an upper bound on a loopback handshake, never waited for in passing tests


@dataclass(frozen=True)
class Outcome:
    version: str
    cipher: str
    server_fingerprint: str | None  # as the client saw it
    client_fingerprint: str  # as the server saw it ("none" when the client sent none)


async def exchange(server_ctx, client_ctx, *, server_hostname="localhost", server_errors=None):
    """Serve on an ephemeral port; the server tells the client its certificate fingerprint.

    The server upgrades each connection with ``start_tls`` so that its side of a failed
    handshake is seen: the exception goes to `server_errors` when a list is given.
    """

    handlers = set()

    async def handle(reader, writer):
        handlers.add(asyncio.current_task())
        try:
            await writer.start_tls(server_ctx)
        except (ssl.SSLError, ConnectionError) as exc:
            if server_errors is not None:
                server_errors.append(exc)
            writer.close()
            await asyncio.gather(writer.wait_closed(), return_exceptions=True)
            return
        seen = peer_fingerprint(writer.get_extra_info("ssl_object")) or "none"
        writer.write(seen.encode() + b"\n")
        try:
            await writer.drain()
        finally:
            writer.close()
            # the client may already have gone; nothing to report from here
            await asyncio.gather(writer.wait_closed(), return_exceptions=True)

    server = await asyncio.start_server(handle, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with asyncio.timeout(TIMEOUT):
            reader, writer = await asyncio.open_connection(
                HOST, port, ssl=client_ctx, server_hostname=server_hostname
            )
            try:
                line = await reader.readline()
                ssl_object = writer.get_extra_info("ssl_object")
                if not line:
                    raise ConnectionResetError("the server closed the connection")
                return Outcome(
                    version=ssl_object.version(),
                    cipher=ssl_object.cipher()[0],
                    server_fingerprint=peer_fingerprint(ssl_object),
                    client_fingerprint=line.decode().strip(),
                )
            finally:
                writer.close()
                await asyncio.gather(writer.wait_closed(), return_exceptions=True)
    finally:
        async with asyncio.timeout(TIMEOUT):  # let the server side finish and report
            await asyncio.gather(*handlers, return_exceptions=True)
        server.close()
        await server.wait_closed()


def vtn_server(pki, key_type, **kwargs):
    pair = pki.pair("vtn", key_type)
    return server_context(pair.cert, pair.key, ca=pki.ca_bundle, **kwargs)


def ven_client(pki, key_type, *, ciphers=None, tls12_only=False):
    pair = pki.pair("ven", key_type)
    context = client_context(pair.cert, pair.key, ca=pki.ca_bundle)
    if tls12_only:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    if ciphers:
        context.set_ciphers(ciphers)
    return context


def certless_client(pki, *, tls12_only=False):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=pki.ca_bundle)
    if tls12_only:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


@pytest.mark.parametrize(
    ("cipher", "server_key", "client_key"),
    [
        ("AES128-SHA256", "rsa", "rsa"),  # TLS_RSA_WITH_AES_128_CBC_SHA256
        ("ECDHE-ECDSA-AES128-SHA256", "ecc", "ecc"),  # TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256
        ("AES128-SHA256", "rsa", "ecc"),
    ],
)
async def test_each_alliance_suite_is_negotiated(pki, cipher, server_key, client_key):
    assert cipher in ALLIANCE_CIPHERS
    outcome = await exchange(
        vtn_server(pki, server_key), ven_client(pki, client_key, ciphers=cipher, tls12_only=True)
    )
    assert (outcome.version, outcome.cipher) == ("TLSv1.2", cipher)
    assert outcome.server_fingerprint == pki.pair("vtn", server_key).fingerprint
    assert outcome.client_fingerprint == pki.pair("ven", client_key).fingerprint


@pytest.mark.parametrize("key_type", ["rsa", "ecc"])
async def test_tls13_is_the_default(pki, key_type):
    outcome = await exchange(vtn_server(pki, key_type), ven_client(pki, key_type))
    assert outcome.version == "TLSv1.3"
    assert outcome.client_fingerprint == pki.pair("ven", key_type).fingerprint


@pytest.mark.parametrize(
    ("key_type", "expected"),
    [("rsa", "ECDHE-RSA-AES128-GCM-SHA256"), ("ecc", "ECDHE-ECDSA-AES128-GCM-SHA256")],
)
async def test_tls12_prefers_forward_secret_aead_suites(pki, key_type, expected):
    outcome = await exchange(vtn_server(pki, key_type), ven_client(pki, key_type, tls12_only=True))
    assert (outcome.version, outcome.cipher) == ("TLSv1.2", expected)


def server_refusal(errors):
    """The reasons of the server's failed handshakes, as OpenSSL names them."""
    return [getattr(error, "reason", repr(error)) for error in errors]


@pytest.mark.parametrize("tls12_only", [True, False])
async def test_a_client_without_certificate_is_refused(pki, tls12_only):
    errors = []
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        await exchange(
            vtn_server(pki, "rsa"),
            certless_client(pki, tls12_only=tls12_only),
            server_errors=errors,
        )
    assert server_refusal(errors) == ["PEER_DID_NOT_RETURN_A_CERTIFICATE"]


@pytest.mark.parametrize("tls12_only", [True, False])
async def test_a_client_from_another_ca_is_refused(pki, other_pki, tls12_only):
    pair = other_pki.ven_rsa
    intruder = client_context(pair.cert, pair.key, ca=pki.ca_bundle)
    if tls12_only:
        intruder.maximum_version = ssl.TLSVersion.TLSv1_2
    errors = []
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        await exchange(vtn_server(pki, "rsa"), intruder, server_errors=errors)
    assert server_refusal(errors) == ["CERTIFICATE_VERIFY_FAILED"]


async def test_client_certificates_can_be_made_optional(pki):
    outcome = await exchange(
        vtn_server(pki, "ecc", require_client_cert=False), certless_client(pki)
    )
    assert outcome.client_fingerprint == "none"


async def test_the_client_checks_the_server_host_name(pki):
    with pytest.raises(ssl.SSLCertVerificationError):
        await exchange(
            vtn_server(pki, "rsa"), ven_client(pki, "rsa"), server_hostname="elsewhere.test"
        )


async def test_the_client_refuses_a_server_from_another_ca(pki, other_pki):
    with pytest.raises(ssl.SSLCertVerificationError):
        await exchange(vtn_server(other_pki, "rsa"), ven_client(pki, "rsa"))


def test_nothing_older_than_tls12(pki):
    for context in (vtn_server(pki, "rsa"), ven_client(pki, "ecc")):
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert vtn_server(pki, "rsa").verify_mode == ssl.CERT_REQUIRED


def test_ca_may_be_given_as_pem_bytes(pki):
    pair = pki.vtn_rsa
    context = server_context(pair.cert, pair.key, ca=pki.ca_bundle.read_bytes())
    assert len(context.get_ca_certs()) == 2


def test_peer_fingerprint_of_der_and_of_nothing(pki):
    der = ssl.PEM_cert_to_DER_cert(pki.ven_ecc.cert.read_text())
    assert peer_fingerprint(der) == pki.ven_ecc.fingerprint
    assert peer_fingerprint(None) is None


def test_an_encrypted_tls_key_loads_with_its_passphrase_and_fails_cleanly_without(pki, tmp_path):
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        Encoding,
        PrivateFormat,
        load_pem_private_key,
    )

    pair = pki.pair("vtn", "rsa")
    key = load_pem_private_key(pair.key.read_bytes(), password=None)
    locked = tmp_path / "locked.key"
    locked.write_bytes(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"sesame"))
    )
    assert server_context(pair.cert, locked, ca=pki.ca_bundle, password="sesame") is not None
    with pytest.raises(ssl.SSLError):  # never an interactive prompt on a headless server
        server_context(pair.cert, locked, ca=pki.ca_bundle)


def test_a_key_that_does_not_match_its_certificate_says_so(pki):
    vtn, ven = pki.pair("vtn", "rsa"), pki.pair("ven", "rsa")
    with pytest.raises(ssl.SSLError) as caught:
        server_context(vtn.cert, ven.key, ca=pki.ca_bundle)
    message = str(caught.value)
    assert "does not match" in message and str(ven.key) in message and str(vtn.cert) in message
    assert "NO_CERTIFICATE_ASSIGNED" not in message and "KEY_VALUES_MISMATCH" not in message
