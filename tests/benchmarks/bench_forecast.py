"""Benchmark: day-ahead load and PV forecasts and zone model fits on the simulated examples.

Forecasts: each example building's metered history (the simulator, ``simulated_history``)
over 42 days; each of the last 14 days is forecast at local midnight from everything before
it. Errors per building and method: MAE [kW], NMAE [%] and MAPE [%] (load only), with the
ratio to the naive persistence forecast (same time yesterday; < 1 is better). "weather" uses
the simulator's own outdoor temperature as a perfect temperature forecast; "profile" uses none.

Fits: every HVAC zone of each building, 7 simulated days (thermometer noise 0.1 °C), 25 %
held out: recovered R and C against the building file's and the held-out RMSE [°C].
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from ven.devices.config import load_building, load_climate
from ven.devices.model import HvacZone
from ven.devices.simulated import simulated_history
from ven.learning.forecast import (
    forecast_building,
    forecast_errors,
    forecast_load,
    persistence,
)
from ven.learning.simhistory import load_frame, simulated_zone_histories
from ven.learning.thermal_fit import fit_zone

BUILDINGS = Path(__file__).resolve().parents[2] / "examples" / "buildings"
NAMES = ("office", "hotel", "home")
DAYS, HELD_OUT = 42, 14


def _forecasts(name: str) -> list[tuple[str, str, float, float, float | None, float]]:
    """(quantity, method, MAE, NMAE, MAPE, seconds per forecast) for one building."""
    path = BUILDINGS / f"{name}.toml"
    building = load_building(path)
    zone = ZoneInfo(building.timezone)
    first = datetime(2025, 6, 2, tzinfo=zone).astimezone(UTC)
    metered = simulated_history(building, first, first + timedelta(days=DAYS), seed=7,
                                climate=load_climate(path))
    history = load_frame(building, metered)
    found: dict[tuple[str, str], list[tuple[pd.Series, pd.Series]]] = {}
    spent = 0.0
    for day in range(DAYS - HELD_OUT, DAYS):
        midnight = datetime(2025, 6, 2, tzinfo=zone) + timedelta(days=day)
        index = pd.date_range(midnight.astimezone(UTC),
                              (midnight + timedelta(days=1)).astimezone(UTC), freq="15min",
                              inclusive="left")
        past = history[history.index < index[0]]
        actual = history.reindex(index)
        began = time.perf_counter()
        ours = forecast_building(past, index, timezone=building.timezone,
                                 t_out_forecast=actual["t_out_c"])
        spent += time.perf_counter() - began
        rows = {("load", "weather"): ours.load_kw,
                ("load", "profile"): forecast_load(past["load_kw"], index,
                                                   timezone=building.timezone),
                ("load", "persistence"): persistence(past["load_kw"], index)}
        if bool((history["pv_kw"] > 0).any()):
            rows[("pv", "envelope")] = ours.pv_kw
            rows[("pv", "persistence")] = persistence(past["pv_kw"], index)
        for key, predicted in rows.items():
            found.setdefault(key, []).append((actual[f"{key[0]}_kw"], predicted))
    out = []
    for (quantity, method), pairs in found.items():
        errors = forecast_errors(pd.concat([a for a, _ in pairs]), pd.concat([p for _, p in pairs]))
        out.append((quantity, method, errors.mae_kw, errors.nmae_pct, errors.mape_pct,
                    spent / HELD_OUT))
    return out


def _fits(name: str) -> list[tuple[str, float, float, float, float, float, bool]]:
    """(zone, R configured, R fitted, C configured, C fitted, held-out RMSE, accepted)."""
    path = BUILDINGS / f"{name}.toml"
    building = load_building(path)
    start = datetime(2025, 7, 7, tzinfo=UTC)
    histories = simulated_zone_histories(building, start, 7 * 24, seed=7,
                                         climate=load_climate(path), noise_c=0.1)
    out = []
    for zone in building.devices:
        if not isinstance(zone, HvacZone):
            continue
        fit = fit_zone(histories[zone.id], mode=zone.mode, cop=zone.cop)
        fitted = fit.fitted
        out.append((zone.id, zone.r_c_per_kw, fitted.r_c_per_kw if fitted else float("nan"),
                    zone.c_kwh_per_c, fitted.c_kwh_per_c if fitted else float("nan"),
                    fit.holdout_rmse_c if fit.holdout_rmse_c is not None else float("nan"),
                    fit.accepted))
    return out


def main() -> None:
    """Print the forecast errors and the fitted zone parameters per example building."""
    print(f"Day-ahead forecasts, last {HELD_OUT} of {DAYS} simulated days held out")
    print(f"{'building':<8} {'series':<5} {'method':<12} {'MAE [kW]':>9} {'NMAE [%]':>9} "
          f"{'MAPE [%]':>9} {'vs persistence':>15} {'ms/forecast':>12}")
    for name in NAMES:
        rows = _forecasts(name)
        naive = {q: mae for q, m, mae, *_ in rows if m == "persistence"}
        for quantity, method, mae, nmae, mape, seconds in rows:
            ratio = mae / naive[quantity] if naive.get(quantity) else float("nan")
            print(f"{name:<8} {quantity:<5} {method:<12} {mae:>9.3f} {nmae:>9.1f} "
                  f"{'-' if mape is None else f'{mape:.1f}':>9} {ratio:>15.2f} "
                  f"{1000 * seconds:>12.0f}")
    print("\nZone model fits: 7 simulated days, thermometer noise 0.1 °C, 25 % held out")
    print(f"{'building':<8} {'zone':<14} {'R cfg':>7} {'R fit':>8} {'C cfg':>7} {'C fit':>8} "
          f"{'RMSE held-out [°C]':>19} {'accepted':>9}")
    for name in NAMES:
        began = time.perf_counter()
        for zone_id, r0, r1, c0, c1, rmse, ok in _fits(name):
            print(f"{name:<8} {zone_id:<14} {r0:>7.3f} {r1:>8.4f} {c0:>7.1f} {c1:>8.2f} "
                  f"{rmse:>19.3f} {ok!s:>9}")
        print(f"{'':<8} (simulating and fitting: {time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
