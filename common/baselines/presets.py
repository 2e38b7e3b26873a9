"""The programme presets' day-of adjustment rules, by preset name and by readingType slug.

The VEN's presets (``ven.baseline.config``) take their adjustment from here; the VTN finds the
rule of the method a VEN names in its baseline readingType (``x-baseline-caiso-10-in-10``).
Windows as we read the programmes' rules (see ``ven.baseline.config`` for the sources):

- CAISO 10-in-10: ratio over the 3 hours ending 1 hour before the event, capped at ±20 %.
- NYISO 5-of-10: ratio over the 2 hours starting 4 hours before the event, within 0.8..1.2.
- PJM High 4 of 5: symmetric additive over the 3 hours that start 4 hours before the event
  (so they end 1 hour before it), uncapped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

from common.baselines.adjustment import AdjustmentKind, SameDayAdjustment

__all__ = ["CAISO", "NYISO", "PJM", "PRESET_ADJUSTMENTS", "adjustment_for", "method_slug"]

CAISO = "CAISO 10-in-10"
NYISO = "NYISO 5-of-10"
PJM = "PJM High 4 of 5"

PRESET_ADJUSTMENTS: Mapping[str, SameDayAdjustment] = MappingProxyType({
    CAISO: SameDayAdjustment(kind=AdjustmentKind.RATIO, window=timedelta(hours=3),
                             gap=timedelta(hours=1), cap=0.20),
    NYISO: SameDayAdjustment(kind=AdjustmentKind.RATIO, window=timedelta(hours=2),
                             gap=timedelta(hours=2), cap=0.20),
    PJM: SameDayAdjustment(kind=AdjustmentKind.ADDITIVE, window=timedelta(hours=3),
                           gap=timedelta(hours=1)),
})
"""Each preset's day-of adjustment rule, by preset name."""


def method_slug(name: str) -> str:
    """``CAISO 10-in-10`` -> ``caiso-10-in-10``: lower case, runs of other characters -> ``-``."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


_BY_SLUG = {method_slug(name): rule for name, rule in PRESET_ADJUSTMENTS.items()}


def adjustment_for(method: str) -> SameDayAdjustment | None:
    """The adjustment rule of a preset named by its name or slug; None when unknown."""
    return PRESET_ADJUSTMENTS.get(method) or _BY_SLUG.get(method_slug(method))
