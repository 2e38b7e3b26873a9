"""Hostile and malformed input: every refusal is a typed project error with the right code."""

from __future__ import annotations

import pytest

from common.errors import (
    BodyTooLarge,
    InvalidData,
    MalformedXml,
    NotRecognized,
    ProtocolError,
    ResponseCode,
    SchemaViolation,
)
from common.messages import examples
from common.messages.poll import Poll
from common.xml import DEFAULT_LIMITS, Limits, decode, encode, parse

OADR = "http://openadr.org/oadr-2.0b/2012/07"
EI = "http://docs.oasis-open.org/ns/energyinterop/201110"


def poll_document(ven_id_xml: str = "<ei:venID>ven-1</ei:venID>", *, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        f'<oadr:oadrPayload xmlns:oadr="{OADR}" xmlns:ei="{EI}">'
        f'<oadr:oadrSignedObject oadr:Id="oadrSignedObject">'
        f'<oadr:oadrPoll ei:schemaVersion="2.0b">{ven_id_xml}</oadr:oadrPoll>'
        f"</oadr:oadrSignedObject></oadr:oadrPayload>"
    ).encode()


def refused(data: bytes, error: type[ProtocolError], code: ResponseCode, **kwargs) -> str:
    """Assert that decoding `data` raises exactly `error` with `code`; return its message."""
    with pytest.raises(ProtocolError) as caught:
        decode(data, **kwargs)
    assert type(caught.value) is error, repr(caught.value)
    assert caught.value.code is code
    return str(caught.value)


def test_a_clean_document_passes():
    assert decode(poll_document()) == Poll(ven_id="ven-1")


def test_billion_laughs_is_refused_before_parsing():
    laughs = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    data = poll_document("<ei:venID>&lol3;</ei:venID>", prolog=laughs)
    message = refused(data, MalformedXml, ResponseCode.INVALID_DATA)
    assert "DTD" in message


def test_external_entity_is_refused():
    xxe = '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    data = poll_document("<ei:venID>&xxe;</ei:venID>", prolog=xxe)
    message = refused(data, MalformedXml, ResponseCode.INVALID_DATA)
    assert "DTD" in message
    assert "root:" not in message


def test_entity_declaration_without_doctype_and_undefined_entities_are_refused():
    refused(poll_document('<ei:venID><!ENTITY x "y"></ei:venID>'), MalformedXml,
            ResponseCode.INVALID_DATA)  # fmt: skip
    message = refused(
        poll_document("<ei:venID>&undefined;</ei:venID>"), MalformedXml, ResponseCode.INVALID_DATA
    )
    assert "undefined" in message


def test_huge_body_is_refused():
    padding = "x" * (DEFAULT_LIMITS.max_bytes + 1)
    data = poll_document(f"<ei:venID>{padding}</ei:venID>")
    message = refused(data, BodyTooLarge, ResponseCode.INVALID_DATA)
    assert str(DEFAULT_LIMITS.max_bytes) in message
    small = Limits(max_bytes=200)
    refused(poll_document(), BodyTooLarge, ResponseCode.INVALID_DATA, limits=small)


def nested_event_document(depth: int) -> bytes:
    """A valid oadrDistributeEvent whose (schema-open) xcal:components nests `depth` levels."""
    data = encode(examples.distribute_event(1, full=False))
    deep = "<a>" * depth + "</a>" * depth
    marker = b"<xcal:components/>"
    assert marker in data
    return data.replace(marker, b"<xcal:components>" + deep.encode() + b"</xcal:components>")


def test_deeply_nested_body_is_refused():
    assert decode(nested_event_document(3)).events  # a little nesting inside is fine
    message = refused(nested_event_document(40), MalformedXml, ResponseCode.INVALID_DATA)
    assert "deeper than 32" in message
    refused(nested_event_document(100_000), MalformedXml, ResponseCode.INVALID_DATA)
    loose = Limits(max_depth=64)
    assert decode(nested_event_document(40), limits=loose).events


def test_wrong_namespace_root_is_not_recognized():
    data = poll_document().replace(OADR.encode(), b"http://openadr.org/oadr-2.0a/2012/07")
    message = refused(data, NotRecognized, ResponseCode.NOT_RECOGNIZED)
    assert "oadrPayload" in message


def test_wrong_namespace_inside_is_a_schema_violation():
    data = poll_document('<ei:venID xmlns:ei="urn:not-energyinterop">ven-1</ei:venID>')
    message = refused(data, SchemaViolation, ResponseCode.INVALID_DATA)
    assert "venID" in message


def test_root_that_is_not_oadr_payload_is_not_recognized():
    data = f'<ei:venID xmlns:ei="{EI}">ven-1</ei:venID>'.encode()
    refused(data, NotRecognized, ResponseCode.NOT_RECOGNIZED)


@pytest.mark.parametrize(
    ("inner", "mentions"),
    [
        ("", "oadrPoll"),  # venID missing
        ("<ei:venID>a</ei:venID><ei:venID>b</ei:venID>", "venID"),  # too many
        ("<ei:vtnID>x</ei:vtnID>", "vtnID"),  # wrong element
    ],
)
def test_schema_invalid_content_is_refused(inner, mentions):
    message = refused(poll_document(inner), SchemaViolation, ResponseCode.INVALID_DATA)
    assert mentions in message


def test_schema_invalid_values_are_refused():
    data = encode(examples.distribute_event(1, full=False))
    message = refused(
        data.replace(b">far<", b">sometime<"), SchemaViolation, ResponseCode.INVALID_DATA
    )
    assert "eventStatus" in message
    refused(data.replace(b"PT15M", b"15 minutes"), SchemaViolation, ResponseCode.INVALID_DATA)


def test_duplicate_xml_ids_are_refused():
    data = encode(examples.distribute_event(1))
    collection = b"<gml:FeatureCollection>"
    assert data.count(collection) == 2
    data = data.replace(collection, b'<gml:FeatureCollection gml:id="same">')
    refused(data, SchemaViolation, ResponseCode.INVALID_DATA)


def test_invalid_utf8_is_refused():
    data = poll_document("<ei:venID>caf\xe9</ei:venID>").replace("é".encode(), b"\xe9")
    message = refused(data, MalformedXml, ResponseCode.INVALID_DATA)
    assert "UTF-8" in message
    refused(poll_document().decode().encode("utf-16"), MalformedXml, ResponseCode.INVALID_DATA)
    latin = poll_document().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
    assert "ISO-8859-1" in refused(latin, MalformedXml, ResponseCode.INVALID_DATA)
    assert decode(poll_document("<ei:venID>café</ei:venID>")) == Poll(ven_id="café")


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"   ",
        b"hello world",
        b'{"venID": 1}',
        b"<oadr:oadrPayload",
        b"\x00\x01\x02",
        b"<a></b>",
    ],
)
def test_non_xml_garbage_is_refused(garbage):
    refused(garbage, MalformedXml, ResponseCode.INVALID_DATA)


def test_unknown_payload_type_is_not_recognized():
    data = poll_document().replace(b"oadr:oadrPoll", b"oadr:oadrTeleport")
    message = refused(data, NotRecognized, ResponseCode.NOT_RECOGNIZED)
    assert "oadrTeleport" in message


def test_no_lxml_exception_escapes_from_truncated_or_mangled_input():
    data = encode(examples.distribute_event(1))
    for cut in range(0, len(data), 23):
        with pytest.raises(ProtocolError):
            decode(data[:cut])
    for position in range(40, len(data), 97):
        mangled = data[:position] + b"<" + data[position:]
        with pytest.raises(ProtocolError):
            decode(mangled)


def test_parse_refuses_text():
    with pytest.raises(TypeError):
        parse(poll_document().decode())  # type: ignore[arg-type]


def test_schema_valid_but_unrepresentable_values_are_invalid_data():
    data = encode(examples.distribute_event(1, full=False)).replace(b"PT15M", b"P1Y", 1)
    message = refused(data, InvalidData, ResponseCode.INVALID_DATA)
    assert "years or months" in message
    odd_time = b"2026-07-01T17:00:00.Z"
    data = encode(examples.distribute_event(1, full=False))
    data = data.replace(b"2026-07-01T17:00:00Z", odd_time, 1)
    with pytest.raises(InvalidData):  # refused by the schema or by our reader, never a crash
        decode(data)


def test_a_refusal_reports_its_own_error_not_an_earlier_documents():
    # the per-thread parser keeps an error log; a stale entry must not become this message
    refused(b"not xml at all", MalformedXml, ResponseCode.INVALID_DATA)
    message = refused(
        poll_document("<ei:venID>&undefined;</ei:venID>"), MalformedXml, ResponseCode.INVALID_DATA
    )
    assert "undefined" in message and "Start tag expected" not in message
