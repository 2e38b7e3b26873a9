"""N1_0080 (G1 "payload while unregistered"): the harness accepts no reply or 463. Every service
answers a sender the VTN does not know with a parseable payload carrying 463 (HTTP 200), never a
bare HTTP error; oadrQueryRegistration alone is answered 200 (it is how a VEN asks)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from common.clock import ManualClock
from common.messages.enums import OptReason, OptType, ReadingType
from common.messages.event import CreatedEvent, EventResponse, RequestEvent
from common.messages.opt import CancelOpt, CreateOpt
from common.messages.poll import Poll, Response
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    QueryRegistration,
)
from common.messages.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    RegisteredReport,
    ReportRequest,
    ReportSpecifier,
    SpecifierPayload,
)
from common.messages.types import EiResponse, Message, Period, QualifiedEventId
from tests.support.ven_reports import metadata_report, update_report
from tests.support.vtn_harness import START, Harness, fingerprint_of, header_config, start_harness
from vtn.config import TlsSettings

STRANGER = fingerprint_of(9)
VEN = "ven-unknown"


def _ok(request_id: str = "r") -> EiResponse:
    return EiResponse(response_code=200, request_id=request_id, response_description="OK")


_SPECIFIER = ReportSpecifier(
    report_specifier_id="METADATA", granularity=timedelta(0), report_back_duration=timedelta(0),
    specifier_payloads=(SpecifierPayload(r_id="0", reading_type=ReadingType.X_NOT_APPLICABLE),))

PAYLOADS: list[tuple[str, Message]] = [
    ("OadrPoll", Poll(ven_id=VEN)),
    ("EiEvent", RequestEvent(request_id="e", ven_id=VEN)),
    ("EiEvent", CreatedEvent(response=_ok(), ven_id=VEN, event_responses=(EventResponse(
        response_code=200, request_id="r", opt_type=OptType.OPT_IN,
        qualified_event_id=QualifiedEventId(event_id="ev", modification_number=0)),))),
    ("EiOpt", CreateOpt(opt_id="o", opt_type=OptType.OPT_OUT, opt_reason=OptReason.ECONOMIC,
                        ven_id=VEN, created_date_time=START, request_id="o",
                        vavailability=(Period(dtstart=START, duration=timedelta(hours=1)),))),
    ("EiOpt", CancelOpt(request_id="c", opt_id="o", ven_id=VEN)),
    ("EiReport", metadata_report(VEN)),
    ("EiReport", RegisteredReport(response=_ok(), ven_id=VEN)),
    ("EiReport", CreateReport(request_id="cr", ven_id=VEN, report_requests=(
        ReportRequest(report_request_id="q", report_specifier=_SPECIFIER),))),
    ("EiReport", CreatedReport(response=_ok(), ven_id=VEN)),
    ("EiReport", update_report(VEN, "q", [1.0])),
    ("EiReport", CancelReport(request_id="x", report_request_ids=("q",), report_to_follow=False,
                              ven_id=VEN)),
    ("EiReport", CanceledReport(response=_ok(), ven_id=VEN)),
    ("EiRegisterParty", CancelPartyRegistration(request_id="c", registration_id="reg",
                                                ven_id=VEN)),
    ("EiRegisterParty", CanceledPartyRegistration(response=_ok(), registration_id="reg",
                                                  ven_id=VEN)),
    ("EiRegisterParty", Response(response=_ok(), ven_id=VEN)),
]


@pytest.mark.parametrize(("service", "message"), PAYLOADS,
                         ids=[f"{s}-{type(m).__name__}" for s, m in PAYLOADS])
async def test_an_unregistered_sender_gets_a_parseable_463(harness: Harness, service: str,
                                                           message: Message):
    reply = await harness.post(service, message, fingerprint=STRANGER)  # asserts HTTP 200
    response = getattr(reply, "response", None)
    assert response is not None, reply
    assert int(response.response_code) == 463, reply
    assert await harness.store.vens.list(include_cancelled=True) == ()


async def test_a_query_from_an_unregistered_sender_is_answered(harness: Harness):
    reply = await harness.post("EiRegisterParty", QueryRegistration(request_id="q"),
                               fingerprint=STRANGER)
    assert isinstance(reply, CreatedPartyRegistration)
    assert reply.response.response_code == 200 and reply.ven_id is None


# ---- cancelled registrations (N1_0030, N1_0040) and unknown venIDs on plain HTTP (N1_0080) ----

MINE = fingerprint_of(1)


@pytest.fixture
async def anonymous(tmp_path: Path) -> AsyncIterator[Harness]:
    """Plain HTTP without a fingerprint header (the conformance kit's setup): a VEN is known
    by its venID alone."""
    built, client = await start_harness(header_config(tmp_path, tls=TlsSettings()),
                                        ManualClock(START))
    try:
        yield built
    finally:
        await client.close()
        await built.store.close()


async def _drain(harness: Harness, ven_id: str, fingerprint: str | None = MINE) -> list[Message]:
    """Poll until the VTN answers oadrResponse; what came before it."""
    got: list[Message] = []
    for _ in range(10):
        reply = await harness.post("OadrPoll", Poll(ven_id=ven_id), fingerprint=fingerprint)
        if isinstance(reply, Response):
            assert reply.response.response_code == 200, reply
            return got
        got.append(reply)
    raise AssertionError(f"the queue did not empty: {got}")


def _code(reply: Message) -> int:
    response = getattr(reply, "response", None)
    assert response is not None, reply
    return int(response.response_code)


async def test_a_ven_that_cancelled_its_registration_is_refused_463_until_it_registers(
    harness: Harness,
):
    reg = await harness.register(MINE)
    assert reg.ven_id is not None and reg.registration_id is not None
    await _drain(harness, reg.ven_id)
    canceled = await harness.post("EiRegisterParty", CancelPartyRegistration(
        request_id="c", registration_id=reg.registration_id, ven_id=reg.ven_id), fingerprint=MINE)
    assert _code(canceled) == 200
    for service, message in PAYLOADS[:2]:  # oadrPoll, oadrRequestEvent
        message = dataclasses.replace(message, ven_id=reg.ven_id)  # type: ignore[type-var]
        assert _code(await harness.post(service, message, fingerprint=MINE)) == 463
    # a payload naming a venID nobody has, from the cancelled certificate: not registered either
    assert _code(await harness.post("OadrPoll", Poll(ven_id="nobody"), fingerprint=MINE)) == 463
    back = await harness.register(MINE)
    assert back.ven_id == reg.ven_id
    await _drain(harness, reg.ven_id)


async def test_after_the_vtn_cancels_the_poll_brings_the_cancellation_then_463(harness: Harness):
    from vtn.services.registration import cancel_registration

    reg = await harness.register(MINE)

    assert reg.ven_id is not None and reg.registration_id is not None
    await _drain(harness, reg.ven_id)
    await cancel_registration(harness.vtn, reg.ven_id)
    cancel = await harness.post("OadrPoll", Poll(ven_id=reg.ven_id), fingerprint=MINE)
    assert isinstance(cancel, CancelPartyRegistration)
    assert cancel.registration_id == reg.registration_id
    ack = await harness.post("EiRegisterParty", CanceledPartyRegistration(
        response=_ok(cancel.request_id), registration_id=reg.registration_id,
        ven_id=reg.ven_id), fingerprint=MINE)
    assert isinstance(ack, Response) and _code(ack) == 200
    assert _code(await harness.post("OadrPoll", Poll(ven_id=reg.ven_id), fingerprint=MINE)) == 463


async def test_plain_http_without_identity_refuses_unknown_and_cancelled_ven_ids_463(
    anonymous: Harness,
):
    for service, message in PAYLOADS:  # venID "ven-unknown": nobody registered it
        assert _code(await anonymous.post(service, message, fingerprint=None)) == 463, message
    reg = await anonymous.register(None)  # type: ignore[arg-type]
    assert reg.ven_id is not None and reg.registration_id is not None
    await _drain(anonymous, reg.ven_id, None)
    await anonymous.post("EiRegisterParty", CancelPartyRegistration(
        request_id="c", registration_id=reg.registration_id, ven_id=reg.ven_id), fingerprint=None)
    assert _code(await anonymous.post("OadrPoll", Poll(ven_id=reg.ven_id), fingerprint=None)) \
        == 463
    assert await anonymous.store.vens.list() == ()
