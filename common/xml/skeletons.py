"""Whole-message skeletons: encode a message by copying a prebuilt tree of its shape.

Building a long message element by element (or from per-interval prototypes, which lxml then
moves into the message's document) costs most of an encode. A codec that declares a
``flatten(message) -> (shape, texts) | None`` (see ``common.xml.codec.Codec``) gets a faster
path in ``registry.to_element``:

- ``shape`` is a hashable *shape key*: it must determine the whole tree the codec's ``write``
  builds for the message (every element, attribute and namespace) except the element texts, and
  never contain message content (only counts and which optional parts are present);
- ``texts`` are the texts ``write`` sets, in document order (one per element that has a text).

``element(key, texts, build)`` looks the key up in this thread's cache. On a hit it sets the new
texts on the cached skeleton's text-bearing elements ("slots", kept in document order) and
returns a copy of the skeleton: one C-level deep copy into a fresh document, so nothing is moved
between documents and no proxy is made for the copy's elements. Every slot is overwritten before
each copy, so a copy never carries another message's text; the skeleton itself keeps the texts of
the last message of its shape until the next one (or its eviction). On a miss the message is
built by `build()` (the codec's own writer), which seeds the cache: a copy of that tree becomes
the skeleton, its elements with a text become the slots, and the skeleton is kept only if those
texts equal `texts` (a flatten that disagrees with its writer leaves that shape on the plain
path for good).

The cache is per thread (lxml trees must not be shared between threads), keyed by shape only,
and bounded: at most ``MAX_SHAPES`` shapes holding at most ``MAX_CACHED_SLOTS`` slots in all
(least recently used first out), and a message with more than ``MAX_SLOTS`` texts is always built
by `build()` and never cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Final

from lxml import etree

__all__ = ["MAX_CACHED_SLOTS", "MAX_SHAPES", "MAX_SLOTS", "clear", "element", "has_skeleton"]

MAX_SHAPES: Final = 64
MAX_SLOTS: Final = 8192
"""Texts of the longest message that gets a skeleton (a day of 15-minute data has ~500)."""
MAX_CACHED_SLOTS: Final = 32768
"""Slots of all of a thread's skeletons together (each slot is about two elements)."""

_LOCAL = threading.local()
_PLAIN: Final = None
"""Cache entry of a shape whose flatten disagreed with its writer: always built by `build()`."""

Entry = tuple[etree._Element, tuple[etree._Element, ...]] | None


def _cache() -> OrderedDict[Hashable, Entry]:
    cache: OrderedDict[Hashable, Entry] | None = getattr(_LOCAL, "cache", None)
    if cache is None:
        cache = _LOCAL.cache = OrderedDict()
        _LOCAL.slots = 0  # in all of the cache's skeletons
    return cache


def clear() -> None:
    """Forget this thread's skeletons."""
    _cache().clear()
    _LOCAL.slots = 0


def _size(entry: Entry) -> int:
    return 0 if entry is None else len(entry[1])


def element(key: Hashable, texts: list[str], build: Callable[[], etree._Element]) -> etree._Element:
    """A fresh tree of shape `key` with `texts` in its slots (see the module doc)."""
    cache = _cache()
    try:
        entry = cache[key]
    except KeyError:
        return _seed(cache, key, texts, build)
    cache.move_to_end(key)
    if entry is _PLAIN:
        return build()
    skeleton, slots = entry
    for node, text in zip(slots, texts, strict=True):
        node.text = text
    return skeleton.__copy__()


def _seed(
    cache: OrderedDict[Hashable, Entry],
    key: Hashable,
    texts: list[str],
    build: Callable[[], etree._Element],
) -> etree._Element:
    """Build the tree with `build()` and keep a copy of it as the skeleton of `key`."""
    root = build()
    if len(texts) > MAX_SLOTS:
        return root
    entry: Entry = _PLAIN
    if [node.text for node in root.iter() if node.text is not None] == texts:
        skeleton = root.__copy__()
        entry = (skeleton, tuple(node for node in skeleton.iter() if node.text is not None))
    cache[key] = entry
    _LOCAL.slots += _size(entry)
    while len(cache) > MAX_SHAPES or _LOCAL.slots > MAX_CACHED_SLOTS:
        _LOCAL.slots -= _size(cache.popitem(last=False)[1])
    return root


def has_skeleton(key: Hashable) -> bool:
    """Whether this thread has a skeleton for `key` (for tests)."""
    return _cache().get(key) is not None
