"""Hardened parsing of incoming bytes: size, encoding, DTD and depth checks plus XSD validation.

``parse`` is the only way bytes from a peer become an lxml tree. It refuses, before lxml sees
the body, anything over the size cap, anything that is not UTF-8, and any DTD or entity
declaration; it then parses with entity resolution, network access and huge_tree off, checks the
nesting depth, and validates the tree against the 2.0b schema. (Validating the finished tree
rather than plugging the schema into the parser costs no more, as measured with lxml 6, lets the
depth check run first, and is stricter: libxml2's streaming validation does not check that
xs:ID values are unique.) Every
refusal is a typed ``common.errors`` exception whose message says what was wrong; lxml's
exceptions never escape.

Costs, cheapest first (they are paid on every incoming message): the byte checks look for a
``!`` (one memchr) before searching for ``<!DOCTYPE``/``<!ENTITY``, since neither can occur
without one; the depth check is one XPath over the tree, skipped only for a small body with too
few ``<`` to nest that deep; validation shares one compiled schema between threads without a
lock (libxml2 validates with the GIL released, each call with its own context) and only reads an
error log, from a second schema object kept for that under a lock, once a document has failed;
a failing document is also the only one whose payload type is looked at before validation's
verdict (a schema-valid oadrPayload can only hold one of the 23 payloads).
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

from lxml import etree

from common.errors import BodyTooLarge, MalformedXml, NotRecognized, SchemaViolation
from common.xml.names import OADR, OADR_PAYLOAD, OADR_SIGNED_OBJECT, PAYLOAD_TAGS
from common.xml.schema import compile_schema, xml_schema

__all__ = ["DEFAULT_LIMITS", "Limits", "parse", "validate", "validate_tree"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Caps for incoming documents.

    ``max_bytes`` is the body size cap [bytes]; ``max_depth`` the deepest element nesting
    allowed, the oadrPayload root being depth 1 (a 2.0b report payload needs about 12).
    """

    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 32

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or not 4 <= self.max_depth <= 200:
            raise ValueError(f"unreasonable limits: {self!r}")


DEFAULT_LIMITS = Limits()

_DECLARED_ENCODING = re.compile(rb"encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_UTF8_NAMES = frozenset({b"utf8"})  # declarations that contain "utf-8" pass without the regex
_THREAD = threading.local()
_REPORT_LOCK = threading.Lock()
_reporting_schema = functools.cache(compile_schema)
"""The schema object whose error log names a refused document's first error (under the lock)."""
_BYTES_LIKE = (bytes, bytearray, memoryview)
_SMALL_BODY = 2048
"""[bytes] Up to this size, counting ``<`` (under a microsecond) may spare the depth XPath."""


def _parser() -> etree.XMLParser:
    """This thread's hardened parser (lxml parsers must not be shared between threads)."""
    parser = getattr(_THREAD, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            dtd_validation=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        _THREAD.parser = parser
    return parser


@functools.cache
def _too_deep(max_depth: int) -> etree.XPath:
    """An XPath that is true when some element sits deeper than `max_depth`."""
    return etree.XPath("boolean(" + "/*" * (max_depth + 1) + ")")


def _check_bytes(data: bytes, limits: Limits) -> None:
    """The checks done on the raw body, before lxml sees it."""
    if len(data) > limits.max_bytes:
        raise BodyTooLarge(f"body of {len(data)} bytes exceeds the cap of {limits.max_bytes}")
    if b"!" in data and (b"<!DOCTYPE" in data or b"<!ENTITY" in data):  # memchr first
        raise MalformedXml("a DTD or entity declaration is not allowed in an OpenADR message")
    if not data.isascii():
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise MalformedXml("the body is UTF-16; only UTF-8 is accepted")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedXml(f"the body is not valid UTF-8 (byte {exc.start})") from exc
    if b"\x00" in data:
        raise MalformedXml("the body contains NUL bytes")
    if data.startswith((b"<?xml", b"\xef\xbb\xbf<?xml")):
        declaration = data[: data.find(b"?>", 0, 256)]
        lowered = declaration.lower()
        if b"encoding" in lowered and b"utf-8" not in lowered:
            declared = _DECLARED_ENCODING.search(declaration)
            name = declared.group(1) if declared is not None else b"?"
            if name.lower() not in _UTF8_NAMES:
                text = name.decode("ascii", "replace")
                raise MalformedXml(f"the body declares encoding {text!r}; only UTF-8 is accepted")


def _malformed(exc: etree.XMLSyntaxError) -> MalformedXml:
    """Translate lxml's parse failure.

    Uses the error that was raised, not the parser's error log: the per-thread parser's log can
    still hold an entry from an earlier failed document, whose text would then be reported.
    """
    return MalformedXml(f"not well-formed XML: {(exc.msg or '').strip()}")  # msg has line, column


def _schema_error(entry: etree._LogEntry) -> NotRecognized | SchemaViolation:
    """Translate the first schema-validation error into the matching project error."""
    where = f"line {entry.line}"
    if entry.type_name == "SCHEMAV_CVC_ELT_1":
        return NotRecognized(
            f"{where}: the root element is not an OpenADR 2.0b oadrPayload ({entry.message})"
        )
    return SchemaViolation(f"{where}: {entry.message}")


def validate_tree(root: etree._Element) -> None:
    """Validate a parsed document against the 2.0b schema, raising the matching error."""
    if not xml_schema()(root):
        raise _schema_failure(root)


def validate(element: etree._Element) -> None:
    """Validate an already-built oadrPayload tree; raise SchemaViolation naming the first error.

    For our own output (tests, debugging); ``parse`` validates incoming bytes the same way.
    """
    validate_tree(element)


def _schema_failure(root: etree._Element) -> NotRecognized | SchemaViolation:
    """The error for a document the schema has refused, read from the reporting schema's log.

    The shared schema's error log is cleared and refilled by every thread that validates with it,
    so the first error is read from a second schema object, validated and read under a lock.
    """
    with _REPORT_LOCK:
        schema = _reporting_schema()
        if schema(root):  # cannot happen: both are the same schema
            return SchemaViolation("the document is not valid 2.0b")
        entry = schema.error_log[0]
    return _schema_error(entry)


def parse(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> etree._Element:
    """Parse and validate an incoming body; return its oadrPayload root element.

    Raises BodyTooLarge (over ``limits.max_bytes``), MalformedXml (not XML, not UTF-8, DTD or
    entities, deeper than ``limits.max_depth``), SchemaViolation (not valid 2.0b), or
    NotRecognized (root is not oadrPayload, or the payload type is unknown).
    """
    if data.__class__ is not bytes:
        if not isinstance(data, _BYTES_LIKE):
            raise TypeError(f"parse() takes bytes, not {type(data).__name__}")
        data = bytes(data)
    _check_bytes(data, limits)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _malformed(exc) from exc
    except (etree.LxmlError, ValueError) as exc:
        raise MalformedXml(f"cannot parse the body: {exc}") from exc
    max_depth = limits.max_depth
    if (len(data) > _SMALL_BODY or data.count(b"<") > max_depth) and _too_deep(max_depth)(root):
        raise MalformedXml(f"elements are nested deeper than {max_depth} levels")
    if root.tag != OADR_PAYLOAD:
        raise NotRecognized(
            f"the root element is {root.tag!r}, not the 2.0b oadrPayload in namespace {OADR}"
        )
    if xml_schema()(root):
        return root  # (then its payload is one of PAYLOAD_TAGS: the schema allows no other)
    signed = root[len(root) - 1] if len(root) else None
    if signed is not None and signed.tag == OADR_SIGNED_OBJECT and len(signed):
        payload_tag = signed[0].tag
        if payload_tag not in PAYLOAD_TAGS:
            raise NotRecognized(f"unknown payload type {payload_tag!r}")
    raise _schema_failure(root)
