"""Hypothesis strategies that build valid typed 2.0b messages, one for every codec's payload type.

``message_strategy(message_type)`` derives a strategy from the message dataclass's type hints,
field by field and recursively (every optional field is drawn too, as ``None`` or a value;
every tuple as zero to a few items; every generic ``Interval[P]`` with its payload type), with
leaf strategies for what the wire constrains:

- IDs and other ``str`` fields: short XML-safe tokens (the schema's ID-like types are
  ``xs:string``, but several are whitespace-collapsing tokens or URIs); the free-text fields in
  ``_FREE_TEXT`` get any character XML 1.0 can carry;
- ``datetime``: timezone-aware UTC, years 1-9999, microseconds included;
- ``timedelta``: whole seconds, negative too;
- ``float``: finite or infinite, never NaN (NaN != NaN would fail the equality);
- ``int``: the ``xs:unsignedInt`` range, narrower where ``_OVERRIDES`` says;
- enums: every member, plus ``x-`` ``ExtensionValue`` tokens where the hint allows them;
- ``ItemBase``: built by its own constructors (each kind fixes its description and units).

``_OVERRIDES`` holds the few fields the type hints cannot describe. ``PAYLOAD_TYPES`` is the
codec registry's list of message classes, so a new payload type gets a strategy (or a loud
failure) without editing this module.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from hypothesis import strategies as st

from common.messages.enums import (
    CurrencyItemDescription,
    ExtensionValue,
    ItemKind,
    PowerRealUnit,
    ResponseCode,
    SiScaleCode,
    TemperatureUnit,
)
from common.messages.event import EiEvent, EventBaseline, EventResponse, EventSignal
from common.messages.registration import CreatedPartyRegistration, Profile, Service
from common.messages.report import CancelReport, CreateReport, ReportPayload, ReportSpecifier
from common.messages.types import (
    EiResponse,
    FeatureCollection,
    Interval,
    ItemBase,
    Message,
    PowerAttributes,
)
from common.xml.registry import CODECS_BY_TYPE

__all__ = [
    "PAYLOAD_TYPES",
    "any_message",
    "message_strategy",
    "strategy_for",
]

PAYLOAD_TYPES: tuple[type[Message], ...] = tuple(CODECS_BY_TYPE)
"""Every payload type the codec registry knows (23 for 2.0b)."""

MAX_REPEAT = 2
"""The most items drawn for a repeated element (a tuple field)."""

_TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:"

ids = st.text(_TOKEN_ALPHABET, min_size=1, max_size=12)
"""IDs and other token-like strings."""

unique_xml_ids = st.uuids().map(lambda uuid: f"id-{uuid.hex}")
"""xs:ID values: XML names without a colon, distinct (as a document's xs:IDs must be) but for
a chance of 2**-122 per pair."""


def _xml_char(character: str) -> bool:
    """True for a character XML 1.0 can carry in text (tab, newline and above, no surrogates)."""
    code = ord(character)
    if code < 0x20:
        return character in "\t\n"
    return not (0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF))


uris = ids.map("http://market.test/".__add__)
"""xs:anyURI values."""

free_text = st.text(st.characters(codec="utf-8").filter(_xml_char), min_size=1, max_size=20)
"""Any text XML 1.0 can carry (but carriage returns, which a parser turns into newlines)."""

datetimes = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
"""Timezone-aware UTC datetimes (a day's margin at both ends of the 4-digit years)."""

durations = st.integers(min_value=-(10**10), max_value=10**10).map(
    lambda seconds: timedelta(seconds=seconds)
)
"""Whole-second durations, up to ~317 years either way [s]."""

floats = st.floats(allow_nan=False)
"""xs:float / xs:double values (infinities included, NaN never)."""

finite_floats = st.floats(allow_nan=False, allow_infinity=False)
"""xs:decimal values."""

unsigned_ints = st.integers(min_value=0, max_value=2**32 - 1)
"""xs:unsignedInt values."""

extension_values = st.builds(ExtensionValue, st.text(_TOKEN_ALPHABET, min_size=1).map("x-".__add__))
"""Private ``x-`` tokens."""


def item_bases() -> st.SearchStrategy[ItemBase]:
    """Units of every kind, built by ``ItemBase``'s constructors."""
    scales = st.sampled_from(SiScaleCode)
    power_kinds = st.sampled_from(
        [ItemKind.POWER_REAL, ItemKind.POWER_APPARENT, ItemKind.POWER_REACTIVE]
    )
    fixed_kinds = st.sampled_from(
        [
            ItemKind.ENERGY_REAL,
            ItemKind.ENERGY_APPARENT,
            ItemKind.ENERGY_REACTIVE,
            ItemKind.VOLTAGE,
            ItemKind.CURRENT,
            ItemKind.FREQUENCY,
            ItemKind.THERM,
        ]
    )
    currency_kinds = st.sampled_from(
        [
            ItemKind.CURRENCY,
            ItemKind.CURRENCY_PER_KW,
            ItemKind.CURRENCY_PER_KWH,
            ItemKind.CURRENCY_PER_THM,
        ]
    )
    return st.one_of(
        st.builds(
            ItemBase.power,
            power_kinds,
            scale=scales,
            hertz=finite_floats,
            voltage=finite_floats,
            ac=st.booleans(),
            real_units=st.sampled_from(PowerRealUnit),
        ),
        st.builds(ItemBase.fixed, fixed_kinds, scale=scales),
        st.builds(
            ItemBase.currency,
            st.sampled_from(["USD", "EUR", "CAD", "JPY", "CHF", "XXX"]),
            kind=currency_kinds,
            description=st.none() | st.sampled_from(CurrencyItemDescription),
            scale=scales,
        ),
        st.builds(ItemBase.temperature, st.sampled_from(TemperatureUnit), scale=scales),
        st.builds(ItemBase.pulse_count, floats),
        st.builds(ItemBase.custom, free_text, free_text, scale=scales),
    )


_LEAVES: Mapping[object, st.SearchStrategy[Any]] = {
    str: ids,
    bool: st.booleans(),
    int: unsigned_ints,
    float: floats,
    datetime: datetimes,
    timedelta: durations,
    ExtensionValue: extension_values,
    ResponseCode: st.sampled_from(ResponseCode),
}

_FREE_TEXT = {
    "response_description",
    "modification_reason",
    "test_event",
    "vtn_comment",
    "ven_name",
    "baseline_name",
    "key",
    "value",
    "extension_name",
}
"""``str`` fields (of any class) whose schema type is a plain xs:string."""

_URIS = {"market_context", "transport_address"}
"""``str`` fields (of any class) whose schema type is xs:anyURI."""

_OVERRIDES: Mapping[tuple[type, str], Callable[[], st.SearchStrategy[Any]]] = {
    # a response code not in the enum is any other 3-digit number
    (EiResponse, "response_code"): lambda: st.sampled_from(ResponseCode) | st.integers(100, 999),
    (EventResponse, "response_code"): lambda: st.sampled_from(ResponseCode) | st.integers(100, 999),
    (FeatureCollection, "id"): lambda: st.none() | unique_xml_ids,
    (FeatureCollection, "polygon_id"): lambda: st.none() | unique_xml_ids,
    (FeatureCollection, "pos_list"): lambda: st.lists(finite_floats, min_size=1, max_size=8).map(
        tuple
    ),
    (PowerAttributes, "hertz"): lambda: finite_floats,
    (PowerAttributes, "voltage"): lambda: finite_floats,
    (ReportPayload, "confidence"): lambda: st.none() | st.integers(0, 100),
}
"""Fields whose wire type is narrower than the type hint, keyed by (class, field name)."""

_NON_EMPTY = {
    (EiEvent, "event_signals"),
    (Interval, "payloads"),
    (EventSignal, "intervals"),
    (EventBaseline, "intervals"),
    (Service, "infos"),
    (CreatedPartyRegistration, "profiles"),
    (Profile, "transports"),
    (ReportSpecifier, "specifier_payloads"),
    (CreateReport, "report_requests"),
    (CancelReport, "report_request_ids"),
}
"""Tuple fields whose element the schema requires at least once, keyed by (class, field name)."""

_WHOLE_CLASS: Mapping[type, Callable[[], st.SearchStrategy[Any]]] = {ItemBase: item_bases}
"""Classes built by their own constructors rather than field by field."""


def strategy_for(
    hint: Any, bindings: Mapping[TypeVar, Any] | None = None, *, non_empty: bool = False
) -> st.SearchStrategy[Any]:
    """A strategy for values of the type hint `hint` (a field's resolved annotation); a tuple
    has at least one item if `non_empty`. `bindings` gives the type of each type variable."""
    bindings = bindings or {}
    if isinstance(hint, TypeVar):
        return strategy_for(bindings[hint])
    if hint is type(None):
        return st.none()
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([strategy_for(argument, bindings) for argument in arguments])
    if origin is tuple:
        item, _ellipsis = arguments
        items = strategy_for(item, bindings)
        return st.lists(items, min_size=int(non_empty), max_size=MAX_REPEAT).map(tuple)
    if origin is not None and dataclasses.is_dataclass(origin):
        parameters = typing.get_args(origin.__orig_bases__[0])  # Generic[P]
        return _dataclass_strategy(origin, tuple(zip(parameters, arguments, strict=True)))
    if hint in _LEAVES:
        return _LEAVES[hint]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return st.sampled_from(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_strategy(hint, ())
    raise TypeError(f"no strategy for the type hint {hint!r}")


@cache
def _dataclass_strategy(
    cls: type, bindings: tuple[tuple[TypeVar, Any], ...]
) -> st.SearchStrategy[Any]:
    """``st.builds(cls, ...)`` with a strategy for every field, optional ones included."""
    if cls in _WHOLE_CLASS:
        return _WHOLE_CLASS[cls]()
    hints = typing.get_type_hints(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in dataclasses.fields(cls):
        override = _OVERRIDES.get((cls, field.name))
        if override is not None:
            fields[field.name] = override()
        elif (field.name in _FREE_TEXT or field.name in _URIS) and hints[field.name] in (
            str,
            str | None,
        ):
            text = free_text if field.name in _FREE_TEXT else uris
            fields[field.name] = text if hints[field.name] is str else st.none() | text
        else:
            non_empty = (cls, field.name) in _NON_EMPTY
            hint = hints[field.name]
            fields[field.name] = strategy_for(hint, dict(bindings), non_empty=non_empty)
    return st.builds(cls, **fields)


def message_strategy(message_type: type[Message]) -> st.SearchStrategy[Message]:
    """Valid messages of one payload type."""
    return _dataclass_strategy(message_type, ())


def any_message() -> st.SearchStrategy[Message]:
    """Valid messages of any payload type."""
    return st.one_of([message_strategy(message_type) for message_type in PAYLOAD_TYPES])
