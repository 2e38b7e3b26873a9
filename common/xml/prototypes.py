"""Per-thread prototype subtrees: copy a prebuilt skeleton instead of building it anew.

Building an element with ``etree.SubElement`` costs about a microsecond; copying a prebuilt
subtree is one C-level copy however many elements it has, so a writer that needs the same
skeleton many times (an interval, an event) asks ``clone(key, build)`` for a fresh copy and only
fills in the texts. ``build()`` must return an element whose namespaces are declared on an
ancestor with the full ``NSMAP`` (see ``holder()``), so that copies carry no stray prefixes.
Prototypes are never modified (only their copies are) and live in a per-thread cache because
lxml trees must not be shared between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from lxml import etree

from common.xml.names import NSMAP, OADR_PAYLOAD

_LOCAL = threading.local()


def holder() -> etree._Element:
    """A parent for a prototype: it declares every prefix of ``NSMAP``."""
    return etree.Element(OADR_PAYLOAD, nsmap=NSMAP)


def prototype(key: Hashable, build: Callable[[], etree._Element]) -> etree._Element:
    """This thread's prototype for `key`, built by `build()` on first use: copy it with
    ``__copy__()``, never modify it (for a loop that copies the same prototype many times)."""
    cache: dict[Hashable, etree._Element] | None = getattr(_LOCAL, "cache", None)
    if cache is None:
        cache = _LOCAL.cache = {}
    element = cache.get(key)
    if element is None:
        element = cache[key] = build()
    return element


def clone(key: Hashable, build: Callable[[], etree._Element]) -> etree._Element:
    """A fresh copy of the prototype for `key`, built by `build()` on first use in this thread."""
    return prototype(key, build).__copy__()
