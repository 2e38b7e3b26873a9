"""The simulated building: its devices stepped together on an injected clock, metered."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from common.clock import Clock, ManualClock
from common.wording import duration_words
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
from ven.devices.daytype import LocalCalendar, by_hour
from ven.devices.gateway import DeviceStatus
from ven.devices.history import (
    BASE,
    GHI,
    RESERVED_COLUMNS,
    T_OUT,
    TOTAL,
    normal_operation,
    time_grid,
)
from ven.devices.model import (
    Building,
    PvArray,
    WaterHeater,
)
from ven.devices.physics import (
    WATER_KWH_PER_L_C,
    tank_step,
)
from ven.devices.state import DeviceState
from ven.devices.steppers import (
    EPOCH,
    Control,
    Substeps,
    Thermostats,
    initial_state,
    snapshot,
    step_device,
)
from ven.devices.weather import Climate, Weather

_BASE_NOISE_SD = 0.03  # noise of the uncontrolled load, one draw per UTC minute [fraction]
_MINUTES_PER_DAY = 1440
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
        self._live = {
            dev.id: initial_state(dev, self._time, building.timezone) for dev in building.devices
        }

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

    def ahead(self, moment: datetime) -> SimulatedBuilding:
        """A copy of the building run on to `moment` in normal operation (every device
        released, no noise), for planning an event that starts then from the device states it
        will find (zone and tank temperatures, state of charge, EV energy); the building itself
        does not move. The copy itself when `moment` is not later than the building's time."""
        if moment <= self._time:
            return self
        twin = copy.copy(self)
        twin.clock = ManualClock(moment)
        twin._live = copy.deepcopy(self._live)
        for live in twin._live.values():
            live.control = Control()
        twin._noise = False
        twin._noise_days = {}
        twin.step(moment - self._time)
        return twin

    def state(self) -> dict[str, DeviceState]:
        """Current state of every device, by id."""
        return {dev.id: snapshot(dev, self._live[dev.id]) for dev in self.building.devices}

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
                self._live[command.device_id].control = Control()
            elif isinstance(command, Switch):
                control.on = command.on
            elif isinstance(command, PowerLimit):
                control.limit_kw = command.kw
                if isinstance(self.building.device(command.device_id), WaterHeater):
                    control.setpoint_c = None  # a tank is either deferred or raised
            elif isinstance(command, Setpoint):
                control.setpoint_c = command.celsius
                if isinstance(self.building.device(command.device_id), WaterHeater):
                    control.limit_kw = None
            elif isinstance(command, BatteryPower):
                control.battery_kw = command.kw

    # ---- DeviceGateway (ven.devices.gateway): the simulation as its own building ----------------

    def send(self, commands: Sequence[DeviceCommand]) -> None:
        """``DeviceGateway.send``: apply at once."""
        self.apply(commands)

    def device_status(self, now: datetime) -> dict[str, DeviceStatus]:
        """``DeviceGateway.device_status``: every simulated device is online, never overridden."""
        return {dev.id: DeviceStatus(device_id=dev.id, seen=self._time)
                for dev in self.building.devices}

    def metered_kw(self, start: datetime, end: datetime) -> float | None:
        """``DeviceGateway.metered_kw``: None, the simulation is metered by its owner."""
        return None

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
            raise ValueError(f"run needs a positive interval, got {duration_words(interval)}")
        if until < start:
            raise ValueError(f"cannot run back to {until.isoformat()} from {start.isoformat()}")
        steps, rest = divmod(until - start, interval)
        if rest:
            raise ValueError(f"{duration_words(until - start)} from {start.isoformat()} is not "
                             f"a whole number of {duration_words(interval)} steps")
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
        begin_us = (start - EPOCH) // _MICRO
        stamps_us = begin_us + (
            np.arange(steps, dtype=np.int64)[:, None] * (dt // _MICRO)
            + np.arange(count, dtype=np.int64)[None, :] * (sub // _MICRO)
        ).ravel()
        hours = (stamps_us + (sub // _MICRO) / 2) / _MICROS_PER_HOUR  # each sub-step's middle
        cloud = self.weather.cloud(hours)
        times = pd.DatetimeIndex(stamps_us.astype("datetime64[us]")).tz_localize("UTC")
        at = Substeps(
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
        thermostats = Thermostats(
            hvac_control=self.hvac_control,
            deadband_c=self.deadband_c,
            water_deadband_c=self.water_deadband_c,
        )
        power = np.empty((len(b.devices), len(at)))
        for i, dev in enumerate(b.devices):
            power[i] = step_device(dev, self._live[dev.id], at, thermostats, self.weather)
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
