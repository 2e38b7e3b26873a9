"""Customer baseline load (CBL): X-of-Y rules with same-day adjustment, presets and fallbacks.

    from ven.baseline import compute_baseline, CAISO_10_IN_10
    result = compute_baseline(load_kw, start=..., end=..., timezone="America/Los_Angeles")

Modules: `config` (parameters and presets), `grid` (local-time alignment, DST), `days`
(eligibility), `xofy` (selection), `adjustment` (day-of adjustment), `fallback` (the chain for
young meters), `result` (the returned dataclass), `compute` (the entry point).
"""

from ven.baseline.compute import compute_baseline
from ven.baseline.config import (
    CAISO_10_IN_10,
    NO_ADJUSTMENT,
    NYISO_5_OF_10,
    PJM_HIGH_4_OF_5,
    AdjustmentKind,
    BaselineConfig,
    DayType,
    SameDayAdjustment,
    Selection,
    XofYRule,
)
from ven.baseline.result import AppliedAdjustment, BaselineResult, Confidence, Method

__all__ = [
    "CAISO_10_IN_10",
    "NO_ADJUSTMENT",
    "NYISO_5_OF_10",
    "PJM_HIGH_4_OF_5",
    "AdjustmentKind",
    "AppliedAdjustment",
    "BaselineConfig",
    "BaselineResult",
    "Confidence",
    "DayType",
    "Method",
    "SameDayAdjustment",
    "Selection",
    "XofYRule",
    "compute_baseline",
]
