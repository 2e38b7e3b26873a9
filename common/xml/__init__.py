"""The 2.0b XML codec: hardened parsing with XSD validation, and typed message <-> lxml element.

Public API (other packages code against these names):

- ``parse(data, *, limits=DEFAULT_LIMITS) -> etree._Element``: hardened parse + XSD validation,
  returns the oadrPayload root (keep it to verify a signature).
- ``from_element(root) -> Message`` and ``decode(data, *, limits=...) -> Message``.
- ``to_element(message) -> etree._Element`` and ``encode(message, *, signer=None) -> bytes``.
- ``Limits``, ``DEFAULT_LIMITS``, ``Signer`` (the protocol ``encode`` expects), ``validate``.
"""

from common.xml.codec import Codec, Signer
from common.xml.parser import DEFAULT_LIMITS, Limits, parse, validate
from common.xml.registry import decode, encode, from_element, to_element

__all__ = [
    "DEFAULT_LIMITS",
    "Codec",
    "Limits",
    "Signer",
    "decode",
    "encode",
    "from_element",
    "parse",
    "to_element",
    "validate",
]
