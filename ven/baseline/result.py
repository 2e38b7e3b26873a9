"""What a baseline computation returns: the baseline, how it was made and how far to trust it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import numpy as np
import pandas as pd

from common.baselines.adjustment import AppliedAdjustment, describe


class Method(StrEnum):
    """How the baseline was obtained: the configured X-of-Y rule or a fallback step."""

    X_OF_Y = "x-of-y"
    SAME_TIME_YESTERDAY = "same-time-yesterday"
    RECENT_WEIGHTED_AVERAGE = "recent-weighted-average"
    SAME_HOUR_AVERAGE = "same-hour-average"
    OVERALL_AVERAGE = "overall-average"
    NONE = "none"


class Confidence(StrEnum):
    """How far the baseline can be trusted, from the data it was computed from."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    def lowered(self, steps: int = 1) -> Confidence:
        """This confidence lowered by `steps` levels, never below LOW."""
        order = (Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW)
        return order[min(order.index(self) + max(steps, 0), len(order) - 1)]


@dataclass(frozen=True, slots=True)
class Estimate:
    """An unadjusted baseline from one method: load [kW] over the event and adjustment windows."""

    method: Method
    event: np.ndarray
    adjustment_window: np.ndarray
    days: tuple[int, ...]
    confidence: Confidence
    missing_share: float
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BaselineResult:
    """A customer baseline load over an event window.

    baseline: baseline load [kW] per interval, indexed by interval start (tz-aware UTC); all
        NaN when method is NONE (no data: no number is invented).
    method: the X-of-Y rule of `config_name`, or the fallback step that produced the baseline.
    config_name: the configured method (e.g. "CAISO 10-in-10").
    days_used: the local dates whose load was averaged, most recent first.
    days_required: eligible days the X-of-Y rule needed.
    adjustment: the same-day adjustment (ratio [-] or offset [kW]), whether capped.
    confidence: high / medium / low; `note` says why.
    interval: interval length.
    """

    baseline: pd.Series
    method: Method
    config_name: str
    days_used: tuple[date, ...]
    days_required: int
    adjustment: AppliedAdjustment
    confidence: Confidence
    note: str
    interval: timedelta

    @property
    def ok(self) -> bool:
        """True when there is a baseline at all (method is not NONE)."""
        return self.method is not Method.NONE

    @property
    def adjustment_words(self) -> str:
        """The day-of adjustment in words (``ratio ×1.083 (3 h ending 1 h before ...)``)."""
        return describe(self.adjustment)

    @property
    def energy_kwh(self) -> float:
        """Baseline energy over the event window [kWh]; NaN when there is no baseline."""
        if not self.ok:
            return float("nan")
        return float(self.baseline.sum()) * self.interval.total_seconds() / 3600.0
