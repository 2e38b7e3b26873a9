"""TLS client certificates, the VTN fingerprint pin and XML signatures, against openleadr."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from certs.pki import Pki
from common.clock import ManualClock
from common.errors import ConfigError, NotRegisteredOrAuthorized, SignatureError
from tests.support.openleadr_vtn import OpenleadrVtn
from ven.client import DeterministicSource, HttpTransport, Store, build_client
from ven.client.config import parse_config


def tls_config(tmp_path: Path, pki: Pki, url: str, fingerprint: str, *,
               sign: bool = True, verify: bool = True) -> str:
    return f"""
[vtn]
url = "{url}"
fingerprint = "{fingerprint}"
verify_signatures = {str(verify).lower()}

[ven]
name = "secure-ven"
database = "{tmp_path / 'ven.sqlite'}"
sign_messages = {str(sign).lower()}

[tls]
cert = "{pki.ven_rsa.cert}"
key = "{pki.ven_rsa.key}"
ca = "{pki.ca_bundle}"
"""


async def run_start(tmp_path: Path, text: str) -> None:
    config = parse_config(text)
    store = await Store.open(config.database)
    client = await build_client(config, store=store, source=DeterministicSource(),
                                clock=ManualClock(datetime.now(UTC)), device_ids=())
    try:
        await client.start()
        await client.step()
    finally:
        await client.close()
        await store.close()


@pytest.fixture
async def signing_vtn(pki: Pki) -> AsyncIterator[OpenleadrVtn]:
    server = OpenleadrVtn(pki=pki)
    await server.start()
    yield server
    await server.stop()


async def test_tls_and_signatures_both_ways(tmp_path: Path, pki: Pki, signing_vtn: OpenleadrVtn):
    signing_vtn.add_event("ev-signed", level=1)
    text = tls_config(tmp_path, pki, signing_vtn.url, pki.vtn_rsa.fingerprint)
    await run_start(tmp_path, text)
    # openleadr checked our client certificate's fingerprint and our signatures.
    assert len(signing_vtn.received.registrations) == 1
    assert signing_vtn.received.registrations[0]["fingerprint"] == pki.ven_rsa.fingerprint
    assert signing_vtn.received.opts == [("ven-0001", "ev-signed", "optIn")]


async def test_wrong_vtn_fingerprint_is_refused(
    tmp_path: Path, pki: Pki, other_pki: Pki, signing_vtn: OpenleadrVtn
):
    text = tls_config(tmp_path, pki, signing_vtn.url, other_pki.vtn_rsa.fingerprint)
    with pytest.raises(NotRegisteredOrAuthorized, match="not the configured VTN fingerprint"):
        await run_start(tmp_path, text)
    assert signing_vtn.received.registrations == []


async def test_unsigned_vtn_messages_are_rejected(tmp_path: Path, pki: Pki):
    vtn = OpenleadrVtn(pki=pki, sign=False)
    await vtn.start()
    try:
        text = tls_config(tmp_path, pki, vtn.url, pki.vtn_rsa.fingerprint)
        with pytest.raises(SignatureError, match="not signed"):
            await run_start(tmp_path, text)
        assert vtn.received.registrations == []
    finally:
        await vtn.stop()


def test_config_fails_closed(tmp_path: Path, pki: Pki):
    with pytest.raises(ConfigError, match=r"vtn\.fingerprint: is required with TLS"):
        parse_config(f"""
[vtn]
url = "https://vtn.example.com/OpenADR2/Simple/2.0b"
[ven]
name = "v"
database = "{tmp_path / 'x.sqlite'}"
[tls]
cert = "{pki.ven_rsa.cert}"
key = "{pki.ven_rsa.key}"
ca = "{pki.ca_bundle}"
""")
    with pytest.raises(ConfigError, match=r"vtn\.url: is plain http"):
        parse_config(f"""
[vtn]
url = "http://vtn.example.com/OpenADR2/Simple/2.0b"
[ven]
name = "v"
database = "{tmp_path / 'x.sqlite'}"
""")
    with pytest.raises(ConfigError, match=r"tls: an https VTN needs a \[tls\] table"):
        parse_config(f"""
[vtn]
url = "https://vtn.example.com/OpenADR2/Simple/2.0b"
fingerprint = "{pki.vtn_rsa.fingerprint}"
[ven]
name = "v"
database = "{tmp_path / 'x.sqlite'}"
""")


def test_transport_refuses_to_fail_open():
    with pytest.raises(NotRegisteredOrAuthorized, match="expected certificate fingerprint"):
        HttpTransport("https://vtn.example.com/OpenADR2/Simple/2.0b")
    with pytest.raises(NotRegisteredOrAuthorized, match="allow_plain_http"):
        HttpTransport("http://vtn.example.com/OpenADR2/Simple/2.0b")
