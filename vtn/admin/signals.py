"""Which signal types each supported signal name takes, with their payload key and unit."""

from __future__ import annotations

from dataclasses import dataclass

from common.messages.enums import SignalName, SignalType
from common.messages.types import ItemBase

__all__ = ["PAYLOAD_KEYS", "SIGNALS", "SignalKind", "extension_kind", "unit_for"]

PAYLOAD_KEYS = ("level", "kw", "price")
"""The payload keys of event input: a level (unit-less), a power [kW], a price [currency/kWh]."""


@dataclass(frozen=True, slots=True)
class SignalKind:
    """One allowed (signal name, signal type) pair and the payload key its values come in."""

    signal_type: SignalType
    payload: str


SIGNALS: dict[SignalName, tuple[SignalKind, ...]] = {
    SignalName.SIMPLE: (SignalKind(SignalType.LEVEL, "level"),),
    SignalName.LOAD_DISPATCH: (
        SignalKind(SignalType.SETPOINT, "kw"),
        SignalKind(SignalType.DELTA, "kw"),
    ),
    SignalName.LOAD_CONTROL: (
        SignalKind(SignalType.X_LOAD_CONTROL_LEVEL_OFFSET, "level"),
        SignalKind(SignalType.X_LOAD_CONTROL_PERCENT_OFFSET, "level"),
        SignalKind(SignalType.X_LOAD_CONTROL_CAPACITY, "kw"),
    ),
    SignalName.ELECTRICITY_PRICE: (
        SignalKind(SignalType.PRICE, "price"),
        SignalKind(SignalType.PRICE_RELATIVE, "price"),
    ),
}
"""Supported signal names; the first kind with a given payload key is that key's default type.

SIMPLE levels are 0 (normal) to 3 (special); LOAD_DISPATCH ``setpoint`` (the default: the
certification harness expects it) is the target load [kW] and ``delta`` the requested shed
[kW]; LOAD_CONTROL offsets are unit-less levels or percentages, its capacity is [kW];
ELECTRICITY_PRICE is [currency per kWh].
"""


def extension_kind(signal_type: str, payload: str | None) -> SignalKind | None:
    """The kind of an ``x-`` signal: any 2.0b signal type, with the payload key given (a
    level when none is); ``None`` if `signal_type` is not a signal type."""
    try:
        kind = SignalType(signal_type)
    except ValueError:
        return None
    return SignalKind(kind, payload or "level")


def unit_for(payload: str, currency: str) -> ItemBase | None:
    """The unit of the values of a `payload` key: kW power, `currency` per kWh, or none."""
    if payload == "kw":
        return ItemBase.power()
    if payload == "price":
        return ItemBase.currency(currency)
    return None
