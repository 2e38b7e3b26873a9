"""Local hour and weekday/weekend of UTC times, and the hourly schedules indexed by them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd


@dataclass(frozen=True, slots=True)
class LocalCalendar:
    """Per time step: local hour 0..23, local hour with fraction [h], and Saturday/Sunday flag."""

    hour: np.ndarray
    hour_frac: np.ndarray
    weekend: np.ndarray

    @classmethod
    def of(cls, times: pd.DatetimeIndex, timezone: str) -> LocalCalendar:
        """Calendar of tz-aware times in the building's IANA timezone."""
        local = times.tz_convert(ZoneInfo(timezone))
        hour = np.asarray(local.hour, dtype=np.int64)
        frac = hour + np.asarray(local.minute, dtype=float) / 60.0
        frac = frac + np.asarray(local.second, dtype=float) / 3600.0
        weekend = np.asarray(local.day_of_week, dtype=np.int64) >= 5
        return cls(hour=hour, hour_frac=frac, weekend=weekend)


def by_hour(
    weekday: Sequence[float], weekend: Sequence[float] | None, cal: LocalCalendar
) -> np.ndarray:
    """Hourly schedule values (24 weekday + optional 24 weekend) looked up for each time step."""
    days = np.asarray(weekday, dtype=float)[cal.hour]
    if weekend is None:
        return days
    return np.where(cal.weekend, np.asarray(weekend, dtype=float)[cal.hour], days)


def in_window(hour_frac: np.ndarray | float, start: float, end: float) -> np.ndarray:
    """True where a local hour [h] lies in [start, end), wrapping past midnight when end < start."""
    hours = np.asarray(hour_frac, dtype=float)
    if start < end:
        return (hours >= start) & (hours < end)
    return (hours >= start) | (hours < end)
