"""Load and PV forecasts from history: exactness on a repeating profile, errors, and beating
persistence on held-out days of the simulated example buildings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from tests.support.processes import ROOT
from ven.devices.config import load_building, load_climate
from ven.devices.simulated import simulated_history
from ven.learning.errors import LearningInputError
from ven.learning.forecast import (
    ForecastSettings,
    forecast_building,
    forecast_errors,
    forecast_load,
    forecast_pv,
    persistence,
)
from ven.learning.simhistory import load_frame

BUILDINGS = ROOT / "examples" / "buildings"


def grid(start: str, days: float) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=int(days * 96), freq="15min", tz="UTC")


def test_a_profile_that_repeats_is_forecast_exactly():
    index = grid("2025-03-03", 21)  # a Monday; three weeks
    hour = index.hour + index.minute / 60
    weekend = index.day_of_week >= 5
    load = pd.Series(np.where(weekend, 2.0, 5.0 + np.sin(hour / 24 * 2 * np.pi)), index=index)
    future = grid("2025-03-24", 7)
    forecast = forecast_load(load, future)
    fhour = future.hour + future.minute / 60
    expected = np.where(future.day_of_week >= 5, 2.0, 5.0 + np.sin(fhour / 24 * 2 * np.pi))
    assert forecast.to_numpy() == pytest.approx(expected)


def test_the_weather_regression_follows_the_temperature():
    index = grid("2025-03-03", 14)
    temps = pd.Series(20.0 + np.repeat(np.arange(14) % 5, 96), index=index, dtype=float)
    load = 10.0 + 2.0 * (temps - 20.0)  # 2 kW per °C
    future = grid("2025-03-17", 1)
    hot = pd.Series(26.0, index=future)
    forecast = forecast_load(load, future, t_out_c=temps, t_out_forecast=hot,
                             settings=ForecastSettings(ridge_c2=0.0))
    assert forecast.to_numpy() == pytest.approx(np.full(96, 22.0))
    shrunk = forecast_load(load, future, t_out_c=temps, t_out_forecast=hot)
    assert (shrunk < 22.0).all() and (shrunk > forecast_load(load, future)).all()


def test_pv_is_the_envelope_scaled_by_recent_clearness():
    index = grid("2025-06-01", 10)
    hour = index.hour + index.minute / 60
    clear = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * 4.0
    day = (index - index[0]).days
    share = np.where(day >= 7, 0.5, 1.0)  # the last three days at half output
    pv = pd.Series(clear * share, index=index)
    future = grid("2025-06-11", 1)
    forecast = forecast_pv(pv, future, settings=ForecastSettings(pv_recent_days=3))
    fhour = future.hour + future.minute / 60
    assert forecast.to_numpy() == pytest.approx(
        0.5 * 4.0 * np.clip(np.sin((fhour - 6) / 12 * np.pi), 0, None))


def test_persistence_repeats_the_latest_day():
    index = grid("2025-06-01", 2)
    values = pd.Series(np.arange(len(index), dtype=float), index=index)
    future = grid("2025-06-03", 1.5)
    naive = persistence(values, future)
    assert naive.iloc[0] == values.iloc[96] and naive.iloc[96] == values.iloc[96]


def test_errors():
    index = grid("2025-06-01", 1)[:4]
    actual = pd.Series([10.0, 10.0, 20.0, 20.0], index=index)
    errors = forecast_errors(actual, actual + pd.Series([1.0, -1.0, 2.0, -2.0], index=index))
    assert errors.mae_kw == pytest.approx(1.5)
    assert errors.nmae_pct == pytest.approx(10.0)
    assert errors.mape_pct == pytest.approx(10.0)
    assert forecast_errors(actual * 0 + [0, 1, 2, 3], actual * 0).mape_pct is None


def test_no_history_before_the_start_is_an_error():
    index = grid("2025-06-01", 1)
    with pytest.raises(LearningInputError, match="no history before"):
        forecast_load(pd.Series(1.0, index=index), index)
    with pytest.raises(LearningInputError, match="timezone-aware"):
        forecast_load(pd.Series(1.0, index=index.tz_localize(None)), grid("2025-06-02", 1))


@pytest.mark.parametrize("name", ["office", "home"])
def test_forecasts_beat_persistence_on_held_out_simulated_days(name):
    path = BUILDINGS / f"{name}.toml"
    building = load_building(path)
    start = datetime(2025, 6, 2, tzinfo=UTC)
    metered = simulated_history(building, start, start + timedelta(days=35), seed=11,
                                climate=load_climate(path))
    history = load_frame(building, metered)
    ours = {"load": [], "pv": []}
    naive = {"load": [], "pv": []}
    for day in range(28, 35):
        index = pd.date_range(start + timedelta(days=day), periods=96, freq="15min")
        past = history[history.index < index[0]]
        actual = history.reindex(index)
        result = forecast_building(past, index, timezone=building.timezone,
                                   t_out_forecast=actual["t_out_c"])
        for key, predicted in (("load", result.load_kw), ("pv", result.pv_kw)):
            ours[key].append(forecast_errors(actual[f"{key}_kw"], predicted).mae_kw)
            naive[key].append(forecast_errors(actual[f"{key}_kw"],
                                              persistence(past[f"{key}_kw"], index)).mae_kw)
    assert np.mean(ours["load"]) < 0.8 * np.mean(naive["load"])
    if name == "home":  # the one with PV
        assert np.mean(ours["pv"]) < np.mean(naive["pv"])
    else:
        assert np.mean(ours["pv"]) == 0.0
