"""The simulated building: device physics with local controllers, stepped on an injected clock."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from common.clock import Clock
from ven.devices.commands import (
    SUPPORTED,
    BatteryPower,
    DeviceCommand,
    PowerLimit,
    Release,
    Setpoint,
    Switch,
    UnsupportedCommand,
)
from ven.devices.config import load_building, load_climate
from ven.devices.daytype import LocalCalendar, by_hour, in_window
from ven.devices.history import (
    BASE,
    GHI,
    T_OUT,
    TOTAL,
    normal_operation,
    session_need,
    time_grid,
)
from ven.devices.model import (
    AnyDevice,
    Battery,
    Building,
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
    tank_step,
    zone_power_to_reach,
    zone_step,
)
from ven.devices.state import DeviceState
from ven.devices.weather import Climate, Weather, epoch_hours

_BASE_NOISE_SD = 0.03  # per-step noise of the uncontrolled load [fraction]


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """What the meters saw over one step [start, end).

    device_kw: mean power per device id [kW] (PV negative, battery + charging).
    base_kw: mean uncontrolled load [kW]; total_kw: mean net building load [kW].
    t_out_c: mean outdoor temperature [°C].
    """

    start: datetime
    end: datetime
    device_kw: Mapping[str, float]
    base_kw: float
    total_kw: float
    t_out_c: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Forecast:
    """Expected load without DR on a tz-aware UTC grid of interval starts (the dispatch's input).

    device_kw: one column per device id, mean power [kW] (PV negative, batteries 0).
    base_kw, total_kw: uncontrolled and net building load [kW]; pv_kw: PV generation [kW] (>= 0).
    t_out_c: outdoor temperature [°C]; ghi_w_m2: global horizontal irradiance [W/m²]; both at
    the middle of each interval.
    """

    device_kw: pd.DataFrame
    base_kw: pd.Series
    total_kw: pd.Series
    pv_kw: pd.Series
    t_out_c: pd.Series
    ghi_w_m2: pd.Series


class _Moment(NamedTuple):
    """One sub-step's start (UTC) and its local hour, hour with fraction [h], weekend flag."""

    now: datetime
    hour: int
    hour_frac: float
    weekend: bool


@dataclass(slots=True)
class _Control:
    """The command aspects currently applied to one device."""

    on: bool = True
    limit_kw: float | None = None
    setpoint_c: float | None = None
    battery_kw: float = 0.0


@dataclass(slots=True)
class _Live:
    """Mutable physical and controller state of one device."""

    temperature_c: float = 0.0
    soc: float = 0.0
    energy_kwh: float = 0.0
    energy_needed_kwh: float = 0.0
    plugged: bool = False
    running: bool = False
    shed_since: datetime | None = None
    lockout_until: datetime | None = None
    control: _Control = field(default_factory=_Control)


class SimulatedBuilding:
    """A building whose measured load comes from device physics and local controllers.

    Time starts at ``clock.now()``; ``step(dt)`` simulates the next ``dt`` and never runs ahead
    of the clock. Inside a step the physics advances in sub-steps of at most ``substep``.
    HVAC zones use a modulating thermostat (the power that reaches the setpoint by the end of
    the sub-step, clipped to [0, limit]) or, with ``hvac_control="deadband"``, an on/off
    thermostat with a ``deadband_c`` wide band. Water heaters use an on/off thermostat that
    switches on ``water_deadband_c`` below the setpoint.

    Use the same ``seed`` and climate as ``generate_history`` so that the metered history and
    the live simulation share one weather.
    """

    def __init__(
        self,
        building: Building,
        clock: Clock,
        *,
        climate: Climate | None = None,
        seed: int = 0,
        substep: timedelta = timedelta(minutes=1),
        hvac_control: Literal["modulating", "deadband"] = "modulating",
        deadband_c: float = 1.0,
        water_deadband_c: float = 5.0,
        noise: bool = True,
    ) -> None:
        if substep <= timedelta(0):
            raise ValueError("substep must be positive")
        self.building = building
        self.clock = clock
        self.weather = Weather(
            climate or Climate(),
            latitude=building.latitude,
            longitude=building.longitude,
            seed=seed,
        )
        self.substep = substep
        self.hvac_control = hvac_control
        self.deadband_c = deadband_c
        self.water_deadband_c = water_deadband_c
        self._noise = noise
        self.forecast_thermostats = True
        self._rng = np.random.default_rng([seed, 0x51])
        self._time = clock.now()
        self._live = {dev.id: self._initial(dev) for dev in building.devices}

    @classmethod
    def from_file(
        cls, path: str | Path, clock: Clock, *, seed: int = 0, **options: Any
    ) -> SimulatedBuilding:
        """The simulated building of a building file, with the file's ``[climate]``."""
        return cls(load_building(path), clock, climate=load_climate(path), seed=seed, **options)

    def __repr__(self) -> str:
        return f"SimulatedBuilding({self.building.id!r}, time={self._time.isoformat()})"

    @property
    def time(self) -> datetime:
        """The simulation's current time (UTC): the end of the last step."""
        return self._time

    def state(self) -> dict[str, DeviceState]:
        """Current state of every device, by id."""
        return {dev.id: self._snapshot(dev) for dev in self.building.devices}

    def apply(self, commands: Iterable[DeviceCommand]) -> None:
        """Apply commands (all or none: every one is checked first). See ven.devices.commands."""
        batch = list(commands)
        for command in batch:
            try:
                dev = self.building.device(command.device_id)
            except KeyError:
                raise UnsupportedCommand(f"no device {command.device_id!r}") from None
            if dev.kind not in SUPPORTED[type(command)]:
                raise UnsupportedCommand(
                    f"{type(command).__name__} does not apply to {dev.kind} device {dev.id!r}"
                )
        for command in batch:
            control = self._live[command.device_id].control
            if isinstance(command, Release):
                self._live[command.device_id].control = _Control()
            elif isinstance(command, Switch):
                control.on = command.on
            elif isinstance(command, PowerLimit):
                control.limit_kw = command.kw
            elif isinstance(command, Setpoint):
                control.setpoint_c = command.celsius
            elif isinstance(command, BatteryPower):
                control.battery_kw = command.kw

    def step(self, dt: timedelta | None = None) -> Measurement:
        """Simulate [time, time + dt) (default: up to the clock's now) and measure it."""
        start = self._time
        dt = self.clock.now() - start if dt is None else dt
        if dt <= timedelta(0):
            raise ValueError(f"step needs a positive duration, got {dt}")
        if start + dt > self.clock.now() + timedelta(microseconds=1):
            raise ValueError(
                f"step to {(start + dt).isoformat()} would run ahead of the clock "
                f"({self.clock.now().isoformat()})"
            )
        count = max(1, math.ceil(dt / self.substep - 1e-9))
        sub = dt / count
        h = sub / timedelta(hours=1)
        stamps = [start + k * sub for k in range(count)]
        times = pd.DatetimeIndex(stamps)
        hours = epoch_hours(times) + h / 2  # weather at the middle of each sub-step
        cloud = self.weather.cloud(hours)
        t_out = self.weather.temperature_c(hours, cloud)
        cal = LocalCalendar.of(times, self.building.timezone)
        moments = [
            _Moment(now, hour, frac, weekend)
            for now, hour, frac, weekend in zip(
                stamps,
                cal.hour.tolist(),
                cal.hour_frac.tolist(),
                cal.weekend.tolist(),
                strict=True,
            )
        ]
        b = self.building
        base = by_hour(b.base_load_kw, b.weekend_base_load_kw, cal)
        if self._noise:
            base = np.maximum(base * (1 + _BASE_NOISE_SD * self._rng.standard_normal()), 0.0)
        energy = dict.fromkeys(self._live, 0.0)
        outdoor = t_out.tolist()
        for dev in b.devices:
            live = self._live[dev.id]
            if isinstance(dev, PvArray):
                energy[dev.id] = -float(np.sum(self.weather.pv_kw_at(dev, hours, cloud))) * h
                continue
            for k in range(count):
                energy[dev.id] += self._substep(dev, live, moments[k], outdoor[k], h) * h
        hours_total = count * h
        device_kw = {key: value / hours_total for key, value in energy.items()}
        base_kw = float(np.mean(base))
        self._time = start + dt
        return Measurement(
            start=start,
            end=self._time,
            device_kw=device_kw,
            base_kw=base_kw,
            total_kw=base_kw + sum(device_kw.values()),
            t_out_c=float(np.mean(t_out)),
        )

    def forecast(self, start: datetime, periods: int, freq: str = "15min") -> Forecast:
        """Expected load without DR from `start`, starting from the devices' current states.

        The weather is the simulator's own (a perfect forecast); no noise is added. Water
        heaters are forecast with their on/off thermostat (``water_deadband_c``) from the
        tank's current temperature and running flag, sub-step by sub-step, so that a tank
        coasting inside its deadband is forecast off (not at its steady average) and a
        recovering one at full power. With ``forecast_thermostats`` False they are forecast
        as the history models them: the steady power that holds the tank at its setpoint.
        """
        index = time_grid(start, start + periods * pd.Timedelta(freq), freq)
        frame = normal_operation(self.building, index, self.weather, states=self.state())
        heaters = [d for d in self.building.devices if isinstance(d, WaterHeater)]
        if heaters and len(index) and self.forecast_thermostats:
            step = pd.Timedelta(freq)
            for dev in heaters:
                kw = self._thermostat_forecast(dev, index, step)
                frame[TOTAL] = frame[TOTAL] - frame[dev.id] + kw
                frame[dev.id] = kw
        ids = [dev.id for dev in self.building.devices]
        pv_ids = [dev.id for dev in self.building.devices if isinstance(dev, PvArray)]
        return Forecast(
            device_kw=frame[ids],
            base_kw=frame[BASE],
            total_kw=frame[TOTAL],
            pv_kw=-frame[pv_ids].sum(axis=1) if pv_ids else pd.Series(0.0, index=index),
            t_out_c=frame[T_OUT],
            ghi_w_m2=frame[GHI],
        )

    def _thermostat_forecast(
        self, dev: WaterHeater, index: pd.DatetimeIndex, step: pd.Timedelta
    ) -> np.ndarray:
        """Mean element power [kW] per interval of `index` under the tank's own thermostat
        (no DR command), from its current temperature and running flag."""
        live = self._live[dev.id]
        count = max(1, math.ceil(step / pd.Timedelta(self.substep) - 1e-9))
        sub = step / count
        h = sub / pd.Timedelta(hours=1)
        times = index.repeat(count) + pd.TimedeltaIndex(np.tile(np.arange(count), len(index)) * sub)
        hours = LocalCalendar.of(times, self.building.timezone).hour.tolist()
        temp, running = live.temperature_c, live.running
        target = dev.setpoint_c
        capacity = dev.volume_l * WATER_KWH_PER_L_C
        power = np.zeros(len(times))
        for k, hour in enumerate(hours):
            if temp < target - self.water_deadband_c:
                running = True
            elif temp >= target:
                running = False
            p = dev.rated_kw if running else 0.0
            power[k] = p
            temp = tank_step(
                temp,
                p,
                capacity_kwh_per_c=capacity,
                ua_kw_per_c=dev.ua_kw_per_c,
                ambient_c=dev.ambient_c,
                draw_l_per_h=dev.draw_l_per_h[hour],
                inlet_c=dev.inlet_c,
                dt_h=h,
            )
        return power.reshape(len(index), count).mean(axis=1)

    # -- device physics and local controllers -------------------------------------------------

    def _substep(
        self,
        dev: AnyDevice,
        live: _Live,
        at: _Moment,
        t_out: float,
        h: float,
    ) -> float:
        """Mean power [kW] of one device over one sub-step; advances its state."""
        if isinstance(dev, OnOffLoad):
            return self._onoff(dev, live, at)
        if isinstance(dev, CurtailableLoad):
            normal = dev.rated_kw * _hourly(dev.profile, dev.weekend_profile, at)
            floor = normal * (1 - dev.max_reduction)
            if not live.control.on:
                return floor
            if live.control.limit_kw is not None:
                return max(min(normal, live.control.limit_kw), floor)
            return normal
        if isinstance(dev, HvacZone):
            return self._hvac(dev, live, at, t_out, h)
        if isinstance(dev, WaterHeater):
            return self._water_heater(dev, live, at, h)
        if isinstance(dev, EvCharger):
            return self._ev(dev, live, at, h)
        if isinstance(dev, Battery):
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
                dt_h=h,
            )
            soc = battery_soc_after(
                live.soc,
                power,
                capacity_kwh=dev.capacity_kwh,
                charge_efficiency=dev.charge_efficiency,
                discharge_efficiency=dev.discharge_efficiency,
                dt_h=h,
            )
            live.soc = min(max(soc, 0.0), 1.0)
            return power
        raise TypeError(f"unknown device kind {type(dev).__name__}")  # pragma: no cover

    def _onoff(self, dev: OnOffLoad, live: _Live, at: _Moment) -> float:
        now = at.now
        if live.shed_since is not None:
            elapsed = now - live.shed_since
            if elapsed >= timedelta(minutes=dev.max_shed_minutes):
                live.control.on = True  # the local controller cancels an over-long shed
                self._restore(dev, live, now)
            elif live.control.on and elapsed >= timedelta(minutes=dev.min_shed_minutes):
                self._restore(dev, live, now)
        elif not live.control.on and (live.lockout_until is None or now >= live.lockout_until):
            live.shed_since = now
        if live.shed_since is not None:
            return 0.0
        return dev.rated_kw * dev.duty * _hourly(dev.profile, dev.weekend_profile, at)

    @staticmethod
    def _restore(dev: OnOffLoad, live: _Live, now: datetime) -> None:
        live.shed_since = None
        live.lockout_until = now + timedelta(minutes=dev.lockout_minutes)

    def _hvac(self, dev: HvacZone, live: _Live, at: _Moment, t_out: float, h: float) -> float:
        control = live.control
        sign = hvac_sign(dev.mode)
        setpoint = control.setpoint_c
        if setpoint is None and _hourly(dev.occupied, dev.weekend_occupied, at) > 0.5:
            setpoint = dev.setpoint_c
        cap = dev.max_kw if control.limit_kw is None else min(dev.max_kw, control.limit_kw)
        power = 0.0
        if control.on and setpoint is not None:
            if self.hvac_control == "modulating":
                power = zone_power_to_reach(
                    live.temperature_c,
                    setpoint,
                    t_out,
                    r=dev.r_c_per_kw,
                    c=dev.c_kwh_per_c,
                    cop=dev.cop,
                    sign=sign,
                    dt_h=h,
                )
                power = min(max(power, 0.0), cap)
            else:
                # error > 0 means the zone is on the side the HVAC works against
                error = -sign * (live.temperature_c - setpoint)
                if error > self.deadband_c / 2:
                    live.running = True
                elif error < -self.deadband_c / 2:
                    live.running = False
                power = cap if live.running else 0.0
        else:
            live.running = False
        live.temperature_c = zone_step(
            live.temperature_c,
            t_out,
            power,
            r=dev.r_c_per_kw,
            c=dev.c_kwh_per_c,
            cop=dev.cop,
            sign=sign,
            dt_h=h,
        )
        return power

    def _water_heater(self, dev: WaterHeater, live: _Live, at: _Moment, h: float) -> float:
        control = live.control
        if control.on:
            target = dev.setpoint_c if control.setpoint_c is None else control.setpoint_c
        else:
            target = dev.comfort_low_c + self.water_deadband_c  # keeps the tank >= comfort_low_c
        if live.temperature_c < target - self.water_deadband_c:
            live.running = True
        elif live.temperature_c >= target:
            live.running = False
        cap = dev.rated_kw if control.limit_kw is None else min(dev.rated_kw, control.limit_kw)
        power = cap if live.running else 0.0
        live.temperature_c = tank_step(
            live.temperature_c,
            power,
            capacity_kwh_per_c=dev.volume_l * WATER_KWH_PER_L_C,
            ua_kw_per_c=dev.ua_kw_per_c,
            ambient_c=dev.ambient_c,
            draw_l_per_h=dev.draw_l_per_h[at.hour],
            inlet_c=dev.inlet_c,
            dt_h=h,
        )
        return power

    def _ev(self, dev: EvCharger, live: _Live, at: _Moment, h: float) -> float:
        plugged = _plugged(at.hour_frac, dev)
        if plugged and not live.plugged:
            live.energy_kwh = 0.0
            live.energy_needed_kwh = session_need(dev, at.weekend)
        live.plugged = plugged
        missing = live.energy_needed_kwh - live.energy_kwh
        if not plugged or not live.control.on or missing <= 1e-12:
            return 0.0
        cap = (
            dev.max_kw if live.control.limit_kw is None else min(dev.max_kw, live.control.limit_kw)
        )
        power = min(cap, missing / (dev.efficiency * h))
        live.energy_kwh += dev.efficiency * power * h
        return power

    # -- states ------------------------------------------------------------------------------

    def _initial(self, dev: AnyDevice) -> _Live:
        live = _Live()
        if isinstance(dev, HvacZone):
            live.temperature_c = dev.setpoint_c if dev.initial_c is None else dev.initial_c
        elif isinstance(dev, WaterHeater):
            live.temperature_c = dev.setpoint_c
        elif isinstance(dev, Battery):
            live.soc = dev.soc_initial
        elif isinstance(dev, EvCharger):
            cal = LocalCalendar.of(pd.DatetimeIndex([self._time]), self.building.timezone)
            if bool(in_window(cal.hour_frac[0], dev.arrival_hour, dev.departure_hour)):
                live.plugged = True
                live.energy_needed_kwh = session_need(dev, bool(cal.weekend[0]))
                since = (float(cal.hour_frac[0]) - dev.arrival_hour) % 24.0
                live.energy_kwh = min(live.energy_needed_kwh, dev.efficiency * dev.max_kw * since)
        return live

    def _snapshot(self, dev: AnyDevice) -> DeviceState:
        live = self._live[dev.id]
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
            )
        return DeviceState(device_id=ident, kind=kind)


def _hourly(
    weekday: tuple[float, ...] | tuple[bool, ...],
    weekend: tuple[float, ...] | tuple[bool, ...] | None,
    at: _Moment,
) -> float:
    table = weekend if weekend is not None and at.weekend else weekday
    return float(table[at.hour])


def _plugged(hour_frac: float, dev: EvCharger) -> bool:
    """EV connected at this local hour [h] (the window may wrap past midnight)."""
    if dev.arrival_hour < dev.departure_hour:
        return dev.arrival_hour <= hour_frac < dev.departure_hour
    return hour_frac >= dev.arrival_hour or hour_frac < dev.departure_hour
