"""Customer baseline load (CBL): X-of-Y rules with same-day adjustment, presets and fallbacks.

    from ven.baseline import compute_baseline, CAISO_10_IN_10
    result = compute_baseline(load_kw, start=..., end=..., timezone="America/Los_Angeles")

Modules: `config` (parameters and presets), `grid` (local-time alignment, DST), `days`
(eligibility), `xofy` (selection), `fallback` (the chain for young meters), `result` (the
returned dataclass), `compute` (the entry point). The day-of adjustment's math is shared with
the VTN: `common.baselines.adjustment`.
"""

from common.baselines.adjustment import (
    NO_ADJUSTMENT,
    AdjustmentKind,
    AppliedAdjustment,
    SameDayAdjustment,
)
from ven.baseline.compute import compute_baseline
from ven.baseline.config import (
    CAISO_10_IN_10,
    NYISO_5_OF_10,
    PJM_HIGH_4_OF_5,
    BaselineConfig,
    DayType,
    Selection,
    XofYRule,
    preset,
)
from ven.baseline.result import BaselineResult, Confidence, Method

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
    "preset",
]
