"""A simulated building's metered history as the histories the fits and forecasts read."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from common.clock import ManualClock
from ven.devices.history import T_OUT, TOTAL
from ven.devices.model import Building, HvacZone, PvArray
from ven.devices.simulated import SimulatedBuilding
from ven.devices.weather import Climate
from ven.learning.thermal_fit import ZoneHistory

__all__ = ["load_frame", "simulated_zone_histories", "simulated_zone_history"]


def load_frame(building: Building, metered: pd.DataFrame) -> pd.DataFrame:
    """The forecasts' history from a metered frame (``simulated_history`` /
    ``generate_history``): load_kw = net load + PV generation [kW], pv_kw [kW] (>= 0), and
    t_out_c [°C]."""
    pv_ids = [d.id for d in building.devices if isinstance(d, PvArray)]
    pv = (-metered[pv_ids].sum(axis=1)).clip(lower=0.0) if pv_ids else pd.Series(
        0.0, index=metered.index)
    return pd.DataFrame({"load_kw": metered[TOTAL] + pv, "pv_kw": pv,
                         "t_out_c": metered[T_OUT]}, index=metered.index)


def simulated_zone_history(
    building: Building,
    zone_id: str,
    start: datetime,
    hours: float,
    *,
    step: timedelta = timedelta(minutes=15),
    seed: int = 0,
    climate: Climate | None = None,
    noise_c: float = 0.0,
    **options: Any,
) -> ZoneHistory:
    """What zone `zone_id`'s meters and thermometer would record (``simulated_zone_histories``)."""
    if not isinstance(building.device(zone_id), HvacZone):
        raise ValueError(f"{zone_id!r} is not an HVAC zone")
    return simulated_zone_histories(building, start, hours, step=step, seed=seed,
                                    climate=climate, noise_c=noise_c, **options)[zone_id]


def simulated_zone_histories(
    building: Building,
    start: datetime,
    hours: float,
    *,
    step: timedelta = timedelta(minutes=15),
    seed: int = 0,
    climate: Climate | None = None,
    noise_c: float = 0.0,
    **options: Any,
) -> dict[str, ZoneHistory]:
    """What each HVAC zone's meters and thermometer would record in `building`'s simulation
    (``SimulatedBuilding``, no DR) from `start` for `hours` [h]: mean power [kW] and outdoor
    temperature [°C] per step, and the zone temperature at each step's start [°C] plus
    Gaussian noise of sd `noise_c` [°C] (seeded). `options` go to ``SimulatedBuilding``."""
    zones = [d.id for d in building.devices if isinstance(d, HvacZone)]
    clock = ManualClock(start)
    simulation = SimulatedBuilding(building, clock, seed=seed, climate=climate, **options)
    count = round(hours / (step / timedelta(hours=1)))
    times, t_out = [], []
    power: dict[str, list[float]] = {z: [] for z in zones}
    t_in: dict[str, list[float]] = {z: [] for z in zones}
    for _ in range(count):
        state = simulation.state()
        for zone_id in zones:
            t_in[zone_id].append(state[zone_id].temperature_c or 0.0)
        clock.advance(step)
        measured = simulation.step()
        times.append(measured.start)
        t_out.append(measured.t_out_c)
        for zone_id in zones:
            power[zone_id].append(measured.device_kw[zone_id])
    rng = np.random.default_rng([seed, 0x7E])
    return {zone_id: ZoneHistory(
        zone_id=zone_id, times=pd.DatetimeIndex(times), power_kw=np.array(power[zone_id]),
        t_in_c=np.array(t_in[zone_id]) + rng.standard_normal(count) * noise_c,
        t_out_c=np.array(t_out), source=f"simulated {building.id}/{zone_id}, noise {noise_c:g} °C")
        for zone_id in zones}
