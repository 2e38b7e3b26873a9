"""The whole VTN (``serve``) against openleadr's VEN over real HTTPS, with XML signatures.

openleadr registers, registers its reports, polls, receives an event, opts in and sends
telemetry; the test checks what the VTN stored. openleadr runs on real time and polls at the
frequency the VTN asks for (1 s); every wait here is for a VTN handler having finished, with a
bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openleadr import OpenADRClient, objects

from certs.pki import Pki
from common.clock import SystemClock
from common.messages.enums import OptType
from common.messages.event import CreatedEvent
from common.messages.registration import CreatePartyRegistration
from common.messages.report import CreatedReport, RegisteredReport, RegisterReport, UpdateReport
from common.messages.types import Message
from tests.support.network import free_port
from tests.support.vtn_harness import simple_event
from vtn.config import (
    AdminSettings,
    PollSettings,
    ReportSettings,
    SigningSettings,
    TlsSettings,
    VtnConfig,
)
from vtn.server import serve
from vtn.services import SERVICES
from vtn.storage import ReadingQuery, Store, open_store

WAIT = 30.0  # seconds: generous bound for a busy CI machine; normally a second or two


@dataclass
class Handled:
    """asyncio Events set when the VTN finished handling a payload type."""

    events: dict[type[Message], asyncio.Event]

    async def wait(self, kind: type[Message]) -> None:
        await asyncio.wait_for(self.events[kind].wait(), timeout=WAIT)


@pytest.fixture
def handled(monkeypatch: pytest.MonkeyPatch) -> Handled:
    watched = (
        CreatePartyRegistration,
        RegisterReport,
        CreatedReport,
        RegisteredReport,
        CreatedEvent,
        UpdateReport,
    )
    events = {kind: asyncio.Event() for kind in watched}
    for handlers in SERVICES.values():
        for kind, handler in list(handlers.items()):
            if kind in events:

                async def wrapped(vtn, caller, message, _h=handler, _e=events[kind]):
                    reply = await _h(vtn, caller, message)
                    _e.set()
                    return reply

                monkeypatch.setitem(handlers, kind, wrapped)
    return Handled(events)


@pytest.fixture
async def running_vtn(pki: Pki, database_url: str) -> AsyncIterator[tuple[VtnConfig, Store]]:
    port = free_port()
    config = VtnConfig(
        vtn_id="TEST-VTN",
        host="127.0.0.1",
        port=port,
        database_url=database_url,
        tls=TlsSettings(cert=pki.vtn_rsa.cert, key=pki.vtn_rsa.key, ca=pki.ca_bundle),
        signing=SigningSettings(sign_messages=True, require_signatures=True),
        polls=PollSettings(frequency=timedelta(seconds=1)),
        reports=ReportSettings(granularity=timedelta(seconds=1),
                               back_duration=timedelta(seconds=1)),
        admin=AdminSettings(port=0),  # no admin listener (nor token file) needed here
    )
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(config, clock=SystemClock(), ready=ready, stop=stop))
    await asyncio.wait_for(ready.wait(), timeout=WAIT)
    store = await open_store(database_url, clock=SystemClock(), migrate=False)
    try:
        yield config, store
    finally:
        await store.close()
        stop.set()
        await asyncio.wait_for(task, timeout=WAIT)


async def test_openleadr_ven_full_flow(
    running_vtn: tuple[VtnConfig, Store], handled: Handled, pki: Pki
) -> None:
    config, store = running_vtn
    logging.getLogger("openleadr").setLevel(logging.WARNING)
    client = OpenADRClient(
        ven_name="office-sj",
        vtn_url=f"https://localhost:{config.port}/OpenADR2/Simple/2.0b",
        cert=str(pki.ven_rsa.cert),
        key=str(pki.ven_rsa.key),
        ca_file=str(pki.ca_bundle),
        vtn_fingerprint=pki.vtn_rsa.fingerprint,
        show_fingerprint=False,
    )
    answered: list[dict[str, Any]] = []

    async def on_event(event: dict[str, Any]) -> str:
        answered.append(event)
        return "optIn"

    client.add_handler("on_event", on_event)
    client.add_report(
        callback=lambda: 4.25,
        resource_id="meter-1",
        measurement="REAL_POWER",
        report_duration=timedelta(hours=1),
        sampling_rate=timedelta(seconds=1),
        report_specifier_id="spec-usage",
        r_id="load",
    )
    await client.run()
    try:
        await handled.wait(CreatePartyRegistration)
        [ven] = await store.vens.list()
        assert ven.ven_name == "office-sj"
        assert ven.fingerprint == pki.ven_rsa.fingerprint
        assert client.ven_id == ven.ven_id
        # its reports: registered, requested, acknowledged
        await handled.wait(RegisterReport)
        [capability] = await store.reports.capabilities(ven.ven_id)
        assert capability.report_specifier_id == "spec-usage"
        await handled.wait(CreatedReport)
        # the VTN's own METADATA registration reached it by poll and was acknowledged
        await handled.wait(RegisteredReport)
        # an event: delivered by poll, opted in
        start = datetime.now(UTC) + timedelta(minutes=10)
        event = await store.events.create(simple_event(start=start))
        await handled.wait(CreatedEvent)
        assert [e["event_descriptor"]["event_id"] for e in answered] == [event.event_id]
        invitation = await store.invitations.get(event.event_id, ven.ven_id)
        assert invitation is not None
        assert invitation.delivered_modification_number == 0
        assert invitation.opt_type is OptType.OPT_IN and invitation.opted_at is not None
        # telemetry: stored with its rID, reading type and unit
        await handled.wait(UpdateReport)
        readings = await store.reports.readings(ReadingQuery(ven_id=ven.ven_id))
        assert readings and readings[0].r_id == "load" and readings[0].value == 4.25
        assert readings[0].item_units == "W" and readings[0].reading_type.value == "Direct Read"
        [subscription] = await store.reports.subscriptions(ven_id=ven.ven_id)
        assert readings[0].report_request_id == subscription.report_request_id
        # opts: an availability schedule and an event opt for one resource
        window = objects.Vavailability(
            components=[objects.VavailabilityComponent(dtstart=start, duration=timedelta(hours=2))]
        )
        schedule_id = await client.create_opt(
            opt_type="optIn",
            opt_reason="participating",
            targets=[objects.Target(ven_id=ven.ven_id)],
            vavailability=window,
            opt_id="avail-1",
        )
        assert schedule_id == "avail-1"
        event_opt = await client.create_opt(
            opt_type="optOut",
            opt_reason="overrideStatus",
            targets=[objects.Target(resource_id="meter-1")],
            event_id=event.event_id,
            modification_number=0,
            opt_id="opt-out-1",
        )
        assert event_opt == "opt-out-1"
        opts = {o.opt_id: o for o in await store.opts.list(ven_id=ven.ven_id)}
        assert opts["avail-1"].availability[0].start == start
        assert opts["opt-out-1"].event_id == event.event_id
        assert opts["opt-out-1"].resource_ids == ("meter-1",)
        assert await client.cancel_opt("avail-1") is True
        assert [o.opt_id for o in await store.opts.list(ven_id=ven.ven_id)] == ["opt-out-1"]
    finally:
        await client.stop()
