"""Which historical days may stand in for the event day: day types, exclusions, data quality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ven.baseline.config import BaselineConfig, DayType, XofYRule
from ven.baseline.grid import DayGrid, WindowKeys

_SUNDAY = 6


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a baseline method reads: the grid, the event's windows and the day sets.

    event_day: local day number of the event start; `event` and `adjustment` are keyed to it.
    excluded: day numbers of event days (never eligible); holidays: day numbers of holidays.
    """

    grid: DayGrid
    event_day: int
    event: WindowKeys
    adjustment: WindowKeys
    excluded: np.ndarray
    holidays: np.ndarray
    config: BaselineConfig
    rule: XofYRule


@dataclass(frozen=True, slots=True)
class Candidates:
    """Eligible days, most recent first, with their event-window load [kW] and missing share."""

    days: np.ndarray
    window: np.ndarray
    missing: np.ndarray

    def __len__(self) -> int:
        return len(self.days)

    def subset(self, positions: np.ndarray) -> Candidates:
        """The candidates at `positions`."""
        return Candidates(self.days[positions], self.window[positions], self.missing[positions])


def weekday(days: npt.ArrayLike) -> np.ndarray:
    """Day of the week (Monday 0 .. Sunday 6) of day numbers (1970-01-01 was a Thursday);
    a NumPy scalar for a single day number."""
    return (np.asarray(days) + 3) % 7


def day_class(days: np.ndarray, holidays: np.ndarray, day_type: DayType) -> np.ndarray:
    """A class per day; days of the same class are alike under `day_type`."""
    dow = weekday(days)
    holiday = np.isin(days, holidays)
    if day_type is DayType.DAY_OF_WEEK:
        return np.where(holiday, _SUNDAY, dow)
    return ((dow >= 5) | holiday).astype(np.int64)


def is_weekend_or_holiday(day: int, holidays: np.ndarray) -> bool:
    """True when the day is a Saturday, Sunday or holiday."""
    return bool(weekday(day) >= 5 or np.isin(day, holidays))


def candidates(ctx: Context, *, same_type: bool, lookback: bool = True) -> Candidates:
    """Days before the event day that are eligible: not event days, complete enough, and
    (optionally) of the event day's type and within the look-back."""
    first = ctx.grid.first_day
    if lookback:
        first = max(first, ctx.event_day - ctx.config.lookback_days)
    days = np.arange(ctx.event_day - 1, first - 1, -1)
    days = days[~np.isin(days, ctx.excluded)]
    if same_type:
        classes = day_class(days, ctx.holidays, ctx.rule.day_type)
        target = day_class(np.array([ctx.event_day]), ctx.holidays, ctx.rule.day_type)[0]
        days = days[classes == target]
    window = ctx.grid.take(days, ctx.event)
    missing = np.isnan(window).mean(axis=1) if len(ctx.event) else np.zeros(len(days))
    keep = missing <= ctx.config.max_missing_share
    return Candidates(days[keep], window[keep], missing[keep])
