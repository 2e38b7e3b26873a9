"""The X-of-Y engine: pick X of the Y most recent like days and average their load."""

from __future__ import annotations

import numpy as np

from ven.baseline.config import Selection, XofYRule
from ven.baseline.days import Candidates, Context, candidates
from ven.baseline.grid import nan_mean
from ven.baseline.result import Confidence, Estimate, Method


def select(found: Candidates, rule: XofYRule) -> np.ndarray:
    """Positions (most recent first) of the days `rule` keeps out of `found` (at most Y)."""
    n = min(len(found), rule.y)
    level = nan_mean(found.window[:n], axis=1)
    if rule.selection is Selection.RECENT:
        chosen = np.arange(min(rule.x, n))
    elif rule.selection is Selection.HIGHEST:
        # stable sort on the negated level: ties go to the more recent day
        chosen = np.argsort(-level, kind="stable")[: min(rule.x, n)]
    else:
        trim = rule.trim if n - 2 * rule.trim >= 1 else 0
        chosen = np.argsort(level, kind="stable")[trim : n - trim]
    return np.sort(chosen)


def x_of_y(ctx: Context) -> Estimate | str:
    """The X-of-Y baseline, or the reason it cannot be used (too few eligible days)."""
    rule = ctx.rule
    found = candidates(ctx, same_type=True)
    if len(found) < rule.required_days:
        return (
            f"{len(found)} eligible like day(s) ({rule.day_type}) in the last "
            f"{ctx.config.lookback_days} days, {rule.required_days} needed"
        )
    used = found.subset(select(found, rule))
    confidence = Confidence.HIGH
    note = f"{rule.selection} {len(used)} of {min(len(found), rule.y)} eligible days"
    if len(found) < rule.y:
        confidence = confidence.lowered()
        note += f" (only {len(found)} of {rule.y} found)"
    return Estimate(
        method=Method.X_OF_Y,
        event=nan_mean(used.window, axis=0),
        adjustment_window=nan_mean(ctx.grid.take(used.days, ctx.adjustment), axis=0),
        days=tuple(int(d) for d in used.days),
        confidence=confidence,
        missing_share=float(np.isnan(used.window).mean()),
        note=note,
    )
