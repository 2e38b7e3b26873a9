"""Per-device-kind preparation: each kind's bounds, dynamics and targets as model arrays."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ven.devices.model import (
    Battery,
    CurtailableLoad,
    EvCharger,
    HvacZone,
    OnOffLoad,
    WaterHeater,
)
from ven.devices.physics import WATER_KWH_PER_L_C
from ven.dispatch.baselines import ev_plugged
from ven.dispatch.inputs import DispatchInputs
from ven.dispatch.modeldata import BatteryData, CurtailData, EvData, OnOffData, ThermalData

__all__ = [
    "Allowed",
    "prepare_battery",
    "prepare_curtailable",
    "prepare_ev",
    "prepare_hvac",
    "prepare_onoff",
    "prepare_water",
]

Allowed = Callable[[str], np.ndarray]  # device id -> allowed change per interval [fraction]


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


def prepare_onoff(
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


def prepare_curtailable(
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


def prepare_hvac(
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


def prepare_water(
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


def prepare_battery(
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


def prepare_ev(
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
