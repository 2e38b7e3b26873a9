"""Check and sanitise dispatch inputs into per-device-kind numpy arrays (the model's numbers).

Every array is (devices, intervals) unless said otherwise. One principle keeps every model
feasible: each device's bounds always admit its baseline schedule, and every soft limit
(comfort band, terminal state of charge, EV departure energy, shed target) has a penalised
slack.

During event intervals with a shed target a water heater's power is capped at its baseline
(it may be deferred, never raised): its local thermostat cannot be forced on by a setpoint
inside its deadband, so a planned pre-heat there would not happen and the shed that
"paid" for it elsewhere would over-deliver.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ven.devices.model import (
    Battery,
    CurtailableLoad,
    EvCharger,
    HvacZone,
    OnOffLoad,
    PvArray,
    WaterHeater,
)
from ven.dispatch.inputs import DispatchInputs, Weights
from ven.instructions import ALLOWED_CHANGE, Participation

WATER_KWH_PER_L_C = 4.186 / 3600.0  # heat capacity of water [kWh/(l·°C)]
Allowed = Callable[[str], np.ndarray]  # device id -> allowed change per interval [fraction]


@dataclass(frozen=True, slots=True)
class OnOffData:
    """On/off loads: baseline [kW], shed allowed (0/1), timing windows (device, t, ks)."""

    ids: list[str]
    priority: np.ndarray
    base: np.ndarray
    allowed: np.ndarray
    shed_init: np.ndarray
    max_shed_h: np.ndarray
    min_shed_h: np.ndarray
    lockout_h: np.ndarray
    timed: np.ndarray  # devices that get start/release variables
    min_windows: list[tuple[int, int, list[int]]]
    lockout_windows: list[tuple[int, int, list[int]]]


@dataclass(frozen=True, slots=True)
class CurtailData:
    """Curtailable loads: baseline [kW] and largest curtailment per interval [kW]."""

    ids: list[str]
    priority: np.ndarray
    base: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True, slots=True)
class ThermalData:
    """HVAC zones or water heaters; temperature = setpoint + above - below [°C].

    Balance per interval: dev[t] - decay[t] * dev[t-1] - gain[t] * p[t] = drive[t], with dev
    the deviation from setpoint [°C] and dev[-1] folded into drive[0].
    """

    ids: list[str]
    priority: np.ndarray
    base: np.ndarray
    p_lo: np.ndarray
    p_hi: np.ndarray
    decay: np.ndarray
    gain: np.ndarray
    drive: np.ndarray
    setpoint: np.ndarray
    band_above: np.ndarray  # comfort_high - setpoint [°C] (>= 0)
    band_below: np.ndarray  # setpoint - comfort_low [°C] (>= 0)
    initial: np.ndarray


@dataclass(frozen=True, slots=True)
class BatteryData:
    """Batteries: charge/discharge bounds [kW], energy bounds [kWh], efficiencies."""

    ids: list[str]
    priority: np.ndarray
    base: np.ndarray
    c_lo: np.ndarray
    c_hi: np.ndarray
    e_lo: np.ndarray
    e_hi: np.ndarray
    soc_lo: np.ndarray
    soc_hi: np.ndarray
    eta_c: np.ndarray
    eta_d: np.ndarray
    capacity: np.ndarray
    energy0: np.ndarray
    terminal: np.ndarray


@dataclass(frozen=True, slots=True)
class EvData:
    """EV chargers: power bounds [kW], sessions (device, first t, last t, energy need [kWh])."""

    ids: list[str]
    priority: np.ndarray
    base: np.ndarray
    p_lo: np.ndarray
    p_hi: np.ndarray
    efficiency: np.ndarray
    sessions: list[tuple[int, int, int, float]]
    baseline_energy: np.ndarray  # energy the baseline delivers in the horizon [kWh]


@dataclass(frozen=True, slots=True)
class ModelData:
    """All numbers of one dispatch model."""

    index: pd.DatetimeIndex
    dt: np.ndarray
    in_event: np.ndarray
    target: np.ndarray
    price: np.ndarray
    has_price: bool
    base_load: np.ndarray
    pv: np.ndarray
    building_baseline: np.ndarray
    onoff: OnOffData
    curtail: CurtailData
    hvac: ThermalData
    water: ThermalData
    battery: BatteryData
    ev: EvData
    weights: Weights
    notes: list[str] = field(default_factory=list)

    @property
    def target_rows(self) -> np.ndarray:
        """Intervals with a shed target row: inside the event and a target > 0."""
        return self.in_event & (self.target > 1e-9)

    @property
    def n_t(self) -> int:
        """Number of intervals."""
        return len(self.index)

    @property
    def device_ids(self) -> list[str]:
        """Dispatchable devices in model order."""
        return [
            *self.onoff.ids,
            *self.curtail.ids,
            *self.hvac.ids,
            *self.water.ids,
            *self.battery.ids,
            *self.ev.ids,
        ]


def prepare(inputs: DispatchInputs, weights: Weights) -> ModelData:
    """Check and sanitise `inputs`; NaN or missing forecasts are replaced and noted."""
    req = inputs.request
    b = inputs.building
    index = req.index
    n_t = len(index)
    notes: list[str] = list(req.notes)
    dt = _clean(np.asarray(req.duration_h, dtype=float), 0.25, "interval durations", notes)
    dt = np.where(dt > 0, dt, 0.25)
    tz = ZoneInfo(b.timezone)
    local = index.tz_convert(tz) if n_t else index
    hour = np.asarray(local.hour, dtype=int) if n_t else np.zeros(0, dtype=int)
    hour_f = hour + (np.asarray(local.minute, dtype=float) / 60.0 if n_t else 0.0)

    target = _clean(req.target_kw.to_numpy(dtype=float), 0.0, "shed target", notes)
    if (target < 0).any():
        notes.append("negative shed target treated as no target")
    if req.price_usd_per_kwh is not None:
        price = _clean(req.price_usd_per_kwh.to_numpy(dtype=float), 0.0, "prices", notes)
    else:
        price = np.zeros(n_t)
    outdoor = _clean(_series_on(index, inputs.outdoor_c), 20.0, "outdoor temperature", notes)
    pv = np.clip(
        _clean(
            _series_on(index, 0.0 if inputs.pv_kw is None else inputs.pv_kw),
            0.0,
            "PV forecast",
            notes,
        ),
        0,
        None,
    )
    base_load = np.asarray(b.base_load_kw, dtype=float)[hour] if n_t else np.zeros(0)
    weekend_profile = b.weekend_base_load_kw
    if weekend_profile is not None and n_t:
        weekend = np.asarray(local.day_of_week, dtype=int) >= 5
        base_load = np.where(weekend, np.asarray(weekend_profile, dtype=float)[hour], base_load)
    base_load = np.nan_to_num(base_load)

    rules = req.rules
    baseline = _baselines(inputs, dt, outdoor, hour, hour_f, notes)

    def allowed(dev_id: str) -> np.ndarray:
        if dev_id in rules.columns:
            return np.array([ALLOWED_CHANGE[Participation(r)] for r in rules[dev_id]], dtype=float)
        notes.append(f"no participation rules for {dev_id!r}; treated as off")
        return np.zeros(n_t)

    devs = [d for d in b.devices if not isinstance(d, PvArray)]
    onoff = _onoff(
        [d for d in devs if isinstance(d, OnOffLoad)], inputs, baseline, allowed, dt, n_t
    )
    curtail = _curtail([d for d in devs if isinstance(d, CurtailableLoad)], baseline, allowed, n_t)
    hvac = _hvac(
        [d for d in devs if isinstance(d, HvacZone)], inputs, baseline, allowed, dt, outdoor
    )
    in_event = np.asarray(req.in_event, dtype=bool)
    water = _water(
        [d for d in devs if isinstance(d, WaterHeater)],
        inputs,
        baseline,
        allowed,
        dt,
        hour,
        no_raise=in_event & (target > 1e-9),
    )
    battery = _battery([d for d in devs if isinstance(d, Battery)], inputs, baseline, allowed, dt)
    ev = _ev([d for d in devs if isinstance(d, EvCharger)], inputs, baseline, allowed, dt, hour_f)
    total = base_load - pv + sum((baseline[d.id] for d in devs), np.zeros(n_t))
    return ModelData(
        index=index,
        dt=dt,
        in_event=in_event,
        target=target,
        price=price,
        has_price=req.price_usd_per_kwh is not None,
        base_load=base_load,
        pv=pv,
        building_baseline=total,
        onoff=onoff,
        curtail=curtail,
        hvac=hvac,
        water=water,
        battery=battery,
        ev=ev,
        weights=weights,
        notes=notes,
    )


def _clean(values: np.ndarray, fill: float, what: str, notes: list[str]) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        notes.append(f"{what}: {int(bad.sum())} missing or non-finite values replaced by {fill}")
        values = np.where(bad, fill, values)
    return values


def _series_on(index: pd.DatetimeIndex, value: pd.Series | float) -> np.ndarray:
    if isinstance(value, pd.Series):
        if len(value) == len(index) and value.index.equals(index):
            return value.to_numpy(dtype=float)
        src = value.sort_index()
        if len(src) == 0:
            return np.full(len(index), np.nan)
        pos = np.clip(src.index.searchsorted(index, side="right") - 1, 0, len(src) - 1)
        return src.to_numpy(dtype=float)[pos]
    return np.full(len(index), float(value))


def _baselines(
    inputs: DispatchInputs,
    dt: np.ndarray,
    outdoor: np.ndarray,
    hour: np.ndarray,
    hour_f: np.ndarray,
    notes: list[str],
) -> dict[str, np.ndarray]:
    """Per-device baseline [kW]: the forecast where given and finite, else an estimate."""
    frame = inputs.baseline_kw
    out: dict[str, np.ndarray] = {}
    for dev in inputs.building.devices:
        if isinstance(dev, PvArray):
            continue
        est = estimate_baseline(dev, inputs, dt, outdoor, hour, hour_f)
        if frame is not None and dev.id in frame.columns:
            given = _series_on(inputs.request.index, frame[dev.id])
            bad = ~np.isfinite(given)
            if bad.any():
                notes.append(f"baseline of {dev.id!r}: {int(bad.sum())} values estimated")
            values = np.where(bad, est, given)
        else:
            values = est
        if not isinstance(dev, Battery):
            if (values < 0).any():
                notes.append(f"baseline of {dev.id!r}: negative values clipped to 0")
            values = np.clip(values, 0, None)
        out[dev.id] = values
    return out


def estimate_baseline(
    dev: object,
    inputs: DispatchInputs,
    dt: np.ndarray,
    outdoor: np.ndarray,
    hour: np.ndarray,
    hour_f: np.ndarray,
) -> np.ndarray:
    """Steady-state stand-in for a missing forecast of one device [kW]."""
    n_t = len(dt)
    if isinstance(dev, OnOffLoad):
        return np.full(n_t, dev.rated_kw * dev.duty)
    if isinstance(dev, CurtailableLoad):
        return np.full(n_t, dev.rated_kw)
    if isinstance(dev, HvacZone):
        sign = -1.0 if dev.mode == "cooling" else 1.0
        hold = (dev.setpoint_c - outdoor) / (sign * dev.cop * dev.r_c_per_kw)
        return np.clip(hold, 0, dev.max_kw)
    if isinstance(dev, WaterHeater):
        draw = np.asarray(dev.draw_l_per_h, dtype=float)[hour] * WATER_KWH_PER_L_C
        hold = dev.ua_kw_per_c * (dev.setpoint_c - dev.ambient_c)
        hold = hold + draw * (dev.setpoint_c - dev.inlet_c)
        return np.clip(hold, 0, dev.rated_kw)
    if isinstance(dev, EvCharger):
        plugged = ev_plugged(dev, hour_f)
        out = np.zeros(n_t)
        left = dev.energy_needed_kwh - inputs.initial.ev_energy_kwh.get(dev.id, 0.0)
        for t in range(n_t):
            if not plugged[t]:
                if t > 0 and plugged[t - 1]:
                    left = dev.energy_needed_kwh  # a new session starts at the next arrival
                continue
            p = min(dev.max_kw, max(left, 0.0) / (dev.efficiency * dt[t]))
            out[t] = p
            left -= p * dev.efficiency * dt[t]
        return out
    return np.zeros(n_t)


def ev_plugged(dev: EvCharger, hour_f: np.ndarray) -> np.ndarray:
    """True where a local time of day [h] is inside the arrival..departure window."""
    arr, dep = dev.arrival_hour % 24, dev.departure_hour % 24
    if arr < dep:
        return (hour_f >= arr) & (hour_f < dep)
    if arr > dep:
        return (hour_f >= arr) | (hour_f < dep)
    return np.ones(len(hour_f), dtype=bool)


def _power_bounds(
    base: np.ndarray, allowed: np.ndarray, p_max: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds [kW] under the rules: free in [0, p_max], within `allowed` of base, or = base."""
    free = allowed >= 1.0
    lo = np.where(free, 0.0, np.maximum(0.0, (1.0 - allowed) * base))
    hi = np.where(free, p_max, np.minimum(p_max, (1.0 + allowed) * base))
    return np.minimum(lo, base), np.maximum(hi, base)


def _stack(rows: list[np.ndarray], n_t: int) -> np.ndarray:
    return np.array(rows, dtype=float).reshape(len(rows), n_t)


def _windows(starts_h: np.ndarray, length_h: float, i: int) -> list[tuple[int, int, list[int]]]:
    """For each t, the earlier intervals k <= t that started less than `length_h` before t."""
    first = np.searchsorted(starts_h, starts_h - length_h + 1e-9, side="left")
    return [(i, t, list(range(int(k0), t + 1))) for t, k0 in enumerate(first) if t - k0 >= 1]


def _onoff(
    devs: list[OnOffLoad],
    inputs: DispatchInputs,
    baseline: dict[str, np.ndarray],
    allowed: Allowed,
    dt: np.ndarray,
    n_t: int,
) -> OnOffData:
    starts_h = np.concatenate([[0.0], np.cumsum(dt)[:-1]]) if n_t else np.zeros(0)
    base = _stack([baseline[d.id] for d in devs], n_t)
    ok = _stack([allowed(d.id) >= 1.0 for d in devs], n_t)
    min_w: list[tuple[int, int, list[int]]] = []
    lock_w: list[tuple[int, int, list[int]]] = []
    timed = np.zeros(len(devs), dtype=bool)
    for i, d in enumerate(devs):
        if d.min_shed_minutes > 0:
            min_w.extend(_windows(starts_h, d.min_shed_minutes / 60.0, i))
        if d.lockout_minutes > 0:
            lock_w.extend(_windows(starts_h, d.lockout_minutes / 60.0, i))
        timed[i] = d.min_shed_minutes > 0 or d.lockout_minutes > 0
    return OnOffData(
        ids=[d.id for d in devs],
        priority=np.array([d.priority for d in devs], dtype=float),
        base=base,
        allowed=np.where((ok > 0) & (base > 1e-9), 1.0, 0.0),
        shed_init=np.array([float(inputs.initial.shed.get(d.id, False)) for d in devs]),
        max_shed_h=np.array([max(d.max_shed_minutes, 0.0) / 60.0 for d in devs]),
        min_shed_h=np.array([max(d.min_shed_minutes, 0.0) / 60.0 for d in devs]),
        lockout_h=np.array([max(d.lockout_minutes, 0.0) / 60.0 for d in devs]),
        timed=timed,
        min_windows=min_w,
        lockout_windows=lock_w,
    )


def _curtail(
    devs: list[CurtailableLoad], baseline: dict[str, np.ndarray], allowed: Allowed, n_t: int
) -> CurtailData:
    base = _stack([baseline[d.id] for d in devs], n_t)
    frac = _stack([allowed(d.id) for d in devs], n_t)
    deepest = _col([min(max(d.max_reduction, 0.0), 1.0) for d in devs])
    upper = np.minimum(deepest, frac) * base if devs else base
    return CurtailData(
        ids=[d.id for d in devs],
        priority=np.array([d.priority for d in devs], dtype=float),
        base=base,
        upper=np.clip(upper, 0, None),
    )


def _exact_gain(rate: np.ndarray, dt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(decay, integral) of dx/dt = -rate x + u over dt: x1 = decay x0 + integral u."""
    x = rate * dt
    decay = np.exp(-x)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(x > 1e-12, -np.expm1(-x) / np.where(x > 1e-12, x, 1.0), 1.0)
    return decay, dt * factor


def _thermal(
    ids: list[str],
    priority: np.ndarray,
    base: np.ndarray,
    p_lo: np.ndarray,
    p_hi: np.ndarray,
    decay: np.ndarray,
    gain: np.ndarray,
    steady: np.ndarray,
    setpoint: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    initial: np.ndarray,
) -> ThermalData:
    """Assemble ThermalData; `steady` is the temperature the node tends to without power."""
    sp = setpoint[:, None]
    drive = (1.0 - decay) * (steady - sp)
    if decay.shape[1]:
        drive[:, 0] = (1.0 - decay[:, 0]) * steady[:, 0] + decay[:, 0] * initial - setpoint
    return ThermalData(
        ids=ids,
        priority=priority,
        base=base,
        p_lo=p_lo,
        p_hi=p_hi,
        decay=decay,
        gain=gain,
        drive=drive,
        setpoint=setpoint,
        band_above=np.clip(high - setpoint, 0, None),
        band_below=np.clip(setpoint - low, 0, None),
        initial=initial,
    )


def _hvac(
    devs: list[HvacZone],
    inputs: DispatchInputs,
    baseline: dict[str, np.ndarray],
    allowed: Allowed,
    dt: np.ndarray,
    outdoor: np.ndarray,
) -> ThermalData:
    n_t = len(dt)
    base = _stack([baseline[d.id] for d in devs], n_t)
    frac = _stack([allowed(d.id) for d in devs], n_t)
    p_max = _col([max(d.max_kw, 0.0) for d in devs]) * np.ones((1, n_t))
    p_lo, p_hi = _power_bounds(base, frac, p_max)
    rc = _col([max(d.r_c_per_kw * d.c_kwh_per_c, 1e-9) for d in devs])
    decay, integral = _exact_gain(np.ones((len(devs), 1)) / rc, dt[None, :])
    sign = _col([-1.0 if d.mode == "cooling" else 1.0 for d in devs])
    cop_over_c = _col([d.cop / max(d.c_kwh_per_c, 1e-9) for d in devs])
    init = [
        inputs.initial.zone_temp_c.get(
            d.id, d.initial_c if d.initial_c is not None else d.setpoint_c
        )
        for d in devs
    ]
    return _thermal(
        [d.id for d in devs],
        np.array([d.priority for d in devs], dtype=float),
        base,
        p_lo,
        p_hi,
        decay,
        sign * cop_over_c * integral,
        np.broadcast_to(outdoor, (len(devs), n_t)).copy(),
        np.array([d.setpoint_c for d in devs], dtype=float),
        np.array([d.comfort_low_c for d in devs], dtype=float),
        np.array([d.comfort_high_c for d in devs], dtype=float),
        _finite(np.array(init, dtype=float), np.array([d.setpoint_c for d in devs], dtype=float)),
    )


def _water(
    devs: list[WaterHeater],
    inputs: DispatchInputs,
    baseline: dict[str, np.ndarray],
    allowed: Allowed,
    dt: np.ndarray,
    hour: np.ndarray,
    no_raise: np.ndarray | None = None,
) -> ThermalData:
    n_t = len(dt)
    base = _stack([baseline[d.id] for d in devs], n_t)
    frac = _stack([allowed(d.id) for d in devs], n_t)
    p_max = _col([max(d.rated_kw, 0.0) for d in devs]) * np.ones((1, n_t))
    p_lo, p_hi = _power_bounds(base, frac, p_max)
    if no_raise is not None and len(devs):
        p_hi = np.where(no_raise[None, :], base, p_hi)  # deferred only, never raised
    cap = _col([max(d.volume_l, 1e-3) * WATER_KWH_PER_L_C for d in devs])
    ua = _col([max(d.ua_kw_per_c, 0.0) for d in devs])
    draw = _stack(
        [np.asarray(d.draw_l_per_h, dtype=float)[hour] * WATER_KWH_PER_L_C for d in devs], n_t
    )
    loss = ua + np.clip(draw, 0, None)  # [kW/°C]
    decay, integral = _exact_gain(loss / cap, dt[None, :])
    amb = _col([d.ambient_c for d in devs])
    inlet = _col([d.inlet_c for d in devs])
    with np.errstate(invalid="ignore", divide="ignore"):
        steady = np.where(loss > 0, (ua * amb + draw * inlet) / np.where(loss > 0, loss, 1), amb)
    init = [inputs.initial.tank_temp_c.get(d.id, d.setpoint_c) for d in devs]
    setpoint = np.array([d.setpoint_c for d in devs], dtype=float)
    return _thermal(
        [d.id for d in devs],
        np.array([d.priority for d in devs], dtype=float),
        base,
        p_lo,
        p_hi,
        decay,
        integral / cap,
        steady,
        setpoint,
        np.array([d.comfort_low_c for d in devs], dtype=float),
        np.array([d.comfort_high_c for d in devs], dtype=float),
        _finite(np.array(init, dtype=float), setpoint),
    )


def _col(values: list[float]) -> np.ndarray:
    """A column vector (n, 1) of floats."""
    return np.asarray(values, dtype=float).reshape(-1, 1)


def _finite(values: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, fallback)


def _battery(
    devs: list[Battery],
    inputs: DispatchInputs,
    baseline: dict[str, np.ndarray],
    allowed: Allowed,
    dt: np.ndarray,
) -> BatteryData:
    n_t = len(dt)
    base = _stack([baseline[d.id] for d in devs], n_t)
    frac = _stack([allowed(d.id) for d in devs], n_t)
    cap = np.array([max(d.capacity_kwh, 0.0) for d in devs])
    eta_c = np.array([min(max(d.charge_efficiency, 1e-3), 1.0) for d in devs])
    eta_d = np.array([min(max(d.discharge_efficiency, 1e-3), 1.0) for d in devs])
    soc0 = np.array(
        [inputs.initial.battery_soc.get(d.id, d.soc_initial) for d in devs], dtype=float
    )
    soc0 = _finite(soc0, np.array([d.soc_initial for d in devs], dtype=float))
    energy0 = np.clip(soc0, 0, 1) * cap
    b_c, b_e = np.clip(base, 0, None), np.clip(-base, 0, None)
    c_lo, c_hi = _power_bounds(b_c, frac, _col([d.max_charge_kw for d in devs]) + 0 * base)
    e_lo, e_hi = _power_bounds(b_e, frac, _col([d.max_discharge_kw for d in devs]) + 0 * base)
    shifting = (frac > 0) & (frac < 1)
    # a shifting battery keeps its baseline direction: no discharge while charging, and back
    c_hi = np.where(shifting & (base < 0), 0.0, c_hi)
    e_hi = np.where(shifting & (base > 0), 0.0, e_hi)
    c_lo = np.where(shifting & (base < 0), 0.0, c_lo)
    e_lo = np.where(shifting & (base > 0), 0.0, e_lo)
    flow = eta_c[:, None] * b_c * dt - b_e * dt / eta_d[:, None]
    e_base = energy0[:, None] + np.cumsum(flow, axis=1)
    soc_min = _col([d.soc_min for d in devs]) * cap[:, None]
    soc_max = _col([d.soc_max for d in devs]) * cap[:, None]
    soc_lo = np.minimum(np.minimum(soc_min, e_base), energy0[:, None])
    soc_hi = np.maximum(np.maximum(soc_max, e_base), energy0[:, None])
    return BatteryData(
        ids=[d.id for d in devs],
        priority=np.array([d.priority for d in devs], dtype=float),
        base=base,
        c_lo=c_lo,
        c_hi=c_hi,
        e_lo=e_lo,
        e_hi=e_hi,
        soc_lo=soc_lo.reshape(len(devs), n_t),
        soc_hi=soc_hi.reshape(len(devs), n_t),
        eta_c=eta_c,
        eta_d=eta_d,
        capacity=cap,
        energy0=energy0,
        terminal=np.array([d.soc_terminal for d in devs], dtype=float) * cap,
    )


def _ev(
    devs: list[EvCharger],
    inputs: DispatchInputs,
    baseline: dict[str, np.ndarray],
    allowed: Allowed,
    dt: np.ndarray,
    hour_f: np.ndarray,
) -> EvData:
    n_t = len(dt)
    base = _stack([baseline[d.id] for d in devs], n_t)
    frac = _stack([allowed(d.id) for d in devs], n_t)
    plugged = _stack([ev_plugged(d, hour_f) for d in devs], n_t) > 0
    p_max = _col([max(d.max_kw, 0.0) for d in devs]) * plugged
    p_lo, p_hi = _power_bounds(base, frac, p_max)
    eff = np.array([min(max(d.efficiency, 1e-3), 1.0) for d in devs])
    sessions: list[tuple[int, int, int, float]] = []
    horizon_end_h = float(hour_f[-1] + dt[-1]) if n_t else 0.0
    for i, d in enumerate(devs):
        t = 0
        while t < n_t:
            if not plugged[i, t]:
                t += 1
                continue
            t0 = t
            while t < n_t and plugged[i, t]:
                t += 1
            t1 = t - 1
            need = d.energy_needed_kwh
            if t0 == 0:
                need -= inputs.initial.ev_energy_kwh.get(d.id, 0.0)
            if t1 == n_t - 1:  # runs past the horizon: the rest can be charged afterwards
                hours_left = (d.departure_hour - horizon_end_h) % 24.0
                need -= d.max_kw * eff[i] * hours_left
            if math.isfinite(need) and need > 1e-9:
                sessions.append((i, t0, t1, float(need)))
    return EvData(
        ids=[d.id for d in devs],
        priority=np.array([d.priority for d in devs], dtype=float),
        base=base,
        p_lo=p_lo,
        p_hi=p_hi,
        efficiency=eff,
        sessions=sessions,
        baseline_energy=(base * dt[None, :]).sum(axis=1) * eff if devs else np.zeros(0),
    )
