"""The typed messages: enums with their x- path, dataclass conventions, and the import rule."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from common.errors import InvalidData, ResponseCode
from common.messages import enums, event, opt, poll, registration, types
from common.messages.enums import (
    ExtensionValue,
    ItemKind,
    OptReason,
    ReadingType,
    ReportName,
    ReportType,
    SignalName,
    SignalType,
    SiScaleCode,
    parse_response_code,
)
from common.messages.types import EiResponse, ItemBase, Message, Target

MESSAGE_MODULES = (event, opt, poll, registration, types)


def dataclasses_of(module):
    return [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if obj.__module__ == module.__name__ and dataclasses.is_dataclass(obj)
    ]


@pytest.mark.parametrize(
    "cls", [c for m in MESSAGE_MODULES for c in dataclasses_of(m)], ids=lambda c: c.__name__
)
def test_dataclasses_are_frozen_slotted_keyword_only(cls):
    params = cls.__dataclass_params__
    assert params.frozen
    assert "__slots__" in cls.__dict__
    assert all(f.kw_only for f in dataclasses.fields(cls))


def test_messages_are_immutable():
    message = poll.Poll(ven_id="v")
    assert isinstance(message, Message)
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.ven_id = "w"  # type: ignore[misc]
    with pytest.raises(TypeError):
        poll.Poll("v")  # type: ignore[misc]


def test_closed_enums_parse_their_tokens_only():
    assert SignalType.parse("level") is SignalType.LEVEL
    assert SignalType.parse(" x-loadControlCapacity ") is SignalType.X_LOAD_CONTROL_CAPACITY
    with pytest.raises(InvalidData):
        SignalType.parse("x-somethingElse")
    with pytest.raises(InvalidData):
        enums.EventStatus.parse("pending")


@pytest.mark.parametrize("enum", [SignalName, OptReason, ReportName, ReportType, ReadingType])
def test_extensible_enums_accept_x_tokens(enum):
    first = next(iter(enum))
    assert enum.parse(first.value) is first
    assert enum.parse("x-private") == ExtensionValue("x-private")
    assert enum.parse("x-private").value == "x-private"
    with pytest.raises(InvalidData):
        enum.parse("private")
    with pytest.raises(InvalidData):
        enum.parse("x-")


def test_extension_value_checks_its_prefix():
    with pytest.raises(ValueError):
        ExtensionValue("nope")
    assert str(ExtensionValue("x-y")) == "x-y"


def test_listed_x_values_are_members_not_extensions():
    assert ReadingType.parse("x-RMS") is ReadingType.X_RMS
    assert OptReason.parse("x-schedule") is OptReason.X_SCHEDULE
    assert ReportType.parse("x-resourceStatus") is ReportType.X_RESOURCE_STATUS


def test_response_codes_reuse_the_error_enum():
    assert enums.ResponseCode is ResponseCode
    assert parse_response_code("200") is ResponseCode.OK
    assert parse_response_code("463") is ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
    assert parse_response_code("201") == 201
    assert EiResponse(response_code=ResponseCode.OK, request_id="r").ok
    assert not EiResponse(response_code=454, request_id="r").ok


def test_si_scale_exponents():
    assert SiScaleCode.KILO.exponent == 3
    assert SiScaleCode.MICRO.exponent == -6
    assert SiScaleCode.NONE.exponent == 0


def test_unit_constructors_fill_the_fixed_strings():
    power = ItemBase.power()
    assert (power.kind, power.item_description, power.item_units) == (
        ItemKind.POWER_REAL,
        "RealPower",
        "W",
    )
    assert power.power_attributes is not None
    energy = ItemBase.fixed(ItemKind.ENERGY_REAL, scale=SiScaleCode.KILO)
    assert (energy.item_description, energy.item_units, energy.scale) == (
        "RealEnergy",
        "Wh",
        SiScaleCode.KILO,
    )
    price = ItemBase.currency("USD")
    assert (price.kind, price.item_description, price.item_units) == (
        ItemKind.CURRENCY_PER_KWH,
        "currencyPerKWh",
        "USD",
    )
    pulses = ItemBase.pulse_count(2.5)
    assert pulses.scale is None and pulses.pulse_factor == 2.5


def test_target_defaults_to_no_restriction():
    assert Target() == types.EMPTY_TARGET
    assert opt.CreateOpt.__dataclass_fields__["target"].default is types.EMPTY_TARGET


def test_periods_hold_utc_datetimes_and_timedeltas():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    period = types.Period(dtstart=start, duration=timedelta(hours=1), ramp_up=timedelta(minutes=5))
    assert period.duration == timedelta(hours=1)
    assert period.tolerance_startafter is None


def test_messages_package_imports_no_heavy_library():
    code = (
        "import sys, common.messages.enums, common.messages.types, common.messages.event, "
        "common.messages.opt, common.messages.poll, common.messages.registration, "
        "common.messages.examples\n"
        "bad = [m for m in ('lxml', 'aiohttp', 'sqlalchemy', 'pyomo') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
