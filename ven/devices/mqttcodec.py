"""Topics and JSON payloads of the building's devices on MQTT (both the VEN and the simulator).

Topics, under a prefix (``[mqtt] prefix``):

    <prefix>/<device id>/telemetry   device -> VEN, retained, QoS 1: ``Telemetry``
    <prefix>/<device id>/command     VEN -> device, QoS 1: a ``DeviceCommand`` with an id
    <prefix>/<meter>/telemetry       meter -> VEN, retained, QoS 1: ``Telemetry`` (power, energy)
    <prefix>/ven/status              VEN, retained: "online", or "offline" (its last will)

Every payload is a JSON object with ``ts`` (ISO 8601, UTC) and its quantities named with their
unit (``power_kw`` [kW], ``energy_kwh`` [kWh], ``temperature_c`` [°C], ``soc`` [fraction]);
``units`` repeats them for readers that want them spelled out. Pure: no network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ven.devices.commands import (
    BatteryPower,
    DeviceCommand,
    PowerLimit,
    Release,
    Setpoint,
    Switch,
)

__all__ = ["CommandMessage", "PayloadError", "Telemetry", "Topics", "decode_command",
           "decode_telemetry", "encode_command", "encode_telemetry"]

UNITS = {"power_kw": "kW", "energy_kwh": "kWh", "temperature_c": "°C", "soc": "fraction",
         "limit_kw": "kW", "setpoint_c": "°C", "kw": "kW", "celsius": "°C"}
"""The unit of every quantity a payload may carry."""


class PayloadError(ValueError):
    """Raised when an MQTT payload is not the JSON this module describes."""


@dataclass(frozen=True, slots=True)
class Topics:
    """The topic names under one prefix."""

    prefix: str

    def telemetry(self, device_id: str) -> str:
        return f"{self.prefix}/{device_id}/telemetry"

    def command(self, device_id: str) -> str:
        return f"{self.prefix}/{device_id}/command"

    def override(self, device_id: str) -> str:
        """Where a person (or the simulator's test hook) tells a device to override DR."""
        return f"{self.prefix}/{device_id}/override"

    @property
    def ven_status(self) -> str:
        return f"{self.prefix}/ven/status"

    @property
    def all_telemetry(self) -> str:
        return f"{self.prefix}/+/telemetry"

    @property
    def all_commands(self) -> str:
        return f"{self.prefix}/+/command"

    @property
    def all_overrides(self) -> str:
        return f"{self.prefix}/+/override"

    def device_of(self, topic: str) -> str | None:
        """The device id (or meter name) of a ``<prefix>/<id>/<leaf>`` topic, else None."""
        head = self.prefix + "/"
        if not topic.startswith(head):
            return None
        parts = topic[len(head):].split("/")
        return parts[0] if len(parts) == 2 else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Telemetry:
    """What a device (or meter) reports at `ts` (UTC).

    power_kw: present power [kW] (PV negative, battery + charging); energy_kwh: energy counter
    [kWh]; state: "normal", "controlled" (following a command) or "override"; override: a
    person overrode DR at the device; command_id: the last command it follows; temperature_c
    [°C]; soc [fraction].
    """

    device_id: str
    ts: datetime
    power_kw: float
    energy_kwh: float | None = None
    state: str = "normal"
    override: bool = False
    command_id: str | None = None
    temperature_c: float | None = None
    soc: float | None = None
    online: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandMessage:
    """A command on the wire: its id (echoed in telemetry once followed), time and verb."""

    command_id: str
    ts: datetime
    command: DeviceCommand


def _stamp(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _time(value: object) -> datetime:
    if not isinstance(value, str):
        raise PayloadError(f"ts must be an ISO 8601 string, got {value!r}")
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise PayloadError(f"ts {value!r} is not ISO 8601") from exc
    if ts.tzinfo is None:
        raise PayloadError(f"ts {value!r} has no time zone")
    return ts.astimezone(UTC)


def _object(payload: bytes | str) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PayloadError("the payload must be a JSON object")
    return data


def _number(data: dict[str, Any], key: str, *, required: bool = False) -> float | None:
    value = data.get(key)
    if value is None:
        if required:
            raise PayloadError(f"{key} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{key} must be a number, got {value!r}")
    return float(value)


def encode_telemetry(t: Telemetry) -> bytes:
    """The JSON of a telemetry message (quantities that do not apply are left out)."""
    data: dict[str, Any] = {"device_id": t.device_id, "ts": _stamp(t.ts),
                            "power_kw": round(t.power_kw, 4), "state": t.state,
                            "override": t.override, "online": t.online}
    for key in ("energy_kwh", "temperature_c", "soc"):
        value = getattr(t, key)
        if value is not None:
            data[key] = round(value, 4)
    if t.command_id is not None:
        data["command_id"] = t.command_id
    data["units"] = {k: UNITS[k] for k in data if k in UNITS}
    return json.dumps(data).encode()


def decode_telemetry(device_id: str, payload: bytes | str) -> Telemetry:
    """A telemetry message of `device_id` (from its topic); raises ``PayloadError``."""
    data = _object(payload)
    power = _number(data, "power_kw", required=True)
    command_id = data.get("command_id")
    return Telemetry(
        device_id=device_id, ts=_time(data.get("ts")), power_kw=float(power or 0.0),
        energy_kwh=_number(data, "energy_kwh"), state=str(data.get("state", "normal")),
        override=data.get("override") is True,
        command_id=command_id if isinstance(command_id, str) else None,
        temperature_c=_number(data, "temperature_c"), soc=_number(data, "soc"),
        online=data.get("online", True) is not False)


def encode_command(message: CommandMessage) -> bytes:
    """The JSON of a command: ``{"id", "ts", "device_id", "command", ...its quantities}``."""
    c = message.command
    data: dict[str, Any] = {"id": message.command_id, "ts": _stamp(message.ts),
                            "device_id": c.device_id}
    if isinstance(c, Release):
        data["command"] = "release"
    elif isinstance(c, Switch):
        data |= {"command": "switch", "on": c.on}
    elif isinstance(c, PowerLimit):
        data |= {"command": "power_limit", "kw": c.kw}
    elif isinstance(c, Setpoint):
        data |= {"command": "setpoint", "celsius": c.celsius}
    else:
        data |= {"command": "battery_power", "kw": c.kw}
    data["units"] = {k: UNITS[k] for k in data if k in UNITS}
    return json.dumps(data).encode()


def decode_command(payload: bytes | str) -> CommandMessage:
    """A command message; raises ``PayloadError`` (an unknown verb included)."""
    data = _object(payload)
    device = data.get("device_id")
    ident = data.get("id")
    if not isinstance(device, str) or not isinstance(ident, str):
        raise PayloadError("a command needs string id and device_id")
    verb = data.get("command")
    command: DeviceCommand
    try:
        if verb == "release":
            command = Release(device_id=device)
        elif verb == "switch":
            command = Switch(device_id=device, on=data.get("on") is True)
        elif verb == "power_limit":
            command = PowerLimit(device_id=device, kw=float(_number(data, "kw", required=True)
                                                            or 0.0))
        elif verb == "setpoint":
            command = Setpoint(device_id=device,
                               celsius=float(_number(data, "celsius", required=True) or 0.0))
        elif verb == "battery_power":
            command = BatteryPower(device_id=device,
                                   kw=float(_number(data, "kw", required=True) or 0.0))
        else:
            raise PayloadError(f"unknown command {verb!r}")
    except ValueError as exc:
        if isinstance(exc, PayloadError):
            raise
        raise PayloadError(str(exc)) from exc
    return CommandMessage(command_id=ident, ts=_time(data.get("ts")), command=command)
