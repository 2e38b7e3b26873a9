"""The one codec registry (payload root tag -> Codec) and the public encode/decode functions.

The registry is built from each service module's ``CODECS`` tuple, listed explicitly in
``_SERVICE_MODULES`` (event, opt, poll, registration, report); a new service module is imported
here and added to that tuple. The mappings are read-only. ``to_element`` starts from a copy of a
per-codec envelope prototype (oadrPayload/oadrSignedObject/payload) and lets the codec fill it,
or, for a codec with a ``flatten``, copies a whole-message skeleton of the message's shape and
sets its texts (``common.xml.skeletons``).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Final

from lxml import etree

from common.errors import InvalidData, NotRecognized
from common.messages.types import Message
from common.xml import event, opt, poll, prototypes, registration, report, skeletons
from common.xml.codec import Codec, Signer
from common.xml.names import (
    OADR_PAYLOAD,
    OADR_SIGNED_OBJECT,
    SCHEMA_VERSION_ATTR,
    SIGNED_OBJECT_ID,
    SIGNED_OBJECT_ID_ATTR,
)
from common.xml.parser import DEFAULT_LIMITS, Limits, parse

__all__ = ["CODECS_BY_TAG", "CODECS_BY_TYPE", "decode", "encode", "from_element", "to_element"]

_SERVICE_MODULES: Final = (event, opt, poll, registration, report)

CODECS_BY_TAG: Final = MappingProxyType(
    {codec.tag: codec for module in _SERVICE_MODULES for codec in module.CODECS}
)
"""Payload root tag (Clark notation) -> Codec."""
CODECS_BY_TYPE: Final = MappingProxyType(
    {codec.message_type: codec for codec in CODECS_BY_TAG.values()}
)
"""Message class -> Codec."""

_SIGNED_OBJECT_ATTRIB: Final = {SIGNED_OBJECT_ID_ATTR: SIGNED_OBJECT_ID}
_PAYLOAD_ATTRIB: Final = {SCHEMA_VERSION_ATTR: "2.0b"}


def from_element(root: etree._Element) -> Message:
    """The typed message inside a validated oadrPayload root (as returned by ``parse``)."""
    payload = root[len(root) - 1][0]
    codec = CODECS_BY_TAG.get(payload.tag)
    if codec is None:
        raise NotRecognized(f"payload type {etree.QName(payload).localname!r} is not supported")
    try:
        message: Message = codec.read(payload)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, OverflowError) as exc:
        # A schema-valid document our reader cannot represent is the peer's data problem (454),
        # never an internal error.
        name = etree.QName(payload).localname
        raise InvalidData(f"cannot read {name}: {type(exc).__name__}: {exc}") from exc
    return message


def decode(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> Message:
    """Parse, validate and type an incoming body: ``from_element(parse(data))``."""
    return from_element(parse(data, limits=limits))


def to_element(message: Message) -> etree._Element:
    """The oadrPayload tree for `message`: oadrPayload/oadrSignedObject[@oadr:Id]/payload.

    A codec with a ``flatten`` copies a cached skeleton of the message's shape and sets its
    texts (``common.xml.skeletons``); the tree is the same as ``write`` builds.
    """
    codec = CODECS_BY_TYPE.get(type(message))
    if codec is None:
        raise TypeError(f"no codec for {type(message).__name__}")
    flatten = codec.flatten
    if flatten is not None:
        flat = flatten(message)
        if flat is not None:
            shape, texts = flat
            return skeletons.element(
                (codec.tag, shape), texts, lambda: _write_element(codec, message)
            )
    return _write_element(codec, message)


def _write_element(codec: Codec[Any], message: Message) -> etree._Element:
    """The oadrPayload tree for `message` built by ``codec.write``, without skeletons."""
    root = prototypes.clone(("envelope", codec.tag), lambda: _build_envelope(codec))
    codec.write(root[0][0], message)
    return root


def _build_envelope(codec: Codec[Any]) -> etree._Element:
    """Prototype of oadrPayload/oadrSignedObject/<empty payload> for `codec`."""
    root = etree.Element(OADR_PAYLOAD, nsmap=codec.nsmap)
    signed = etree.SubElement(root, OADR_SIGNED_OBJECT, _SIGNED_OBJECT_ATTRIB)
    etree.SubElement(signed, codec.tag, _PAYLOAD_ATTRIB)
    return root


def encode(message: Message, *, signer: Signer | None = None) -> bytes:
    """Serialise `message` as a UTF-8 oadrPayload document, signed by `signer` if given."""
    root = to_element(message)
    if signer is not None:
        signer.sign(root)
    data: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return data
