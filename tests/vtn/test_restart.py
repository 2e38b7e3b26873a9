"""A VTN killed with SIGKILL and started again on the same database loses nothing and carries on.

`python -m vtn serve` runs as a real subprocess (plain HTTP, VEN identity from a proxy header so
one test can be several VENs; ports picked by binding port 0 first). The VENs and the operator
talk to it over real sockets; readiness is the server's own log line, never a sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from common.messages.enums import OptReason, OptType, ProfileName, TransportName
from common.messages.event import CreatedEvent, DistributeEvent, EventResponse
from common.messages.opt import CreatedOpt, CreateOpt
from common.messages.poll import Poll, Response
from common.messages.registration import CreatedPartyRegistration, CreatePartyRegistration
from common.messages.report import (
    CreatedReport,
    RegisteredReport,
    RegisterReport,
    UpdatedReport,
)
from common.messages.types import EiResponse, Message, Period, QualifiedEventId
from common.xml import decode, encode
from tests.support.network import free_port
from tests.support.ven_reports import metadata_report, update_report
from tests.support.vtn_harness import START, fingerprint_of

ROOT = Path(__file__).resolve().parents[2]
HEADER = "X-Client-Fingerprint"
WAIT = 60.0
READY_LINE = "Admin API on"
FP_A, FP_B = fingerprint_of(1), fingerprint_of(2)


@dataclass
class Served:
    """A `python -m vtn serve` subprocess and what it wrote to stderr."""

    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @property
    def log(self) -> str:
        return "".join(self.lines)


async def start_vtn(config_file: Path) -> Served:
    """Start the VTN and return once it logged that both listeners are up."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "vtn", "serve", "--config", str(config_file),
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    served = Served(process)
    ready = asyncio.Event()

    async def read() -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            served.lines.append(line.decode(errors="replace"))
            if READY_LINE in served.lines[-1]:
                ready.set()
        ready.set()  # it exited: let the waiter look

    served.reader = asyncio.create_task(read())
    await asyncio.wait_for(ready.wait(), timeout=WAIT)
    assert process.returncode is None and READY_LINE in served.log, served.log
    return served


async def kill_9(served: Served) -> None:
    served.process.send_signal(signal.SIGKILL)
    assert await asyncio.wait_for(served.process.wait(), timeout=WAIT) == -signal.SIGKILL
    if served.reader is not None:
        await served.reader


async def terminate(served: Served) -> None:
    if served.process.returncode is None:
        served.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(served.process.wait(), timeout=WAIT)
    if served.reader is not None:
        await served.reader


class Client:
    """The VENs (over the 2.0b listener) and the operator (over the admin listener)."""

    def __init__(self, session: aiohttp.ClientSession, port: int, admin_port: int,
                 token_file: Path) -> None:
        self._session = session
        self._port = port
        self._admin = f"http://127.0.0.1:{admin_port}/admin/api/v1"
        self._token_file = token_file

    async def post(self, service: str, message: Message, fingerprint: str) -> Message:
        url = f"http://127.0.0.1:{self._port}/OpenADR2/Simple/2.0b/{service}"
        headers = {"Content-Type": "application/xml", HEADER: fingerprint}
        async with self._session.post(url, data=encode(message), headers=headers) as response:
            assert response.status == 200, await response.text()
            return decode(await response.read())

    async def poll(self, ven_id: str, fingerprint: str) -> Message:
        return await self.post("OadrPoll", Poll(ven_id=ven_id), fingerprint)

    async def admin(self, method: str, path: str, json: object = None) -> dict:
        token = self._token_file.read_text().strip()
        async with self._session.request(
            method, self._admin + path, json=json, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            assert response.status < 300, await response.text()
            return await response.json()


def ok(request_id: str) -> EiResponse:
    return EiResponse(response_code=200, request_id=request_id, response_description="OK")


async def register(client: Client, fingerprint: str, name: str) -> str:
    request = CreatePartyRegistration(
        request_id=f"reg-{name}", profile_name=ProfileName.B,
        transport_name=TransportName.SIMPLE_HTTP, report_only=False, xml_signature=False,
        ven_name=name, http_pull_model=True,
    )  # fmt: skip
    reply = await client.post("EiRegisterParty", request, fingerprint)
    assert isinstance(reply, CreatedPartyRegistration) and reply.ven_id, reply
    return reply.ven_id


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as opened:
        yield opened


async def test_a_vtn_killed_with_sigkill_restarts_with_everything(
    tmp_path: Path, database_url: str, session: aiohttp.ClientSession
) -> None:
    port, admin_port = free_port(), free_port()
    config_file = tmp_path / "vtn.toml"
    config_file.write_text(
        "plain_http = true\n"
        f'client_fingerprint_header = "{HEADER}"\n'
        f"port = {port}\nadmin_port = {admin_port}\n"
        f'database_url = "{database_url}"\n'
        "poll_frequency = 1\n"
    )
    client = Client(session, port, admin_port, tmp_path / "var" / "admin-token")
    served = await start_vtn(config_file)
    try:
        # ---- before: two pull VENs, an event, an opt-in, an opt, a report and readings
        ven_a = await register(client, FP_A, "office")
        ven_b = await register(client, FP_B, "plant")
        registered = await client.post("EiReport", metadata_report(ven_a), FP_A)
        assert isinstance(registered, RegisteredReport)
        [request] = registered.report_requests
        subscription_id = request.report_request_id
        created = CreatedReport(response=ok("rr"), pending_reports=(subscription_id,),
                                ven_id=ven_a)
        assert isinstance(await client.post("EiReport", created, FP_A), Response)
        update = update_report(ven_a, subscription_id, [1, 2, 3])
        updated = await client.post("EiReport", update, FP_A)
        assert isinstance(updated, UpdatedReport) and updated.response.response_code == 200
        assert isinstance(await client.poll(ven_a, FP_A), RegisterReport)  # the VTN's metadata

        event = await client.admin("POST", "/events", {
            "targets": {"all": True}, "signal_name": "SIMPLE", "level": 2, "start": "+5m",
            "duration": "1h",
        })  # fmt: skip
        event_id = event["event_id"]
        distributed = await client.poll(ven_a, FP_A)
        assert isinstance(distributed, DistributeEvent)
        assert [e.event.event_descriptor.event_id for e in distributed.events] == [event_id]
        answer = CreatedEvent(
            response=ok(distributed.request_id), ven_id=ven_a,
            event_responses=(EventResponse(
                response_code=200, request_id=distributed.request_id,
                qualified_event_id=QualifiedEventId(event_id=event_id, modification_number=0),
                opt_type=OptType.OPT_IN,
            ),),
        )  # fmt: skip
        assert isinstance(await client.post("EiEvent", answer, FP_A), Response)
        opt = CreateOpt(  # an availability schedule: not available tomorrow morning
            opt_id="opt-1", opt_type=OptType.OPT_OUT, opt_reason=OptReason.OVERRIDE_STATUS,
            ven_id=ven_a, created_date_time=START, request_id="o1",
            vavailability=(Period(dtstart=START + timedelta(days=1),
                                  duration=timedelta(hours=4)),),
        )  # fmt: skip
        assert isinstance(await client.post("EiOpt", opt, FP_A), CreatedOpt)
        assert isinstance(await client.poll(ven_a, FP_A), Response)  # A is up to date
        # B never polled: the VTN's oadrRegisterReport waits in its queue, undelivered

        await kill_9(served)  # no shutdown, no checkpoint
        served = await start_vtn(config_file)

        # ---- after: everything is there
        vens = (await client.admin("GET", "/vens"))["vens"]
        assert sorted((v["ven_id"], v["ven_name"]) for v in vens) == sorted(
            [(ven_a, "office"), (ven_b, "plant")])
        [again] = (await client.admin("GET", "/events"))["events"]
        assert (again["event_id"], again["modification_number"]) == (event_id, 0)
        responses = {r["ven_id"]: r for r in
                     (await client.admin("GET", f"/events/{event_id}/responses"))["responses"]}
        assert responses[ven_a]["delivered_modification_number"] == 0
        assert responses[ven_a]["opt"] == "optIn"
        assert responses[ven_b]["delivered"] is False
        opts = (await client.admin("GET", "/opts"))["opts"]
        assert [(o["opt_id"], o["opt_type"]) for o in opts] == [("opt-1", "optOut")]
        subscriptions = (await client.admin("GET", "/reports/subscriptions"))["subscriptions"]
        assert [(s["report_request_id"], s["status"]) for s in subscriptions] == [
            (subscription_id, "active")]
        readings = (await client.admin("GET", f"/reports/readings?ven_id={ven_a}"))["readings"]
        assert [r["value"] for r in readings] == [1.0, 2.0, 3.0]

        # ---- and it carries on: B gets the event (changed events come first at a poll), then
        # its pending message, exactly once
        for_b = await client.poll(ven_b, FP_B)
        assert isinstance(for_b, DistributeEvent)
        assert [e.event.event_descriptor.event_id for e in for_b.events] == [event_id]
        assert isinstance(await client.poll(ven_b, FP_B), RegisterReport)
        assert isinstance(await client.poll(ven_b, FP_B), Response)
        assert isinstance(await client.poll(ven_b, FP_B), Response)
        assert isinstance(await client.poll(ven_a, FP_A), Response)  # A: nothing new
        later = update_report(ven_a, subscription_id, [1, 2, 3, 4])  # one new interval
        assert isinstance(await client.post("EiReport", later, FP_A), UpdatedReport)
        readings = (await client.admin("GET", f"/reports/readings?ven_id={ven_a}"))["readings"]
        assert [r["value"] for r in readings] == [1.0, 2.0, 3.0, 4.0]
    finally:
        with contextlib.suppress(ProcessLookupError):
            await terminate(served)
    assert served.process.returncode == 0, served.log

