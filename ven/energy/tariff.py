"""Electricity tariffs: energy prices per interval, export price and a monthly demand charge.

A ``Tariff`` prices imported energy [currency/kWh] as one of

- ``flat``: one price at all times;
- ``tou`` (time of use): ``TouPeriod`` rules by local hour and weekday/weekend; the first
  rule that matches an interval's start wins, the flat ``price`` is the fallback;
- ``series``: a price series on a tz-aware time index (ELECTRICITY_PRICE events of the VTN,
  or a price feed); each interval takes the last price published at or before its start,
  before the first one the flat ``price``.

Exported energy (PV, battery) is paid ``export_price`` [currency/kWh]. The demand charge
``demand_charge_per_kw`` [currency/kW] is billed once a month on the month's highest
interval-mean import [kW]; ``MonthPeak`` remembers that peak so far, so the planner only pays
for raising it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ven.devices.daytype import LocalCalendar, in_window

__all__ = ["MonthPeak", "Tariff", "TariffError", "TouPeriod", "tariff_from_config"]

TariffKind = Literal["flat", "tou", "series"]


class TariffError(ValueError):
    """A tariff's configuration or price series is unusable."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TouPeriod:
    """One time-of-use rule: local hours [start_hour, end_hour) (wrapping past midnight when
    end < start) on the given days ("all", "weekday" or "weekend") cost `price`
    [currency/kWh]."""

    start_hour: float
    end_hour: float
    price: float
    days: Literal["all", "weekday", "weekend"] = "all"

    def __post_init__(self) -> None:
        if not (0 <= self.start_hour <= 24 and 0 <= self.end_hour <= 24):
            raise TariffError(f"time-of-use hours must lie in 0..24, got "
                              f"{self.start_hour}-{self.end_hour}")
        if self.days not in ("all", "weekday", "weekend"):
            raise TariffError(f"time-of-use days must be all, weekday or weekend, got "
                              f"{self.days!r}")

    def matches(self, cal: LocalCalendar) -> np.ndarray:
        """True for each interval of `cal` this rule applies to."""
        hours = in_window(cal.hour_frac, self.start_hour, self.end_hour % 24 or 24.0)
        if self.start_hour == self.end_hour:
            hours = np.ones(len(cal.hour), dtype=bool)
        if self.days == "weekday":
            return hours & ~cal.weekend
        if self.days == "weekend":
            return hours & cal.weekend
        return hours


@dataclass(frozen=True, slots=True, kw_only=True)
class Tariff:
    """What the building pays: see the module. price, export_price [currency/kWh];
    demand_charge_per_kw [currency/kW per month]; timezone: the IANA zone of the TOU hours
    and of the billing month."""

    kind: TariffKind = "flat"
    price: float = 0.25
    periods: tuple[TouPeriod, ...] = ()
    series: pd.Series | None = field(default=None, compare=False)
    export_price: float = 0.05
    demand_charge_per_kw: float = 0.0
    currency: str = "USD"
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if self.kind not in ("flat", "tou", "series"):
            raise TariffError(f"tariff kind must be flat, tou or series, got {self.kind!r}")
        if self.kind == "tou" and not self.periods:
            raise TariffError("a time-of-use tariff needs at least one period")
        if self.kind == "series":
            if self.series is None or self.series.empty:
                raise TariffError("a series tariff needs a non-empty price series")
            if not isinstance(self.series.index, pd.DatetimeIndex) or self.series.index.tz is None:
                raise TariffError("the price series needs a tz-aware time index")
            if not np.isfinite(self.series.to_numpy(dtype=float)).all():
                raise TariffError("the price series has missing or infinite prices")
        if self.demand_charge_per_kw < 0:
            raise TariffError("demand_charge_per_kw must be >= 0")

    def with_series(self, series: pd.Series) -> Tariff:
        """This tariff priced by `series` [currency/kWh] (e.g. from ELECTRICITY_PRICE events)."""
        return Tariff(kind="series", price=self.price, series=series.sort_index(),
                      export_price=self.export_price,
                      demand_charge_per_kw=self.demand_charge_per_kw,
                      currency=self.currency, timezone=self.timezone)

    def import_prices(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Import price [currency/kWh] of each interval starting at `index` (tz-aware)."""
        if index.tz is None:
            raise TariffError("prices need a tz-aware time index")
        out = np.full(len(index), float(self.price))
        if self.kind == "tou":
            cal = LocalCalendar.of(index, self.timezone)
            decided = np.zeros(len(index), dtype=bool)
            for period in self.periods:
                hit = period.matches(cal) & ~decided
                out[hit] = period.price
                decided |= hit
        elif self.kind == "series" and self.series is not None:
            known = self.series.sort_index()
            pos = known.index.searchsorted(index, side="right") - 1
            values = known.to_numpy(dtype=float)
            out = np.where(pos >= 0, values[np.maximum(pos, 0)], out)
        return out

    def export_prices(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Export price [currency/kWh] of each interval."""
        return np.full(len(index), float(self.export_price))

    def month_of(self, moment: datetime) -> tuple[int, int]:
        """The billing month (year, month) of `moment` in the tariff's timezone."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        return local.year, local.month


@dataclass(slots=True)
class MonthPeak:
    """The highest interval-mean import [kW] of the current billing month so far."""

    month: tuple[int, int] | None = None
    peak_kw: float = 0.0

    def so_far(self, tariff: Tariff, now: datetime) -> float:
        """The month's peak so far [kW] (0 once a new month starts)."""
        return self.peak_kw if self.month == tariff.month_of(now) else 0.0

    def record(self, tariff: Tariff, start: datetime, import_kw: float) -> None:
        """Remember one metered interval's mean import [kW] starting at `start`."""
        month = tariff.month_of(start)
        if month != self.month:
            self.month, self.peak_kw = month, 0.0
        self.peak_kw = max(self.peak_kw, float(import_kw))


def _number(table: Mapping[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TariffError(f"[energy.tariff] {key} must be a number, got {value!r}")
    return float(value)


def tariff_from_config(table: Mapping[str, Any], *, timezone: str = "UTC") -> Tariff:
    """A tariff from a building file's ``[energy.tariff]`` table, e.g.
    ``kind = "tou"``, ``price = 0.20``, ``export_price = 0.04``, ``demand_charge_per_kw =
    15``, ``periods = [{start_hour = 16, end_hour = 21, price = 0.45, days = "weekday"}]``."""
    known = {"kind", "price", "export_price", "demand_charge_per_kw", "currency", "periods"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise TariffError(f"[energy.tariff] has unknown keys: {', '.join(unknown)}")
    raw: Sequence[Any] = table.get("periods", ())
    if not isinstance(raw, list | tuple):
        raise TariffError("[energy.tariff] periods must be a list of tables")
    periods = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise TariffError("[energy.tariff] each period must be a table")
        try:
            periods.append(TouPeriod(start_hour=float(item["start_hour"]),
                                     end_hour=float(item["end_hour"]),
                                     price=float(item["price"]), days=item.get("days", "all")))
        except KeyError as exc:
            raise TariffError(f"[energy.tariff] a period lacks {exc.args[0]}") from None
    kind = table.get("kind", "tou" if periods else "flat")
    if kind == "series":
        raise TariffError("[energy.tariff] kind 'series' comes from price events or a feed, "
                          "not from the building file")
    return Tariff(kind=kind, price=_number(table, "price", 0.25), periods=tuple(periods),
                  export_price=_number(table, "export_price", 0.05),
                  demand_charge_per_kw=_number(table, "demand_charge_per_kw", 0.0),
                  currency=str(table.get("currency", "USD")), timezone=timezone)
