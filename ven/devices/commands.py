"""Commands the dispatch sends to a building's devices (one small frozen dataclass per verb).

A command changes one aspect of a device's control; aspects combine (an HVAC zone can have a
setpoint and a power limit at once) until ``Release`` returns the device to normal operation.
Which command fits which device kind:

    command        onoff  curtailable  hvac  battery  ev  water_heater  pv
    Release          x        x         x       x     x        x        x
    Switch           x        x         x             x        x
    PowerLimit                x         x             x        x
    Setpoint                            x                      x
    BatteryPower                                x

- ``Switch(on=False)``: on/off load shed; curtailable load to its deepest curtailment; HVAC,
  EV charger or water-heater element off. ``Switch(on=True)`` undoes it.
- ``PowerLimit(kw)``: the device draws at most this power [kW] (a curtailable load never goes
  below ``rated * profile * (1 - max_reduction)``; an EV charges at this rate while it needs
  energy).
- ``Setpoint(celsius)``: thermostat setpoint [°C] for an HVAC zone or a water-heater tank.
- ``BatteryPower(kw)``: battery power [kW], positive charges, negative discharges; the battery
  clips it to its rates and state-of-charge bounds.

The simulated building keeps its local controllers: an on/off load shed longer than
``max_shed_minutes`` switches itself back on and then refuses a new shed for
``lockout_minutes``; it stays off at least ``min_shed_minutes``; a shed water heater still heats
when the tank falls below ``comfort_low_c``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """Return the device to normal operation (drop every command)."""

    device_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Switch:
    """Switch the device off (shed) or back on."""

    device_id: str
    on: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerLimit:
    """Cap the device's power at `kw` [kW] (>= 0)."""

    device_id: str
    kw: float

    def __post_init__(self) -> None:
        if not self.kw >= 0:
            raise ValueError(f"PowerLimit for {self.device_id!r}: kw must be >= 0, got {self.kw}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Setpoint:
    """Thermostat setpoint [°C] of an HVAC zone or a water-heater tank."""

    device_id: str
    celsius: float


@dataclass(frozen=True, slots=True, kw_only=True)
class BatteryPower:
    """Battery power [kW]: positive charges, negative discharges."""

    device_id: str
    kw: float


DeviceCommand = Release | Switch | PowerLimit | Setpoint | BatteryPower

SUPPORTED: dict[type, frozenset[str]] = {
    Release: frozenset({"onoff", "curtailable", "hvac", "battery", "ev", "water_heater", "pv"}),
    Switch: frozenset({"onoff", "curtailable", "hvac", "ev", "water_heater"}),
    PowerLimit: frozenset({"curtailable", "hvac", "ev", "water_heater"}),
    Setpoint: frozenset({"hvac", "water_heater"}),
    BatteryPower: frozenset({"battery"}),
}


class UnsupportedCommand(ValueError):
    """Raised when a command does not fit the device (unknown id, or wrong kind)."""
