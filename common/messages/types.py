"""Shared 2.0b building blocks: eiResponse, targets, periods, intervals, units, the Message base.

Conventions for every message class (report messages follow them too):

- ``@dataclass(frozen=True, slots=True, kw_only=True)``; payloads subclass ``Message``.
- Field names are the snake_case of the spec's element names, without the ``oadr``/``ei``
  prefix where it only repeats the namespace (``oadrResponseRequired`` -> ``response_required``,
  ``eiResponse`` -> ``response``). A repeated element becomes a plural ``tuple`` field
  (``ei:groupID``* -> ``group_ids``); an optional element is ``X | None`` defaulting to ``None``.
- Datetimes are timezone-aware UTC ``datetime``; durations are ``timedelta`` (ISO 8601 on the
  wire; the codec refuses years/months and sub-second durations it cannot express exactly).
- Enumerated values use ``common.messages.enums``; IDs are ``str``; ``xs:float`` is ``float``;
  ``xs:unsignedInt`` is ``int``; ``xs:boolean`` is ``bool``.
- The ``ei:schemaVersion`` attribute is not modelled: the codec writes ``2.0b`` and ignores it on
  read.
- This package never imports lxml (or aiohttp, SQLAlchemy, Pyomo): it is plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from common.messages.enums import (
    CurrencyItemDescription,
    ItemKind,
    PowerRealUnit,
    ResponseCode,
    SiScaleCode,
    TemperatureUnit,
)

__all__ = [
    "EMPTY_TARGET",
    "EiResponse",
    "FeatureCollection",
    "Interval",
    "ItemBase",
    "Message",
    "Period",
    "PowerAttributes",
    "QualifiedEventId",
    "Target",
    "TransportInterface",
]

P = TypeVar("P")


class Message:
    """Base of every 2.0b payload (the element inside oadrSignedObject)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class EiResponse:
    """ei:eiResponse: the outcome of a request.

    ``response_code`` is a ``ResponseCode`` when listed there, else the plain 3-digit ``int``.
    ``request_id`` echoes the request's requestID (may be empty when there was none).
    """

    response_code: ResponseCode | int
    request_id: str
    response_description: str | None = None

    @property
    def ok(self) -> bool:
        """True for a 2xx code."""
        return 200 <= int(self.response_code) < 300


@dataclass(frozen=True, slots=True, kw_only=True)
class QualifiedEventId:
    """ei:qualifiedEventID: an event and the modification it refers to."""

    event_id: str
    modification_number: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureCollection:
    """gml:FeatureCollection as 2.0b restricts it: one polygon's exterior ring.

    ``pos_list`` holds the ring's coordinates in order [degrees], flattened as gml:posList has
    them (lat1, lon1, lat2, lon2, …).
    """

    pos_list: tuple[float, ...]
    id: str | None = None
    polygon_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportInterface:
    """power:transportInterface: a point of receipt and a point of delivery (node names)."""

    point_of_receipt: str
    point_of_delivery: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """ei:EiTargetType (eiTarget, oadrDeviceClass, reportSubject, reportDataSource).

    Every kind of target of the schema, in schema order; each is a tuple because each element
    may repeat. The node-like kinds hold the node name (``power:node``); the asset kinds hold the
    ``power:mrid``. An empty Target (all tuples empty) means "no restriction".
    """

    aggregated_pnodes: tuple[str, ...] = ()
    end_device_assets: tuple[str, ...] = ()
    meter_assets: tuple[str, ...] = ()
    pnodes: tuple[str, ...] = ()
    service_areas: tuple[FeatureCollection, ...] = ()
    service_delivery_points: tuple[str, ...] = ()
    service_locations: tuple[FeatureCollection, ...] = ()
    transport_interfaces: tuple[TransportInterface, ...] = ()
    group_ids: tuple[str, ...] = ()
    group_names: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()
    ven_ids: tuple[str, ...] = ()
    party_ids: tuple[str, ...] = ()


EMPTY_TARGET = Target()
"""The empty eiTarget (no restriction); a shared immutable default."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """xcal:properties: a time window (eiActivePeriod, vavailability's available, reportInterval).

    ``dtstart`` is UTC; ``duration`` may be zero (an open-ended event). ``tolerance_startafter``
    is xcal:tolerance/tolerate/startafter (a randomisation window for the start);
    ``notification``, ``ramp_up`` and ``recovery`` are ei:x-eiNotification, ei:x-eiRampUp and
    ei:x-eiRecovery.
    """

    dtstart: datetime
    duration: timedelta
    tolerance_startafter: timedelta | None = None
    notification: timedelta | None = None
    ramp_up: timedelta | None = None
    recovery: timedelta | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Interval(Generic[P]):
    """ei:interval: one step of a stream, with its payloads.

    ``dtstart`` and ``duration`` are optional on the wire (a signal's intervals usually carry
    only a duration and follow each other from the active period's start). ``uid`` is
    xcal:uid/text. ``payloads`` holds the interval's strm:streamPayloadBase elements in order:
    for event signals and baselines a ``float`` each (ei:signalPayload/ei:payloadFloat/value);
    report messages use their own payload class.
    """

    payloads: tuple[P, ...]
    dtstart: datetime | None = None
    duration: timedelta | None = None
    uid: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerAttributes:
    """power:powerAttributes: ``hertz`` [Hz], ``voltage`` [V], ``ac`` (alternating current)."""

    hertz: float
    voltage: float
    ac: bool


_FIXED_DESCRIPTIONS = {
    ItemKind.POWER_REAL: "RealPower",
    ItemKind.POWER_APPARENT: "ApparentPower",
    ItemKind.POWER_REACTIVE: "ReactivePower",
    ItemKind.ENERGY_REAL: "RealEnergy",
    ItemKind.ENERGY_APPARENT: "ApparentEnergy",
    ItemKind.ENERGY_REACTIVE: "ReactiveEnergy",
    ItemKind.VOLTAGE: "Voltage",
    ItemKind.CURRENT: "Current",
    ItemKind.FREQUENCY: "Frequency",
    ItemKind.THERM: "Therm",
    ItemKind.TEMPERATURE: "temperature",
    ItemKind.PULSE_COUNT: "pulse count",
}
_FIXED_UNITS = {
    ItemKind.POWER_APPARENT: "VA",
    ItemKind.POWER_REACTIVE: "VAR",
    ItemKind.ENERGY_REAL: "Wh",
    ItemKind.ENERGY_APPARENT: "VAh",
    ItemKind.ENERGY_REACTIVE: "VARh",
    ItemKind.VOLTAGE: "V",
    ItemKind.CURRENT: "A",
    ItemKind.FREQUENCY: "Hz",
    ItemKind.THERM: "thm",
    ItemKind.PULSE_COUNT: "count",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemBase:
    """A unit of measure: one of the elements that substitute for ``emix:itemBase``.

    ``kind`` names the element (powerReal, energyReal, voltage, currencyPerKWh, temperature,
    pulseCount, customUnit, …). ``item_description`` and ``item_units`` are the wire strings
    (fixed by the schema for most kinds; use the constructors below to get them right).
    ``scale`` is the SI prefix (absent only for pulseCount); ``power_attributes`` is present
    exactly for the power kinds; ``pulse_factor`` [pulses per unit] exactly for pulseCount.
    """

    kind: ItemKind
    item_description: str
    item_units: str
    scale: SiScaleCode | None = SiScaleCode.NONE
    power_attributes: PowerAttributes | None = None
    pulse_factor: float | None = None

    @classmethod
    def power(
        cls,
        kind: ItemKind = ItemKind.POWER_REAL,
        *,
        scale: SiScaleCode = SiScaleCode.KILO,
        hertz: float = 60.0,
        voltage: float = 120.0,
        ac: bool = True,
        real_units: PowerRealUnit = PowerRealUnit.W,
    ) -> ItemBase:
        """A power unit (powerReal [W], powerApparent [VA], powerReactive [VAR])."""
        units = real_units.value if kind is ItemKind.POWER_REAL else _FIXED_UNITS[kind]
        return cls(
            kind=kind,
            item_description=_FIXED_DESCRIPTIONS[kind],
            item_units=units,
            scale=scale,
            power_attributes=PowerAttributes(hertz=hertz, voltage=voltage, ac=ac),
        )

    @classmethod
    def fixed(cls, kind: ItemKind, *, scale: SiScaleCode = SiScaleCode.NONE) -> ItemBase:
        """A unit whose description and units the schema fixes: energy [Wh, VAh, VARh],
        voltage [V], current [A], frequency [Hz], Therm [thm]."""
        return cls(
            kind=kind,
            item_description=_FIXED_DESCRIPTIONS[kind],
            item_units=_FIXED_UNITS[kind],
            scale=scale,
        )

    @classmethod
    def currency(
        cls,
        code: str,
        *,
        kind: ItemKind = ItemKind.CURRENCY_PER_KWH,
        description: CurrencyItemDescription | None = None,
        scale: SiScaleCode = SiScaleCode.NONE,
    ) -> ItemBase:
        """A price unit: `code` is the ISO 4217 code (``USD``); per kWh by default."""
        if description is None:
            description = CurrencyItemDescription(
                kind.value if kind is not ItemKind.CURRENCY_PER_THM else "currency"
            )
        return cls(kind=kind, item_description=description.value, item_units=code, scale=scale)

    @classmethod
    def temperature(
        cls, unit: TemperatureUnit, *, scale: SiScaleCode = SiScaleCode.NONE
    ) -> ItemBase:
        """A temperature unit [°C or °F]."""
        return cls(
            kind=ItemKind.TEMPERATURE,
            item_description="temperature",
            item_units=unit.value,
            scale=scale,
        )

    @classmethod
    def pulse_count(cls, pulse_factor: float) -> ItemBase:
        """A pulse counter; `pulse_factor` is pulses per unit of the measured quantity."""
        return cls(
            kind=ItemKind.PULSE_COUNT,
            item_description="pulse count",
            item_units="count",
            scale=None,
            pulse_factor=pulse_factor,
        )

    @classmethod
    def custom(
        cls, description: str, units: str, *, scale: SiScaleCode = SiScaleCode.NONE
    ) -> ItemBase:
        """An oadr:customUnit with free-text description and units."""
        return cls(
            kind=ItemKind.CUSTOM_UNIT, item_description=description, item_units=units, scale=scale
        )
