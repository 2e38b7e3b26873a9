"""Several VTN workers: ``oadr-vtn serve`` with ``workers = 2`` on a SQLite file and on the real
PostgreSQL server (both workers answer, an event created through one reaches VENs remembered
by the other), and the refusal of a second VTN on the same SQLite file."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from common.clock import SystemClock
from common.errors import ConfigError
from common.messages.enums import ProfileName, TransportName
from common.messages.event import DistributeEvent
from common.messages.poll import Poll, Response
from common.messages.registration import CreatedPartyRegistration, CreatePartyRegistration
from common.xml import decode, encode
from tests.support.network import free_port
from tests.support.processes import ROOT, listening
from tests.support.waiting import until
from vtn.config import AdminSettings, VtnConfig
from vtn.server import serve

WAIT = 60.0
VENS = 24
PROPAGATION_S = 5.0
"""Far more than a change notice takes to reach the other worker."""


@dataclass
class Served:
    base: str
    admin: str
    token: str
    log: Path
    process: asyncio.subprocess.Process


@pytest.fixture
async def two_workers(tmp_path: Path, database_url: str) -> AsyncIterator[Served]:
    port, admin_port = free_port(), free_port()
    (tmp_path / "vtn.toml").write_text(
        f'plain_http = true\nport = {port}\nadmin_port = {admin_port}\nworkers = 2\n'
        f'database_url = "{database_url}"\nstate_dir = "{tmp_path}"\n', encoding="utf-8"
    )
    log = tmp_path / "vtn.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "vtn", "serve", "--config", str(tmp_path / "vtn.toml"),
            cwd=ROOT, stdout=out, stderr=asyncio.subprocess.STDOUT,
        )
    try:
        await listening(port, process, log)
        await listening(admin_port, process, log)
        token = tmp_path / "admin-token"  # written just after the admin port is bound
        assert await until(token.exists, WAIT), log.read_text()
        yield Served(
            base=f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b",
            admin=f"http://127.0.0.1:{admin_port}/admin/api/v1",
            token=token.read_text(encoding="ascii").strip(),
            log=log,
            process=process,
        )
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=WAIT)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _post(base: str, service: str, body: bytes) -> object:
    # a new connection per request: the kernel spreads them over the workers
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session, session.post(
        f"{base}/{service}", data=body, headers={"Content-Type": "application/xml"}
    ) as reply:
        assert reply.status == 200
        return decode(await reply.read())


async def test_two_workers_share_the_port_and_hear_each_other(two_workers: Served) -> None:
    served = two_workers
    ven_ids = [f"worker-ven-{n:02d}" for n in range(VENS)]
    for ven_id in ven_ids:
        reply = await _post(served.base, "EiRegisterParty", encode(CreatePartyRegistration(
            request_id="r", profile_name=ProfileName.B, transport_name=TransportName.SIMPLE_HTTP,
            report_only=False, xml_signature=False, ven_id=ven_id, ven_name=ven_id,
            http_pull_model=True,
        )))
        assert isinstance(reply, CreatedPartyRegistration) and reply.ven_id == ven_id
    for ven_id in ven_ids:  # drain what registration queued, then remembered by both workers
        for _ in range(5):
            if isinstance(await _post(served.base, "OadrPoll", encode(Poll(ven_id=ven_id))),
                          Response):
                break
        for _ in range(3):
            reply = await _post(served.base, "OadrPoll", encode(Poll(ven_id=ven_id)))
            assert isinstance(reply, Response)
    async with aiohttp.ClientSession() as session, session.post(
        f"{served.admin}/events",
        json={"targets": {"all": True}, "signal_name": "SIMPLE", "level": 1, "start": "+5m",
              "duration": "PT1H"},
        headers={"Authorization": f"Bearer {served.token}"},
    ) as created:
        assert created.status in (200, 201), await created.text()
    # Each VEN's polls, on whichever worker, get the event: at once on worker 0, which wrote
    # it; on worker 1 once its change notice arrived (NOTIFY, or the SQLite notice table read
    # every 0.1 s), so a poll may find nothing before that, never after.
    for ven_id in ven_ids:
        async with asyncio.timeout(PROPAGATION_S):
            while not isinstance(
                reply := await _post(served.base, "OadrPoll", encode(Poll(ven_id=ven_id))),
                DistributeEvent,
            ):
                assert isinstance(reply, Response)
                await asyncio.sleep(0.02)  # the notice travels between processes
        reply = await _post(served.base, "OadrPoll", encode(Poll(ven_id=ven_id)))
        assert isinstance(reply, Response)
    served.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(served.process.wait(), timeout=WAIT) == 0
    log = served.log.read_text()
    delivered_by = set(re.findall(r"\[worker (\d)\] Event \S+ \(modification 0\) delivered", log))
    assert delivered_by == {"0", "1"}, log[-3000:]
    assert "Starting 2 workers" in log and "VTN stopped" in log
    assert os.path.exists(served.log)


async def test_a_second_vtn_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    config = VtnConfig(plain_http=True, port=free_port(), admin=AdminSettings(port=0),
                       state_dir=tmp_path)
    ready, stop = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(serve(config, clock=SystemClock(), ready=ready, stop=stop))
    try:
        await asyncio.wait_for(ready.wait(), timeout=WAIT)
        second = VtnConfig(plain_http=True, port=free_port(), admin=AdminSettings(port=0),
                           state_dir=tmp_path)
        with pytest.raises(ConfigError, match="another VTN serves"):
            await serve(second, clock=SystemClock())
    finally:
        stop.set()
        await asyncio.wait_for(first, timeout=WAIT)
    # once the first one stopped, the file is free again
    ready, stop = asyncio.Event(), asyncio.Event()
    again = asyncio.create_task(serve(config, clock=SystemClock(), ready=ready, stop=stop))
    await asyncio.wait_for(ready.wait(), timeout=WAIT)
    stop.set()
    await asyncio.wait_for(again, timeout=WAIT)
