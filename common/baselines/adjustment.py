"""Day-of (same-day) adjustment of a baseline: its rule, computation, application and wording.

The rule compares the event day's own load with the unadjusted baseline over a window before
the event, ``[start − gap − window, start − gap)``, and either scales the baseline by their
ratio (``ratio``, CAISO / NYISO style) or shifts it by their difference (``additive``, PJM
style), optionally within a cap. The VEN applies it to the baseline it reports; the VTN
computes it again from the readings the VEN reported before the event (same code).

When events come close together (a 1-hour event every 2 hours), that window would hold the
earlier events' hours, when the building was shedding, and pull the adjustment down; as the
programmes do, ``adjustment_window`` moves it back: while an earlier event of the same VEN
(its active period) overlaps the window, the window ends ``gap`` before that event's start
instead, so a chain of events is adjusted from the load before its first event. The result
records the window used (``AppliedAdjustment.window_start`` / ``window_end``, ``moved``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from common.errors import ConfigError
from common.wording import duration_words
from common.xml.lexical import write_datetime

__all__ = [
    "NO_ADJUSTMENT",
    "AdjustmentKind",
    "AppliedAdjustment",
    "SameDayAdjustment",
    "adjustment_json",
    "adjustment_window",
    "apply",
    "describe",
    "not_applied",
    "same_day_adjustment",
    "window_words",
    "with_window",
]


class AdjustmentKind(StrEnum):
    """Same-day (day-of) adjustment of the baseline."""

    NONE = "none"
    RATIO = "ratio"  # baseline × (actual / baseline) over the adjustment window
    ADDITIVE = "additive"  # baseline + (actual − baseline) over the adjustment window


@dataclass(frozen=True, slots=True, kw_only=True)
class SameDayAdjustment:
    """Day-of adjustment from the event day's load before the event.

    window: length of the adjustment window (a timedelta, e.g. 3 h).
    gap: time between the end of the window and the event start (the window is
        [start − gap − window, start − gap)).
    cap: for `ratio`, the factor is kept within [1 − cap, 1 + cap]; for `additive`, the offset
        [kW] within ± cap × the unadjusted baseline's mean over the window. None: uncapped.
    """

    kind: AdjustmentKind = AdjustmentKind.NONE
    window: timedelta = timedelta(hours=3)
    gap: timedelta = timedelta(hours=1)
    cap: float | None = None

    def __post_init__(self) -> None:
        if self.kind is AdjustmentKind.NONE:
            return
        if self.window <= timedelta(0):
            raise ConfigError(
                f"adjustment window must be positive, got {duration_words(self.window)}")
        if self.gap < timedelta(0):
            raise ConfigError(
                f"adjustment gap must not be negative, got {duration_words(self.gap)}")
        if self.cap is not None and not (self.cap >= 0 and math.isfinite(self.cap)):
            raise ConfigError(f"adjustment cap must be a finite fraction >= 0, got {self.cap}")
        if self.kind is AdjustmentKind.RATIO and self.cap is not None and self.cap >= 1:
            raise ConfigError(f"a ratio cap must be below 1 (a factor > 0), got {self.cap}")

    @property
    def lead(self) -> timedelta:
        """How far before the event start the window begins (gap + window)."""
        return self.gap + self.window


NO_ADJUSTMENT = SameDayAdjustment()


@dataclass(frozen=True, slots=True, kw_only=True)
class AppliedAdjustment:
    """The same-day adjustment as applied.

    value: the ratio [-] (1.0 when not applied) or the additive offset [kW] (0.0 when not).
    raw: the value before the cap (None when not applied).
    capped: the raw value was outside the cap and was clipped to it.
    applied: False when none is configured or the data for it were missing (`reason` says).
    rule: the rule it was computed by (window, gap, cap).
    window_start, window_end: the window actually used, [window_start, window_end) (None when
        not known); moved: it was moved back before earlier events (``adjustment_window``).
    """

    kind: AdjustmentKind
    value: float
    capped: bool = False
    applied: bool = False
    reason: str = ""
    raw: float | None = None
    rule: SameDayAdjustment = NO_ADJUSTMENT
    window_start: datetime | None = None
    window_end: datetime | None = None
    moved: bool = False


def adjustment_window(
    event_start: datetime,
    rule: SameDayAdjustment,
    earlier: Iterable[tuple[datetime, datetime]] = (),
    *,
    step: timedelta | None = None,
) -> tuple[datetime, datetime]:
    """The adjustment window ``(start, end)`` = [start, end) of an event starting at
    `event_start`: ``[event_start − gap − window, event_start − gap)``, moved back while one of
    the `earlier` events (active periods ``(start, end)`` of the same VEN's other events)
    overlaps it, to end ``gap`` before the start of the earliest one that does (repeated:
    the window ends before the first event of a chain). Only periods that start before
    `event_start` count; empty ones are ignored. Each move goes strictly back and passes that
    event for good, so it ends. The caller decides what ran (an event cancelled before its
    start is left out). `step`: the periods are first widened to whole steps of the event
    start's grid (the metering interval), so that the window stays on it."""
    periods = [(s, e) for s, e in earlier if s < event_start and e > s]
    if step is not None:
        periods = [(event_start + ((s - event_start) // step) * step,
                    event_start - ((event_start - e) // step) * step) for s, e in periods]
    end = event_start - rule.gap
    while True:
        begin = end - rule.window
        overlapping = [s for s, e in periods if s < end and e > begin]
        if not overlapping:
            return begin, end
        end = min(overlapping) - rule.gap


def with_window(adjustment: AppliedAdjustment, window: tuple[datetime, datetime],
                event_start: datetime) -> AppliedAdjustment:
    """`adjustment` with the window it was computed over (``adjustment_window`` of an event
    starting at `event_start`) and whether that was moved back before earlier events."""
    start, end = window
    return dataclasses.replace(adjustment, window_start=start, window_end=end,
                               moved=end != event_start - adjustment.rule.gap)


def _neutral(kind: AdjustmentKind) -> float:
    return 1.0 if kind is AdjustmentKind.RATIO else 0.0


def not_applied(rule: SameDayAdjustment, reason: str) -> AppliedAdjustment:
    """The neutral adjustment (ratio 1, offset 0 kW) of `rule`, with why it was not applied."""
    return AppliedAdjustment(kind=rule.kind, value=_neutral(rule.kind), reason=reason, rule=rule)


def _clip(raw: float, low: float, high: float) -> tuple[float, bool]:
    value = min(max(raw, low), high)
    return value, value != raw


def same_day_adjustment(
    baseline_window: npt.ArrayLike,
    actual_window: npt.ArrayLike,
    rule: SameDayAdjustment,
    max_missing_share: float,
) -> AppliedAdjustment:
    """The adjustment from the unadjusted baseline [kW] and the event day's actual load [kW]
    over the adjustment window (equal intervals, NaN where unknown), compared on the intervals
    where both are known. More than `max_missing_share` of the actual load missing, or no
    baseline there: not applied, with the reason."""
    kind = rule.kind
    if kind is AdjustmentKind.NONE:
        return not_applied(rule, "no same-day adjustment configured")
    actual_kw = np.asarray(actual_window, dtype=float)
    baseline_kw = np.asarray(baseline_window, dtype=float)
    if len(actual_kw) != len(baseline_kw):
        raise ValueError(f"baseline ({len(baseline_kw)}) and actual ({len(actual_kw)}) "
                         "windows must have the same intervals")
    if len(actual_kw) == 0 or np.isnan(actual_kw).mean() > max_missing_share:
        return not_applied(rule, "not applied: the event day's adjustment window lacks data")
    both = ~np.isnan(actual_kw) & ~np.isnan(baseline_kw)
    if not both.any():
        return not_applied(rule, "not applied: the baseline has no data in the adjustment window")
    actual = float(actual_kw[both].mean())
    base = float(baseline_kw[both].mean())
    if kind is AdjustmentKind.RATIO:
        if base <= 0:
            return not_applied(
                rule, "not applied: baseline load in the adjustment window is not > 0")
        raw = actual / base
        cap = np.inf if rule.cap is None else rule.cap
        value, capped = _clip(raw, 1.0 - cap, 1.0 + cap)
        note = f"ratio {value:.4f}" + (f" (capped from {raw:.4f})" if capped else "")
    else:
        raw = actual - base
        limit = np.inf if rule.cap is None else rule.cap * abs(base)
        value, capped = _clip(raw, -limit, limit)
        note = f"offset {value:+.3f} kW" + (f" (capped from {raw:+.3f} kW)" if capped else "")
    return AppliedAdjustment(kind=kind, value=value, capped=capped, applied=True, reason=note,
                             raw=raw, rule=rule)


def apply(profile: np.ndarray, adjustment: AppliedAdjustment) -> np.ndarray:
    """The baseline [kW] with the adjustment applied."""
    if adjustment.kind is AdjustmentKind.RATIO:
        return profile * adjustment.value
    return profile + adjustment.value


def window_words(rule: SameDayAdjustment) -> str:
    """``3 h ending 1 h before the event`` (``... starting 4 h before`` when the gap is as
    long as the window or longer); ``none`` without an adjustment."""
    if rule.kind is AdjustmentKind.NONE:
        return "none"
    if rule.gap >= rule.window:
        return (f"{duration_words(rule.window)} starting {duration_words(rule.lead)} "
                "before the event")
    if rule.gap == timedelta(0):
        return f"{duration_words(rule.window)} ending at the event start"
    return f"{duration_words(rule.window)} ending {duration_words(rule.gap)} before the event"


def _span_words(start: datetime, end: datetime) -> str:
    """``15:00-18:00 UTC`` (with the dates when they differ)."""
    a, b = start.astimezone(UTC), end.astimezone(UTC)
    if a.date() == b.date():
        return f"{a:%H:%M}-{b:%H:%M} UTC"
    return f"{a:%Y-%m-%d %H:%M} - {b:%Y-%m-%d %H:%M} UTC"


def _moved_words(adjustment: AppliedAdjustment) -> str:
    """``, moved back before earlier events to 15:00-18:00 UTC`` when it was moved, else ``""``."""
    if not adjustment.moved or adjustment.window_start is None or adjustment.window_end is None:
        return ""
    return (", moved back before earlier events to "
            f"{_span_words(adjustment.window_start, adjustment.window_end)}")


def _cap_words(rule: SameDayAdjustment) -> str:
    if rule.cap is None:
        return "uncapped"
    if rule.kind is AdjustmentKind.RATIO:
        return f"cap ±{rule.cap * 100:g} %"
    return f"cap ±{rule.cap * 100:g} % of the window's baseline"


def describe(adjustment: AppliedAdjustment) -> str:
    """One line: ``day-of ratio ×1.083 (3 h ending 1 h before the event, cap ±20 %)``, or
    why it was not applied, or ``no day-of adjustment``; a window moved back before earlier
    events is named (``3 h ending 1 h before the event, moved back before earlier events to
    15:00-18:00 UTC, cap ±20 %``)."""
    rule = adjustment.rule
    if adjustment.kind is AdjustmentKind.NONE:
        return "no day-of adjustment"
    how = f"{window_words(rule)}{_moved_words(adjustment)}, {_cap_words(rule)}"
    if not adjustment.applied:
        return f"day-of {adjustment.kind.value} {adjustment.reason or 'not applied'} ({how})"
    if adjustment.kind is AdjustmentKind.RATIO:
        value = f"ratio ×{adjustment.value:.3f}"
        raw = f"; capped from ×{adjustment.raw:.3f}" if adjustment.capped and adjustment.raw \
            is not None else ""
    else:
        value = f"offset {adjustment.value:+.3f} kW"
        raw = f"; capped from {adjustment.raw:+.3f} kW" if adjustment.capped and adjustment.raw \
            is not None else ""
    return f"day-of {value} ({how}{raw})"


def adjustment_json(adjustment: AppliedAdjustment) -> dict[str, Any]:
    """The adjustment as JSON-ready values: kind, value (ratio [-] or offset [kW]), raw,
    capped, applied, window and gap [s], cap [-], reason, ``text`` (``describe``) and the
    window used (``window_start`` / ``window_end``, ISO 8601 UTC or null; ``window_moved``)."""
    rule = adjustment.rule
    none = adjustment.kind is AdjustmentKind.NONE
    start, end = adjustment.window_start, adjustment.window_end
    return {
        "kind": adjustment.kind.value,
        "value": round(adjustment.value, 6),
        "unit": "kW" if adjustment.kind is AdjustmentKind.ADDITIVE else "ratio",
        "raw": None if adjustment.raw is None else round(adjustment.raw, 6),
        "capped": adjustment.capped,
        "applied": adjustment.applied,
        "window_s": None if none else rule.window.total_seconds(),
        "gap_s": None if none else rule.gap.total_seconds(),
        "cap": rule.cap,
        "reason": adjustment.reason,
        "text": describe(adjustment),
        "window_start": None if none or start is None else write_datetime(start),
        "window_end": None if none or end is None else write_datetime(end),
        "window_moved": adjustment.moved,
    }
