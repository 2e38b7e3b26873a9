"""Fuzzing the decoder: damaged documents (``tests.support.mutations``) of every payload type.

Property: ``decode`` answers anything with a message or one of the project's wire errors
(InvalidData and its MalformedXml / SchemaViolation / BodyTooLarge, or NotRecognized), never a
bare Python or lxml exception; and a message it accepts can be encoded again (the VTN echoes
request fields in its replies). Crashes found here become literal tests in
test_fuzz_regressions.py.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import InvalidData, NotRecognized
from common.xml import Limits, decode, encode
from tests.support.mutations import mutated
from tests.support.strategies import any_message

WIRE_ERRORS = (InvalidData, NotRecognized)
SMALL_LIMITS = Limits(max_bytes=16 * 1024, max_depth=12)


def decode_or_refuse(data: bytes, limits: Limits | None = None) -> None:
    """Decode `data`; a wire error is a fine answer, and an accepted message must re-encode."""
    try:
        message = decode(data) if limits is None else decode(data, limits=limits)
    except WIRE_ERRORS:
        return
    encode(message)


@settings(max_examples=settings.default.max_examples * 10)
@given(data=mutated(any_message().map(encode)))
def test_damaged_documents_get_only_wire_errors(data: bytes):
    decode_or_refuse(data)


@settings(max_examples=settings.default.max_examples)
@given(data=mutated(any_message().map(encode)))
def test_damaged_documents_under_small_limits_get_only_wire_errors(data: bytes):
    decode_or_refuse(data, SMALL_LIMITS)


@settings(max_examples=settings.default.max_examples)
@given(
    data=st.binary(max_size=512)
    | st.text(max_size=200).map(str.encode)
    | st.from_regex(r"\A(<[a-z:]{1,8}( [a-z:]{1,5}=\"[^\"<]{0,8}\")*>){1,40}\Z").map(str.encode)
)
def test_random_bytes_get_only_wire_errors(data: bytes):
    decode_or_refuse(data)
