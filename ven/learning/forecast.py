"""Forecasts of a building's load and PV [kW] from its own history, and their errors.

Load (``forecast_load``): for each interval to forecast, the same local time of day on the
most recent *similar* days before the forecast starts (``similar_days`` weekdays for a weekday,
``weekend_days`` Saturdays/Sundays for a weekend day, in the building's time zone), with a
linear regression of those loads on the outdoor temperature at the same moments when the
temperatures are known and a temperature forecast is given: load = mean + b (T_forecast -
mean T), b shrunk towards 0 by a ridge of ``ridge_c2`` [°C²] per sample (so a few days of
nearly equal weather do not give a wild slope). Without temperatures it is the same-time
average of similar days (the usual "X of Y days" profile).

PV (``forecast_pv``): a clear-sky-like envelope, per local time of day the largest output of
the last ``pv_envelope_days`` days, scaled by the mean clearness of the last ``pv_recent_days``
whole days (each day's energy / the envelope's energy).

``persistence`` is the naive reference: each interval's value the same time of the latest day
in the history. ``forecast_errors`` gives MAE [kW], NMAE [%] (MAE over the mean actual) and,
where the actual load is never near zero, MAPE [%].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ven.learning.errors import LearningInputError

__all__ = ["BuildingForecast", "ForecastErrors", "ForecastSettings", "forecast_building",
           "forecast_errors", "forecast_load", "forecast_pv", "persistence"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastSettings:
    """similar_days / weekend_days: how many recent similar days the load profile averages;
    ridge_c2: shrinkage of the temperature slope [°C² per sample]; pv_envelope_days: days the
    PV envelope spans; pv_recent_days: whole days whose clearness scales it."""

    similar_days: int = 10
    weekend_days: int = 4
    ridge_c2: float = 1.0
    pv_envelope_days: int = 14
    pv_recent_days: int = 5


def _keys(times: pd.DatetimeIndex, timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """(minute of the local day, weekend flag) of each time."""
    local = times.tz_convert(ZoneInfo(timezone))
    minute = np.asarray(local.hour * 60 + local.minute, dtype=np.int64)
    weekend = np.asarray(local.day_of_week >= 5, dtype=bool)
    return minute, weekend


def _before(series: pd.Series, start: pd.Timestamp, name: str) -> pd.Series:
    if not isinstance(series.index, pd.DatetimeIndex) or series.index.tz is None:
        raise LearningInputError(f"{name}: the history needs a timezone-aware time index")
    past = series[series.index < start].dropna()
    if past.empty:
        raise LearningInputError(f"{name}: no history before {start.isoformat()}")
    return past


def forecast_load(
    load_kw: pd.Series,
    index: pd.DatetimeIndex,
    *,
    timezone: str = "UTC",
    t_out_c: pd.Series | None = None,
    t_out_forecast: pd.Series | None = None,
    settings: ForecastSettings | None = None,
) -> pd.Series:
    """Load [kW] on `index` (interval starts) from `load_kw` history [kW] before index[0];
    with `t_out_c` (history's outdoor temperature [°C], same index) and `t_out_forecast`
    ([°C] on `index`), the weather regression applies (see the module)."""
    settings = settings or ForecastSettings()
    if len(index) == 0:
        return pd.Series([], index=index, dtype=float, name="load_kw")
    past = _before(load_kw, index[0], "load")
    minutes, weekend = _keys(pd.DatetimeIndex(past.index), timezone)
    frame = pd.DataFrame({"y": past.to_numpy(dtype=float), "minute": minutes, "weekend": weekend},
                         index=past.index)
    future_t = None
    if t_out_c is not None and t_out_forecast is not None:
        frame["t"] = t_out_c.reindex(past.index).to_numpy(dtype=float)
        future_t = t_out_forecast.reindex(index).to_numpy(dtype=float)
    groups = {key: rows for key, rows in frame.groupby(["minute", "weekend"])}
    by_minute = {key: rows for key, rows in frame.groupby("minute")}
    out = np.empty(len(index))
    target_minutes, target_weekend = _keys(index, timezone)
    for i, (minute, is_weekend) in enumerate(zip(target_minutes.tolist(),
                                                 target_weekend.tolist(), strict=True)):
        count = settings.weekend_days if is_weekend else settings.similar_days
        rows = groups.get((minute, is_weekend))
        if rows is None or len(rows) < 2:
            rows = by_minute.get(minute)
        if rows is None:
            raise LearningInputError(
                f"load: the history has no value at local time {minute // 60:02d}:"
                f"{minute % 60:02d}; give at least one whole day at this step")
        rows = rows.tail(count)
        mean = float(rows["y"].mean())
        if future_t is not None and not math.isnan(future_t[i]):
            temps = rows["t"].to_numpy()
            if not np.isnan(temps).any():
                dev = temps - temps.mean()
                slope = float(dev @ (rows["y"].to_numpy() - mean)) / (
                    float(dev @ dev) + settings.ridge_c2 * len(rows))
                mean += slope * (future_t[i] - temps.mean())
        out[i] = max(mean, 0.0)
    return pd.Series(out, index=index, name="load_kw")


def forecast_pv(
    pv_kw: pd.Series,
    index: pd.DatetimeIndex,
    *,
    timezone: str = "UTC",
    settings: ForecastSettings | None = None,
) -> pd.Series:
    """PV generation [kW] (>= 0) on `index` from the `pv_kw` history [kW] before index[0]
    (envelope x recent clearness, see the module)."""
    settings = settings or ForecastSettings()
    if len(index) == 0:
        return pd.Series([], index=index, dtype=float, name="pv_kw")
    past = _before(pv_kw, index[0], "pv").clip(lower=0.0)
    start = index[0]
    recent = past[past.index >= start - pd.Timedelta(days=settings.pv_envelope_days)]
    minutes, _ = _keys(pd.DatetimeIndex(recent.index), timezone)
    envelope = recent.groupby(minutes).max()
    if float(envelope.sum()) <= 0.0:
        return pd.Series(0.0, index=index, name="pv_kw")
    local_days = pd.DatetimeIndex(recent.index).tz_convert(ZoneInfo(timezone)).normalize()
    clearness = []
    for day in sorted(set(local_days), reverse=True):
        mask = local_days == day
        day_minutes = minutes[mask]
        if len(day_minutes) < len(envelope):  # not a whole day
            continue
        potential = float(envelope.reindex(day_minutes).sum())
        if potential > 0:
            clearness.append(float(recent[mask].sum()) / potential)
        if len(clearness) == settings.pv_recent_days:
            break
    scale = float(np.mean(clearness)) if clearness else 1.0
    target_minutes, _ = _keys(index, timezone)
    shape = envelope.reindex(target_minutes).fillna(0.0).to_numpy()
    return pd.Series(np.maximum(shape * scale, 0.0), index=index, name="pv_kw")


def persistence(series: pd.Series, index: pd.DatetimeIndex) -> pd.Series:
    """The naive forecast: each time of `index` gets the value at the same time of day on the
    latest day of `series` before index[0] (t - k days, k >= 1 the smallest that is known)."""
    past = _before(series, index[0], "persistence")
    day = pd.Timedelta(days=1)
    out = np.empty(len(index))
    last = past.index[-1]
    for i, moment in enumerate(index):
        back = moment - day * max(1, math.ceil((moment - last) / day))
        if back not in past.index:
            raise LearningInputError(f"persistence: no history at {back.isoformat()}")
        out[i] = float(past.loc[back])
    return pd.Series(out, index=index, name=series.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastErrors:
    """Errors of a forecast: mae_kw [kW], nmae_pct (MAE / mean |actual|) [%], mape_pct [%]
    (None when the actual comes near 0, where it means nothing), rows compared."""

    mae_kw: float
    nmae_pct: float
    mape_pct: float | None
    rows: int

    def as_json(self) -> dict[str, Any]:
        """The errors as plain JSON values."""
        return {"mae_kw": round(self.mae_kw, 4), "nmae_pct": round(self.nmae_pct, 2),
                "mape_pct": None if self.mape_pct is None else round(self.mape_pct, 2),
                "rows": self.rows}


def forecast_errors(actual: pd.Series, predicted: pd.Series) -> ForecastErrors:
    """Errors of `predicted` against `actual` [kW] over their common times."""
    a, p = actual.align(predicted, join="inner")
    if len(a) == 0:
        raise LearningInputError("the forecast and the actual values share no time")
    error = np.abs(a.to_numpy(dtype=float) - p.to_numpy(dtype=float))
    level = float(np.mean(np.abs(a.to_numpy(dtype=float))))
    floor = 0.05 * float(np.max(np.abs(a.to_numpy(dtype=float))))
    mape = (float(np.mean(error / np.abs(a.to_numpy(dtype=float)))) * 100
            if level > 0 and float(np.min(np.abs(a.to_numpy(dtype=float)))) > floor else None)
    return ForecastErrors(mae_kw=float(error.mean()),
                          nmae_pct=100 * float(error.mean()) / level if level > 0 else math.nan,
                          mape_pct=mape, rows=len(a))


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildingForecast:
    """Load, PV and net load [kW] on a tz-aware UTC grid of interval starts; `weather` says
    which outdoor temperatures the load forecast used (in words)."""

    load_kw: pd.Series
    pv_kw: pd.Series
    t_out_c: pd.Series | None
    weather: str

    @property
    def net_kw(self) -> pd.Series:
        """Load - PV [kW] (what the grid meter would show with no battery)."""
        return (self.load_kw - self.pv_kw).rename("net_kw")

    def as_json(self) -> dict[str, Any]:
        """The forecast as plain JSON values, one object per interval."""
        step = (self.load_kw.index[1] - self.load_kw.index[0]) if len(self.load_kw) > 1 else None
        net = self.net_kw
        rows = []
        for i, moment in enumerate(self.load_kw.index):
            row = {"start": moment.isoformat(), "load_kw": round(float(self.load_kw.iloc[i]), 3),
                   "pv_kw": round(float(self.pv_kw.iloc[i]), 3),
                   "net_kw": round(float(net.iloc[i]), 3)}
            if self.t_out_c is not None:
                row["t_out_c"] = round(float(self.t_out_c.iloc[i]), 2)
            rows.append(row)
        return {"step_s": None if step is None else step.total_seconds(),
                "weather": self.weather,
                "energy_kwh": {
                    "load": round(_energy(self.load_kw), 3), "pv": round(_energy(self.pv_kw), 3),
                    "net": round(_energy(net), 3)},
                "peak_load_kw": round(float(self.load_kw.max()), 3) if rows else None,
                "intervals": rows}


def _energy(series: pd.Series) -> float:
    if len(series) < 2:
        return 0.0
    step_h = (series.index[1] - series.index[0]) / pd.Timedelta(hours=1)
    return float(series.sum()) * step_h


def forecast_building(
    history: pd.DataFrame,
    index: pd.DatetimeIndex,
    *,
    timezone: str = "UTC",
    t_out_forecast: pd.Series | None = None,
    settings: ForecastSettings | None = None,
) -> BuildingForecast:
    """Load and PV forecasts on `index` from `history` (columns ``load_kw`` [kW], optional
    ``pv_kw`` [kW] >= 0 and ``t_out_c`` [°C]) before index[0]; `t_out_forecast` [°C] on
    `index` turns the load's weather regression on."""
    if "load_kw" not in history:
        raise LearningInputError("the history has no load_kw column")
    t_out = history.get("t_out_c")
    use_weather = t_out is not None and t_out_forecast is not None
    load = forecast_load(history["load_kw"], index, timezone=timezone,
                         t_out_c=t_out if use_weather else None,
                         t_out_forecast=t_out_forecast if use_weather else None,
                         settings=settings)
    pv = (forecast_pv(history["pv_kw"], index, timezone=timezone, settings=settings)
          if "pv_kw" in history and bool((history["pv_kw"] > 0).any())
          else pd.Series(0.0, index=index, name="pv_kw"))
    if use_weather:
        weather = "same-time average of similar days, regressed on the outdoor temperature"
    elif t_out_forecast is not None:
        weather = "same-time average of similar days (no outdoor temperatures in the history)"
    else:
        weather = "same-time average of similar days (no temperature forecast)"
    return BuildingForecast(load_kw=load, pv_kw=pv,
                            t_out_c=None if t_out_forecast is None
                            else t_out_forecast.reindex(index), weather=weather)
