"""The energy manager's settings: an ``[energy]`` table (off unless configured).

    [energy]
    strategy = "balanced"          # economic | comfort | environmental | balanced
    horizon_h = 24                 # planning horizon [h], 1..48
    step_min = 15                  # re-plan interval and plan step [min]
    pv_curtailable = true
    battery_cycles_per_day = 1.5   # [1/d]

    [energy.weights]               # optional (see ven.energy.strategy)
    comfort = 0.5

    [energy.tariff]                # optional (see ven.energy.tariff.tariff_from_config)
    kind = "tou"
    price = 0.20
    demand_charge_per_kw = 15.0
    periods = [{ start_hour = 16, end_hour = 21, price = 0.45, days = "weekday" }]

    [energy.price_feed]            # optional (see ven.energy.pricefeed)
    url = "https://prices.example/day-ahead.json"
    refresh_min = 60

    [energy.zone_models]           # optional (see ven.learning.savedmodels)
    path = "zone-models.json"      # written by `oadr-ven model fit --save`
    max_age_days = 30
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from ven.energy.inputs import PlanSettings
from ven.energy.pricefeed import PriceFeedError, PriceFeedSettings, price_feed_from_config
from ven.energy.strategy import Strategy, strategy_from_config
from ven.energy.tariff import Tariff, tariff_from_config
from ven.learning.savedmodels import (
    SavedModelsError,
    ZoneModelSettings,
    zone_models_from_config,
)

__all__ = ["EnergyConfig", "EnergyConfigError", "energy_config", "energy_config_from_file",
           "parse_energy_table"]

_KEYS = {"strategy", "horizon_h", "step_min", "pv_curtailable", "battery_cycles_per_day",
         "weights", "tariff", "price_feed", "zone_models"}


class EnergyConfigError(ValueError):
    """The ``[energy]`` table is unusable (the message names the key)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyConfig:
    """What the always-on planner runs with: strategy, tariff, horizon and step, settings;
    the optional price feed and saved zone models (None: none configured)."""

    strategy: Strategy
    tariff: Tariff
    horizon: timedelta
    step: timedelta
    settings: PlanSettings
    price_feed: PriceFeedSettings | None = None
    zone_models: ZoneModelSettings | None = None


def energy_config(table: Mapping[str, Any] | None, *, timezone: str = "UTC",
                  base: Path | None = None) -> EnergyConfig | None:
    """The settings of an ``[energy]`` table; None when there is none (the planner is off)."""
    return None if table is None else parse_energy_table(table, timezone=timezone, base=base)


def parse_energy_table(table: Mapping[str, Any], *, timezone: str = "UTC",
                       base: Path | None = None) -> EnergyConfig:
    """The settings of an ``[energy]`` table (an empty one gives every default); relative
    file names (price feed, zone models) are taken from `base` (the building file's
    directory)."""
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise EnergyConfigError(f"[energy] has unknown keys: {', '.join(unknown)}")
    horizon_h = table.get("horizon_h", 24)
    step_min = table.get("step_min", 15)
    for key, value, low, high in (("horizon_h", horizon_h, 1, 48),
                                  ("step_min", step_min, 1, 60)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                low <= value <= high):
            raise EnergyConfigError(f"[energy] {key} must be a number in {low}..{high}, "
                                    f"got {value!r}")
    horizon, step = timedelta(hours=horizon_h), timedelta(minutes=step_min)
    if horizon < step or horizon % step:
        raise EnergyConfigError("[energy] horizon_h must be a whole number of steps")
    curtail = table.get("pv_curtailable", True)
    if not isinstance(curtail, bool):
        raise EnergyConfigError("[energy] pv_curtailable must be true or false")
    cycles = table.get("battery_cycles_per_day", 1.5)
    if isinstance(cycles, bool) or not isinstance(cycles, int | float) or cycles <= 0:
        raise EnergyConfigError("[energy] battery_cycles_per_day must be a positive number")
    tariff_table = table.get("tariff", {})
    if not isinstance(tariff_table, Mapping):
        raise EnergyConfigError("[energy.tariff] must be a table")
    feed = models = None
    for key in ("price_feed", "zone_models"):
        if key in table and not isinstance(table[key], Mapping):
            raise EnergyConfigError(f"[energy.{key}] must be a table")
    try:
        if "price_feed" in table:
            feed = price_feed_from_config(table["price_feed"], base=base)
        if "zone_models" in table:
            models = zone_models_from_config(table["zone_models"], base=base)
    except (PriceFeedError, SavedModelsError) as exc:
        raise EnergyConfigError(str(exc)) from None
    return EnergyConfig(strategy=strategy_from_config(table),
                        tariff=tariff_from_config(tariff_table, timezone=timezone),
                        horizon=horizon, step=step,
                        settings=PlanSettings(pv_curtailable=curtail,
                                              battery_cycles_per_day=float(cycles)),
                        price_feed=feed, zone_models=models)


def energy_config_from_file(path: str | Path, *, timezone: str = "UTC") -> EnergyConfig | None:
    """The ``[energy]`` table of a TOML file (a building file), None when it has none."""
    with open(path, "rb") as file:
        data = tomllib.load(file)
    table = data.get("energy")
    if table is not None and not isinstance(table, Mapping):
        raise EnergyConfigError(f"{path}: [energy] must be a table")
    return energy_config(table, timezone=timezone, base=Path(path).resolve().parent)
