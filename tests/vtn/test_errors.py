"""Every way a request can be refused, and that the VTN keeps serving with its data intact."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from asyncpg.exceptions import CannotConnectNowError, UniqueViolationError
from asyncpg.exceptions import InterfaceError as PostgresInterfaceError
from lxml import etree
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from certs.pki import Pki
from common.clock import ManualClock
from common.messages.enums import OptReason, OptType
from common.messages.event import RequestEvent
from common.messages.opt import CreatedOpt, CreateOpt
from common.messages.poll import Poll, Response
from common.messages.registration import CreatedPartyRegistration, QueryRegistration
from common.security import Signer
from common.xml import decode, encode
from tests.support.vtn_harness import (
    HEADER,
    START,
    Harness,
    add_event,
    fingerprint_of,
    header_config,
    start_harness,
)
from vtn.config import SigningSettings, TlsSettings
from vtn.services import SERVICES
from vtn.storage import StorageError, StorageUnavailable
from vtn.storage.errors import driver_failure

FP = fingerprint_of(1)
OTHER_FP = fingerprint_of(2)


async def _healthy(h: Harness, ven_id: str) -> None:
    """The VTN still answers, and what it stored is still there."""
    for _ in range(5):  # the poll queue may hold the VTN's own messages first
        reply = await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=FP)
        if isinstance(reply, Response):
            break
    assert isinstance(reply, Response) and reply.response.response_code == 200
    ven = await h.store.vens.get(ven_id)
    assert ven.fingerprint == FP and not ven.cancelled
    assert len(await h.store.vens.list()) == 1


def _code(body: bytes) -> int:
    return int(decode(body).response.response_code)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"this is not xml", "application/xml", 400),
        (b"<oadrPayload><unclosed></oadrPayload>", "application/xml", 400),
        (b"", "application/xml", 400),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "text/xml", 400),
        (b"\xff\xfe<\x00x\x00/\x00>\x00", "application/xml", 400),
        (b'{"json": true}', "application/json", 415),
    ],
    ids=["not-xml", "not-well-formed", "empty", "dtd", "utf16", "json"],
)
async def test_transport_garbage_gets_http_4xx(
    harness: Harness, body: bytes, content_type: str, status: int
) -> None:
    h = harness
    reg = await h.register(FP)
    got, text = await h.post_bytes("OadrPoll", body, fingerprint=FP, content_type=content_type)
    assert got == status
    assert b"ref " in text and b"Traceback" not in text
    await _healthy(h, reg.ven_id)


async def test_oversized_body_is_413_before_it_is_read(harness: Harness) -> None:
    h = harness
    reg = await h.register(FP)
    big = b"<x>" + b"a" * (h.vtn.config.max_body_bytes + 10) + b"</x>"
    status, _ = await h.post_bytes("OadrPoll", big, fingerprint=FP)
    assert status == 413

    async def trickle():  # no Content-Length: the cap holds while reading
        for _ in range(100):
            yield b"a" * 1024

    response = await h.client.post(
        "/OpenADR2/Simple/2.0b/OadrPoll",
        data=trickle(),
        headers={"X-Client-Fingerprint": FP, "Content-Type": "application/xml"},
    )
    assert response.status == 413
    await _healthy(h, reg.ven_id)


async def test_schema_invalid_xml_is_454_in_http_200(harness: Harness) -> None:
    h = harness
    reg = await h.register(FP)
    root = etree.fromstring(encode(Poll(ven_id=reg.ven_id)))
    poll = root[0][0]
    poll.remove(poll[0])  # oadrPoll without its venID
    status, body = await h.post_bytes("OadrPoll", etree.tostring(root), fingerprint=FP)
    assert status == 200 and _code(body) == 454
    not_openadr = b'<?xml version="1.0"?><note xmlns="urn:x"><to>VTN</to></note>'
    status, body = await h.post_bytes("OadrPoll", not_openadr, fingerprint=FP)
    assert status == 200 and _code(body) in (453, 454)
    await _healthy(h, reg.ven_id)


async def test_payload_on_the_wrong_endpoint_is_453(harness: Harness) -> None:
    h = harness
    reg = await h.register(FP)
    status, body = await h.post_bytes("EiEvent", encode(Poll(ven_id=reg.ven_id)), fingerprint=FP)
    assert status == 200 and _code(body) == 453
    query = encode(QueryRegistration(request_id="q"))
    status, body = await h.post_bytes("EiReport", query, fingerprint=FP)
    reply = decode(body)
    assert isinstance(reply, CreatedPartyRegistration)  # the request's own reply type
    assert reply.response.response_code == 453 and reply.response.request_id == "q"
    await _healthy(h, reg.ven_id)


async def test_unknown_ven_and_fingerprint_mismatch(harness: Harness) -> None:
    h = harness
    reg = await h.register(FP)
    ven_id = reg.ven_id
    # an unregistered certificate
    reply = await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=OTHER_FP)
    assert reply.response.response_code == 463
    # the registered certificate naming a venID nobody has
    reply = await h.post("OadrPoll", Poll(ven_id="nobody"), fingerprint=FP)
    assert reply.response.response_code == 452
    # another VEN's certificate naming this VEN's venID
    other = await h.register(OTHER_FP, "intruder")
    reply = await h.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=OTHER_FP)
    assert reply.response.response_code == 463
    reply = await h.post(
        "EiEvent", RequestEvent(request_id="r", ven_id=ven_id), fingerprint=OTHER_FP
    )
    assert reply.response.response_code == 463 and reply.response.request_id == "r"
    # no identity at all
    status, body = await h.post_bytes("OadrPoll", encode(Poll(ven_id=ven_id)))
    assert status == 200 and _code(body) == 463
    # a new certificate asking only what the VTN supports learns no registration
    query = await h.post(
        "EiRegisterParty", QueryRegistration(request_id="q"), fingerprint=fingerprint_of(3)
    )
    assert query.ven_id is None and query.registration_id is None
    # a new certificate registering with another VEN's venID
    taken = await h.post(
        "EiRegisterParty", _registration(ven_id=ven_id), fingerprint=fingerprint_of(3)
    )
    assert isinstance(taken, CreatedPartyRegistration)
    assert taken.response.response_code == 463 and taken.ven_id is None
    # a new certificate proposing a free venID gets it
    proposed = await h.post(
        "EiRegisterParty", _registration(ven_id="ven-42"), fingerprint=fingerprint_of(4)
    )
    assert proposed.response.response_code == 200 and proposed.ven_id == "ven-42"
    assert other.ven_id != ven_id
    ven = await h.store.vens.get(ven_id)
    assert ven.fingerprint == FP
    assert len(await h.store.vens.list()) == 3


async def test_internal_errors_leak_nothing(harness: Harness, monkeypatch) -> None:
    h = harness
    reg = await h.register(FP)

    async def broken(vtn, caller, message):
        raise RuntimeError("secret database password is hunter2")

    monkeypatch.setitem(SERVICES["EiOpt"], CreateOpt, broken)
    opt = CreateOpt(
        opt_id="o",
        opt_type=OptType.OPT_IN,
        opt_reason=OptReason.ECONOMIC,
        ven_id=reg.ven_id,
        created_date_time=START,
        request_id="r",
        vavailability=(),
    )
    status, body = await h.post_bytes("EiOpt", encode(opt), fingerprint=FP)
    assert status == 200 and b"hunter2" not in body
    reply = decode(body)
    assert isinstance(reply, CreatedOpt) and reply.response.response_code == 469
    assert "internal error (ref" in (reply.response.response_description or "")
    await _healthy(h, reg.ven_id)


async def test_an_unavailable_database_is_503_with_retry_after(harness: Harness, monkeypatch):
    h = harness
    reg = await h.register(FP)

    async def down(vtn, caller, message):
        raise StorageUnavailable("add opt: the database failed: connection to secret-host lost")

    monkeypatch.setitem(SERVICES["EiOpt"], CreateOpt, down)
    opt = CreateOpt(opt_id="o", opt_type=OptType.OPT_IN, opt_reason=OptReason.ECONOMIC,
                    ven_id=reg.ven_id, created_date_time=START, request_id="r", vavailability=())
    response = await h.client.post("/OpenADR2/Simple/2.0b/EiOpt", data=encode(opt),
                                   headers={"Content-Type": "application/xml", HEADER: FP})
    assert response.status == 503 and response.headers["Retry-After"] == "5"
    assert b"secret-host" not in await response.read()
    await _healthy(h, reg.ven_id)


def test_driver_failures_that_pass_are_unavailable_the_others_are_not() -> None:
    full = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    unavailable = driver_failure(full, "add opt")
    assert isinstance(unavailable, StorageUnavailable)
    assert str(unavailable) == "add opt: database or disk is full"
    assert isinstance(driver_failure(ConnectionRefusedError(111, "refused"), "x"),
                      StorageUnavailable)
    assert isinstance(driver_failure(PoolTimeout("pool exhausted"), "x"), StorageUnavailable)
    wrong = ProgrammingError("SELECT", {}, sqlite3.ProgrammingError("bad parameter"))
    refused = driver_failure(wrong, "x")
    assert isinstance(refused, StorageError) and not isinstance(refused, StorageUnavailable)
    # asyncpg's own errors, as SQLAlchemy releases before 2.1 let them through on connecting
    shutting_down = driver_failure(CannotConnectNowError("the database system is shutting down"),
                                   "x")
    assert isinstance(shutting_down, StorageUnavailable)
    assert str(shutting_down) == "x: the database system is shutting down"
    assert isinstance(driver_failure(PostgresInterfaceError("connection is closed"), "x"),
                      StorageUnavailable)
    unique = driver_failure(UniqueViolationError("duplicate key"), "x")
    assert not isinstance(unique, StorageUnavailable)


# ---- signatures -----------------------------------------------------------------------------


@pytest.fixture
async def signing_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """A VTN that requires VEN signatures (and signs its own replies)."""
    clock = ManualClock(START)
    config = header_config(tmp_path, signing=SigningSettings(require_signatures=True))
    built, client = await start_harness(config, clock)
    try:
        yield built
    finally:
        await client.close()
        await built.store.close()


def _signer(pki: Pki, clock: ManualClock, key_type: str = "rsa") -> Signer:
    pair = pki.pair("ven", key_type)  # type: ignore[arg-type]
    return Signer(pair.cert.read_bytes(), pair.key.read_bytes(), clock=clock)


async def test_signatures_required_checked_and_not_replayable(
    signing_harness: Harness, pki: Pki
) -> None:
    h = signing_harness
    signer = _signer(pki, h.clock)
    fp = signer.fingerprint
    # unsigned: refused
    unsigned = await h.post("EiRegisterParty", QueryRegistration(request_id="q"), fingerprint=fp)
    assert unsigned.response.response_code == 463
    reg = await h.post("EiRegisterParty", _registration(), fingerprint=fp, signer=signer)
    assert reg.response.response_code == 200
    signed_poll = encode(_ask(reg.ven_id), signer=signer)
    status, body = await h.post_bytes("EiEvent", signed_poll, fingerprint=fp)
    assert status == 200 and _code(body) == 200
    # the same signed bytes again: a replay
    status, body = await h.post_bytes("EiEvent", signed_poll, fingerprint=fp)
    assert _code(body) == 463
    # signed by a certificate that is not the connection's
    other = _signer(pki, h.clock, "ecc")
    status, body = await h.post_bytes(
        "EiEvent", encode(_ask(reg.ven_id), signer=other), fingerprint=fp
    )
    assert _code(body) == 463
    # tampered after signing
    tampered = encode(_ask(reg.ven_id), signer=signer).replace(b">r<", b">s<")
    status, body = await h.post_bytes("EiEvent", tampered, fingerprint=fp)
    assert _code(body) == 463
    # too old
    stale = encode(_ask(reg.ven_id), signer=signer)
    h.clock.advance(timedelta(minutes=10))
    status, body = await h.post_bytes("EiEvent", stale, fingerprint=fp)
    assert _code(body) == 463
    # still serving
    fresh = encode(_ask(reg.ven_id), signer=signer)
    status, body = await h.post_bytes("EiEvent", fresh, fingerprint=fp)
    assert status == 200 and _code(body) == 200
    assert (await h.store.vens.get(reg.ven_id)).fingerprint == fp


def _ask(ven_id: str) -> RequestEvent:
    return RequestEvent(request_id="r", ven_id=ven_id)


def _registration(**fields):
    from common.messages.enums import ProfileName, TransportName
    from common.messages.registration import CreatePartyRegistration

    return CreatePartyRegistration(
        request_id="reg",
        profile_name=ProfileName.B,
        transport_name=TransportName.SIMPLE_HTTP,
        report_only=False,
        xml_signature=True,
        http_pull_model=True,
        **fields,
    )


async def test_stored_events_survive_hostile_traffic(harness: Harness) -> None:
    h = harness
    reg = await h.register(FP)
    event = await add_event(h.store)
    for body in (b"<", b"\x00" * 100, b"<a>" * 200 + b"</a>" * 200):
        status, _ = await h.post_bytes("EiEvent", body, fingerprint=FP)
        assert status in (200, 400)
    reply = await h.post("EiEvent", RequestEvent(request_id="r", ven_id=reg.ven_id), fingerprint=FP)
    assert [e.event.event_descriptor.event_id for e in reply.events] == [event.event_id]
    await _healthy(h, reg.ven_id)


# ---- plain HTTP without certificates ----------------------------------------------------------


@pytest.fixture
async def anonymous_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """Plain HTTP without a fingerprint header: VENs are known by venID alone."""
    clock = ManualClock(START)
    built, client = await start_harness(
        header_config(tmp_path, tls=TlsSettings()), clock
    )
    try:
        yield built
    finally:
        await client.close()
        await built.store.close()


async def test_plain_http_identifies_vens_by_ven_id(anonymous_harness: Harness) -> None:
    h = anonymous_harness
    reg = await h.register(None)  # type: ignore[arg-type]
    ven = await h.store.vens.get(reg.ven_id)
    assert ven.fingerprint == f"unauthenticated:{reg.ven_id}"
    again = await h.register(None, ven_id=reg.ven_id)  # type: ignore[arg-type]
    assert again.registration_id == reg.registration_id
    # without a certificate the venID is the identity: an unknown one is not registered (N1_0080)
    reply = await h.post("OadrPoll", Poll(ven_id="nobody"), fingerprint=None)
    assert reply.response.response_code == 463
    reply = await h.post(
        "EiEvent", RequestEvent(request_id="r", ven_id=reg.ven_id), fingerprint=None
    )
    assert reply.response.response_code == 200
