"""Per-device baselines of the dispatch: the forecast where given, else a steady estimate."""

from __future__ import annotations

import numpy as np

from ven.devices.model import (
    Battery,
    CurtailableLoad,
    EvCharger,
    HvacZone,
    OnOffLoad,
    PvArray,
    WaterHeater,
)
from ven.devices.physics import WATER_KWH_PER_L_C
from ven.dispatch.arrays import series_on
from ven.dispatch.inputs import DispatchInputs

__all__ = ["device_baselines", "estimate_baseline", "ev_plugged"]


def device_baselines(
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
            given = series_on(inputs.request.index, frame[dev.id])
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
        standing = dev.ua_kw_per_c * (dev.setpoint_c - dev.ambient_c)  # [kW]
        return np.clip(standing + draw * (dev.setpoint_c - dev.inlet_c), 0, dev.rated_kw)
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
