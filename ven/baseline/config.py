"""Parameters of the X-of-Y baseline engine, validated once, and the named programme presets.

Presets follow the published programme rules as far as the parameters below reach; each says
where it simplifies. None implements the programmes' low-usage-day screens (NYISO and PJM drop
days whose load is far below the average of the others), and all rank days for `highest`
by their mean load over the event window.

- CAISO 10-in-10 (proxy demand resource "10 in 10 with load point adjustment"): weekday events
  use the 10 most recent eligible weekdays of the last 45 days; weekend and holiday events the
  4 most recent weekend days or holidays. Day-of ratio over the 3 hours ending 1 hour before
  the event, capped at ±20 %. At least 5 weekdays are needed (CAISO's minimum); for weekends
  we ask for 2 (project choice).
- NYISO-style CBL: weekday events average the 5 highest of the 10 most recent eligible weekdays
  (30-day look-back); weekend events the 2 highest of the 3 most recent like days (same day of
  the week). In-day ratio over the 2 hours that begin 4 hours before the event, bounded to
  0.8..1.2.
- PJM-style "High 4 of 5" with symmetric additive adjustment: the 4 highest of the 5 most recent
  eligible weekdays of the last 45 days; weekends the 2 highest of the 3 most recent like days
  (a holiday counts as a Sunday). Additive offset over the 3 hours ending 1 hour before the
  event, uncapped.

Sources, as we read them (not re-checked against each document's latest revision): CAISO's
Business Practice Manual for Metering (PDR performance evaluation), NYISO's Emergency Demand
Response Program / SCR manuals (CBL calculation), PJM Manual 11 (Economic Load Response CBL).
Programme details outside these parameters (meter data rules, settlement granularity, the
programmes' alternative baselines) are not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from common.baselines.adjustment import NO_ADJUSTMENT, SameDayAdjustment
from common.baselines.presets import CAISO, NYISO, PJM, PRESET_ADJUSTMENTS, method_slug
from common.errors import ConfigError


class DayType(StrEnum):
    """Which historical days are "like" the event day."""

    WEEKDAY_WEEKEND = "weekday-weekend"  # Mon-Fri vs. Sat, Sun and holidays
    DAY_OF_WEEK = "day-of-week"  # the same day of the week; a holiday counts as a Sunday


class Selection(StrEnum):
    """How X days are chosen from the Y most recent eligible days."""

    RECENT = "recent"  # the X most recent
    HIGHEST = "highest"  # the X with the highest mean load over the event window
    MIDDLE = "middle"  # drop (Y - X) / 2 highest and as many lowest ("Olympic" mean); with
    # fewer than Y days found, the same number is dropped at each end while a day remains


@dataclass(frozen=True, slots=True, kw_only=True)
class XofYRule:
    """Choose `x` of the `y` most recent eligible days of the event's day type.

    min_days: eligible days needed to use the rule at all; with fewer the fallback chain runs.
        None means ceil(y / 2).
    """

    x: int
    y: int
    selection: Selection = Selection.RECENT
    day_type: DayType = DayType.WEEKDAY_WEEKEND
    min_days: int | None = None

    def __post_init__(self) -> None:
        if self.x < 1:
            raise ConfigError(f"x must be at least 1, got {self.x}")
        if self.y < self.x:
            raise ConfigError(f"y must be at least x ({self.x}), got {self.y}")
        if self.selection is Selection.MIDDLE and (self.y - self.x < 2 or (self.y - self.x) % 2):
            raise ConfigError(f"middle selection needs y - x even and > 0, got {self.x}/{self.y}")
        if self.min_days is not None and not 1 <= self.min_days <= self.y:
            raise ConfigError(f"min_days must be within 1..y ({self.y}), got {self.min_days}")

    @property
    def required_days(self) -> int:
        """Eligible days needed before the rule is used instead of the fallback chain."""
        return self.min_days if self.min_days is not None else math.ceil(self.y / 2)

    @property
    def trim(self) -> int:
        """Days dropped at each end by the `middle` selection."""
        return (self.y - self.x) // 2 if self.selection is Selection.MIDDLE else 0


@dataclass(frozen=True, slots=True, kw_only=True)
class BaselineConfig:
    """A complete baseline method: the X-of-Y rules, look-back, adjustment and data quality.

    weekday / weekend: the rule for events on a weekday, and on a weekend day or holiday.
    lookback_days: only days within this many days before the event day are considered.
    max_missing_share: a day whose event window misses a larger share of intervals is
        ineligible (also applied to the adjustment window of the event day).
    """

    name: str
    weekday: XofYRule
    weekend: XofYRule
    lookback_days: int = 45
    adjustment: SameDayAdjustment = field(default_factory=SameDayAdjustment)
    max_missing_share: float = 0.10

    def __post_init__(self) -> None:
        if self.lookback_days < 1:
            raise ConfigError(f"lookback_days must be at least 1, got {self.lookback_days}")
        if not 0 <= self.max_missing_share < 1:
            raise ConfigError(f"max_missing_share must be in [0, 1), got {self.max_missing_share}")
        for rule in (self.weekday, self.weekend):
            if rule.y > self.lookback_days:
                raise ConfigError(f"y ({rule.y}) exceeds lookback_days ({self.lookback_days})")

    @classmethod
    def caiso_10_in_10(cls) -> BaselineConfig:
        """CAISO 10-in-10 with a ±20 % day-of ratio (see the module docstring)."""
        return cls(
            name=CAISO,
            weekday=XofYRule(x=10, y=10, min_days=5),
            weekend=XofYRule(x=4, y=4),
            lookback_days=45,
            adjustment=PRESET_ADJUSTMENTS[CAISO],
        )

    @classmethod
    def nyiso_5_of_10(cls) -> BaselineConfig:
        """NYISO-style 5 highest of 10 weekdays, 2 of 3 like weekend days, in-day ratio."""
        return cls(
            name=NYISO,
            weekday=XofYRule(x=5, y=10, selection=Selection.HIGHEST),
            weekend=XofYRule(x=2, y=3, selection=Selection.HIGHEST, day_type=DayType.DAY_OF_WEEK),
            lookback_days=30,
            adjustment=PRESET_ADJUSTMENTS[NYISO],
        )

    @classmethod
    def pjm_high_4_of_5(cls) -> BaselineConfig:
        """PJM-style High 4 of 5 with the symmetric additive adjustment."""
        return cls(
            name=PJM,
            weekday=XofYRule(x=4, y=5, selection=Selection.HIGHEST),
            weekend=XofYRule(x=2, y=3, selection=Selection.HIGHEST, day_type=DayType.DAY_OF_WEEK),
            lookback_days=45,
            adjustment=PRESET_ADJUSTMENTS[PJM],
        )

    @classmethod
    def mid_x_of_y(
        cls, x: int = 4, y: int = 6, adjustment: SameDayAdjustment = NO_ADJUSTMENT
    ) -> BaselineConfig:
        """Mid-X-of-Y ("Olympic") mean for every day type: drop (y − x) / 2 at each end."""
        rule = XofYRule(x=x, y=y, selection=Selection.MIDDLE)
        return cls(name=f"mid {x}-of-{y}", weekday=rule, weekend=rule, adjustment=adjustment)


CAISO_10_IN_10 = BaselineConfig.caiso_10_in_10()
NYISO_5_OF_10 = BaselineConfig.nyiso_5_of_10()
PJM_HIGH_4_OF_5 = BaselineConfig.pjm_high_4_of_5()

PRESETS: dict[str, BaselineConfig] = {
    c.name: c for c in (CAISO_10_IN_10, NYISO_5_OF_10, PJM_HIGH_4_OF_5)}
"""The programme presets by name."""


def preset(name: str) -> BaselineConfig:
    """The preset called `name` (its name, or the slug ``pjm-high-4-of-5``, any case)."""
    wanted = method_slug(name)
    for config in PRESETS.values():
        if method_slug(config.name) == wanted:
            return config
    raise ConfigError(f"baseline: unknown programme preset {name!r}; one of "
                      + ", ".join(repr(n) for n in PRESETS))
