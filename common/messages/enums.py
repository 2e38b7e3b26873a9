"""Every enumerated type of the OpenADR 2.0b schema set, with the `x-` extension path.

Conventions (report messages follow them too):

- Each enum is a ``StrEnum`` whose values are the exact wire tokens of the XSD.
- ``SpecEnum.parse(text)`` turns a wire token into a member; an unknown token raises
  ``common.errors.InvalidData`` (the codec only calls it on schema-valid documents, so this is a
  second line of defence).
- Enums whose XSD type is a union with ``ei:EiExtensionTokenType`` (signal names, opt reasons,
  report names and types, reading types, data quality, schema version) derive from
  ``ExtensibleEnum``: their ``parse`` returns an ``ExtensionValue`` for an unknown token that
  starts with ``x-`` instead of failing. Fields of such types are annotated ``X | ExtensionValue``.
- Both members and ``ExtensionValue`` expose the wire token as ``.value``, so a writer never needs
  to tell them apart.
- Response codes are ``common.errors.ResponseCode`` (re-exported here); a code outside that enum
  is kept as a plain ``int``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from common.errors import InvalidData, ResponseCode

__all__ = [
    "CurrencyItemDescription",
    "DataQuality",
    "EventStatus",
    "ExtensibleEnum",
    "ExtensionValue",
    "ItemKind",
    "OptReason",
    "OptType",
    "PowerRealUnit",
    "ProfileName",
    "ReadingType",
    "ReportName",
    "ReportType",
    "ResponseCode",
    "ResponseRequired",
    "SchemaVersion",
    "ServiceName",
    "SiScaleCode",
    "SignalName",
    "SignalType",
    "SpecEnum",
    "TemperatureUnit",
    "TransportName",
    "parse_response_code",
]

_EXTENSION_TOKEN = re.compile(r"x-\S.*", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ExtensionValue:
    """A private ``x-`` token the schema allows in place of an enumerated value.

    ``value`` is the full token including the ``x-`` prefix, e.g. ``"x-myUtilitySignal"``.
    """

    value: str

    def __post_init__(self) -> None:
        if not _EXTENSION_TOKEN.fullmatch(self.value):
            raise ValueError(f"an extension value must look like 'x-…', got {self.value!r}")

    def __str__(self) -> str:
        return self.value


class SpecEnum(StrEnum):
    """Base of the schema's closed enumerations: ``parse`` accepts only the listed tokens."""

    @classmethod
    def parse(cls, text: str) -> Self:
        """The member for wire token `text` (surrounding whitespace ignored)."""
        member = cls._value2member_map_.get(text)
        if not isinstance(member, cls):
            member = cls._value2member_map_.get(text.strip())
            if not isinstance(member, cls):
                raise InvalidData(f"{text!r} is not a valid {cls.__name__}")
        return member


class ExtensibleEnum(SpecEnum):
    """Base of enumerations that the schema extends with ``x-`` tokens."""

    @classmethod
    def parse(cls, text: str) -> Self | ExtensionValue:  # type: ignore[override]  # may also return an ExtensionValue
        """The member for `text`, or an ``ExtensionValue`` for an unknown ``x-`` token."""
        member = cls._value2member_map_.get(text)
        if isinstance(member, cls):
            return member
        token = text.strip()
        member = cls._value2member_map_.get(token)
        if isinstance(member, cls):
            return member
        if _EXTENSION_TOKEN.fullmatch(token):
            return ExtensionValue(token)
        raise InvalidData(f"{text!r} is neither a {cls.__name__} nor an 'x-' extension")


def parse_response_code(text: str) -> ResponseCode | int:
    """A 3-digit wire response code as a ``ResponseCode``, or a plain ``int`` if not listed."""
    code = int(text)
    try:
        return ResponseCode(code)
    except ValueError:
        return code


# ---- events ---------------------------------------------------------------------------------


class EventStatus(SpecEnum):
    """ei:EventStatusEnumeratedType: where the event is in its life."""

    NONE = "none"
    FAR = "far"
    NEAR = "near"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class SignalName(ExtensibleEnum):
    """ei:SignalNameEnumeratedType (plus ``x-`` names)."""

    SIMPLE = "SIMPLE"
    SIMPLE_LOWER = "simple"
    ELECTRICITY_PRICE = "ELECTRICITY_PRICE"
    ENERGY_PRICE = "ENERGY_PRICE"
    DEMAND_CHARGE = "DEMAND_CHARGE"
    BID_PRICE = "BID_PRICE"
    BID_LOAD = "BID_LOAD"
    BID_ENERGY = "BID_ENERGY"
    CHARGE_STATE = "CHARGE_STATE"
    LOAD_DISPATCH = "LOAD_DISPATCH"
    LOAD_CONTROL = "LOAD_CONTROL"


class SignalType(SpecEnum):
    """ei:SignalTypeEnumeratedType (closed: the ``x-loadControl*`` values are listed)."""

    DELTA = "delta"
    LEVEL = "level"
    MULTIPLIER = "multiplier"
    PRICE = "price"
    PRICE_MULTIPLIER = "priceMultiplier"
    PRICE_RELATIVE = "priceRelative"
    SETPOINT = "setpoint"
    X_LOAD_CONTROL_CAPACITY = "x-loadControlCapacity"
    X_LOAD_CONTROL_LEVEL_OFFSET = "x-loadControlLevelOffset"
    X_LOAD_CONTROL_PERCENT_OFFSET = "x-loadControlPercentOffset"
    X_LOAD_CONTROL_SETPOINT = "x-loadControlSetpoint"


class ResponseRequired(SpecEnum):
    """oadr:ResponseRequiredType: whether the VEN must answer with oadrCreatedEvent."""

    ALWAYS = "always"
    NEVER = "never"


# ---- opt ------------------------------------------------------------------------------------


class OptType(SpecEnum):
    """ei:OptTypeType."""

    OPT_IN = "optIn"
    OPT_OUT = "optOut"


class OptReason(ExtensibleEnum):
    """ei:OptReasonEnumeratedType (plus ``x-`` reasons)."""

    ECONOMIC = "economic"
    EMERGENCY = "emergency"
    MUST_RUN = "mustRun"
    NOT_PARTICIPATING = "notParticipating"
    OUTAGE_RUN_STATUS = "outageRunStatus"
    OVERRIDE_STATUS = "overrideStatus"
    PARTICIPATING = "participating"
    X_SCHEDULE = "x-schedule"


# ---- registration ---------------------------------------------------------------------------


class ProfileName(SpecEnum):
    """oadr:oadrProfileType."""

    A = "2.0a"
    B = "2.0b"


class SchemaVersion(ExtensibleEnum):
    """ei:schemaVersionType (the ``ei:schemaVersion`` attribute of every payload)."""

    A = "2.0a"
    B = "2.0b"


class TransportName(SpecEnum):
    """oadr:oadrTransportType."""

    SIMPLE_HTTP = "simpleHttp"
    XMPP = "xmpp"


class ServiceName(SpecEnum):
    """oadr:oadrServiceNameType: the services named in oadrServiceSpecificInfo."""

    EI_EVENT = "EiEvent"
    EI_OPT = "EiOpt"
    EI_REPORT = "EiReport"
    EI_REGISTER_PARTY = "EiRegisterParty"
    OADR_POLL = "OadrPoll"


# ---- reports (shared so that report messages only add their own classes) ---------------------


class ReportName(ExtensibleEnum):
    """ei:reportNameEnumeratedType (plus ``x-`` names)."""

    METADATA_HISTORY_USAGE = "METADATA_HISTORY_USAGE"
    HISTORY_USAGE = "HISTORY_USAGE"
    METADATA_HISTORY_GREENBUTTON = "METADATA_HISTORY_GREENBUTTON"
    HISTORY_GREENBUTTON = "HISTORY_GREENBUTTON"
    METADATA_TELEMETRY_USAGE = "METADATA_TELEMETRY_USAGE"
    TELEMETRY_USAGE = "TELEMETRY_USAGE"
    METADATA_TELEMETRY_STATUS = "METADATA_TELEMETRY_STATUS"
    TELEMETRY_STATUS = "TELEMETRY_STATUS"


class ReportType(ExtensibleEnum):
    """ei:ReportEnumeratedType (plus ``x-`` types)."""

    READING = "reading"
    USAGE = "usage"
    DEMAND = "demand"
    SET_POINT = "setPoint"
    DELTA_USAGE = "deltaUsage"
    DELTA_SET_POINT = "deltaSetPoint"
    DELTA_DEMAND = "deltaDemand"
    BASELINE = "baseline"
    DEVIATION = "deviation"
    AVG_USAGE = "avgUsage"
    AVG_DEMAND = "avgDemand"
    OPERATING_STATE = "operatingState"
    UP_REGULATION_CAPACITY_AVAILABLE = "upRegulationCapacityAvailable"
    DOWN_REGULATION_CAPACITY_AVAILABLE = "downRegulationCapacityAvailable"
    REGULATION_SETPOINT = "regulationSetpoint"
    STORED_ENERGY = "storedEnergy"
    TARGET_ENERGY_STORAGE = "targetEnergyStorage"
    AVAILABLE_ENERGY_STORAGE = "availableEnergyStorage"
    PRICE = "price"
    LEVEL = "level"
    POWER_FACTOR = "powerFactor"
    PERCENT_USAGE = "percentUsage"
    PERCENT_DEMAND = "percentDemand"
    X_RESOURCE_STATUS = "x-resourceStatus"


class ReadingType(ExtensibleEnum):
    """ei:ReadingTypeEnumeratedType (plus ``x-`` types)."""

    DIRECT_READ = "Direct Read"
    NET = "Net"
    ALLOCATED = "Allocated"
    ESTIMATED = "Estimated"
    SUMMED = "Summed"
    DERIVED = "Derived"
    MEAN = "Mean"
    PEAK = "Peak"
    HYBRID = "Hybrid"
    CONTRACT = "Contract"
    PROJECTED = "Projected"
    X_RMS = "x-RMS"
    X_NOT_APPLICABLE = "x-notApplicable"


class DataQuality(ExtensibleEnum):
    """oadr:oadrDataQualityType (plus ``x-`` values)."""

    NO_QUALITY_NO_VALUE = "No Quality - No Value"
    NO_NEW_VALUE_PREVIOUS_VALUE_USED = "No New Value - Previous Value Used"
    QUALITY_BAD_NON_SPECIFIC = "Quality Bad - Non Specific"
    QUALITY_BAD_CONFIGURATION_ERROR = "Quality Bad - Configuration Error"
    QUALITY_BAD_NOT_CONNECTED = "Quality Bad - Not Connected"
    QUALITY_BAD_DEVICE_FAILURE = "Quality Bad - Device Failure"
    QUALITY_BAD_SENSOR_FAILURE = "Quality Bad - Sensor Failure"
    QUALITY_BAD_LAST_KNOWN_VALUE = "Quality Bad - Last Known Value"
    QUALITY_BAD_COMM_FAILURE = "Quality Bad - Comm Failure"
    QUALITY_BAD_OUT_OF_SERVICE = "Quality Bad - Out of Service"
    QUALITY_UNCERTAIN_NON_SPECIFIC = "Quality Uncertain - Non Specific"
    QUALITY_UNCERTAIN_LAST_USABLE_VALUE = "Quality Uncertain - Last Usable Value"
    QUALITY_UNCERTAIN_SENSOR_NOT_ACCURATE = "Quality Uncertain - Sensor Not Accurate"
    QUALITY_UNCERTAIN_EU_UNITS_EXCEEDED = "Quality Uncertain - EU Units Exceeded"
    QUALITY_UNCERTAIN_SUB_NORMAL = "Quality Uncertain - Sub Normal"
    QUALITY_GOOD_NON_SPECIFIC = "Quality Good - Non Specific"
    QUALITY_GOOD_LOCAL_OVERRIDE = "Quality Good - Local Override"
    QUALITY_LIMIT_FIELD_NOT = "Quality Limit - Field/Not"
    QUALITY_LIMIT_FIELD_LOW = "Quality Limit - Field/Low"
    QUALITY_LIMIT_FIELD_HIGH = "Quality Limit - Field/High"
    QUALITY_LIMIT_FIELD_CONSTANT = "Quality Limit - Field/Constant"


# ---- units (emix:itemBase and its substitutes) -----------------------------------------------


class ItemKind(SpecEnum):
    """The element that stands in for ``emix:itemBase``: which kind of unit a value has.

    Values are the elements' local names; the codec knows each one's namespace (``power:`` for
    power, energy and voltage, ``oadr:`` for the rest).
    """

    POWER_REAL = "powerReal"
    POWER_APPARENT = "powerApparent"
    POWER_REACTIVE = "powerReactive"
    ENERGY_REAL = "energyReal"
    ENERGY_APPARENT = "energyApparent"
    ENERGY_REACTIVE = "energyReactive"
    VOLTAGE = "voltage"
    CURRENT = "current"
    CURRENCY = "currency"
    CURRENCY_PER_KWH = "currencyPerKWh"
    CURRENCY_PER_KW = "currencyPerKW"
    CURRENCY_PER_THM = "currencyPerThm"
    FREQUENCY = "frequency"
    THERM = "Therm"
    TEMPERATURE = "temperature"
    PULSE_COUNT = "pulseCount"
    CUSTOM_UNIT = "customUnit"


class SiScaleCode(SpecEnum):
    """scale:SiScaleCodeType: the SI prefix of a unit; ``exponent`` is its power of ten."""

    PICO = "p"
    NANO = "n"
    MICRO = "micro"
    MILLI = "m"
    CENTI = "c"
    DECI = "d"
    KILO = "k"
    MEGA = "M"
    GIGA = "G"
    TERA = "T"
    NONE = "none"

    @property
    def exponent(self) -> int:
        """The power of ten this prefix stands for (``k`` -> 3)."""
        return _SI_EXPONENTS[self.value]


_SI_EXPONENTS = {
    "p": -12, "n": -9, "micro": -6, "m": -3, "c": -2, "d": -1,
    "k": 3, "M": 6, "G": 9, "T": 12, "none": 0,
}  # fmt: skip


class TemperatureUnit(SpecEnum):
    """oadr:temperatureUnitType."""

    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class CurrencyItemDescription(SpecEnum):
    """oadr:currencyItemDescriptionType (the itemDescription of the currency units)."""

    CURRENCY = "currency"
    CURRENCY_PER_KW = "currencyPerKW"
    CURRENCY_PER_KWH = "currencyPerKWh"


class PowerRealUnit(SpecEnum):
    """The itemUnits allowed for power:powerReal."""

    W = "W"
    J_PER_S = "J/s"
