"""Property: every valid message of every payload type encodes to schema-valid XML and decodes
back equal (strategies derived from the message dataclasses, ``tests.support.strategies``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from common.messages.types import Message
from common.xml import decode, encode
from common.xml.schema import xml_schema
from tests.support.strategies import PAYLOAD_TYPES, message_strategy


def test_every_payload_type_of_the_registry_is_covered():
    assert len(PAYLOAD_TYPES) == 23
    for message_type in PAYLOAD_TYPES:
        assert message_strategy(message_type) is not None


@pytest.mark.parametrize("message_type", PAYLOAD_TYPES, ids=lambda t: t.__name__)
@settings(max_examples=max(5, settings.default.max_examples // 2))
@given(data=st.data())
def test_encode_validates_and_decodes_equal(message_type: type[Message], data: st.DataObject):
    message = data.draw(message_strategy(message_type), label="message")
    encoded = encode(message)
    schema = xml_schema()
    document = etree.fromstring(encoded)
    assert schema.validate(document), schema.error_log.last_error
    assert decode(encoded) == message
