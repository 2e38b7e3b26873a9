"""Day-of (same-day) adjustment of a baseline: its rule, computation, application and wording.

The rule compares the event day's own load with the unadjusted baseline over a window before
the event, ``[start − gap − window, start − gap)``, and either scales the baseline by their
ratio (``ratio``, CAISO / NYISO style) or shifts it by their difference (``additive``, PJM
style), optionally within a cap. The VEN applies it to the baseline it reports; the VTN
computes it again from the readings the VEN reported before the event (same code).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from common.errors import ConfigError
from common.wording import duration_words

__all__ = [
    "NO_ADJUSTMENT",
    "AdjustmentKind",
    "AppliedAdjustment",
    "SameDayAdjustment",
    "adjustment_json",
    "apply",
    "describe",
    "not_applied",
    "same_day_adjustment",
    "window_words",
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
    """

    kind: AdjustmentKind
    value: float
    capped: bool = False
    applied: bool = False
    reason: str = ""
    raw: float | None = None
    rule: SameDayAdjustment = NO_ADJUSTMENT


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


def _cap_words(rule: SameDayAdjustment) -> str:
    if rule.cap is None:
        return "uncapped"
    if rule.kind is AdjustmentKind.RATIO:
        return f"cap ±{rule.cap * 100:g} %"
    return f"cap ±{rule.cap * 100:g} % of the window's baseline"


def describe(adjustment: AppliedAdjustment) -> str:
    """One line: ``day-of ratio ×1.083 (3 h ending 1 h before the event, cap ±20 %)``, or
    why it was not applied, or ``no day-of adjustment``."""
    rule = adjustment.rule
    if adjustment.kind is AdjustmentKind.NONE:
        return "no day-of adjustment"
    how = f"{window_words(rule)}, {_cap_words(rule)}"
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
    capped, applied, window and gap [s], cap [-], reason and ``text`` (``describe``)."""
    rule = adjustment.rule
    none = adjustment.kind is AdjustmentKind.NONE
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
    }
