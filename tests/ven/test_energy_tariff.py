"""Energy manager tariffs, strategies and [energy] settings: prices per interval, the month's
peak, config checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from ven.energy.config import EnergyConfigError, energy_config
from ven.energy.strategy import Strategy, StrategyError, strategy_from_config
from ven.energy.tariff import MonthPeak, Tariff, TariffError, TouPeriod, tariff_from_config


def _day(tz: str = "UTC") -> pd.DatetimeIndex:
    return pd.date_range(datetime(2026, 7, 6, tzinfo=UTC), periods=24, freq="1h")


def test_flat_tariff_prices_every_interval_alike() -> None:
    prices = Tariff(price=0.3).import_prices(_day())
    assert list(prices) == [0.3] * 24


def test_tou_periods_apply_by_local_hour_first_match_wins() -> None:
    tariff = Tariff(kind="tou", price=0.2, timezone="America/Los_Angeles", periods=(
        TouPeriod(start_hour=16, end_hour=21, price=0.5),
        TouPeriod(start_hour=15, end_hour=22, price=0.4),
        TouPeriod(start_hour=22, end_hour=6, price=0.1)))
    prices = tariff.import_prices(_day())  # 2026-07-06 00:00 UTC = 17:00 PDT on Sunday
    local_hours = [(h + 17) % 24 for h in range(24)]
    expected = {h: 0.5 if 16 <= h < 21 else 0.4 if h in (15, 21) else
                0.1 if (h >= 22 or h < 6) else 0.2 for h in range(24)}
    assert list(prices) == [expected[h] for h in local_hours]


def test_tou_weekday_rule_skips_the_weekend() -> None:
    tariff = Tariff(kind="tou", price=0.2, periods=(
        TouPeriod(start_hour=0, end_hour=24, price=0.5, days="weekday"),))
    saturday = pd.date_range(datetime(2026, 7, 4, tzinfo=UTC), periods=2, freq="1h")
    monday = pd.date_range(datetime(2026, 7, 6, tzinfo=UTC), periods=2, freq="1h")
    assert list(tariff.import_prices(saturday)) == [0.2, 0.2]
    assert list(tariff.import_prices(monday)) == [0.5, 0.5]


def test_series_tariff_holds_the_last_published_price() -> None:
    series = pd.Series([0.4, 0.1], index=pd.DatetimeIndex(
        [datetime(2026, 7, 6, 2, tzinfo=UTC), datetime(2026, 7, 6, 5, 30, tzinfo=UTC)]))
    prices = Tariff(price=0.25).with_series(series).import_prices(_day())
    assert list(prices[:8]) == [0.25, 0.25, 0.4, 0.4, 0.4, 0.4, 0.1, 0.1]


def test_month_peak_remembers_the_month_and_resets_on_a_new_one() -> None:
    tariff = Tariff(demand_charge_per_kw=15.0, timezone="America/Los_Angeles")
    peak = MonthPeak()
    peak.record(tariff, datetime(2026, 7, 10, 18, tzinfo=UTC), 40.0)
    peak.record(tariff, datetime(2026, 7, 20, 18, tzinfo=UTC), 30.0)
    assert peak.so_far(tariff, datetime(2026, 7, 31, 12, tzinfo=UTC)) == 40.0
    # 1 August 03:00 UTC is still 31 July in Los Angeles
    assert peak.so_far(tariff, datetime(2026, 8, 1, 3, tzinfo=UTC)) == 40.0
    assert peak.so_far(tariff, datetime(2026, 8, 1, 12, tzinfo=UTC)) == 0.0
    peak.record(tariff, datetime(2026, 8, 1, 12, tzinfo=UTC), 10.0)
    assert peak.peak_kw == 10.0


def test_tariff_config_reads_periods_and_refuses_bad_input() -> None:
    tariff = tariff_from_config({"price": 0.2, "demand_charge_per_kw": 12, "periods": [
        {"start_hour": 16, "end_hour": 21, "price": 0.45, "days": "weekday"}]},
        timezone="Europe/Paris")
    assert tariff.kind == "tou" and tariff.demand_charge_per_kw == 12.0
    assert tariff.periods[0].price == 0.45
    with pytest.raises(TariffError, match="unknown keys: colour"):
        tariff_from_config({"colour": "red"})
    with pytest.raises(TariffError, match="lacks price"):
        tariff_from_config({"periods": [{"start_hour": 1, "end_hour": 2}]})
    with pytest.raises(TariffError, match="days must be"):
        TouPeriod(start_hour=1, end_hour=2, price=1.0, days="holidays")  # type: ignore[arg-type]
    with pytest.raises(TariffError, match="tz-aware"):
        Tariff().import_prices(pd.date_range("2026-07-06", periods=2, freq="1h"))
    with pytest.raises(TariffError, match="price series"):
        Tariff(kind="series")


def test_strategies_presets_and_config() -> None:
    assert Strategy.named("economic").comfort == 0.0
    assert Strategy.named("comfort").comfort == 1.0
    assert Strategy.named("environmental").carbon == 1.0
    balanced = strategy_from_config({"strategy": "balanced",
                                     "weights": {"comfort": 2.0, "carbon": 0.5}})
    assert (balanced.cost, balanced.comfort, balanced.carbon) == (1.0, 2.0, 0.5)
    with pytest.raises(StrategyError, match="one of economic"):
        Strategy.named("greedy")
    with pytest.raises(StrategyError, match="only the balanced"):
        Strategy.named("economic", comfort=1.0)
    with pytest.raises(StrategyError, match="unknown keys"):
        strategy_from_config({"strategy": "balanced", "weights": {"joy": 1}})
    with pytest.raises(StrategyError, match=">= 0"):
        Strategy.named("balanced", cost=-1.0)


def test_energy_table_is_off_unless_configured_and_checked() -> None:
    assert energy_config(None) is None
    config = energy_config({"strategy": "comfort", "horizon_h": 6, "step_min": 15,
                            "tariff": {"price": 0.3}}, timezone="Europe/Paris")
    assert config is not None
    assert config.strategy.name == "comfort" and config.horizon == timedelta(hours=6)
    assert config.tariff.price == 0.3 and config.tariff.timezone == "Europe/Paris"
    with pytest.raises(EnergyConfigError, match=r"horizon_h must be a number in 1\.\.48"):
        energy_config({"horizon_h": 72})
    with pytest.raises(EnergyConfigError, match="whole number of steps"):
        energy_config({"horizon_h": 1, "step_min": 40})
    with pytest.raises(EnergyConfigError, match="unknown keys: stratgy"):
        energy_config({"stratgy": "economic"})
