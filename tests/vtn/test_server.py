"""``serve`` over real TLS: identity from the client certificate, refusals, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from certs.pki import CertPair, Pki
from common.clock import SystemClock
from common.errors import ConfigError
from common.messages.enums import ProfileName, TransportName
from common.messages.poll import Poll
from common.messages.registration import CreatedPartyRegistration, CreatePartyRegistration
from common.security import client_context
from common.xml import decode, encode
from tests.support.vtn_server import tls_config
from vtn.config import SigningSettings, VtnConfig
from vtn.server import serve

WAIT = 30.0


async def _post(config: VtnConfig, pair: CertPair, ca: Path, service: str, body: bytes) -> bytes:
    context = client_context(pair.cert, pair.key, ca=ca)
    url = f"https://localhost:{config.port}/OpenADR2/Simple/2.0b/{service}"
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session,
        session.post(url, data=body, headers={"Content-Type": "application/xml"}) as response,
    ):
        assert response.status == 200
        return await response.read()


def _registration() -> bytes:
    return encode(
        CreatePartyRegistration(
            request_id="r",
            profile_name=ProfileName.B,
            transport_name=TransportName.SIMPLE_HTTP,
            report_only=False,
            xml_signature=False,
            ven_name="office-sj",
            http_pull_model=True,
        )
    )


async def test_tls_identity_and_sigterm(tmp_path: Path, pki: Pki, other_pki: Pki) -> None:
    config = tls_config(tmp_path, pki)
    ready = asyncio.Event()
    task = asyncio.create_task(serve(config, clock=SystemClock(), ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), timeout=WAIT)
        assert (tmp_path / "var" / "vtn.sqlite").exists()  # the directory was created
        reply = decode(
            await _post(config, pki.ven_rsa, pki.ca_bundle, "EiRegisterParty", _registration())
        )
        assert isinstance(reply, CreatedPartyRegistration) and reply.ven_id
        # another trusted certificate claiming that venID
        body = await _post(
            config, pki.ven_ecc, pki.ca_bundle, "OadrPoll", encode(Poll(ven_id=reply.ven_id))
        )
        assert decode(body).response.response_code == 463
        # a certificate from an unknown CA never gets past the handshake
        with pytest.raises(aiohttp.ClientError):
            await _post(
                config,
                other_pki.ven_rsa,
                pki.ca_bundle,
                "OadrPoll",
                encode(Poll(ven_id=reply.ven_id)),
            )
        # the registered certificate still works
        body = await _post(
            config, pki.ven_rsa, pki.ca_bundle, "OadrPoll", encode(Poll(ven_id=reply.ven_id))
        )
        assert type(decode(body)).__name__ == "RegisterReport"
        await _check_the_admin_listener(config, pki, reply.ven_id)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(task, timeout=WAIT)
    finally:
        if not task.done():
            task.cancel()


async def _check_the_admin_listener(config: VtnConfig, pki: Pki, ven_id: str) -> None:
    """The admin API: on its own plain-HTTP loopback listener, behind the token; not on 2.0b."""
    token_file = config.state_dir / "admin-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    admin = f"http://127.0.0.1:{config.admin.port}/admin/api/v1/vens"
    async with aiohttp.ClientSession() as session:
        async with session.get(admin, headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200
            assert [v["ven_id"] for v in (await response.json())["vens"]] == [ven_id]
        async with session.get(admin) as response:
            assert response.status == 401
    context = client_context(pki.ven_rsa.cert, pki.ven_rsa.key, ca=pki.ca_bundle)
    on_2_0b = f"https://localhost:{config.port}/admin/api/v1/vens"
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session,
        session.get(on_2_0b, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        assert response.status == 404  # the admin routes are not on the 2.0b listener


async def test_the_admin_listener_can_be_turned_off(tmp_path: Path, pki: Pki) -> None:
    config = tls_config(tmp_path, pki)
    config = replace(config, admin=replace(config.admin, port=0))
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(config, clock=SystemClock(), ready=ready, stop=stop))
    try:
        await asyncio.wait_for(ready.wait(), timeout=WAIT)
        assert not (tmp_path / "var" / "admin-token").exists()  # no listener, no token
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=WAIT)


async def test_an_unusable_admin_token_file_is_a_config_error(tmp_path: Path, pki: Pki) -> None:
    (tmp_path / "empty-token").write_text("")
    (tmp_path / "empty-token").chmod(0o600)  # private, so that emptiness is what is refused
    config = tls_config(tmp_path, pki)
    config = replace(config, admin=replace(config.admin, token_file=tmp_path / "empty-token"))
    with pytest.raises(ConfigError, match=r"admin\.token_file.*empty"):
        await serve(config, clock=SystemClock())


async def test_unusable_certificates_are_a_config_error(tmp_path: Path, pki: Pki) -> None:
    config = tls_config(tmp_path, pki)
    config = replace(config, tls=replace(config.tls, cert=tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match=r"tls\.cert"):
        await serve(config, clock=SystemClock())
    signing = replace(tls_config(tmp_path, pki), signing=SigningSettings(
        sign_messages=True, key=tmp_path / "no.key"))
    with pytest.raises(ConfigError, match="signing"):
        await serve(signing, clock=SystemClock())
