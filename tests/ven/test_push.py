"""The VEN's push endpoint over real HTTP/TLS, driven by messages from openleadr's own layer."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from lxml import etree
from openleadr import objects
from openleadr.messaging import create_message, parse_message, validate_xml_signature

from certs.pki import CertPair, Pki
from common.clock import ManualClock
from common.errors import ConfigError
from common.messages.enums import OptType
from common.messages.event import CreatedEvent
from common.messages.poll import Response
from common.messages.report import CanceledReport, CreatedReport, RegisteredReport
from common.security import client_context
from common.xml import decode
from tests.support.openleadr_vtn import VTN_ID, OpenleadrVtn
from ven.cli import _run
from ven.client import DeterministicSource, Store, VenClient, build_client
from ven.client.config import VenConfig, parse_config
from ven.client.push import BASE_PATH, PushServer

VEN_ID = "ven-0001"
MAX_BODY_KB = 64


def push_config(tmp_path: Path, pki: Pki | None, vtn_url: str, *, auto_answer: bool = True) -> str:
    if pki is None:
        return f"""
[vtn]
url = "{vtn_url}"
allow_plain_http = true
[ven]
name = "push-ven"
database = "{tmp_path / 'ven.sqlite'}"
[events]
auto_answer = {str(auto_answer).lower()}
[push]
listen = "127.0.0.1:0"
address = "http://127.0.0.1:0"
allow_plain_http = true
"""
    return f"""
[vtn]
url = "{vtn_url}"
fingerprint = "{pki.vtn_rsa.fingerprint}"
verify_signatures = true
[ven]
name = "push-ven"
database = "{tmp_path / 'ven.sqlite'}"
sign_messages = true
[events]
auto_answer = {str(auto_answer).lower()}
[tls]
cert = "{pki.ven_rsa.cert}"
key = "{pki.ven_rsa.key}"
ca = "{pki.ca_bundle}"
check_hostname = false
[push]
listen = "127.0.0.1:0"
address = "https://127.0.0.1:0"
max_body_kb = {MAX_BODY_KB}
"""


@dataclasses.dataclass
class PushVen:
    vtn: OpenleadrVtn
    config: VenConfig
    client: VenClient
    store: Store
    server: PushServer
    pki: Pki | None

    async def post(self, service: str, body: bytes | str, *,
                   pair: CertPair | None = None) -> tuple[int, bytes]:
        """POST `body` as the VTN (with the VTN's client certificate, or `pair`'s)."""
        ssl: Any = None
        if self.pki is not None:
            pair = pair or self.pki.vtn_rsa
            ssl = client_context(pair.cert, pair.key, ca=self.pki.ca_bundle,
                                 check_hostname=False)
        data = body.encode() if isinstance(body, str) else body
        async with aiohttp.ClientSession() as session, session.post(
            f"{self.server.url}{BASE_PATH}/{service}", data=data, ssl=ssl,
            headers={"Content-Type": "application/xml"},
        ) as response:
            return response.status, await response.read()

    def message(self, message_type: str, *, sign: bool = True, **payload: Any) -> str:
        """An openleadr-made message, signed with the VTN's key when the test PKI is on."""
        if self.pki is None or not sign:
            return create_message(message_type, **payload)
        return create_message(message_type, cert=self.pki.vtn_rsa.cert.read_bytes(),
                              key=self.pki.vtn_rsa.key.read_bytes(), **payload)


async def open_push_ven(tmp_path: Path, vtn: OpenleadrVtn, pki: Pki | None, *,
                        auto_answer: bool = True) -> PushVen:
    config = parse_config(push_config(tmp_path, pki, vtn.url, auto_answer=auto_answer))
    store = await Store.open(config.database)
    server = PushServer.from_config(config, store=store)
    await server.start()  # port 0: the transport address is known once bound
    assert config.push is not None
    config = dataclasses.replace(config, push=dataclasses.replace(config.push,
                                                                  address=server.url))
    clock = ManualClock(datetime.now(UTC))

    async def sleeper(seconds: float) -> None:
        clock.advance(seconds)

    client = await build_client(config, store=store, source=DeterministicSource(), clock=clock,
                                sleeper=sleeper, device_ids=())
    server.attach(client)
    await client.start()
    return PushVen(vtn, config, client, store, server, pki)


@pytest.fixture
async def vtn(pki: Pki) -> AsyncIterator[OpenleadrVtn]:
    server = OpenleadrVtn(pki=pki)
    await server.start()
    yield server
    await server.stop()


async def _close(ven: PushVen) -> None:
    await ven.server.stop()
    await ven.client.close()
    await ven.store.close()


@pytest.fixture
async def ven(tmp_path: Path, vtn: OpenleadrVtn, pki: Pki) -> AsyncIterator[PushVen]:
    harness = await open_push_ven(tmp_path, vtn, pki)
    yield harness
    await _close(harness)


@pytest.fixture
async def manual_ven(tmp_path: Path, vtn: OpenleadrVtn, pki: Pki) -> AsyncIterator[PushVen]:
    harness = await open_push_ven(tmp_path, vtn, pki, auto_answer=False)
    yield harness
    await _close(harness)


def event(event_id: str, *, response_required: str = "always") -> objects.Event:
    start = datetime.now(UTC) + timedelta(hours=1)
    return objects.Event(
        event_descriptor=objects.EventDescriptor(
            event_id=event_id, modification_number=0, market_context="http://market.test",
            event_status="far", created_date_time=datetime.now(UTC)),
        event_signals=[objects.EventSignal(
            intervals=[objects.Interval(dtstart=start, duration=timedelta(hours=1),
                                        signal_payload=1.0)],
            signal_name="SIMPLE", signal_type="level", signal_id=f"{event_id}-s")],
        targets=[{"ven_id": VEN_ID}],
        active_period=objects.ActivePeriod(dtstart=start, duration=timedelta(hours=1)),
        response_required=response_required,
    )


def distribute(ven: PushVen, *events: objects.Event, sign: bool = True) -> str:
    return ven.message("oadrDistributeEvent", sign=sign, request_id="dist-1", vtn_id=VTN_ID,
                       events=list(events))


def report_request(request_id: str) -> objects.ReportRequest:
    return objects.ReportRequest(
        report_request_id=request_id,
        report_specifier=objects.ReportSpecifier(
            report_specifier_id="TELEMETRY_USAGE", granularity=timedelta(minutes=1),
            report_back_duration=timedelta(minutes=5),
            specifier_payloads=[objects.SpecifierPayload(r_id="usage",
                                                         reading_type="Direct Read")]))


def both_decodings(body: bytes) -> tuple[str, dict[str, Any], Any]:
    """The reply as openleadr reads it, and as we do."""
    kind, payload = parse_message(body)
    return kind, payload, decode(body)


# ---- registration ---------------------------------------------------------------------------


async def test_registration_announces_push_and_the_ven_does_not_poll(ven: PushVen):
    registration = ven.vtn.received.registrations[0]
    assert registration["http_pull_model"] is False
    assert registration["transport_address"] == ven.server.url
    await ven.client.step()
    await ven.client.step()
    assert ven.vtn.received.polls == 0  # outbox and timers only; the VTN pushes


# ---- replies --------------------------------------------------------------------------------


async def test_distribute_event_gets_created_event_in_the_response(ven: PushVen):
    status, body = await ven.post("EiEvent", distribute(ven, event("ev-push")))
    assert status == 200
    kind, payload, ours = both_decodings(body)
    assert kind == "oadrCreatedEvent"
    answer = payload["event_responses"][0]
    assert (answer["event_id"], answer["opt_type"], answer["response_code"]) == (
        "ev-push", "optIn", 200)
    assert isinstance(ours, CreatedEvent)
    assert ours.ven_id == VEN_ID and ours.event_responses[0].opt_type is OptType.OPT_IN
    assert ven.pki is not None  # our reply is signed with the VEN's key; openleadr accepts it
    validate_xml_signature(etree.fromstring(body), cert_fingerprint=ven.pki.ven_rsa.fingerprint)
    # answered in the response: nothing left for a POST of its own
    assert [i for i in await ven.store.outbox() if i.kind == "created_event"] == []
    await ven.client.step()
    assert ven.vtn.received.opts == []


async def test_a_person_to_answer_gets_the_default_at_once_and_a_change_by_post_later(
    manual_ven: PushVen,
):
    ven = manual_ven
    status, body = await ven.post("EiEvent", distribute(ven, event("ev-ask")))
    assert status == 200
    kind, _, ours = both_decodings(body)
    assert kind == "oadrCreatedEvent"  # the provisional default, in the response
    assert isinstance(ours, CreatedEvent)
    assert [r.opt_type for r in ours.event_responses] == [OptType.OPT_IN]
    assert [s.event_id for s in await ven.client.invitations()] == ["ev-ask"]
    await ven.client.answer("ev-ask", OptType.OPT_OUT)
    await ven.client.step()  # the outbox goes out through the transport seam
    assert ven.vtn.received.opts == [(VEN_ID, "ev-ask", "optOut")]


async def test_never_response_required_gets_a_plain_response(ven: PushVen):
    status, body = await ven.post("EiEvent", distribute(
        ven, event("ev-quiet", response_required="never")))
    kind, _, _ = both_decodings(body)
    assert (status, kind) == (200, "oadrResponse")


async def test_report_services_reply_in_the_response(ven: PushVen):
    before = {i.id for i in await ven.store.outbox()}  # the oadrCreatedReport of registration
    status, body = await ven.post("EiReport", ven.message(
        "oadrCreateReport", request_id="cr-1", ven_id=VEN_ID,
        report_requests=[report_request("rr-push")]))
    kind, payload, ours = both_decodings(body)
    assert (status, kind) == (200, "oadrCreatedReport")
    assert isinstance(ours, CreatedReport) and ours.response.request_id == "cr-1"
    assert "rr-push" in ours.pending_reports
    assert payload["response"]["response_code"] == 200

    status, body = await ven.post("EiReport", ven.message(
        "oadrCancelReport", request_id="cancel-1", ven_id=VEN_ID,
        report_request_id="rr-push", report_to_follow=False))
    kind, _, ours = both_decodings(body)
    assert (status, kind) == (200, "oadrCanceledReport")
    assert isinstance(ours, CanceledReport) and "rr-push" not in ours.pending_reports

    status, body = await ven.post("EiReport", ven.message(
        "oadrRegisterReport", request_id="reg-rep-1", ven_id=VEN_ID, reports=[]))
    kind, _, ours = both_decodings(body)
    assert (status, kind) == (200, "oadrRegisteredReport")
    assert isinstance(ours, RegisteredReport) and ours.response.request_id == "reg-rep-1"
    assert [i.kind for i in await ven.store.outbox() if i.id not in before] == []


async def test_reregistration_and_cancelled_registration(ven: PushVen):
    status, body = await ven.post("EiRegisterParty", ven.message(
        "oadrRequestReregistration", ven_id=VEN_ID))
    kind, _, ours = both_decodings(body)
    assert (status, kind) == (200, "oadrResponse") and isinstance(ours, Response)
    assert len(ven.vtn.received.registrations) == 1  # not while the VTN waits for our answer
    await ven.client.step()
    assert len(ven.vtn.received.registrations) == 2
    assert ven.vtn.received.registrations[1]["http_pull_model"] is False

    status, body = await ven.post("EiRegisterParty", ven.message(
        "oadrCancelPartyRegistration", request_id="cpr-0", ven_id=VEN_ID,
        registration_id="not-ours"))
    kind, payload, _ = both_decodings(body)  # the payload a cancellation is answered with
    assert (status, kind) == (200, "oadrCanceledPartyRegistration")
    assert int(payload["response"]["response_code"]) == 452
    assert ven.client.registration is not None

    status, body = await ven.post("EiRegisterParty", ven.message(
        "oadrCancelPartyRegistration", request_id="cpr-1", ven_id=VEN_ID,
        registration_id=ven.vtn.registration_id))
    kind, payload, _ = both_decodings(body)
    assert (status, kind) == (200, "oadrCanceledPartyRegistration")
    assert payload["registration_id"] == ven.vtn.registration_id
    assert ven.client.registration is None
    status, body = await ven.post("EiEvent", distribute(ven, event("ev-late")))
    assert (status, _code(body)) == (200, 450)  # not registered (until the next round)


# ---- refusals: each followed by a request that is served ------------------------------------


async def _served(ven: PushVen) -> None:
    status, body = await ven.post("EiReport", ven.message(
        "oadrRegisterReport", request_id="after", ven_id=VEN_ID, reports=[]))
    assert (status, parse_message(body)[0]) == (200, "oadrRegisteredReport")


def _code(body: bytes) -> int:
    kind, payload = parse_message(body)
    assert kind == "oadrResponse"
    return int(payload["response"]["response_code"])


async def test_wrong_vtn_certificate_is_forbidden(ven: PushVen, pki: Pki):
    status, _ = await ven.post("EiEvent", distribute(ven, event("ev-x")), pair=pki.ven_ecc)
    assert status == 403
    await _served(ven)


async def test_untrusted_certificate_fails_the_handshake(ven: PushVen, other_pki: Pki):
    with pytest.raises(aiohttp.ClientError):
        async with aiohttp.ClientSession() as session:
            context = client_context(other_pki.vtn_rsa.cert, other_pki.vtn_rsa.key,
                                     ca=ven.pki.ca_bundle if ven.pki else "",
                                     check_hostname=False)
            await session.post(f"{ven.server.url}{BASE_PATH}/EiEvent", data=b"<x/>",
                               ssl=context)
    await _served(ven)


async def test_unsigned_message_gets_463(ven: PushVen):
    status, body = await ven.post("EiEvent", distribute(ven, event("ev-u"), sign=False))
    assert (status, _code(body)) == (200, 463)
    assert await ven.client.event_states() == []
    await _served(ven)


async def test_other_ven_id_gets_452(ven: PushVen):
    status, body = await ven.post("EiReport", ven.message(
        "oadrCreateReport", request_id="cr-x", ven_id="someone-else",
        report_requests=[report_request("rr-x")]))
    assert (status, _code(body)) == (200, 452)
    assert parse_message(body)[1]["response"]["request_id"] == "cr-x"
    await _served(ven)


async def test_payload_of_another_service_gets_453(ven: PushVen):
    status, body = await ven.post("EiReport", distribute(ven, event("ev-w")))
    assert (status, _code(body)) == (200, 453)
    await _served(ven)


async def test_oversized_body_gets_413(ven: PushVen):
    status, _ = await ven.post("EiEvent", b" " * (MAX_BODY_KB * 1024 + 1))
    assert status == 413
    await _served(ven)


async def test_oversized_chunked_body_without_length_gets_413(ven: PushVen):
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(MAX_BODY_KB // 4 + 1):  # one 4 KiB chunk over the cap, no Content-Length
            yield b" " * 4096

    status, _ = await ven.post("EiEvent", chunks())  # type: ignore[arg-type]
    assert status == 413
    await _served(ven)


@pytest.mark.parametrize("body", [b"certainly not XML", b"", b"<?xml version='1.0'?><oadr"])
async def test_garbage_gets_400(ven: PushVen, body: bytes):
    status, _ = await ven.post("EiEvent", body)
    assert status == 400
    await _served(ven)


async def test_xml_that_is_not_2_0b_gets_an_ei_response(ven: PushVen):
    status, body = await ven.post("EiEvent", b"<hello>world</hello>")
    assert (status, _code(body)) == (200, 453)
    await _served(ven)


# ---- plain http, explicitly allowed ---------------------------------------------------------


async def test_plain_http_push_when_allowed(tmp_path: Path):
    vtn = OpenleadrVtn()
    await vtn.start()
    try:
        ven = await open_push_ven(tmp_path, vtn, None)
        try:
            assert ven.vtn.received.registrations[0]["transport_address"].startswith("http://")
            status, body = await ven.post("EiEvent", distribute(ven, event("ev-plain")))
            assert (status, parse_message(body)[0]) == (200, "oadrCreatedEvent")
            # a VTN that appends the service to the transport address itself is served too
            async with aiohttp.ClientSession() as session, session.post(
                f"{ven.server.url}/EiReport", data=ven.message(
                    "oadrRegisterReport", request_id="r", ven_id=VEN_ID, reports=[]),
            ) as response:
                assert parse_message(await response.read())[0] == "oadrRegisteredReport"
        finally:
            await _close(ven)
    finally:
        await vtn.stop()


# ---- configuration ----------------------------------------------------------------------------


def test_push_config_is_validated(tmp_path: Path, pki: Pki):
    base = push_config(tmp_path, pki, "https://vtn.example.com/OpenADR2/Simple/2.0b")
    config = parse_config(base)
    assert config.push is not None and config.push.uses_tls
    assert config.push.max_body_bytes == MAX_BODY_KB * 1024
    with pytest.raises(ConfigError, match=r"push\.listen: must be \"HOST:PORT\""):
        parse_config(base.replace('listen = "127.0.0.1:0"', 'listen = "8081"'))
    with pytest.raises(ConfigError, match=r"push\.address: must be the VEN's base URL"):
        parse_config(base.replace('address = "https://127.0.0.1:0"', 'address = "ven:8081"'))
    with pytest.raises(ConfigError, match=r"push\.address: is plain http"):
        parse_config(base.replace('address = "https://127.0.0.1:0"',
                                  'address = "http://127.0.0.1:8081"'))
    with pytest.raises(ConfigError, match=r"push\.address: https needs a \[tls\] table"):
        parse_config(push_config(tmp_path, None, "http://vtn.example.com").replace(
            '"http://127.0.0.1:0"', '"https://127.0.0.1:0"'))
    with pytest.raises(ConfigError, match=r"push\.colour: is not a known setting"):
        parse_config(base + 'colour = "blue"\n')


# ---- oadr-ven run ---------------------------------------------------------------------------


async def test_oadr_ven_run_serves_the_push_endpoint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    vtn = OpenleadrVtn()
    await vtn.start()
    caplog.set_level("INFO", logger="ven.client")
    config = parse_config(push_config(tmp_path, None, vtn.url))
    task = asyncio.create_task(_run(config))
    try:
        await vtn.wait_for(lambda: bool(vtn.received.metadata))  # registered, and saved
        assert vtn.received.registrations[0]["http_pull_model"] is False
        found = [m for r in caplog.records
                 if (m := re.search(r"Push endpoint listening on 127\.0\.0\.1:(\d+)",
                                    r.getMessage()))]
        url = f"http://127.0.0.1:{found[0].group(1)}{BASE_PATH}/EiEvent"
        body = create_message("oadrDistributeEvent", request_id="d", vtn_id=VTN_ID,
                              events=[event("ev-cli")])
        async with aiohttp.ClientSession() as session, session.post(url, data=body) as reply:
            assert parse_message(await reply.read())[0] == "oadrCreatedEvent"
        os.kill(os.getpid(), signal.SIGTERM)  # what a service manager does
        assert await asyncio.wait_for(task, 30) == 0
    finally:
        if not task.done():
            task.cancel()
        await vtn.stop()
