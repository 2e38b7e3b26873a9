"""The entry point: check inputs, run the configured X-of-Y rule or the fallback chain, adjust."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from common.baselines.adjustment import (
    AdjustmentKind,
    AppliedAdjustment,
    adjustment_window,
    apply,
    not_applied,
    same_day_adjustment,
    with_window,
)
from common.errors import ConfigError
from common.wording import duration_words
from ven.baseline.config import CAISO_10_IN_10, BaselineConfig
from ven.baseline.days import Context, is_weekend_or_holiday
from ven.baseline.fallback import CHAIN
from ven.baseline.grid import build_grid, day_number, local_keys, to_date, window_keys
from ven.baseline.result import (
    BaselineResult,
    Confidence,
    Estimate,
    Method,
)
from ven.baseline.xofy import x_of_y

DEFAULT_INTERVAL = timedelta(minutes=15)  # used only when the history cannot tell
MISSING_NOTICE_SHARE = 0.05  # more missing intervals than this in the data used lowers confidence


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ConfigError(f"timezone: unknown IANA time zone {name!r}") from exc


def _utc(moment: datetime, field: str) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is None:
        raise ConfigError(f"{field} must be timezone-aware, got {moment!r}")
    return stamp.tz_convert("UTC")


def _check_history(history: pd.Series) -> None:
    if not isinstance(history, pd.Series):
        raise ConfigError(f"history must be a pandas Series, got {type(history).__name__}")
    if len(history) == 0:
        return
    if not isinstance(history.index, pd.DatetimeIndex) or history.index.tz is None:
        raise ConfigError("history must have a timezone-aware DatetimeIndex")
    if not pd.api.types.is_numeric_dtype(history.dtype):
        raise ConfigError(f"history must hold numbers [kW], got dtype {history.dtype}")


def _interval(index: pd.Index, given: timedelta | None) -> timedelta:
    """The given interval, else the most common step of the history, else 15 min."""
    step = given
    if step is None and isinstance(index, pd.DatetimeIndex) and len(index.unique()) > 1:
        utc = index.unique().sort_values().tz_convert(None).to_numpy()
        seconds = utc.astype("datetime64[s]").astype(np.int64)
        values, counts = np.unique(np.diff(seconds), return_counts=True)
        step = timedelta(seconds=int(values[np.argmax(counts)]))
    step = DEFAULT_INTERVAL if step is None else pd.Timedelta(step).to_pytimedelta()
    seconds = step.total_seconds()
    if seconds <= 0 or seconds != int(seconds) or 3600 % int(seconds):
        raise ConfigError("interval must divide one hour into whole seconds, got "
                          f"{duration_words(step)}")
    return step


def _window(start: pd.Timestamp, end: pd.Timestamp, step: timedelta) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq=step, inclusive="left")


def _as_day_numbers(days: Collection[date], field: str) -> np.ndarray:
    as_dates = [d.date() if isinstance(d, datetime) else d for d in days]
    if not all(isinstance(d, date) for d in as_dates):
        raise ConfigError(f"{field} must hold dates")
    return np.array([day_number(d) for d in as_dates], dtype=np.int64)


def _context(
    history: pd.Series,
    start: pd.Timestamp,
    end: pd.Timestamp,
    tz: ZoneInfo,
    step: timedelta,
    config: BaselineConfig,
    excluded: np.ndarray,
    holidays: np.ndarray,
    earlier: Collection[tuple[pd.Timestamp, pd.Timestamp]],
) -> tuple[Context, tuple[datetime, datetime] | None]:
    """The baseline's context, and the day-of adjustment window [start, end) it uses (None
    without an adjustment): the rule's, moved back before the `earlier` events."""
    bounds = local_keys(pd.DatetimeIndex([start, end]), tz, step)
    if not bounds.aligned.all():
        raise ConfigError(
            f"event start and end must lie on the {duration_words(step)} interval grid")
    event_day = int(bounds.days[0])
    rule = config.weekend if is_weekend_or_holiday(event_day, holidays) else config.weekday
    adjust = config.adjustment
    if adjust.kind is not AdjustmentKind.NONE and (adjust.window % step or adjust.gap % step):
        raise ConfigError("adjustment window and gap must be multiples of the "
                          f"{duration_words(step)} interval")
    span: tuple[datetime, datetime] | None = None
    adj_index = pd.DatetimeIndex([], tz="UTC")
    if adjust.kind is not AdjustmentKind.NONE:
        first, last = (pd.Timestamp(t) for t in adjustment_window(start, adjust, earlier,
                                                                  step=step))
        span = (first.to_pydatetime(), last.to_pydatetime())
        adj_index = _window(first, last, step)
    return Context(
        grid=build_grid(history, tz, step),
        event_day=event_day,
        event=window_keys(_window(start, end, step), event_day, tz, step),
        adjustment=window_keys(adj_index, event_day, tz, step),
        excluded=excluded,
        holidays=holidays,
        config=config,
        rule=rule,
    ), span


def _estimate(ctx: Context) -> tuple[Estimate | None, list[str]]:
    """The first method that has data, and why the ones before it were skipped."""
    skipped: list[str] = []
    for method in (x_of_y, *CHAIN):
        outcome = method(ctx)
        if isinstance(outcome, Estimate):
            return outcome, skipped
        skipped.append(f"{method.__name__.replace('_', '-')} skipped: {outcome}")
    return None, skipped


def _fill_gaps(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Interpolate intervals no used day had [kW]; returns the values and how many were filled."""
    gaps = int(np.isnan(values).sum())
    if not gaps:
        return values, 0
    filled = pd.Series(values).interpolate(limit_direction="both").to_numpy(dtype=float)
    return filled, gaps


def _confidence(estimate: Estimate, adjustment: AppliedAdjustment) -> tuple[Confidence, list[str]]:
    reasons: list[str] = []
    if estimate.missing_share > MISSING_NOTICE_SHARE:
        reasons.append(f"{estimate.missing_share:.0%} of the intervals used were missing")
    if adjustment.capped:
        reasons.append("the same-day adjustment hit its cap")
    if adjustment.kind is not AdjustmentKind.NONE and not adjustment.applied:
        reasons.append("the same-day adjustment could not be applied")
    return estimate.confidence.lowered(len(reasons)), reasons


def compute_baseline(
    history: pd.Series,
    *,
    start: datetime,
    end: datetime,
    timezone: str,
    config: BaselineConfig = CAISO_10_IN_10,
    event_days: Collection[date] = (),
    holidays: Collection[date] = (),
    interval: timedelta | None = None,
    earlier_events: Iterable[tuple[datetime, datetime]] = (),
) -> BaselineResult:
    """Customer baseline load [kW] over the event window [start, end).

    history: metered load [kW] on a tz-aware DatetimeIndex (interval starts); readings at or
        after `start` are ignored. NaN or absent readings are missing intervals.
    timezone: the building's IANA zone; day types and "same time" are local.
    event_days / holidays: local dates; event days are never eligible, holidays are of the
        weekend type. interval: the metering interval (inferred from the history if None).
    earlier_events: the active periods ``(start, end)`` of this VEN's other events (what ran;
        tz-aware): the day-of adjustment window is moved back before those it would overlap
        (``common.baselines.adjustment.adjustment_window``); none: the rule's own window.
    Never raises for short or empty data (the fallback chain, or method NONE); raises
    ConfigError for invalid parameters.
    """
    tz = _zone(timezone)
    start_ts, end_ts = _utc(start, "start"), _utc(end, "end")
    if end_ts <= start_ts:
        raise ConfigError(f"end ({end}) must be after start ({start})")
    _check_history(history)
    step = _interval(history.index, interval)
    if len(history):
        history = history[history.index < start_ts]
    excluded = _as_day_numbers(event_days, "event_days")
    holiday_days = _as_day_numbers(holidays, "holidays")
    earlier = [(_utc(a, "earlier_events"), _utc(b, "earlier_events")) for a, b in earlier_events]
    ctx, span = _context(history, start_ts, end_ts, tz, step, config, excluded, holiday_days,
                         earlier)
    event_index = _window(start_ts, end_ts, step)
    estimate, skipped = _estimate(ctx)
    if estimate is None:
        return _no_baseline(event_index, config, ctx, step, skipped)
    actual = ctx.grid.take(np.array([ctx.event_day]), ctx.adjustment)[0]
    adjustment = same_day_adjustment(
        estimate.adjustment_window, actual, config.adjustment, config.max_missing_share
    )
    if span is not None:
        adjustment = with_window(adjustment, span, start_ts.to_pydatetime())
    values, filled = _fill_gaps(apply(estimate.event, adjustment))
    confidence, reasons = _confidence(estimate, adjustment)
    parts = [f"{config.name}: {estimate.method} ({estimate.note})", *skipped, adjustment.reason]
    if filled:
        parts.append(f"{filled} interval(s) no used day had were interpolated")
    parts.append(f"confidence {confidence}" + (": " + "; ".join(reasons) if reasons else ""))
    return BaselineResult(
        baseline=pd.Series(values, index=event_index, name="baseline_kw"),
        method=estimate.method,
        config_name=config.name,
        days_used=tuple(to_date(d) for d in estimate.days),
        days_required=ctx.rule.required_days,
        adjustment=adjustment,
        confidence=confidence,
        note="; ".join(parts),
        interval=step,
    )


def _no_baseline(
    event_index: pd.DatetimeIndex,
    config: BaselineConfig,
    ctx: Context,
    step: timedelta,
    skipped: list[str],
) -> BaselineResult:
    """The flagged result when there is no load to build any baseline from: all NaN."""
    return BaselineResult(
        baseline=pd.Series(np.nan, index=event_index, name="baseline_kw"),
        method=Method.NONE,
        config_name=config.name,
        days_used=(),
        days_required=ctx.rule.required_days,
        adjustment=not_applied(config.adjustment, "no baseline"),
        confidence=Confidence.LOW,
        note="; ".join([f"{config.name}: no baseline, no usable load before the event", *skipped]),
        interval=step,
    )
