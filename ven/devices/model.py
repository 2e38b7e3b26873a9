"""Typed building model: one frozen dataclass per device kind, plus the building that holds them.

Conventions shared by the config loader, the simulator and the dispatch:

- power is in kilowatts [kW], positive = consumption from the grid (PV and battery discharge
  reduce the building's net load); energy in [kWh]; temperature in [°C]; time in [min] or [h]
  as each field says.
- ``priority`` runs 1..10; a *higher* priority is more important to keep running, so shedding
  it costs more discomfort.
- a ``Circuit`` groups devices by the electrical circuit that feeds them. An *essential* circuit
  (life safety, refrigeration, IT) is never shed; among the others a circuit's ``priority`` uses
  the same scale as a device's: 1..10, a *higher* number is kept running longer, so for the
  same comfort cost the dispatch sheds circuits of lower priority first. A device on no circuit
  counts as priority 0 (shed first).
- ``participation`` holds 24 hourly rules (local time of the building): PARTICIPATION (may shed
  fully), SHIFTING (may change at most ``SHIFTING_LIMIT`` of its power), OFF (never touched).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

SHIFTING_LIMIT = 0.20  # largest change of a device's power under a `shifting` rule [fraction]


class Participation(StrEnum):
    """Hourly participation rule of a device."""

    PARTICIPATION = "participation"
    SHIFTING = "shifting"
    OFF = "off"


ALL_HOURS = tuple(Participation.PARTICIPATION for _ in range(24))
FULL_DAY = tuple(1.0 for _ in range(24))  # a use profile that is 1.0 in every hour
ALWAYS = tuple(True for _ in range(24))  # an occupancy schedule that is True in every hour


@dataclass(frozen=True, slots=True, kw_only=True)
class Circuit:
    """An electrical circuit of the building that feeds some of its devices.

    id: unique among the building's circuits.
    essential: True = life safety, refrigeration, IT...: its devices are never shed (the
        dispatch holds them at their baseline draw).
    priority: 1..10, higher = kept running longer; for the same comfort cost the dispatch sheds
        lower-priority circuits first (ignored for an essential circuit).
    meter: where this circuit's metered power comes from (e.g. an MQTT topic); a hint for the
        device adapters, None = not metered.
    """

    id: str
    name: str = ""
    essential: bool = False
    priority: int = 5
    meter: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Programme:
    """The building's DR programme terms (the building file's ``[programme]``).

    compensation_per_kwh: what the programme pays per delivered kWh [currency/kWh];
    currency: the programme's currency (e.g. "EUR"). None = not set here (ven.toml's
    ``[programme]``, else 0 and "USD"). ven.toml's ``[programme]`` overrides these.
    baseline: the programme's baseline preset, with its day-of adjustment
    (``common.baselines.presets``: "CAISO 10-in-10", "NYISO 5-of-10", "PJM High 4 of 5", or
    their slugs); None = CAISO 10-in-10.
    recovery_minutes: the recovery window after each event [min] (0..720): the plan keeps
    control that long, releasing the devices in steps so that the load stays near the
    no-event load (``ven.brain.planning.RECOVERY_WINDOW``: 60).
    """

    compensation_per_kwh: float | None = None
    currency: str | None = None
    baseline: str | None = None
    recovery_minutes: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """Fields every device has.

    id: unique within the building; also the 2.0b resourceID used in per-device opts.
    priority: 1..10, higher = more important to keep running.
    dr_enabled: False keeps the device out of every event.
    participation: 24 hourly rules, index = local hour of the day.
    circuit: the id of the building's circuit that feeds it; None = on no circuit.
    """

    id: str
    name: str = ""
    priority: int = 5
    dr_enabled: bool = True
    participation: tuple[Participation, ...] = ALL_HOURS
    circuit: str | None = None

    def rule_at(self, hour: int) -> Participation:
        """Participation rule for a local hour 0..23 (OFF when DR is disabled)."""
        return self.participation[hour] if self.dr_enabled else Participation.OFF


@dataclass(frozen=True, slots=True, kw_only=True)
class OnOffLoad(Device):
    """Sheddable on/off load (e.g. a pump or a lighting circuit).

    rated_kw: power when on [kW]; duty: fraction of time it runs in normal operation [0..1].
    min_shed_minutes: once shed, stays off at least this long [min].
    max_shed_minutes: never shed longer than this in one event [min].
    lockout_minutes: after a shed, not shed again for this long [min].
    profile: 24 hourly use factors (local hour) on weekdays [0..1]; mean power in normal
        operation = rated_kw * duty * profile[hour] [kW]. (Added by the building-config helper.)
    weekend_profile: the same for Saturdays and Sundays; None = as on weekdays.
    """

    kind: Literal["onoff"] = "onoff"
    rated_kw: float
    duty: float = 1.0
    min_shed_minutes: float = 0.0
    max_shed_minutes: float = 240.0
    lockout_minutes: float = 0.0
    profile: tuple[float, ...] = FULL_DAY
    weekend_profile: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CurtailableLoad(Device):
    """Continuously curtailable load (dimmable lighting, VFD fans, process loads).

    rated_kw: normal power [kW]; max_reduction: largest curtailment [fraction of the power it
    draws at that time, 0..1] (dimmed to 40 % with max_reduction 0.35: at least 26 %).
    profile: 24 hourly use factors (local hour) on weekdays [0..1]; normal power =
        rated_kw * profile[hour] [kW]. (Added by the building-config helper.)
    weekend_profile: the same for Saturdays and Sundays; None = as on weekdays.
    """

    kind: Literal["curtailable"] = "curtailable"
    rated_kw: float
    max_reduction: float = 0.3
    profile: tuple[float, ...] = FULL_DAY
    weekend_profile: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HvacZone(Device):
    """HVAC zone with a 1R1C thermal model.

    dT/dt = (T_out - T) / (R C) + s * COP * P / C, with s = -1 cooling, +1 heating.
    r_c_per_kw: thermal resistance to outdoors [°C/kW]; c_kwh_per_c: capacitance [kWh/°C].
    max_kw: electric power limit [kW]; cop: coefficient of performance [-].
    setpoint_c: normal setpoint [°C]; comfort_low_c/comfort_high_c: band allowed during DR [°C].
    initial_c: zone temperature at the start of a simulation [°C]; None = setpoint_c.
    occupied: 24 hourly flags (local hour) on weekdays; in an unoccupied hour the HVAC is off in
        normal operation and the zone floats. weekend_occupied: the same for Saturdays and
        Sundays; None = as on weekdays. (Both added by the building-config helper.)
    """

    kind: Literal["hvac"] = "hvac"
    mode: Literal["cooling", "heating"] = "cooling"
    r_c_per_kw: float
    c_kwh_per_c: float
    max_kw: float
    cop: float = 3.0
    setpoint_c: float = 22.0
    comfort_low_c: float = 20.0
    comfort_high_c: float = 25.0
    initial_c: float | None = None
    occupied: tuple[bool, ...] = ALWAYS
    weekend_occupied: tuple[bool, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Battery(Device):
    """Stationary battery.

    capacity_kwh [kWh]; max_charge_kw/max_discharge_kw [kW]; charge_efficiency and
    discharge_efficiency [0..1]; soc_min/soc_max/soc_initial/soc_terminal [fraction of capacity].
    soc_terminal is the least state of charge left at the end of a plan.
    """

    kind: Literal["battery"] = "battery"
    capacity_kwh: float
    max_charge_kw: float
    max_discharge_kw: float
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    soc_min: float = 0.1
    soc_max: float = 0.95
    soc_initial: float = 0.5
    soc_terminal: float = 0.3


@dataclass(frozen=True, slots=True, kw_only=True)
class EvCharger(Device):
    """EV charger that must deliver `energy_needed_kwh` by `departure_hour`.

    max_kw [kW]; efficiency [0..1]; arrival_hour/departure_hour: local hours [h] (departure may
    be smaller than arrival, meaning the next day).
    energy_needed_kwh is energy put into the vehicle [kWh]; the grid supplies it / efficiency.
    weekend_energy_kwh: energy needed for sessions that start on a Saturday or Sunday [kWh];
        None = as on weekdays, 0 = no vehicle comes. (Added by the building-config helper.)
    """

    kind: Literal["ev"] = "ev"
    max_kw: float
    energy_needed_kwh: float
    arrival_hour: float = 18.0
    departure_hour: float = 7.0
    efficiency: float = 0.92
    weekend_energy_kwh: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WaterHeater(Device):
    """Electric resistance water heater with a one-node tank model.

    volume_l [l]; rated_kw [kW]; setpoint_c and band low/high [°C]; ua_kw_per_c: standing loss
    coefficient [kW/°C]; ambient_c [°C]; inlet_c: cold-water temperature [°C];
    draw_l_per_h: 24 hourly hot-water draws [l/h].
    """

    kind: Literal["water_heater"] = "water_heater"
    volume_l: float
    rated_kw: float
    setpoint_c: float = 55.0
    comfort_low_c: float = 45.0
    comfort_high_c: float = 65.0
    ua_kw_per_c: float = 0.002
    ambient_c: float = 20.0
    inlet_c: float = 12.0
    draw_l_per_h: tuple[float, ...] = tuple(0.0 for _ in range(24))


@dataclass(frozen=True, slots=True, kw_only=True)
class PvArray(Device):
    """Uncontrolled PV array; its output is a forecast, never dispatched.

    rated_kwp: DC peak power [kWp]; derate: losses [fraction, 0..1]; tilt/azimuth [deg].
    """

    kind: Literal["pv"] = "pv"
    rated_kwp: float
    derate: float = 0.14
    tilt_deg: float = 20.0
    azimuth_deg: float = 180.0


AnyDevice = OnOffLoad | CurtailableLoad | HvacZone | Battery | EvCharger | WaterHeater | PvArray


@dataclass(frozen=True, slots=True, kw_only=True)
class Building:
    """A building: its devices, the load nobody controls, and how it answers SIMPLE levels.

    base_load_kw: uncontrolled load by local hour (24 values) [kW].
    simple_level_shares: share of the baseline to shed for SIMPLE levels 1, 2, 3 [fraction].
    latitude/longitude [deg]; timezone: IANA name.
    weekend_base_load_kw: the same for Saturdays and Sundays [kW]; None = as on weekdays.
        (Added by the building-config helper.)
    circuits: the circuits its devices name (``Device.circuit``).
    programme: the DR programme's compensation and currency (``Programme``).
    """

    id: str
    name: str
    timezone: str = "UTC"
    latitude: float = 37.8
    longitude: float = -122.3
    base_load_kw: tuple[float, ...] = tuple(0.0 for _ in range(24))
    simple_level_shares: tuple[float, float, float] = (0.10, 0.20, 0.30)
    devices: tuple[AnyDevice, ...] = field(default_factory=tuple)
    weekend_base_load_kw: tuple[float, ...] | None = None
    circuits: tuple[Circuit, ...] = field(default_factory=tuple)
    programme: Programme = field(default_factory=Programme)

    def circuit_of(self, device: Device) -> Circuit | None:
        """The circuit that feeds `device` (None when it names none)."""
        for circuit in self.circuits:
            if circuit.id == device.circuit:
                return circuit
        return None

    def is_essential(self, device: Device) -> bool:
        """True when `device` sits on an essential circuit (never shed)."""
        circuit = self.circuit_of(device)
        return circuit is not None and circuit.essential

    def device(self, device_id: str) -> AnyDevice:
        """The device with this id (KeyError when unknown)."""
        for dev in self.devices:
            if dev.id == device_id:
                return dev
        raise KeyError(device_id)
