"""Hypothesis strategies that damage encoded 2.0b documents, at the byte and at the XML level.

``mutated(documents)`` draws a document from `documents` (bytes, usually ``encode`` of a valid
message) and applies one to three mutations, each chosen from:

- byte level: truncation, a flipped bit, inserted or deleted bytes;
- XML level (on the parsed tree, then serialised): drop, duplicate or reorder child elements,
  replace an element's text with hostile values (random unicode, huge numbers, negative or
  enormous durations, impossible dates, whitespace, nothing), move an element to a wrong or
  empty namespace, rename it, add huge or foreign attributes, wrap it in hundreds of levels;
- prolog level: a DTD with entity declarations (billion laughs, external entities), comments,
  processing instructions, a foreign encoding declaration.

Every mutation is a plain function ``(data, draw) -> bytes`` so a failing example shrinks to
the mutation and its arguments. The decoder must answer each with a message or a
``common.errors`` error, never anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from lxml import etree

__all__ = ["HOSTILE_TEXTS", "MUTATIONS", "mutated"]

Draw = Callable[[st.SearchStrategy[Any]], Any]
Mutation = Callable[[bytes, Draw], bytes]

HOSTILE_TEXTS = (
    "",
    " ",
    "-1",
    "9" * 400,
    "-" + "9" * 400,
    "1e999",
    "-1e999",
    "NaN",
    "INF",
    "0x1F",
    "١٢٣",  # Arabic-Indic digits: int() accepts them, XSD does not
    "P99999999999999999999W",
    "P99999999999999999999D",
    "P999999999999D",
    "-P999999999999D",
    "P999999999D",
    "PT99999999999999999999S",
    "PT999999999999H",
    "4294967296",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "P1Y",
    "P0Y1M",
    "PT",
    "P",
    "-PT1S",
    "P1W2D",
    "2026-13-45T25:61:61Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "-2026-01-01T00:00:00Z",
    "+12026-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-06-01T24:00:00Z",
    "2026-06-01T12:00:00.9999999999Z",
    "2026-06-01",
    "x-",
    "x- ",
    "x-\u00a0",
    "true ",
    "\t\n",
    "\u202e\u200b\ufeff",
    "😀" * 50,
    "&amp;&lt;&#0;",
)
"""Text values that have broken (or nearly broken) decoders: out of range, wrong lexical form,
calendar-dependent durations, impossible dates, odd whitespace and unicode."""

texts = st.one_of(
    st.sampled_from(HOSTILE_TEXTS),
    st.sampled_from(HOSTILE_TEXTS),
    st.text(max_size=40),
    st.integers().map(str),
    st.floats().map(repr),
)
"""Replacement texts: the hostile list, random unicode (XML-invalid characters included, which
lxml refuses to set: those mutations are then skipped), numbers."""

_NAMESPACES = (
    None,
    "",
    "urn:wrong",
    "http://openadr.org/oadr-2.0b/2012/07",
    "http://openadr.org/oadr-2.0a/2012/07",
    "http://docs.oasis-open.org/ns/energyinterop/201110",
    "urn:ietf:params:xml:ns:icalendar-2.0",
)


def _truncate(data: bytes, draw: Draw) -> bytes:
    return data[: draw(st.integers(0, max(0, len(data) - 1)))]


def _flip(data: bytes, draw: Draw) -> bytes:
    index = draw(st.integers(0, len(data) - 1))
    bit = draw(st.integers(0, 7))
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1 :]


def _insert(data: bytes, draw: Draw) -> bytes:
    index = draw(st.integers(0, len(data)))
    inserted = draw(
        st.binary(min_size=1, max_size=16)
        | st.sampled_from([b"<", b">", b"&", b"]]>", b"<![CDATA[", b"\x00", b"\xff", b"\xc3"])
    )
    return data[:index] + inserted + data[index:]


def _delete(data: bytes, draw: Draw) -> bytes:
    start = draw(st.integers(0, len(data) - 1))
    end = draw(st.integers(start, min(len(data), start + 32)))
    return data[:start] + data[end:]


_PROLOGS = (
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">',
    b"<!--" + b"-" * 10 + b"-->",
    b"<?evil instruction?>",
)


def _prolog(data: bytes, draw: Draw) -> bytes:
    """Put a DTD, a comment or a processing instruction between the declaration and the root."""
    prolog = draw(st.sampled_from(_PROLOGS))
    end = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
    return data[:end] + prolog + data[end:]


def _declaration(data: bytes, draw: Draw) -> bytes:
    """Replace the XML declaration (foreign encodings, XML 1.1, standalone, none at all)."""
    declaration = draw(
        st.sampled_from(
            [
                b"",
                b'<?xml version="1.0" encoding="ISO-8859-1"?>',
                b'<?xml version="1.0" encoding="UTF-16"?>',
                b'<?xml version="1.0" encoding="utf8"?>',
                b'<?xml version="1.1" encoding="UTF-8"?>',
                b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
                b"\xef\xbb\xbf<?xml version='1.0'?>",
            ]
        )
    )
    body = data[data.find(b"?>") + 2 :] if data.startswith(b"<?xml") else data
    return declaration + body


# ---- XML level: parse, change one element, serialise -------------------------------------------


def _tree_mutation(change: Callable[[etree._Element, etree._Element, Draw], None]) -> Mutation:
    """A mutation that applies `change(root, element, draw)` to one drawn element of the tree."""

    def mutate(data: bytes, draw: Draw) -> bytes:
        try:
            root = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError:
            return data  # an earlier mutation broke the document: nothing to walk
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        element = draw(st.sampled_from(elements))
        try:
            change(root, element, draw)
        except ValueError:  # lxml refuses a text or a name it could not serialise
            return data
        result: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
        return result

    mutate.__name__ = change.__name__.lstrip("_")
    return mutate


def _drop(root: etree._Element, element: etree._Element, draw: Draw) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def _duplicate(root: etree._Element, element: etree._Element, draw: Draw) -> None:
    parent = element.getparent()
    if parent is not None:
        copies = draw(st.sampled_from([1, 2, 50]))
        index = parent.index(element)
        for _ in range(copies):
            parent.insert(index, _copy(element))


def _copy(element: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(element))


def _reorder(root: etree._Element, element: etree._Element, draw: Draw) -> None:
    children = list(element)
    if len(children) >= 2:
        order = draw(st.permutations(range(len(children))))
        for child in children:
            element.remove(child)
        for index in order:
            element.append(children[index])


def _move(root: etree._Element, element: etree._Element, draw: Draw) -> None:
    """Move a child of `element`'s parent under another element of the tree."""
    parent = element.getparent()
    targets = [e for e in root.iter() if isinstance(e.tag, str) and e is not element]
    if parent is not None and targets:
        target = draw(st.sampled_from(targets))
        if element not in target.iterancestors():
            parent.remove(element)
            target.append(element)


def _set_text(root: etree._Element, element: etree._Element, draw: Draw) -> None:
    element.text = draw(texts)


def _set_leaf_text(root: etree._Element, element: etree._Element, draw: Draw) -> None:
    """Replace the text of a leaf element (one holding a value): the likeliest to be read."""
    leaves = [e for e in root.iter() if isinstance(e.tag, str) and len(e) == 0]
    draw(st.sampled_from(leaves)).text = draw(texts)


def _empty(root: etree._Element, element: etree._Element, draw: Draw) -> None:
    """Remove everything under `element` (its children and text)."""
    for child in list(element):
        element.remove(child)
    element.text = None


def _namespace(root: etree._Element, element: etree._Element, draw: Draw) -> None:
    namespace = draw(st.sampled_from(_NAMESPACES))
    local = etree.QName(element).localname
    element.tag = local if not namespace else f"{{{namespace}}}{local}"


def _rename(root: etree._Element, element: etree._Element, draw: Draw) -> None:
    namespace = etree.QName(element).namespace
    local = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,15}", fullmatch=True))
    element.tag = f"{{{namespace}}}{local}" if namespace else local


def _attribute(root: etree._Element, element: etree._Element, draw: Draw) -> None:
    name = draw(
        st.sampled_from(
            [
                "{http://docs.oasis-open.org/ns/energyinterop/201110}schemaVersion",
                "{http://openadr.org/oadr-2.0b/2012/07}Id",
                "{http://www.opengis.net/gml/3.2}id",
                "{urn:wrong}foreign",
                "plain",
            ]
        )
    )
    value = draw(st.sampled_from(["2.0a", "", "x" * 100_000, "dup"]) | texts)
    element.set(name, value)


def _nest(root: etree._Element, element: etree._Element, draw: Draw) -> None:
    """Wrap `element`'s content in many levels of elements of its own name."""
    depth = draw(st.integers(1, 300))
    inner = etree.SubElement(element, element.tag)
    for _ in range(depth - 1):
        inner = etree.SubElement(inner, element.tag)
    inner.text = "x"


MUTATIONS: tuple[Mutation, ...] = (
    _truncate,
    _flip,
    _insert,
    _delete,
    _prolog,
    _declaration,
    *(
        _tree_mutation(change)
        for change in (
            _drop,
            _duplicate,
            _reorder,
            _move,
            _set_text,
            _set_leaf_text,
            _set_leaf_text,  # (the richest mutation: drawn twice as often)
            _empty,
            _namespace,
            _rename,
            _attribute,
            _nest,
        )
    ),
)
"""Every mutation, as ``(data, draw) -> bytes``."""


@st.composite
def _mutated(draw: Draw, documents: st.SearchStrategy[bytes], max_mutations: int) -> bytes:
    data: bytes = draw(documents)
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=max_mutations)):
        if data:
            data = mutation(data, draw)
    return data


def mutated(
    documents: st.SearchStrategy[bytes], *, max_mutations: int = 3
) -> st.SearchStrategy[bytes]:
    """Documents from `documents`, each damaged by one to `max_mutations` mutations."""
    return _mutated(documents, max_mutations)
