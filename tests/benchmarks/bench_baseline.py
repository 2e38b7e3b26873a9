"""Benchmark: baseline computation time per preset, and the baseline error on the home.

Speed: one baseline over a 4-hour event on a year of 15-minute meter data, per preset.

Error: the home example building (examples/buildings/home.toml) simulated for a test year in
normal operation (``ven.devices.simulated.simulated_history``: the simulator run forward, its
thermostats, EV sessions, PV and seeded noise; no events), preceded by the 45 days the
look-back needs. For every day of the year, each preset's baseline for the evening event hour
is compared with what the home actually drew then (no event, so the metered load is the
truth): absolute percentage error of the hour's energy, |baseline − actual| / actual × 100,
with its median and 90th percentile over the days (hours whose actual energy is below
``MIN_ACTUAL_KWH`` are counted apart: a percentage of nearly nothing says little).
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ven.baseline import (
    CAISO_10_IN_10,
    NO_ADJUSTMENT,
    NYISO_5_OF_10,
    PJM_HIGH_4_OF_5,
    BaselineConfig,
    compute_baseline,
)
from ven.devices.config import load_building, load_climate
from ven.devices.simulated import simulated_history

HOME = Path(__file__).resolve().parents[2] / "examples" / "buildings" / "home.toml"
TEST_YEAR = 2026
EVENT_HOURS = ((18, 19), (17, 21))  # local event windows [h): the evening hour, 4 evening hours
LOOKBACK = timedelta(days=46)
MIN_ACTUAL_KWH = 0.1  # [kWh] actual energy below which a day's percentage error is not counted
SEED = 7


def speed() -> None:
    """Print the best-of-5 time [ms] of one baseline over a 4-hour event, per preset."""
    end = datetime(2024, 7, 17, 14, tzinfo=UTC)
    index = pd.date_range(end - pd.Timedelta(days=365), end, freq="15min", inclusive="left")
    history = pd.Series(np.random.default_rng(7).uniform(50, 150, len(index)), index=index)
    start, stop = end, end + pd.Timedelta(hours=4)
    print(f"{'preset':<18} {'best of 5 [ms]':>15}  method")
    for config in (CAISO_10_IN_10, NYISO_5_OF_10, PJM_HIGH_4_OF_5):
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            result = compute_baseline(
                history, start=start, end=stop, timezone="America/Los_Angeles", config=config
            )
            best = min(best, time.perf_counter() - t0)
        print(f"{config.name:<18} {best * 1e3:>15.1f}  {result.method}")


def home_year() -> tuple[pd.Series, str]:
    """The home's simulated net load [kW] per 15 min over the test year and its look-back."""
    building = load_building(HOME)
    start = datetime(TEST_YEAR, 1, 1, tzinfo=ZoneInfo(building.timezone)) - LOOKBACK
    end = datetime(TEST_YEAR + 1, 1, 2, tzinfo=ZoneInfo(building.timezone))
    frame = simulated_history(building, start.astimezone(UTC), end.astimezone(UTC), seed=SEED,
                              climate=load_climate(HOME))
    return frame["total_kw"], building.timezone


def errors(load: pd.Series, zone: str, config: BaselineConfig,
           hours: tuple[int, int]) -> tuple[np.ndarray, int, int, int]:
    """Per test day: the absolute percentage error of the event window's energy [%]; and the
    days left out (actual below ``MIN_ACTUAL_KWH``), adjusted and capped."""
    tz = ZoneInfo(zone)
    ape, small, adjusted, capped = [], 0, 0, 0
    day = date(TEST_YEAR, 1, 1)
    while day.year == TEST_YEAR:
        start = datetime.combine(day, clock_time(hours[0]), tz)
        end = datetime.combine(day, clock_time(hours[1]), tz)
        result = compute_baseline(load, start=start, end=end, timezone=zone, config=config)
        actual = load[(load.index >= start) & (load.index < end)]
        actual_kwh = float(actual.sum()) * 0.25
        base_kwh = result.energy_kwh
        adjusted += result.adjustment.applied
        capped += result.adjustment.capped
        if abs(actual_kwh) < MIN_ACTUAL_KWH:
            small += 1
        else:
            ape.append(100.0 * abs(base_kwh - actual_kwh) / abs(actual_kwh))
        day += timedelta(days=1)
    return np.array(ape), small, adjusted, capped


def home_error() -> None:
    """Print the median and 90th percentile of the home's baseline error per preset."""
    t0 = time.perf_counter()
    load, zone = home_year()
    print(f"\nhome ({HOME.name}), {TEST_YEAR} simulated (seed {SEED}, "
          f"{time.perf_counter() - t0:.1f} s); absolute percentage error of the event "
          "window's energy per day")
    configs = (CAISO_10_IN_10, replace(CAISO_10_IN_10, name="CAISO, no adjustment",
                                       adjustment=NO_ADJUSTMENT),
               PJM_HIGH_4_OF_5, NYISO_5_OF_10)
    print(f"{'window':<12} {'preset':<22} {'median [%]':>10} {'p90 [%]':>8} {'days':>5} "
          f"{'left out':>8} {'adjusted':>8} {'capped':>7}")
    for hours in EVENT_HOURS:
        for config in configs:
            ape, small, adjusted, capped = errors(load, zone, config, hours)
            print(f"{hours[0]:02d}-{hours[1]:02d} h      {config.name:<22} "
                  f"{np.median(ape):>10.1f} {np.percentile(ape, 90):>8.1f} {len(ape):>5} "
                  f"{small:>8} {adjusted:>8} {capped:>7}")


def main() -> None:
    """Baseline speed per preset, then the home's baseline error over a simulated year."""
    speed()
    home_error()
