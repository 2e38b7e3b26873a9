"""The codec contract: how one payload type is read from and written to its lxml element.

A ``Codec`` pairs a payload's root tag (the element inside oadrSignedObject) with its message
class and two plain functions:

- ``read(payload_element) -> message``: build the typed message from a *schema-valid* element.
  Walk children directly (``for child in element`` / indexing) and compare ``child.tag`` with
  the precomputed constants of ``common.xml.names``; never xpath, never guess types. Where the
  schema fixes a child's position (eiEvent's four parts, eventID first, rID first…), read it by
  position: the first ``.tag`` of a fresh element costs more than reaching the element. Readers
  on the hot paths (intervals, payloads, events) build their frozen messages with
  ``common.xml.construct.maker`` constructors, a third of the cost of the keyword ``__init__``.
- ``write(payload_element, message) -> None``: fill the payload element, which the registry has
  already created (with ``ei:schemaVersion="2.0b"``), using ``etree.SubElement`` with Clark tags
  and children in schema order. Never pass an nsmap: the root declares the codec's ``nsmap``
  (every prefix by default; small payloads list only the ones they use, which makes both
  building and parsing faster).

A writer that needs the same skeleton many times (an interval, an event) may copy a prebuilt
one with ``common.xml.prototypes.clone`` and only fill in its texts: a copy is one C call, a
SubElement about a microsecond each. The shared pieces live in ``responses.py`` (eiResponse,
qualifiedEventID), ``targets.py`` (EiTargetType), ``timing.py`` (dtstart, durations,
xcal:properties, generic intervals), ``units.py`` (itemBase) and ``lexical.py`` (simple types).

A long message whose tree depends only on a small *shape* (counts, which optional parts are
present) may also have a ``flatten(message) -> (shape, texts) | None``: the registry then copies
a whole-message skeleton of that shape, cached per thread, and sets only its texts
(``common.xml.skeletons``). ``flatten`` must list exactly the texts ``write`` sets, in document
order, and its shape must determine everything else ``write`` builds (elements, attributes).
Only oadrUpdateReport has one (``report.update.flatten_update_report``).

Each service module (``event.py``, ``opt.py``, ``registration.py``, ``poll.py``, and the
``report`` package) exports ``CODECS: tuple[Codec, ...]``; ``registry.py`` lists those modules
explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from lxml import etree

from common.messages.types import Message
from common.xml.names import NSMAP

__all__ = ["Codec", "Signer"]

M = TypeVar("M", bound=Message)


@dataclass(frozen=True, slots=True)
class Codec(Generic[M]):
    """Reader and writer of one payload type, keyed by the payload's Clark tag."""

    tag: str
    message_type: type[M]
    read: Callable[[etree._Element], M]
    write: Callable[[etree._Element, M], None]
    nsmap: Mapping[str, str] = field(default_factory=lambda: NSMAP)
    """The prefixes declared on the root when writing this payload; the fewer, the faster
    (an element outside them still serialises correctly, with a locally declared prefix)."""
    flatten: Callable[[M], tuple[Hashable, list[str]] | None] | None = None
    """Optional: the message's shape key and the texts ``write`` sets, in document order, or
    None for a message to build with ``write`` (see ``common.xml.skeletons``)."""


class Signer(Protocol):
    """What ``encode`` needs from a signer (``common.security.signing.Signer`` provides it)."""

    def sign(self, payload_root: etree._Element) -> None:
        """Insert a ds:Signature over oadrSignedObject into `payload_root`, in place."""
        ...
