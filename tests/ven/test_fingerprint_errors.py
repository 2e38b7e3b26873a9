"""A wrong VTN fingerprint stops the VEN with one clear message; a wrong port or protocol gets
a one-line hint. Real sockets on ephemeral ports; certificates from the test PKI."""

from __future__ import annotations

import asyncio
import ssl
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from certs.pki import Pki
from common.clock import ManualClock
from tests.support.network import free_port
from ven.client import DeterministicSource, Store, build_client
from ven.client.config import parse_config
from ven.client.transport import HttpTransport, TransportError, WrongVtnCertificate


@dataclass
class Servers:
    tls_url: str
    plain_url: str


@pytest.fixture
async def servers(pki: Pki) -> AsyncIterator[Servers]:
    """One aiohttp app answering every POST with an empty body, on a TLS and a plain port."""
    app = web.Application()

    async def empty(request: web.Request) -> web.Response:
        return web.Response(body=b"")

    app.router.add_post("/{tail:.*}", empty)
    runner = web.AppRunner(app)
    await runner.setup()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.vtn_rsa.cert, pki.vtn_rsa.key)
    tls = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    plain = web.TCPSite(runner, "127.0.0.1", 0)
    await tls.start()
    await plain.start()

    def port(site: web.TCPSite) -> int:
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    yield Servers(f"https://127.0.0.1:{port(tls)}/OpenADR2/Simple/2.0b",
                  f"http://127.0.0.1:{port(plain)}/OpenADR2/Simple/2.0b")
    await runner.cleanup()


def client_context(pki: Pki) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca_bundle))
    context.check_hostname = False
    context.load_cert_chain(pki.ven_rsa.cert, pki.ven_rsa.key)
    return context


def tls_config(tmp_path: Path, pki: Pki, url: str, fingerprint: str) -> Path:
    path = tmp_path / "ven.toml"
    path.write_text(f"""
[vtn]
url = "{url}"
fingerprint = "{fingerprint}"
verify_signatures = false
[ven]
name = "pinned-ven"
database = "{tmp_path / 'ven.sqlite'}"
[tls]
cert = "{pki.ven_rsa.cert}"
key = "{pki.ven_rsa.key}"
ca = "{pki.ca_bundle}"
""")
    return path


def no_tuple(text: str) -> None:
    assert "('" not in text and "',)" not in text, text


async def test_wrong_fingerprint_says_expected_seen_and_the_setting(
    servers: Servers, pki: Pki, other_pki: Pki
):
    transport = HttpTransport(servers.tls_url, ssl_context=client_context(pki),
                              expected_fingerprint=other_pki.vtn_rsa.fingerprint)
    try:
        with pytest.raises(WrongVtnCertificate) as caught:
            await transport.send("OadrPoll", b"<x/>")
    finally:
        await transport.close()
    text = str(caught.value)
    assert caught.value.expected == other_pki.vtn_rsa.fingerprint
    assert caught.value.seen == pki.vtn_rsa.fingerprint
    assert other_pki.vtn_rsa.fingerprint in text and pki.vtn_rsa.fingerprint in text
    assert "[vtn] fingerprint" in text
    no_tuple(text)


async def test_the_client_stops_at_once_on_a_wrong_fingerprint(
    tmp_path: Path, servers: Servers, pki: Pki, other_pki: Pki,
    caplog: pytest.LogCaptureFixture,
):
    config = parse_config(tls_config(tmp_path, pki, servers.tls_url,
                                     other_pki.vtn_rsa.fingerprint).read_text())
    store = await Store.open(config.database)
    slept: list[float] = []

    async def sleeper(seconds: float) -> None:
        slept.append(seconds)

    client = await build_client(config, store=store, source=DeterministicSource(),
                                clock=ManualClock(datetime.now(UTC)), sleeper=sleeper,
                                device_ids=())
    try:
        with pytest.raises(WrongVtnCertificate):
            await client.run(max_steps=5)
    finally:
        await client.close()
        await store.close()
    assert slept == []  # no retry of a configuration error
    assert not [r for r in caplog.records if "trying again" in r.getMessage()]


async def test_oadr_ven_run_exits_non_zero_with_one_line(
    tmp_path: Path, servers: Servers, pki: Pki, other_pki: Pki
):
    config = tls_config(tmp_path, pki, servers.tls_url, other_pki.vtn_rsa.fingerprint)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ven", "run", "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, raw = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    err = raw.decode()
    lines = [line for line in err.splitlines() if pki.vtn_rsa.fingerprint in line]
    assert len(lines) == 1 and "[vtn] fingerprint" in lines[0], err
    assert "trying again" not in err
    no_tuple(err)


@pytest.mark.parametrize(("case", "hint"), [
    ("https_to_plain", "does not speak TLS"),
    ("http_to_tls", "use an https:// URL"),
    ("nothing_listening", "nothing is listening"),
])
async def test_wrong_port_or_protocol_gets_a_hint(
    servers: Servers, pki: Pki, case: str, hint: str
):
    if case == "https_to_plain":
        transport = HttpTransport(servers.plain_url.replace("http://", "https://"),
                                  ssl_context=client_context(pki),
                                  expected_fingerprint=pki.vtn_rsa.fingerprint, timeout=10)
    elif case == "http_to_tls":
        transport = HttpTransport(servers.tls_url.replace("https://", "http://"),
                                  allow_plain_http=True, timeout=10)
    else:
        transport = HttpTransport(f"http://127.0.0.1:{free_port()}/x", allow_plain_http=True,
                                  timeout=10)
    try:
        with pytest.raises(TransportError) as caught:
            await transport.send("OadrPoll", b"<x/>")
    finally:
        await transport.close()
    text = str(caught.value)
    assert hint in text and "\n" not in text
    no_tuple(text)
