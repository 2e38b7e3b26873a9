"""Push mode end to end: our VTN (``serve``, TLS, signatures) and our VEN (``ven.client`` with its
``PushServer``, TLS) over real sockets, on the test PKI.

The VEN registers with httpPullModel=false; the operator creates an event through the admin
listener; a VTN push worker POSTs it to the VEN, whose synchronous oadrCreatedEvent lands on the
invitation; the VEN's telemetry reaches the VTN. One ManualClock drives both sides. The push
rounds are driven by a second VTN worker on the same database (``run_once``), as a second
process would share it; the worker inside ``serve`` sleeps for the whole test
(``push_interval`` of a day). Every wait is on an outcome, bounded; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from certs.pki import Pki
from common.clock import ManualClock
from common.messages.enums import OptType
from common.security import Verifier
from tests.support.network import free_port
from ven.client import DeterministicSource, Store, VenClient, build_client
from ven.client.config import TlsFiles, parse_config
from ven.client.push import PushServer
from vtn.app import load_signer
from vtn.config import (
    AdminSettings,
    PushSettings,
    SigningSettings,
    TlsSettings,
    VtnConfig,
)
from vtn.polls import DatabaseWork
from vtn.push import HttpPushTransport, PushWorker
from vtn.server import serve
from vtn.services.context import Vtn
from vtn.services.queue import MessageQueue
from vtn.storage import ReadingQuery, open_store

WAIT = 30.0


def ven_config_text(tmp_path: Path, pki: Pki, vtn_port: int) -> str:
    return f"""
[vtn]
url = "https://127.0.0.1:{vtn_port}/OpenADR2/Simple/2.0b"
fingerprint = "{pki.vtn_rsa.fingerprint}"
verify_signatures = true
[ven]
name = "push-ven"
database = "{tmp_path / 'ven.sqlite'}"
sign_messages = true
[events]
auto_answer = true
[tls]
cert = "{pki.ven_rsa.cert}"
key = "{pki.ven_rsa.key}"
ca = "{pki.ca_bundle}"
check_hostname = false
[push]
listen = "127.0.0.1:0"
address = "https://127.0.0.1:0"
"""


@dataclass
class Pair:
    config: VtnConfig
    clock: ManualClock
    worker: PushWorker
    vtn: Vtn
    ven: VenClient
    push_server: PushServer
    admin_url: str

    async def admin(self, session: aiohttp.ClientSession, method: str, path: str,
                    json: object = None) -> dict:
        token = self.config.admin.token_file.read_text().strip()
        async with session.request(method, self.admin_url + path, json=json,
                                   headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status < 300, await response.text()
            return await response.json()


@pytest.fixture
def push_cert() -> str:
    """Which certificate the VEN's push endpoint serves: the one it registers with."""
    return "ven_rsa"


@pytest.fixture
async def pair(tmp_path: Path, pki: Pki, push_cert: str) -> AsyncIterator[Pair]:
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    config = VtnConfig(
        vtn_id="TEST-VTN", port=free_port(), admin=AdminSettings(port=free_port()),
        state_dir=tmp_path / "vtn",
        tls=TlsSettings(cert=pki.vtn_rsa.cert, key=pki.vtn_rsa.key, ca=pki.ca_bundle),
        signing=SigningSettings(sign_messages=True, require_signatures=True),
        push=PushSettings(interval=timedelta(days=1)),
    )  # fmt: skip
    ready, stop = asyncio.Event(), asyncio.Event()
    serving = asyncio.create_task(serve(config, clock=clock, ready=ready, stop=stop))
    await asyncio.wait_for(ready.wait(), timeout=WAIT)
    # a second VTN worker on the same database, whose push rounds the test drives
    store = await open_store(config.database_url, clock=clock)
    vtn = Vtn(config=config, store=store, clock=clock, queue=MessageQueue(store),
              polls=DatabaseWork(store, clock), signer=load_signer(config, clock))
    transport = HttpPushTransport(config)
    verifier = Verifier(clock=clock, nonce_store=store.nonces, window=config.signing.replay_window)
    worker = PushWorker(vtn, transport, verifier=verifier, worker_id="e2e-worker")
    # our VEN in push mode; its push endpoint is bound before it registers
    ven_config = parse_config(ven_config_text(tmp_path, pki, config.port))
    assert ven_config.push is not None
    ven_store = await Store.open(ven_config.database)
    served = getattr(pki, push_cert)
    push_server = PushServer(
        ven_config.push, store=ven_store, vtn_fingerprint=ven_config.vtn_fingerprint,
        tls=TlsFiles(cert=served.cert, key=served.key, ca=pki.ca_bundle),
    )
    await push_server.start()
    ven_config = dataclasses.replace(
        ven_config, push=dataclasses.replace(ven_config.push, address=push_server.url))

    async def sleeper(seconds: float) -> None:
        clock.advance(seconds)

    ven = await build_client(ven_config, store=ven_store, source=DeterministicSource(),
                             clock=clock, sleeper=sleeper, device_ids=())
    push_server.attach(ven)
    try:
        yield Pair(config, clock, worker, vtn, ven, push_server,
                   f"http://127.0.0.1:{config.admin.port}/admin/api/v1")
    finally:
        await push_server.stop()
        await ven.close()
        await ven_store.close()
        await transport.close()
        await store.close()
        stop.set()
        await asyncio.wait_for(serving, timeout=WAIT)


async def test_an_event_is_pushed_to_our_ven_and_its_answer_and_reports_come_back(pair: Pair):
    store = pair.vtn.store
    await pair.ven.start()  # registers (push), offers its reports
    [ven] = await store.vens.list()
    assert ven.push and ven.transport_address == pair.push_server.url
    registration = pair.ven.registration
    assert registration is not None and registration.ven_id == ven.ven_id
    # TELEMETRY_USAGE and TELEMETRY_STATUS, asked for in the oadrRegisteredReport
    subscriptions = {s.report_request_id: s for s in await store.reports.subscriptions()}
    assert subscriptions and {s.ven_id for s in subscriptions.values()} == {ven.ven_id}

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as session:
        event = await pair.admin(session, "POST", "/events", {
            "targets": {"all": True}, "signal_name": "SIMPLE", "level": 2, "start": "+5m",
            "duration": "1h",
        })  # fmt: skip
        event_id = event["event_id"]
        # one push round: the VTN's own METADATA registration, and the event list
        assert await pair.worker.run_once() == 2
        assert await store.outbox.pending(ven_id=ven.ven_id) == ()
        # the VEN has the event, and its synchronous oadrCreatedEvent is on the invitation
        assert [s.event_id for s in await pair.ven.event_states()] == [event_id]
        invitation = await store.invitations.get(event_id, ven.ven_id)
        assert invitation is not None
        assert invitation.delivered_modification_number == 0
        assert invitation.opt_type is OptType.OPT_IN
        [response] = (await pair.admin(session, "GET", f"/events/{event_id}/responses"))[
            "responses"]
        assert (response["ven_id"], response["opt"]) == (ven.ven_id, "optIn")
        assert await pair.worker.run_once() == 0  # nothing changed: nothing pushed

        # a modification is pushed again, with its new number
        await pair.admin(session, "PATCH", f"/events/{event_id}", {"level": 3})
        assert await pair.worker.run_once() == 1
        states = await pair.ven.event_states()
        assert [(s.event_id, s.modification_number) for s in states] == [(event_id, 1)]
        invitation = await store.invitations.get(event_id, ven.ven_id)
        assert invitation.delivered_modification_number == 1

        # the VEN's telemetry: a few report periods later its oadrUpdateReports are stored
        assert await store.reports.readings(ReadingQuery(ven_id=ven.ven_id)) == ()
        pair.clock.advance(timedelta(minutes=3))
        await pair.ven.step()  # queue the due reports and send them (no poll in push mode)
        readings = await store.reports.readings(ReadingQuery(ven_id=ven.ven_id))
        assert readings and {r.report_request_id for r in readings} <= set(subscriptions)
        listed = (await pair.admin(session, "GET", f"/reports/readings?ven_id={ven.ven_id}"))[
            "readings"]
        assert len(listed) == len(readings)


@pytest.mark.parametrize("push_cert", ["ven_ecc"])  # issued by the same CA, not the VEN's
async def test_nothing_is_pushed_to_an_endpoint_without_the_registered_certificate(pair: Pair):
    store = pair.vtn.store
    await pair.ven.start()  # registers with its RSA certificate; its endpoint serves the ECC one
    [ven] = await store.vens.list()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as session:
        event = await pair.admin(session, "POST", "/events", {
            "targets": {"all": True}, "signal_name": "SIMPLE", "level": 1, "start": "+5m",
            "duration": "1h",
        })  # fmt: skip
    assert await pair.worker.run_once() == 0
    pending = await store.outbox.pending(ven_id=ven.ven_id)
    assert pending and all(i.attempts == 1 for i in pending)
    assert all("fingerprint" in (i.last_error or "").lower() for i in pending)
    # refused after the handshake, before the request: the VEN saw nothing
    assert await pair.ven.event_states() == []
    invitation = await store.invitations.get(event["event_id"], ven.ven_id)
    assert invitation is None or invitation.delivered_modification_number is None
