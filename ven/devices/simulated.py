"""The simulated building: device physics with local controllers, stepped on an injected clock."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from common.clock import Clock, ManualClock
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
    RESERVED_COLUMNS,
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
)
from ven.devices.state import DeviceState
from ven.devices.weather import Climate, Weather

_BASE_NOISE_SD = 0.03  # noise of the uncontrolled load, one draw per UTC minute [fraction]
_MINUTES_PER_DAY = 1440
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_MICROS_PER_HOUR = 3_600_000_000
_BATCH = timedelta(days=7)  # ``run`` simulates at most this much at once (bounds memory) [d]


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


@dataclass(frozen=True, slots=True)
class _Substeps:
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
        return [_EPOCH + timedelta(microseconds=u) for u in self.stamps_us.tolist()]


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


def simulated_history(
    building: Building,
    start: datetime,
    end: datetime,
    *,
    freq: str = "15min",
    seed: int = 0,
    climate: Climate | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Metered history of `building` in normal operation over the whole `freq` intervals of
    [start, end): a ``SimulatedBuilding`` (same seed, climate, thermostats and noise as a live
    one) started at `start` with its devices at their initial states and run forward with no
    DR. Same arguments and frame as ``generate_history`` (see ``SimulatedBuilding.run``);
    `options` go to ``SimulatedBuilding``. To continue live from the end of the history, keep
    the simulation instead (``ven.brain.meter.MeteredBuilding`` does)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    step = pd.Timedelta(freq).to_pytimedelta()
    clock = ManualClock(start)
    simulation = SimulatedBuilding(building, clock, climate=climate, seed=seed, **options)
    until = start + max((end - start) // step, 0) * step
    clock.advance(until - start)
    return simulation.run(until, step)


class SimulatedBuilding:
    """A building whose measured load comes from device physics and local controllers.

    Time starts at ``clock.now()``; ``step(dt)`` simulates the next ``dt`` and never runs ahead
    of the clock; ``run(until, interval)`` simulates many steps at once and returns them as a
    metered history (the same readings as stepping). Inside a step the physics advances in
    sub-steps of at most ``substep``. HVAC zones use a modulating thermostat (the power that
    reaches the setpoint by the end of the sub-step, clipped to [0, limit]) or, with
    ``hvac_control="deadband"``, an on/off thermostat with a ``deadband_c`` wide band. Water
    heaters use an on/off thermostat that switches on ``water_deadband_c`` below the setpoint.
    The uncontrolled load carries a seeded noise drawn per UTC minute (``noise``), so the
    weather, the noise and hence the readings of an instant do not depend on the step sizes.

    A meter's past (the history baselines need) is this simulation run forward from the
    devices' initial states some days earlier (``ven.brain.meter.MeteredBuilding``,
    ``simulated_history``); ``generate_history`` is a separate, steadier model of the same
    building (no thermostat cycling) that does not continue into a live simulation.
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
        self._seed = seed
        self._noise_days: dict[int, np.ndarray] = {}
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
        self._check_clock(start + dt)
        device_kw, base_kw, t_out, _ = self._simulate(dt, 1)
        return Measurement(
            start=start,
            end=self._time,
            device_kw={d.id: float(device_kw[0, i]) for i, d in enumerate(self.building.devices)},
            base_kw=float(base_kw[0]),
            total_kw=float(base_kw[0] + device_kw[0].sum()),
            t_out_c=float(t_out[0]),
        )

    def run(
        self, until: datetime | None = None, interval: timedelta = timedelta(minutes=15)
    ) -> pd.DataFrame:
        """Simulate [time, until) (default: up to the clock's now) in steps of `interval`, as
        many ``step(interval)`` calls would, and return what the meters saw: the metered
        history of those steps.

        The span must be a whole number of intervals. Index: step starts, tz-aware UTC (named
        ``start``). Columns, as ``generate_history``'s: one per device id with its mean power
        [kW] (PV negative, battery + charging), then base_kw and total_kw [kW], t_out_c [°C]
        and ghi_w_m2 [W/m²] (means over the step's sub-steps). Commands applied before the
        call hold throughout. The calendar and weather of a whole batch of steps are computed
        at once, so a month of 15-minute history takes well under a second.
        """
        start = self._time
        until = self.clock.now() if until is None else until
        if interval <= timedelta(0):
            raise ValueError(f"run needs a positive interval, got {interval}")
        if until < start:
            raise ValueError(f"cannot run back to {until.isoformat()} from {start.isoformat()}")
        steps, rest = divmod(until - start, interval)
        if rest:
            raise ValueError(f"{until - start} from {start.isoformat()} is not a whole number "
                             f"of {interval} steps")
        self._check_clock(until)
        per_batch = max(1, _BATCH // interval)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        done = 0
        while done < steps:
            count = min(per_batch, steps - done)
            parts.append(self._simulate(interval, count))
            done += count
        ids = [dev.id for dev in self.building.devices]
        index = time_grid(start, until, interval)
        if not parts:
            return pd.DataFrame(columns=[*ids, *RESERVED_COLUMNS], index=index, dtype=float)
        device_kw, base_kw, t_out, ghi = (np.concatenate(arrays) for arrays in zip(*parts,
                                                                                   strict=True))
        frame = pd.DataFrame(device_kw, index=index, columns=ids)
        frame[BASE] = base_kw
        frame[TOTAL] = base_kw + device_kw.sum(axis=1)
        frame[T_OUT] = t_out
        frame[GHI] = ghi
        return frame

    def _check_clock(self, end: datetime) -> None:
        if end > self.clock.now() + timedelta(microseconds=1):
            raise ValueError(
                f"step to {end.isoformat()} would run ahead of the clock "
                f"({self.clock.now().isoformat()})"
            )

    def _simulate(
        self, dt: timedelta, steps: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Advance `steps` steps of `dt` from the current time; per step: mean device power
        [kW] (steps × devices), mean base load [kW], mean outdoor temperature [°C] and mean
        irradiance [W/m²]. Devices do not interact, so each is simulated over every sub-step
        in turn (the same as stepping them together)."""
        start = self._time
        count = max(1, math.ceil(dt / self.substep - 1e-9))
        sub = dt / count
        h = sub / timedelta(hours=1)
        # sub-step starts as whole microseconds since the epoch, so that the weather, the
        # calendar and the noise of an instant do not depend on how the run was cut into steps
        begin_us = (start - _EPOCH) // _MICRO
        stamps_us = begin_us + (
            np.arange(steps, dtype=np.int64)[:, None] * (dt // _MICRO)
            + np.arange(count, dtype=np.int64)[None, :] * (sub // _MICRO)
        ).ravel()
        hours = (stamps_us + (sub // _MICRO) / 2) / _MICROS_PER_HOUR  # each sub-step's middle
        cloud = self.weather.cloud(hours)
        times = pd.DatetimeIndex(stamps_us.astype("datetime64[us]")).tz_localize("UTC")
        at = _Substeps(
            stamps_us=stamps_us,
            h=h,
            cal=LocalCalendar.of(times, self.building.timezone),
            hours=hours,
            cloud=cloud,
            t_out=self.weather.temperature_c(hours, cloud),
        )
        b = self.building
        base = by_hour(b.base_load_kw, b.weekend_base_load_kw, at.cal)
        if self._noise:
            base = np.maximum(base * (1 + _BASE_NOISE_SD * self._minute_noise(stamps_us)), 0.0)
        power = np.empty((len(b.devices), len(at)))
        for i, dev in enumerate(b.devices):
            power[i] = self._device(dev, self._live[dev.id], at)
        self._time = start + steps * dt
        ghi = self.weather.ghi_w_m2(hours, cloud)

        def per_step(values: np.ndarray) -> np.ndarray:
            return values.reshape(*values.shape[:-1], steps, count).mean(axis=-1)

        return per_step(power).T, per_step(base), per_step(at.t_out), per_step(ghi)

    def _minute_noise(self, stamps_us: np.ndarray) -> np.ndarray:
        """A standard normal draw per sub-step: the one of the UTC minute it starts in, from
        a stream per (seed, UTC day), so the noise is a function of time alone and the same
        however the simulation is stepped."""
        minute = stamps_us // (60 * 1_000_000)
        day, slot = np.divmod(minute, _MINUTES_PER_DAY)
        out = np.empty(len(minute))
        for d in np.unique(day).tolist():
            draws = self._noise_days.get(d)
            if draws is None:
                if len(self._noise_days) >= 4:
                    self._noise_days.pop(next(iter(self._noise_days)))
                stream = np.random.default_rng([self._seed, 0x51, d % (1 << 32)])
                draws = stream.standard_normal(_MINUTES_PER_DAY)
                self._noise_days[d] = draws
            mask = day == d
            out[mask] = draws[slot[mask]]
        return out

    def forecast(self, start: datetime, periods: int, freq: str = "15min") -> Forecast:
        """Expected load without DR from `start`, starting from the devices' current states.

        The weather is the simulator's own (a perfect forecast); no noise is added. Water
        heaters are forecast with their on/off thermostat (``water_deadband_c``) from the
        tank's current temperature and running flag, sub-step by sub-step, so that a tank
        coasting inside its deadband is forecast off (not at its steady average) and a
        recovering one at full power. With ``forecast_thermostats`` False they are forecast
        as ``generate_history`` models them: the steady power that holds the tank at its
        setpoint.
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
    # Each method simulates one device over every sub-step of `at` with the commands that hold
    # now, returns its mean power per sub-step [kW] and leaves its state at the end.

    def _device(self, dev: AnyDevice, live: _Live, at: _Substeps) -> np.ndarray:
        """Mean power [kW] of one device per sub-step; advances its state."""
        if isinstance(dev, OnOffLoad):
            return self._onoff(dev, live, at)
        if isinstance(dev, CurtailableLoad):
            normal = dev.rated_kw * by_hour(dev.profile, dev.weekend_profile, at.cal)
            floor = normal * (1 - dev.max_reduction)
            if not live.control.on:
                return floor
            if live.control.limit_kw is not None:
                return np.maximum(np.minimum(normal, live.control.limit_kw), floor)
            return normal
        if isinstance(dev, HvacZone):
            return self._hvac(dev, live, at)
        if isinstance(dev, WaterHeater):
            return self._water_heater(dev, live, at)
        if isinstance(dev, EvCharger):
            return self._ev(dev, live, at)
        if isinstance(dev, Battery):
            return self._battery(dev, live, at)
        if isinstance(dev, PvArray):
            return -self.weather.pv_kw_at(dev, at.hours, at.cloud)
        raise TypeError(f"unknown device kind {type(dev).__name__}")  # pragma: no cover

    def _onoff(self, dev: OnOffLoad, live: _Live, at: _Substeps) -> np.ndarray:
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
                    self._restore(dev, live, now)
                elif live.control.on and elapsed >= min_shed:
                    self._restore(dev, live, now)
            elif not live.control.on and (
                live.lockout_until is None or now >= live.lockout_until
            ):
                live.shed_since = now
            if live.shed_since is not None:
                out[k] = 0.0
        return out

    @staticmethod
    def _restore(dev: OnOffLoad, live: _Live, now: datetime) -> None:
        live.shed_since = None
        live.lockout_until = now + timedelta(minutes=dev.lockout_minutes)

    def _hvac(self, dev: HvacZone, live: _Live, at: _Substeps) -> np.ndarray:
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
        modulating = self.hvac_control == "modulating"
        half_band = self.deadband_c / 2
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

    def _water_heater(self, dev: WaterHeater, live: _Live, at: _Substeps) -> np.ndarray:
        """The tank's on/off thermostat and its one-node physics (physics.tank_step, written
        out here because it runs once per sub-step)."""
        control = live.control
        if control.on:
            target = dev.setpoint_c if control.setpoint_c is None else control.setpoint_c
        else:
            target = dev.comfort_low_c + self.water_deadband_c  # keeps the tank >= comfort_low_c
        low = target - self.water_deadband_c
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

    def _ev(self, dev: EvCharger, live: _Live, at: _Substeps) -> np.ndarray:
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

    def _battery(self, dev: Battery, live: _Live, at: _Substeps) -> np.ndarray:
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

