"""The fallback chain for meters with too little history for the X-of-Y rule.

Tried in order; the first that has data wins:

1. same time yesterday: the local day before the event day, if it is no event day and its event
   window is complete enough. Medium confidence; low if yesterday is of another day type.
2. recent weighted average: every eligible day of any type in the look-back, weighted by
   recency (the most recent of n days weighs n, the oldest 1). Medium; low with fewer days
   than the X-of-Y rule requires.
3. same-hour average: all load before the event day (event days excluded, no look-back, no
   completeness screen) averaged by local hour of the day. Low.
4. overall average: the mean of that same load, flat. Low.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ven.baseline.days import Context, candidates, day_class
from ven.baseline.grid import nan_mean
from ven.baseline.result import Confidence, Estimate, Method


def same_time_yesterday(ctx: Context) -> Estimate | str:
    """Yesterday's load [kW] at the same local wall-clock times."""
    yesterday = ctx.event_day - 1
    if np.isin(yesterday, ctx.excluded):
        return "yesterday was an event day"
    window = ctx.grid.take(np.array([yesterday]), ctx.event)[0]
    missing = float(np.isnan(window).mean())
    if missing > ctx.config.max_missing_share:
        return f"yesterday misses {missing:.0%} of the event window"
    classes = day_class(np.array([yesterday, ctx.event_day]), ctx.holidays, ctx.rule.day_type)
    alike = classes[0] == classes[1]
    return Estimate(
        method=Method.SAME_TIME_YESTERDAY,
        event=window,
        adjustment_window=ctx.grid.take(np.array([yesterday]), ctx.adjustment)[0],
        days=(yesterday,),
        confidence=Confidence.MEDIUM if alike else Confidence.LOW,
        missing_share=missing,
        note="yesterday" + ("" if alike else f" (another {ctx.rule.day_type} type)"),
    )


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    present = ~np.isnan(values)
    total = (np.where(present, values, 0.0) * weights[:, None]).sum(axis=0)
    weight = (present * weights[:, None]).sum(axis=0)
    return np.where(weight > 0, total / np.where(weight > 0, weight, 1.0), np.nan)


def recent_weighted_average(ctx: Context) -> Estimate | str:
    """Recency-weighted mean load [kW] of all eligible days in the look-back."""
    found = candidates(ctx, same_type=False)
    if not len(found):
        return f"no complete non-event day in the last {ctx.config.lookback_days} days"
    weights = np.arange(len(found), 0, -1, dtype=float)
    short = len(found) < ctx.rule.required_days
    return Estimate(
        method=Method.RECENT_WEIGHTED_AVERAGE,
        event=_weighted_mean(found.window, weights),
        adjustment_window=_weighted_mean(ctx.grid.take(found.days, ctx.adjustment), weights),
        days=tuple(int(d) for d in found.days),
        confidence=Confidence.LOW if short else Confidence.MEDIUM,
        missing_share=float(np.isnan(found.window).mean()),
        note=f"recency-weighted mean of {len(found)} day(s) of any type",
    )


def _history_rows(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers and load rows [kW] of every non-event day before the event day."""
    days = ctx.grid.days
    keep = (days < ctx.event_day) & ~np.isin(days, ctx.excluded)
    rows = ctx.grid.values[keep]
    has_data = ~np.isnan(rows).all(axis=1)
    return days[keep][has_data], rows[has_data]


def same_hour_average(ctx: Context) -> Estimate | str:
    """Mean load [kW] by local hour of the day over all earlier non-event days."""
    days, rows = _history_rows(ctx)
    per_hour = rows.shape[1] // 24
    by_hour = nan_mean(rows.reshape(len(rows), 24, per_hour), axis=(0, 2))
    event = by_hour[ctx.event.slots // per_hour]
    if np.isnan(event).any():
        return "some event hours were never metered"
    return Estimate(
        method=Method.SAME_HOUR_AVERAGE,
        event=event,
        adjustment_window=by_hour[ctx.adjustment.slots // per_hour],
        days=tuple(int(d) for d in days[::-1]),
        confidence=Confidence.LOW,
        missing_share=float(np.isnan(rows).mean()),
        note=f"mean by local hour over {len(days)} day(s)",
    )


def overall_average(ctx: Context) -> Estimate | str:
    """Mean load [kW] over all earlier non-event days, as a flat baseline."""
    days, rows = _history_rows(ctx)
    if not len(days):
        return "no load metered before the event day"
    level = float(nan_mean(rows))
    return Estimate(
        method=Method.OVERALL_AVERAGE,
        event=np.full(len(ctx.event), level),
        adjustment_window=np.full(len(ctx.adjustment), level),
        days=tuple(int(d) for d in days[::-1]),
        confidence=Confidence.LOW,
        missing_share=float(np.isnan(rows).mean()),
        note=f"flat mean over {len(days)} day(s)",
    )


CHAIN: tuple[Callable[[Context], Estimate | str], ...] = (
    same_time_yesterday,
    recent_weighted_average,
    same_hour_average,
    overall_average,
)
