"""Metered load as a local-time day × time-of-day grid, and window look-ups into it.

"Same time" means the same local wall-clock time. On a 23-hour (spring-forward) day the skipped
wall times have no reading and count as missing intervals; on a 25-hour (fall-back) day the
two readings of a repeated wall time are averaged into one value [kW]. An event interval on a
fall-back day therefore gets the same baseline value for both of its repeated wall times.
Windows (event, adjustment) are laid out in real time from the event start, then looked up by
their wall-clock times on each historical day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

_DAY_S = 86_400
_EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return (day - _EPOCH).days


def to_date(number: int) -> date:
    """The calendar date of a day number."""
    return _EPOCH + timedelta(days=int(number))


def nan_mean(values: np.ndarray, axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Mean ignoring NaN, NaN (without a warning) where nothing is left."""
    present = ~np.isnan(values)
    total = np.where(present, values, 0.0).sum(axis=axis)
    count = present.sum(axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


@dataclass(frozen=True, slots=True)
class LocalKeys:
    """Where timestamps fall in local time: day number and slot (interval of the day)."""

    days: np.ndarray
    slots: np.ndarray
    aligned: np.ndarray  # False where a timestamp is not on the interval grid


@dataclass(frozen=True, slots=True)
class WindowKeys:
    """A window relative to an anchor day: day offsets and slots, one per interval."""

    offsets: np.ndarray
    slots: np.ndarray

    def __len__(self) -> int:
        return len(self.slots)


def local_keys(index: pd.DatetimeIndex, tz: ZoneInfo, interval: timedelta) -> LocalKeys:
    """Local day numbers and slots of tz-aware timestamps."""
    wall = index.tz_convert(tz).tz_localize(None)
    seconds = wall.to_numpy().astype("datetime64[s]").astype(np.int64)
    step = int(interval.total_seconds())
    of_day = seconds % _DAY_S
    return LocalKeys(days=seconds // _DAY_S, slots=of_day // step, aligned=of_day % step == 0)


def window_keys(
    times: pd.DatetimeIndex, anchor_day: int, tz: ZoneInfo, interval: timedelta
) -> WindowKeys:
    """Keys of `times` relative to `anchor_day` (the local event day)."""
    keys = local_keys(times, tz, interval)
    return WindowKeys(offsets=keys.days - anchor_day, slots=keys.slots)


@dataclass(frozen=True, slots=True)
class DayGrid:
    """Load [kW] by local day (rows, consecutive from `first_day`) and slot (columns)."""

    values: np.ndarray
    first_day: int

    @property
    def days(self) -> np.ndarray:
        """Day numbers of the rows."""
        return np.arange(self.first_day, self.first_day + self.values.shape[0])

    def take(self, anchors: np.ndarray, keys: WindowKeys) -> np.ndarray:
        """Load [kW] of `keys` for each anchor day: shape (anchors, intervals); NaN if absent."""
        rows = np.asarray(anchors)[:, None] + keys.offsets[None, :] - self.first_day
        cols = np.broadcast_to(keys.slots[None, :], rows.shape)
        inside = (rows >= 0) & (rows < self.values.shape[0])
        out = np.full(rows.shape, np.nan)
        out[inside] = self.values[rows[inside], cols[inside]]
        return out


def build_grid(history: pd.Series, tz: ZoneInfo, interval: timedelta) -> DayGrid:
    """Arrange metered load [kW] into a DayGrid; repeated wall times are averaged."""
    slots_per_day = _DAY_S // int(interval.total_seconds())
    empty = DayGrid(values=np.full((0, slots_per_day), np.nan), first_day=0)
    if len(history) == 0:
        return empty
    keys = local_keys(history.index, tz, interval)
    load = history.to_numpy(dtype=float, na_value=np.nan)
    keep = keys.aligned & np.isfinite(load)
    if not keep.any():
        return empty
    days, slots, load = keys.days[keep], keys.slots[keep], load[keep]
    first = int(days.min())
    n_days = int(days.max()) - first + 1
    flat = (days - first) * slots_per_day + slots
    total = np.bincount(flat, weights=load, minlength=n_days * slots_per_day)
    count = np.bincount(flat, minlength=n_days * slots_per_day)
    mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return DayGrid(values=mean.reshape(n_days, slots_per_day), first_day=first)
