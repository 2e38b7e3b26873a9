"""Inputs the structure-aware fuzzer (test_fuzz_decoder, test_fuzz_roundtrip) found, kept as
literal regression tests: each failed before its fix in ``common/xml``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.errors import InvalidData, ResponseCode
from common.messages.enums import ItemKind, ReadingType
from common.messages.report import CreateReport, ReportRequest, ReportSpecifier, SpecifierPayload
from common.messages.types import ItemBase
from common.xml import decode, encode, validate
from common.xml.lexical import write_decimal
from common.xml.registry import to_element

OADR_NS = (
    'xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110" '
    'xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07" '
    'xmlns:pyld="http://docs.oasis-open.org/ns/energyinterop/201110/payloads" '
    'xmlns:xcal="urn:ietf:params:xml:ns:icalendar-2.0"'
)


def created_party_registration(poll_freq: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<oadr:oadrPayload {OADR_NS}>"
        '<oadr:oadrSignedObject oadr:Id="oadrSignedObject">'
        '<oadr:oadrCreatedPartyRegistration ei:schemaVersion="2.0b">'
        "<ei:eiResponse><ei:responseCode>200</ei:responseCode>"
        "<pyld:requestID>r</pyld:requestID></ei:eiResponse>"
        "<ei:vtnID>vtn</ei:vtnID>"
        "<oadr:oadrProfiles><oadr:oadrProfile><oadr:oadrProfileName>2.0b</oadr:oadrProfileName>"
        "<oadr:oadrTransports><oadr:oadrTransport>"
        "<oadr:oadrTransportName>simpleHttp</oadr:oadrTransportName>"
        "</oadr:oadrTransport></oadr:oadrTransports></oadr:oadrProfile></oadr:oadrProfiles>"
        "<oadr:oadrRequestedOadrPollFreq>"
        f"<xcal:duration>{poll_freq}</xcal:duration>"
        "</oadr:oadrRequestedOadrPollFreq>"
        "</oadr:oadrCreatedPartyRegistration></oadr:oadrSignedObject></oadr:oadrPayload>"
    ).encode()


def create_opt(duration: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<oadr:oadrPayload {OADR_NS}>"
        '<oadr:oadrSignedObject oadr:Id="oadrSignedObject">'
        '<oadr:oadrCreateOpt ei:schemaVersion="2.0b">'
        "<ei:optID>o</ei:optID><ei:optType>optOut</ei:optType>"
        "<ei:optReason>economic</ei:optReason><ei:venID>v</ei:venID>"
        "<xcal:vavailability><xcal:components><xcal:available><xcal:properties>"
        "<xcal:dtstart><xcal:date-time>2026-01-01T00:00:00Z</xcal:date-time></xcal:dtstart>"
        f"<xcal:duration><xcal:duration>{duration}</xcal:duration></xcal:duration>"
        "</xcal:properties></xcal:available></xcal:components></xcal:vavailability>"
        "<ei:createdDateTime>2026-01-01T00:00:00Z</ei:createdDateTime>"
        "<pyld:requestID>r</pyld:requestID><ei:eiTarget/>"
        "</oadr:oadrCreateOpt></oadr:oadrSignedObject></oadr:oadrPayload>"
    ).encode()


def test_the_literal_documents_are_valid_with_an_ordinary_duration():
    assert decode(created_party_registration("PT10S")).requested_oadr_poll_freq == timedelta(
        seconds=10
    )
    assert decode(create_opt("PT1H")).vavailability[0].duration == timedelta(hours=1)


@pytest.mark.parametrize(
    "duration", ["PT99999999999999999999S", "P999999999999D", "-P999999999999D", "PT999999999999H"]
)
def test_schema_valid_duration_beyond_timedelta_is_invalid_data(duration):
    """Found: a duration the xcal pattern accepts but ``timedelta`` cannot hold (more than
    999999999 days) escaped ``decode`` as a bare OverflowError (an internal 469 at the VTN).
    Fixed: ``lexical.read_duration`` raises InvalidData (454); ``from_element`` also translates
    OverflowError."""
    for document in (created_party_registration(duration), create_opt(duration)):
        with pytest.raises(InvalidData, match="out of range") as caught:
            decode(document)
        assert caught.value.code is ResponseCode.INVALID_DATA


@pytest.mark.parametrize("hertz", [2.0726278e-10, -1.255684558072346e-177, 1e300, 5e-324])
def test_power_attributes_keep_their_value_through_xs_decimal(hertz):
    """Found by the round-trip property: ``write_decimal`` wrote a float whose repr has an
    exponent with ``format(value, "f")`` (six decimals), so 2.07e-10 Hz came back as 0.0.
    Fixed: the exact decimal expansion of the float's repr."""
    assert write_decimal(hertz) != "0.000000"
    unit = ItemBase.power(ItemKind.POWER_REAL, hertz=hertz, voltage=-hertz)
    message = CreateReport(
        request_id="r",
        report_requests=(
            ReportRequest(
                report_request_id="rr",
                report_specifier=ReportSpecifier(
                    report_specifier_id="s",
                    granularity=timedelta(0),
                    report_back_duration=timedelta(0),
                    specifier_payloads=(
                        SpecifierPayload(
                            r_id="p", reading_type=ReadingType.DIRECT_READ, item_base=unit
                        ),
                    ),
                ),
            ),
        ),
    )
    validate(to_element(message))
    assert decode(encode(message)) == message
