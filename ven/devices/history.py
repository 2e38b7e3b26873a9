"""Steady normal-operation model of a building on a time grid: forecasts and synthetic history."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from ven.devices.daytype import LocalCalendar, by_hour, in_window
from ven.devices.model import (
    Battery,
    Building,
    CurtailableLoad,
    EvCharger,
    HvacZone,
    OnOffLoad,
    PvArray,
    WaterHeater,
)
from ven.devices.physics import WATER_KWH_PER_L_C, hvac_sign
from ven.devices.state import DeviceState
from ven.devices.weather import Climate, Weather, epoch_hours

BASE = "base_kw"
TOTAL = "total_kw"
T_OUT = "t_out_c"
GHI = "ghi_w_m2"
RESERVED_COLUMNS = (BASE, TOTAL, T_OUT, GHI)

# Noise of the metered history: (day-to-day sd, interval sd) [fraction of the value].
_BASE_NOISE = (0.04, 0.03)
_ONOFF_NOISE = (0.05, 0.08)
_CURTAILABLE_NOISE = (0.03, 0.03)
_DRAW_NOISE = (0.15, 0.30)


def time_grid(start: datetime, end: datetime, freq: str | timedelta) -> pd.DatetimeIndex:
    """Interval starts in [start, end) every `freq`, tz-aware UTC (naive times are refused)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    return pd.date_range(
        pd.Timestamp(start).tz_convert("UTC"),
        pd.Timestamp(end).tz_convert("UTC"),
        freq=freq,
        inclusive="left",
        name="start",
    )


def generate_history(
    building: Building,
    start: datetime,
    end: datetime,
    *,
    freq: str = "15min",
    seed: int = 0,
    climate: Climate | None = None,
) -> pd.DataFrame:
    """Synthetic metered history of a building in normal operation, deterministic for `seed`.

    This is the steady model (``normal_operation``, the forecasts' model), not the simulator:
    its water heaters hold their setpoint instead of cycling on their thermostat and it starts
    no live simulation, so a ``SimulatedBuilding`` run on from its end need not match it. The
    VEN's meter uses ``ven.devices.simulated.simulated_history``'s way (the simulator itself
    run forward; same arguments and frame); this one stays for fast bulk data (a year in about
    0.1 s) and its tests.

    Index: interval starts in [start, end), tz-aware UTC. Columns: one per device id with its
    mean power [kW] (PV negative: generation lowers the net load; batteries idle), then
    base_kw (uncontrolled load) [kW], total_kw (net building load) [kW], t_out_c [°C] and
    ghi_w_m2 [W/m²] (weather at each interval's middle). HVAC zones hold their normal
    setpoint through the 1R1C physics while occupied; water heaters hold their setpoint
    against the hourly draws; EVs charge at full power on arrival. Noise (day-to-day and per
    interval) is drawn per UTC day from `seed`, so overlapping windows with the same `freq`
    agree.
    """
    index = time_grid(start, end, freq)
    weather = Weather(
        climate or Climate(), latitude=building.latitude, longitude=building.longitude, seed=seed
    )
    return normal_operation(building, index, weather, noise_seed=seed)


def normal_operation(
    building: Building,
    index: pd.DatetimeIndex,
    weather: Weather,
    *,
    states: Mapping[str, DeviceState] | None = None,
    noise_seed: int | None = None,
) -> pd.DataFrame:
    """Per-device and total load [kW] on a regular UTC grid with no DR, as generate_history.

    states: starting device states (zone/tank temperatures, EV session); missing ones start at
    their normal values. noise_seed None gives the expected load without noise (a forecast).
    """
    n = len(index)
    if n == 0:
        return pd.DataFrame(
            columns=[*(d.id for d in building.devices), *RESERVED_COLUMNS], index=index, dtype=float
        )
    dt_h = _step_hours(index)
    cal = LocalCalendar.of(index, building.timezone)
    frame = weather.frame(index + pd.Timedelta(hours=dt_h / 2))  # mid-interval weather
    t_out = frame[T_OUT].to_numpy()
    noise = (
        _DayNoise(noise_seed, index, dt_h, 1 + len(building.devices))
        if noise_seed is not None
        else None
    )
    states = states or {}

    base = by_hour(building.base_load_kw, building.weekend_base_load_kw, cal)
    if noise is not None:
        base = np.maximum(base * noise.factor(0, *_BASE_NOISE), 0.0)
    columns: dict[str, np.ndarray] = {}
    for number, dev in enumerate(building.devices, start=1):
        factor = (lambda sds, k=number: noise.factor(k, *sds)) if noise is not None else None
        state = states.get(dev.id)
        if isinstance(dev, OnOffLoad):
            kw = dev.rated_kw * dev.duty * by_hour(dev.profile, dev.weekend_profile, cal)
            if factor is not None:
                kw = np.clip(kw * factor(_ONOFF_NOISE), 0.0, dev.rated_kw)
        elif isinstance(dev, CurtailableLoad):
            kw = dev.rated_kw * by_hour(dev.profile, dev.weekend_profile, cal)
            if factor is not None:
                kw = np.clip(kw * factor(_CURTAILABLE_NOISE), 0.0, dev.rated_kw)
        elif isinstance(dev, HvacZone):
            occupied = by_hour(dev.occupied, dev.weekend_occupied, cal) > 0.5
            start_c = _start_temperature(state, dev.initial_c, dev.setpoint_c)
            kw = hvac_normal_kw(dev, t_out, occupied, dt_h, start_c)
        elif isinstance(dev, WaterHeater):
            draws = by_hour(dev.draw_l_per_h, None, cal)
            if factor is not None:
                draws = draws * np.maximum(factor(_DRAW_NOISE), 0.0)
            start_c = _start_temperature(state, None, dev.setpoint_c)
            kw = water_heater_normal_kw(dev, draws, dt_h, start_c)
        elif isinstance(dev, EvCharger):
            kw = ev_normal_kw(dev, cal, dt_h, state)
        elif isinstance(dev, Battery):
            kw = np.zeros(n)
        elif isinstance(dev, PvArray):
            kw = -weather.pv_kw(dev, frame.index)
        else:  # pragma: no cover - the model's union is closed
            raise TypeError(f"unknown device kind {type(dev).__name__}")
        columns[dev.id] = kw
    result = pd.DataFrame(columns, index=index)
    result[BASE] = base
    result[TOTAL] = result[BASE] + sum((columns[k] for k in columns), start=np.zeros(n))
    result[T_OUT] = t_out
    result[GHI] = frame[GHI].to_numpy()
    return result


def hvac_normal_kw(
    dev: HvacZone, t_out: np.ndarray, occupied: np.ndarray, dt_h: float, start_c: float
) -> np.ndarray:
    """Electric power [kW] of a zone holding setpoint_c while occupied (off otherwise).

    Each interval gets the constant power that brings the zone to the setpoint at its end,
    clipped to [0, max_kw], then the exact 1R1C solution advances the zone (physics.zone_step).
    """
    sign = hvac_sign(dev.mode)
    gain = dev.cop * dev.r_c_per_kw
    decay = math.exp(-dt_h / (dev.r_c_per_kw * dev.c_kwh_per_c))
    pull = 1.0 / (1.0 - decay)
    setpoint, top = dev.setpoint_c, dev.max_kw
    temp = start_c
    out = [0.0] * len(t_out)
    for i, (outdoor, occ) in enumerate(zip(t_out.tolist(), occupied.tolist(), strict=True)):
        power = 0.0
        if occ:
            power = sign * ((setpoint - decay * temp) * pull - outdoor) / gain
            power = 0.0 if power < 0.0 else (top if power > top else power)
        steady = outdoor + sign * gain * power
        temp = steady + (temp - steady) * decay
        out[i] = power
    return np.asarray(out)


def water_heater_normal_kw(
    dev: WaterHeater, draws_l_per_h: np.ndarray, dt_h: float, start_c: float
) -> np.ndarray:
    """Element power [kW] of a tank held at setpoint_c against draws [l/h] and standing losses."""
    capacity = dev.volume_l * WATER_KWH_PER_L_C
    draw_k = draws_l_per_h * WATER_KWH_PER_L_C
    loss = dev.ua_kw_per_c + draw_k
    decay = np.exp(-loss * dt_h / capacity)
    fixed = dev.ua_kw_per_c * dev.ambient_c + draw_k * dev.inlet_c
    setpoint, top = dev.setpoint_c, dev.rated_kw
    temp = start_c
    out = [0.0] * len(draws_l_per_h)
    for i, (d, lo, fx) in enumerate(
        zip(decay.tolist(), loss.tolist(), fixed.tolist(), strict=True)
    ):
        if d > 1.0 - 1e-12:
            power = (setpoint - temp) * capacity / dt_h + lo * temp - fx
            power = 0.0 if power < 0.0 else (top if power > top else power)
            temp = temp + (power - (lo * temp - fx)) * dt_h / capacity
        else:
            power = (setpoint - d * temp) / (1.0 - d) * lo - fx
            power = 0.0 if power < 0.0 else (top if power > top else power)
            steady = (power + fx) / lo
            temp = steady + (temp - steady) * d
        out[i] = power
    return np.asarray(out)


def ev_normal_kw(
    dev: EvCharger, cal: LocalCalendar, dt_h: float, state: DeviceState | None
) -> np.ndarray:
    """Grid power [kW] of an EV that charges at max_kw from arrival until its need is met."""
    plugged = in_window(cal.hour_frac, dev.arrival_hour, dev.departure_hour).tolist()
    weekend = cal.weekend.tolist()
    out = [0.0] * len(plugged)
    if state is not None and state.plugged:
        delivered = state.energy_kwh or 0.0
        needed = state.energy_needed_kwh or 0.0
    elif plugged[0]:
        needed = session_need(dev, weekend[0])
        since = (cal.hour_frac[0] - dev.arrival_hour) % 24.0
        delivered = min(needed, dev.efficiency * dev.max_kw * since)
    else:
        delivered = needed = 0.0
    was_plugged = plugged[0]
    for i, now_plugged in enumerate(plugged):
        if now_plugged and not was_plugged:
            delivered, needed = 0.0, session_need(dev, weekend[i])
        was_plugged = now_plugged
        if not now_plugged or delivered >= needed:
            continue
        power = min(dev.max_kw, (needed - delivered) / (dev.efficiency * dt_h))
        delivered += dev.efficiency * power * dt_h
        out[i] = power
    return np.asarray(out)


def session_need(dev: EvCharger, weekend: bool) -> float:
    """Energy [kWh] the session starting on such a day needs."""
    if weekend and dev.weekend_energy_kwh is not None:
        return dev.weekend_energy_kwh
    return dev.energy_needed_kwh


def _start_temperature(state: DeviceState | None, initial: float | None, setpoint: float) -> float:
    if state is not None and state.temperature_c is not None:
        return state.temperature_c
    return setpoint if initial is None else initial


def _step_hours(index: pd.DatetimeIndex) -> float:
    if len(index) > 1:
        steps = np.diff(epoch_hours(index))
        if not np.allclose(steps, steps[0]):
            raise ValueError("the time grid must be regular")
        return float(steps[0])
    if index.freq is None:
        raise ValueError("a one-step grid needs a freq")
    return pd.Timedelta(index.freq) / pd.Timedelta(hours=1)


class _DayNoise:
    """Standard normal draws keyed by (seed, UTC day, stream, slot of the day)."""

    def __init__(self, seed: int, index: pd.DatetimeIndex, dt_h: float, streams: int) -> None:
        hours = epoch_hours(index)
        day = np.floor(hours / 24.0).astype(np.int64)
        slots = math.ceil(24.0 / dt_h - 1e-9)
        self._slot = np.minimum(np.floor((hours - day * 24.0) / dt_h + 1e-9), slots - 1).astype(
            np.int64
        )
        days, self._day = np.unique(day, return_inverse=True)
        self._draws = np.stack(
            [
                np.random.default_rng([seed, int(d)]).standard_normal((streams, slots + 1))
                for d in days
            ]
        )

    def factor(self, stream: int, day_sd: float, interval_sd: float) -> np.ndarray:
        """Multiplicative noise 1 + day_sd * z_day + interval_sd * z_interval per time step."""
        per_day = self._draws[self._day, stream, 0]
        per_step = self._draws[self._day, stream, self._slot + 1]
        return 1.0 + day_sd * per_day + interval_sd * per_step
