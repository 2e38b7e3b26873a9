"""Same-day (day-of) adjustment: scale or shift the baseline to the event day's own load."""

from __future__ import annotations

import numpy as np

from ven.baseline.config import AdjustmentKind, SameDayAdjustment
from ven.baseline.result import AppliedAdjustment


def _neutral(kind: AdjustmentKind) -> float:
    return 1.0 if kind is AdjustmentKind.RATIO else 0.0


def _skip(kind: AdjustmentKind, reason: str) -> AppliedAdjustment:
    return AppliedAdjustment(kind=kind, value=_neutral(kind), reason=reason)


def _clip(raw: float, low: float, high: float) -> tuple[float, bool]:
    value = min(max(raw, low), high)
    return value, value != raw


def same_day_adjustment(
    baseline_window: np.ndarray,
    actual_window: np.ndarray,
    rule: SameDayAdjustment,
    max_missing_share: float,
) -> AppliedAdjustment:
    """The adjustment from the unadjusted baseline [kW] and the event day's actual load [kW]
    over the adjustment window, compared on the intervals where both are known."""
    kind = rule.kind
    if kind is AdjustmentKind.NONE:
        return _skip(kind, "no same-day adjustment configured")
    if len(actual_window) == 0 or np.isnan(actual_window).mean() > max_missing_share:
        return _skip(kind, "not applied: the event day's adjustment window lacks data")
    both = ~np.isnan(actual_window) & ~np.isnan(baseline_window)
    if not both.any():
        return _skip(kind, "not applied: the baseline has no data in the adjustment window")
    actual = float(actual_window[both].mean())
    base = float(baseline_window[both].mean())
    if kind is AdjustmentKind.RATIO:
        if base <= 0:
            return _skip(kind, "not applied: baseline load in the adjustment window is not > 0")
        raw = actual / base
        cap = np.inf if rule.cap is None else rule.cap
        value, capped = _clip(raw, 1.0 - cap, 1.0 + cap)
        note = f"ratio {value:.4f}" + (f" (capped from {raw:.4f})" if capped else "")
    else:
        raw = actual - base
        limit = np.inf if rule.cap is None else rule.cap * abs(base)
        value, capped = _clip(raw, -limit, limit)
        note = f"offset {value:+.3f} kW" + (f" (capped from {raw:+.3f} kW)" if capped else "")
    return AppliedAdjustment(kind=kind, value=value, capped=capped, applied=True, reason=note)


def apply(profile: np.ndarray, adjustment: AppliedAdjustment) -> np.ndarray:
    """The baseline [kW] with the adjustment applied."""
    if adjustment.kind is AdjustmentKind.RATIO:
        return profile * adjustment.value
    return profile + adjustment.value
