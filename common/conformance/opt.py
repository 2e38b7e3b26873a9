"""EiOpt rules: the VEN's oadrCreateOpt.

Valid device classes: oadrDeviceClass names end devices by ``endDeviceAsset/mrid``; the
values are those of the 2.0b Profile Specification's end-device table, as openleadr lists
them (``SIGNAL_TARGET_MRID``), plus ``x-`` extensions. Any other kind of target inside
oadrDeviceClass (a venID, a resourceID, …) is a finding: it is not a device class.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import TYPE_CHECKING

from common.conformance.findings import Finding, Rule
from common.messages.opt import CreateOpt
from common.messages.types import Target

if TYPE_CHECKING:
    from common.conformance.context import Exchange

__all__ = ["DEVICE_CLASSES", "RULES", "check_create_opt"]

OPT_ID = Rule("opt.opt-id", "oadrCreateOpt must have an optID")
EVENT_OPT_BARE = Rule("opt.event-opt-bare",
                      "an oadrCreateOpt with an eventID must not carry vavailability or "
                      "marketContext")
AVAILABILITY_PLAIN = Rule("opt.vavailability-plain",
                          "vavailability must not carry tolerance, eiRampUp, eiRecovery or "
                          "eiNotification")
DEVICE_CLASS = Rule("opt.device-class", "oadrDeviceClass must hold valid device-class values")

RULES = (OPT_ID, EVENT_OPT_BARE, AVAILABILITY_PLAIN, DEVICE_CLASS)

DEVICE_CLASSES = frozenset({
    "Thermostat", "Strip_Heater", "Baseboard_Heater", "Water_Heater", "Pool_Pump", "Sauna",
    "Hot_tub", "Smart_Appliance", "Irrigation_Pump", "Managed_Commercial_and_Industrial_Loads",
    "Simple_Residential_On_Off_Loads", "Exterior_Lighting", "Interior_Lighting",
    "Electric_Vehicle", "Generation_Systems", "Load_Control_Switch", "Smart_Inverter", "EVSE",
    "RESU", "Energy_Management_System", "Smart_Energy_Module", "Storage",
})
"""The endDeviceAsset mrid values of 2.0b (``x-`` values are allowed besides)."""


def check_create_opt(message: CreateOpt, exchange: Exchange) -> list[Finding]:
    """Every oadrCreateOpt rule (none needs context)."""
    del exchange
    findings: list[Finding] = []
    if not message.opt_id.strip():
        findings.append(Finding(rule=OPT_ID, path="optID", expected="an optID", seen="empty",
                                message="the oadrCreateOpt has no optID"))
    if message.qualified_event_id is not None:
        event_id = message.qualified_event_id.event_id
        if message.vavailability is not None:
            findings.append(Finding(
                rule=EVENT_OPT_BARE, path="vavailability", expected="absent",
                seen=f"{len(message.vavailability)} window(s)",
                message=f"an opt for event {event_id!r} carries an availability schedule"))
        if message.market_context is not None:
            findings.append(Finding(
                rule=EVENT_OPT_BARE, path="marketContext", expected="absent",
                seen=message.market_context,
                message=f"an opt for event {event_id!r} carries a marketContext"))
    findings += _plain_windows(message)
    if message.device_class is not None:
        findings += _device_class(message.device_class)
    return findings


def _plain_windows(message: CreateOpt) -> Iterator[Finding]:
    for index, window in enumerate(message.vavailability or ()):
        extras = {
            "tolerance": window.tolerance_startafter,
            "x-eiRampUp": window.ramp_up,
            "x-eiRecovery": window.recovery,
            "x-eiNotification": window.notification,
        }
        for name, value in extras.items():
            if value is not None:
                yield Finding(rule=AVAILABILITY_PLAIN,
                              path=f"vavailability/components/available[{index}]/{name}",
                              expected="absent", seen=str(value),
                              message=f"an availability window carries {name}")


def _device_class(target: Target) -> Iterator[Finding]:
    for mrid in target.end_device_assets:
        if mrid not in DEVICE_CLASSES and not mrid.startswith("x-"):
            yield Finding(rule=DEVICE_CLASS, path="oadrDeviceClass/endDeviceAsset/mrid",
                          expected="a 2.0b device class (Thermostat, Water_Heater, …)",
                          seen=mrid, message=f"{mrid!r} is not a 2.0b device class")
    for field in fields(Target):
        if field.name != "end_device_assets" and getattr(target, field.name):
            yield Finding(rule=DEVICE_CLASS, path=f"oadrDeviceClass/{field.name}",
                          expected="endDeviceAsset only", seen=field.name,
                          message="oadrDeviceClass holds something other than an end device")
