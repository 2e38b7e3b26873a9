"""Per-kind device steppers: each advances one device's physics and local controller."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from ven.devices.daytype import LocalCalendar, by_hour, in_window
from ven.devices.history import session_need
from ven.devices.model import (
    AnyDevice,
    Battery,
    CurtailableLoad,
    EvCharger,
    HvacZone,
    OnOffLoad,
    PvArray,
    WaterHeater,
)
from ven.devices.physics import (
    WATER_KWH_PER_L_C,
    battery_limit,
    battery_soc_after,
    hvac_sign,
)
from ven.devices.state import DeviceState
from ven.devices.weather import Weather

__all__ = [
    "EPOCH",
    "Control",
    "Live",
    "Substeps",
    "Thermostats",
    "initial_state",
    "snapshot",
    "step_device",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""Sub-step stamps count microseconds from here."""


@dataclass(frozen=True, slots=True)
class Substeps:
    """The sub-steps of one simulated stretch: local calendar and weather per sub-step.

    stamps_us: start of each sub-step [µs since 1970-01-01T00:00Z]; h: sub-step length [h];
    hours, cloud, t_out: epoch hours [h], cloud cover [0..1] and outdoor temperature [°C] at
    each sub-step's middle.
    """

    stamps_us: np.ndarray
    h: float
    cal: LocalCalendar
    hours: np.ndarray
    cloud: np.ndarray
    t_out: np.ndarray

    def __len__(self) -> int:
        return len(self.stamps_us)

    def stamps(self) -> list[datetime]:
        """Each sub-step's start (UTC), for the controllers that keep time."""
        return [EPOCH + timedelta(microseconds=u) for u in self.stamps_us.tolist()]


@dataclass(slots=True)
class Control:
    """The command aspects currently applied to one device."""

    on: bool = True
    limit_kw: float | None = None
    setpoint_c: float | None = None
    battery_kw: float = 0.0


@dataclass(slots=True)
class Live:
    """Mutable physical and controller state of one device."""

    temperature_c: float = 0.0
    soc: float = 0.0
    energy_kwh: float = 0.0
    energy_needed_kwh: float = 0.0
    plugged: bool = False
    running: bool = False
    shed_since: datetime | None = None
    lockout_until: datetime | None = None
    control: Control = field(default_factory=Control)


@dataclass(frozen=True, slots=True, kw_only=True)
class Thermostats:
    """Settings of the local thermostats: HVAC ``"modulating"`` (the power that reaches the
    setpoint by the end of the sub-step) or ``"deadband"`` (on/off, a `deadband_c` wide band
    [°C]); water heaters switch on `water_deadband_c` below their setpoint [°C]."""

    hvac_control: Literal["modulating", "deadband"]
    deadband_c: float
    water_deadband_c: float


# Each stepper simulates one device over every sub-step of `at` with the commands that hold
# now, returns its mean power per sub-step [kW] and leaves its state at the end.


def step_device(
    dev: AnyDevice, live: Live, at: Substeps, thermostats: Thermostats, weather: Weather
) -> np.ndarray:
    """Mean power [kW] of one device per sub-step of `at` under its commands; advances `live`."""
    if isinstance(dev, OnOffLoad):
        return _onoff(dev, live, at)
    if isinstance(dev, CurtailableLoad):
        normal = dev.rated_kw * by_hour(dev.profile, dev.weekend_profile, at.cal)
        floor = normal * (1 - dev.max_reduction)
        if not live.control.on:
            return floor
        if live.control.limit_kw is not None:
            return np.maximum(np.minimum(normal, live.control.limit_kw), floor)
        return normal
    if isinstance(dev, HvacZone):
        return _hvac(dev, live, at, thermostats)
    if isinstance(dev, WaterHeater):
        return _water_heater(dev, live, at, thermostats)
    if isinstance(dev, EvCharger):
        return _ev(dev, live, at)
    if isinstance(dev, Battery):
        return _battery(dev, live, at)
    if isinstance(dev, PvArray):
        return -weather.pv_kw_at(dev, at.hours, at.cloud)
    raise TypeError(f"unknown device kind {type(dev).__name__}")  # pragma: no cover

def _onoff(dev: OnOffLoad, live: Live, at: Substeps) -> np.ndarray:
    normal = dev.rated_kw * dev.duty * by_hour(dev.profile, dev.weekend_profile, at.cal)
    if live.shed_since is None and live.control.on:
        return normal  # running normally: the local controller has nothing to do
    out = normal.copy()
    max_shed = timedelta(minutes=dev.max_shed_minutes)
    min_shed = timedelta(minutes=dev.min_shed_minutes)
    for k, now in enumerate(at.stamps()):
        if live.shed_since is not None:
            elapsed = now - live.shed_since
            if elapsed >= max_shed:
                live.control.on = True  # the local controller cancels an over-long shed
                _restore(dev, live, now)
            elif live.control.on and elapsed >= min_shed:
                _restore(dev, live, now)
        elif not live.control.on and (
            live.lockout_until is None or now >= live.lockout_until
        ):
            live.shed_since = now
        if live.shed_since is not None:
            out[k] = 0.0
    return out

def _restore(dev: OnOffLoad, live: Live, now: datetime) -> None:
    live.shed_since = None
    live.lockout_until = now + timedelta(minutes=dev.lockout_minutes)

def _hvac(dev: HvacZone, live: Live, at: Substeps, thermostats: Thermostats) -> np.ndarray:
    """The zone's thermostat and its 1R1C physics (physics.zone_power_to_reach and
    zone_step, written out here because they run once per sub-step)."""
    control = live.control
    if not control.on:
        occupied = [False] * len(at)
    elif control.setpoint_c is not None:
        occupied = [True] * len(at)
    else:
        occupied = (by_hour(dev.occupied, dev.weekend_occupied, at.cal) > 0.5).tolist()
    setpoint = dev.setpoint_c if control.setpoint_c is None else control.setpoint_c
    cap = dev.max_kw if control.limit_kw is None else min(dev.max_kw, control.limit_kw)
    sign = hvac_sign(dev.mode)
    r, cop = dev.r_c_per_kw, dev.cop
    decay = math.exp(-at.h / (r * dev.c_kwh_per_c))
    pull = 1.0 / (1.0 - decay)
    modulating = thermostats.hvac_control == "modulating"
    half_band = thermostats.deadband_c / 2
    temp, running = live.temperature_c, live.running
    out = [0.0] * len(at)
    for k, (t_out, on) in enumerate(zip(at.t_out.tolist(), occupied, strict=True)):
        power = 0.0
        if on:
            if modulating:  # the power that reaches the setpoint by the sub-step's end
                power = sign * ((setpoint - decay * temp) * pull - t_out) / (cop * r)
                power = 0.0 if power < 0.0 else (cap if power > cap else power)
            else:  # error > 0: the zone is on the side the HVAC works against
                error = -sign * (temp - setpoint)
                if error > half_band:
                    running = True
                elif error < -half_band:
                    running = False
                power = cap if running else 0.0
        else:
            running = False
        steady = t_out + sign * cop * power * r
        temp = steady + (temp - steady) * decay
        out[k] = power
    live.temperature_c, live.running = temp, running
    return np.asarray(out)

def _water_heater(
    dev: WaterHeater, live: Live, at: Substeps, thermostats: Thermostats
) -> np.ndarray:
    """The tank's on/off thermostat and its one-node physics (physics.tank_step, written
    out here because it runs once per sub-step). A commanded set point (``Setpoint``, the
    plan raising the tank) is heated to at once, as a water heater's load-up command does:
    the element runs while the tank is below it, without first falling through the
    deadband."""
    control = live.control
    if control.on:
        target = dev.setpoint_c if control.setpoint_c is None else control.setpoint_c
    else:
        target = dev.comfort_low_c + thermostats.water_deadband_c  # keeps the tank >= comfort_low_c
    low = target - (thermostats.water_deadband_c if control.setpoint_c is None or not control.on
                    else 0.0)
    cap = dev.rated_kw if control.limit_kw is None else min(dev.rated_kw, control.limit_kw)
    capacity = dev.volume_l * WATER_KWH_PER_L_C
    draw = np.asarray(dev.draw_l_per_h, dtype=float)[at.cal.hour] * WATER_KWH_PER_L_C
    loss = dev.ua_kw_per_c + draw  # [kW/°C]
    fixed = dev.ua_kw_per_c * dev.ambient_c + draw * dev.inlet_c  # [kW]
    exact = loss * at.h / capacity >= 1e-12
    decay = np.exp(-loss * at.h / capacity)
    temp, running = live.temperature_c, live.running
    out = [0.0] * len(at)
    rows = zip(loss.tolist(), fixed.tolist(), decay.tolist(), exact.tolist(), strict=True)
    for k, (lo, fx, d, ok) in enumerate(rows):
        if temp < low:
            running = True
        elif temp >= target:
            running = False
        power = cap if running else 0.0
        if ok:
            steady = (power + fx) / lo
            temp = steady + (temp - steady) * d
        else:
            temp = temp + power * at.h / capacity
        out[k] = power
    live.temperature_c, live.running = temp, running
    return np.asarray(out)

def _ev(dev: EvCharger, live: Live, at: Substeps) -> np.ndarray:
    plugged = in_window(at.cal.hour_frac, dev.arrival_hour, dev.departure_hour).tolist()
    weekend = at.cal.weekend.tolist()
    on = live.control.on
    cap = (
        dev.max_kw if live.control.limit_kw is None else min(dev.max_kw, live.control.limit_kw)
    )
    h, eff = at.h, dev.efficiency
    was, energy, needed = live.plugged, live.energy_kwh, live.energy_needed_kwh
    out = [0.0] * len(at)
    for k, now in enumerate(plugged):
        if now and not was:
            energy, needed = 0.0, session_need(dev, weekend[k])
        was = now
        missing = needed - energy
        if not now or not on or missing <= 1e-12:
            continue
        power = min(cap, missing / (eff * h))
        energy += eff * power * h
        out[k] = power
    live.plugged, live.energy_kwh, live.energy_needed_kwh = was, energy, needed
    return np.asarray(out)

def _battery(dev: Battery, live: Live, at: Substeps) -> np.ndarray:
    if live.control.battery_kw == 0.0:
        return np.zeros(len(at))  # idle: neither the power nor the charge changes
    out = np.empty(len(at))
    for k in range(len(at)):
        power = battery_limit(
            live.control.battery_kw,
            live.soc,
            capacity_kwh=dev.capacity_kwh,
            max_charge_kw=dev.max_charge_kw,
            max_discharge_kw=dev.max_discharge_kw,
            charge_efficiency=dev.charge_efficiency,
            discharge_efficiency=dev.discharge_efficiency,
            soc_min=dev.soc_min,
            soc_max=dev.soc_max,
            dt_h=at.h,
        )
        soc = battery_soc_after(
            live.soc,
            power,
            capacity_kwh=dev.capacity_kwh,
            charge_efficiency=dev.charge_efficiency,
            discharge_efficiency=dev.discharge_efficiency,
            dt_h=at.h,
        )
        live.soc = min(max(soc, 0.0), 1.0)
        out[k] = power
    return out


def initial_state(dev: AnyDevice, time: datetime, timezone: str) -> Live:
    """The state `dev` starts in at `time` (UTC) in a building in `timezone` (IANA name)."""
    live = Live()
    if isinstance(dev, HvacZone):
        live.temperature_c = dev.setpoint_c if dev.initial_c is None else dev.initial_c
    elif isinstance(dev, WaterHeater):
        live.temperature_c = dev.setpoint_c
    elif isinstance(dev, Battery):
        live.soc = dev.soc_initial
    elif isinstance(dev, EvCharger):
        cal = LocalCalendar.of(pd.DatetimeIndex([time]), timezone)
        if bool(in_window(cal.hour_frac[0], dev.arrival_hour, dev.departure_hour)):
            live.plugged = True
            live.energy_needed_kwh = session_need(dev, bool(cal.weekend[0]))
            since = (float(cal.hour_frac[0]) - dev.arrival_hour) % 24.0
            live.energy_kwh = min(live.energy_needed_kwh, dev.efficiency * dev.max_kw * since)
    return live

def snapshot(dev: AnyDevice, live: Live) -> DeviceState:
    """What `dev` reports of its state `live`."""
    ident, kind = dev.id, dev.kind
    if isinstance(dev, HvacZone | WaterHeater):
        return DeviceState(device_id=ident, kind=kind, temperature_c=live.temperature_c)
    if isinstance(dev, Battery):
        return DeviceState(device_id=ident, kind=kind, soc=live.soc)
    if isinstance(dev, EvCharger):
        return DeviceState(
            device_id=ident,
            kind=kind,
            energy_kwh=live.energy_kwh,
            energy_needed_kwh=live.energy_needed_kwh,
            plugged=live.plugged,
        )
    if isinstance(dev, OnOffLoad):
        return DeviceState(
            device_id=ident,
            kind=kind,
            on=live.shed_since is None,
            lockout_until=live.lockout_until,
            shed_since=live.shed_since,
        )
    return DeviceState(device_id=ident, kind=kind)
