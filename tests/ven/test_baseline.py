"""Customer baseline: hand-computed X-of-Y vectors, DST alignment, missing data, fallbacks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.baselines.adjustment import apply, same_day_adjustment
from common.baselines.presets import CAISO, NYISO, PJM, PRESET_ADJUSTMENTS
from common.clock import ManualClock
from common.errors import ConfigError
from ven.baseline import (
    CAISO_10_IN_10,
    NO_ADJUSTMENT,
    NYISO_5_OF_10,
    PJM_HIGH_4_OF_5,
    AdjustmentKind,
    BaselineConfig,
    Confidence,
    DayType,
    Method,
    SameDayAdjustment,
    Selection,
    XofYRule,
    compute_baseline,
)
from ven.brain import BuildingBrain
from ven.brain.dryrun import make_signal
from ven.brain.planning import EventPlan, event_baseline
from ven.brain.words import describe_plan
from ven.client.readings import PointKind
from ven.devices.config import parse_building
from ven.measurements import BuildingReadings

TZ = "America/Los_Angeles"
LA = ZoneInfo(TZ)
D = date
JULY_4 = D(2024, 7, 4)  # a holiday (Thursday)
JULY_1 = D(2024, 7, 1)  # an earlier event day (Monday)
CAISO_PLAIN = replace(CAISO_10_IN_10, adjustment=NO_ADJUSTMENT)


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """A local wall-clock time in Los Angeles."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LA)


def metered(
    level: Mapping[date, float] | Callable[[date], float],
    first: date,
    last: date,
    *,
    freq: str = "1h",
    until: datetime | None = None,
    shape: Callable[[np.ndarray], np.ndarray] = lambda hour: hour,
) -> pd.Series:
    """Load [kW] = level(local day) + shape(local hour), from `first` to `last` (inclusive)
    or `until`, on a UTC index. Days missing from a mapping have no readings."""
    end = until or at(last + timedelta(days=1))
    local = pd.date_range(at(first), end, freq=freq, inclusive="left")
    days = local.date
    get = level.get if isinstance(level, Mapping) else level
    levels = np.array([get(d) for d in days], dtype=float)
    load = pd.Series(levels + shape(local.hour.to_numpy()), index=local.tz_convert("UTC"))
    return load.dropna()


def july(weekday_level: Callable[[date], float], weekend: float = 500.0) -> Callable:
    """Levels for June-July 2024: the holiday and the earlier event day at 1000 kW."""

    def level(day: date) -> float:
        if day in (JULY_4, JULY_1):
            return 1000.0
        return weekday_level(day) if day.weekday() < 5 else weekend

    return level


def with_event_day(history: pd.Series, day: date, load: Callable[[int], float]) -> pd.Series:
    """Add the event day's readings before 14:00 local, load(hour) [kW]."""
    local = pd.date_range(at(day), at(day, 14), freq="1h", inclusive="left")
    extra = pd.Series([load(h) for h in local.hour], index=local.tz_convert("UTC"))
    return pd.concat([history, extra]).sort_index()


def event(day: date, first_hour: int = 14, last_hour: int = 18) -> dict:
    return {"start": at(day, first_hour), "end": at(day, last_hour), "timezone": TZ}


WED = D(2024, 7, 17)
CAISO_DAYS = (
    D(2024, 7, 16), D(2024, 7, 15), D(2024, 7, 12), D(2024, 7, 11), D(2024, 7, 10),
    D(2024, 7, 9), D(2024, 7, 8), D(2024, 7, 5), D(2024, 7, 3), D(2024, 7, 2),
)  # the 10 most recent weekdays before Wed 17 July without 4 July (holiday) and 1 July (event)


def caiso_history(event_factor: float) -> pd.Series:
    """Those 10 weekdays at 100 kW + hour; older weekdays at 0, weekends at 500."""
    level = july(lambda d: 100.0 if d >= D(2024, 7, 2) else 0.0)
    history = metered(level, D(2024, 6, 1), D(2024, 7, 16))
    return with_event_day(history, WED, lambda h: event_factor * (100 + h))


# --- hand-computed X-of-Y vectors --------------------------------------------------------


def test_caiso_10_in_10_ratio_within_cap():
    result = compute_baseline(
        caiso_history(1.1), **event(WED), event_days={JULY_1}, holidays={JULY_4}
    )
    # unadjusted 100 + h; window 10:00-13:00: actual 1.1 × 111 / 111 = 1.1
    assert result.method is Method.X_OF_Y
    assert result.days_used == CAISO_DAYS
    assert result.adjustment.value == pytest.approx(1.1)
    assert not result.adjustment.capped
    assert result.baseline.to_list() == pytest.approx([125.4, 126.5, 127.6, 128.7])
    assert result.confidence is Confidence.HIGH
    assert str(result.baseline.index.tz) == "UTC"
    assert result.baseline.index[0] == pd.Timestamp("2024-07-17 21:00", tz="UTC")
    assert result.energy_kwh == pytest.approx(125.4 + 126.5 + 127.6 + 128.7)


def test_caiso_10_in_10_ratio_hits_the_cap():
    result = compute_baseline(
        caiso_history(1.5), **event(WED), event_days={JULY_1}, holidays={JULY_4}
    )
    assert result.adjustment.capped
    assert result.adjustment.value == pytest.approx(1.2)
    assert result.baseline.to_list() == pytest.approx([136.8, 138.0, 139.2, 140.4])
    assert result.confidence is Confidence.MEDIUM
    assert "cap" in result.note


def test_holiday_and_event_day_would_count_if_not_excluded():
    result = compute_baseline(caiso_history(1.0), **event(WED))
    assert JULY_4 in result.days_used and D(2024, 7, 2) not in result.days_used


def test_nyiso_5_highest_of_10_with_in_day_ratio():
    levels = dict(zip(CAISO_DAYS, [103, 110, 101, 108, 105, 109, 102, 106, 104, 107], strict=True))
    history = metered(july(lambda d: levels.get(d, 200.0)), D(2024, 6, 1), D(2024, 7, 16))
    # adjustment window: the 2 hours beginning 4 hours before 14:00, i.e. 10:00-12:00
    day_of = {10: 1.05 * 118, 11: 1.05 * 119}
    history = with_event_day(history, WED, lambda h: day_of.get(h, 500.0))
    result = compute_baseline(
        history, **event(WED), config=NYISO_5_OF_10, event_days={JULY_1}, holidays={JULY_4}
    )
    # highest five: 110, 109, 108, 107, 106 -> 108 + h, × 1.05
    assert result.days_used == (
        D(2024, 7, 15), D(2024, 7, 11), D(2024, 7, 9), D(2024, 7, 5), D(2024, 7, 2),
    )
    assert result.adjustment.value == pytest.approx(1.05)
    assert result.baseline.to_list() == pytest.approx([128.1, 129.15, 130.2, 131.25])
    assert result.confidence is Confidence.HIGH


def test_pjm_high_4_of_5_with_additive_adjustment():
    levels = dict(zip(CAISO_DAYS[:5], [100, 104, 96, 108, 92], strict=True))
    history = metered(july(lambda d: levels.get(d, 300.0)), D(2024, 6, 1), D(2024, 7, 16))
    # window: the 3 hours ending 1 hour before 14:00 (10:00-13:00); 13:00 is not used
    history = with_event_day(history, WED, lambda h: 102 + h + 7 if 10 <= h < 13 else 500.0)
    result = compute_baseline(history, **event(WED), config=PJM_HIGH_4_OF_5)
    # highest four: 108, 104, 100, 96 -> 102 + h, + 7 kW
    assert result.days_used == CAISO_DAYS[:4]
    assert result.adjustment.kind is AdjustmentKind.ADDITIVE
    assert result.adjustment.value == pytest.approx(7.0)
    assert result.baseline.to_list() == pytest.approx([123.0, 124.0, 125.0, 126.0])


def test_additive_cap_limits_the_offset():
    levels = dict(zip(CAISO_DAYS[:5], [100, 104, 96, 108, 92], strict=True))
    history = metered(july(lambda d: levels.get(d, 300.0)), D(2024, 6, 1), D(2024, 7, 16))
    history = with_event_day(history, WED, lambda h: 2 * (102 + h))
    capped = replace(
        PJM_HIGH_4_OF_5,
        adjustment=replace(PJM_HIGH_4_OF_5.adjustment, cap=0.1),
    )
    result = compute_baseline(history, **event(WED), config=capped)
    # baseline over 10:00-13:00 is 113 kW on average; the offset is capped at 11.3 kW
    assert result.adjustment.capped
    assert result.adjustment.value == pytest.approx(11.3)
    assert result.baseline.iloc[0] == pytest.approx(116 + 11.3)


def test_mid_4_of_6_drops_highest_and_lowest():
    levels = dict(zip(CAISO_DAYS[:6], [100, 150, 90, 110, 50, 120], strict=True))
    history = metered(july(lambda d: levels.get(d, 300.0)), D(2024, 6, 1), D(2024, 7, 16))
    result = compute_baseline(history, **event(WED), config=BaselineConfig.mid_x_of_y(4, 6))
    assert result.days_used == (D(2024, 7, 16), D(2024, 7, 12), D(2024, 7, 11), D(2024, 7, 9))
    assert result.baseline.to_list() == pytest.approx([119.0, 120.0, 121.0, 122.0])
    assert result.adjustment.kind is AdjustmentKind.NONE


def test_caiso_weekend_4_in_4_counts_holidays_and_skips_event_days():
    sat = D(2024, 7, 20)
    levels = {D(2024, 7, 14): 60.0, D(2024, 7, 7): 70.0, D(2024, 7, 6): 80.0, JULY_4: 90.0,
              D(2024, 7, 13): 1000.0}
    history = metered(
        lambda d: levels.get(d, 500.0 if d.weekday() < 5 else 0.0), D(2024, 6, 1), D(2024, 7, 19)
    )
    history = with_event_day(history, sat, lambda h: 75.0 + h)
    result = compute_baseline(
        history, **event(sat), event_days={D(2024, 7, 13)}, holidays={JULY_4}
    )
    assert result.days_used == (D(2024, 7, 14), D(2024, 7, 7), D(2024, 7, 6), JULY_4)
    assert result.adjustment.value == pytest.approx(1.0)
    assert result.baseline.to_list() == pytest.approx([89.0, 90.0, 91.0, 92.0])
    assert result.days_required == 2


def test_nyiso_weekend_uses_the_same_day_of_week():
    sat = D(2024, 7, 20)
    levels = {D(2024, 7, 13): 80.0, D(2024, 7, 6): 90.0, D(2024, 6, 29): 70.0}
    history = metered(
        lambda d: levels.get(d, 300.0 if d.weekday() == 5 else 1000.0),
        D(2024, 6, 1), D(2024, 7, 19),
    )
    history = with_event_day(history, sat, lambda h: 85.0 + h)
    result = compute_baseline(history, **event(sat), config=NYISO_5_OF_10)
    assert result.days_used == (D(2024, 7, 13), D(2024, 7, 6))
    assert result.baseline.to_list() == pytest.approx([99.0, 100.0, 101.0, 102.0])


# --- DST: "same time" is the same local wall-clock time -----------------------------------

ONE_OF_ONE_SAME_WEEKDAY = BaselineConfig(
    name="1 of 1",
    weekday=XofYRule(x=1, y=1, day_type=DayType.DAY_OF_WEEK),
    weekend=XofYRule(x=1, y=1, day_type=DayType.DAY_OF_WEEK),
)


def test_days_before_spring_forward_align_on_local_time():
    monday = D(2024, 3, 11)  # DST began on Sunday 10 March
    history = metered(lambda d: 100.0, D(2024, 1, 20), D(2024, 3, 10))
    result = compute_baseline(history, **event(monday), config=CAISO_PLAIN)
    assert min(result.days_used) < D(2024, 3, 10)
    assert result.baseline.to_list() == pytest.approx([114.0, 115.0, 116.0, 117.0])


def test_spring_forward_day_lacks_the_skipped_hour():
    history = metered({D(2024, 3, 3): 80.0, D(2024, 3, 10): 50.0}, D(2024, 3, 3), D(2024, 3, 16))
    result = compute_baseline(
        history, **event(D(2024, 3, 17), 2, 3), config=ONE_OF_ONE_SAME_WEEKDAY
    )
    assert result.days_used == (D(2024, 3, 3),)  # 10 March has no 02:00, so it is ineligible
    assert result.baseline.to_list() == pytest.approx([82.0])


def test_fall_back_event_day_repeats_the_baseline_of_the_repeated_hour():
    sunday = D(2024, 11, 3)  # 01:00-02:00 happens twice
    history = metered(lambda d: 100.0, D(2024, 10, 20), D(2024, 11, 2))
    result = compute_baseline(history, **event(sunday, 0, 3), config=ONE_OF_ONE_SAME_WEEKDAY)
    assert len(result.baseline) == 4  # three wall-clock hours, four real ones
    assert result.baseline.to_list() == pytest.approx([100.0, 101.0, 101.0, 102.0])


def test_fall_back_history_day_averages_the_repeated_hour():
    history = metered(lambda d: 100.0, D(2024, 11, 3), D(2024, 11, 9))
    history[pd.Timestamp("2024-11-03 09:00", tz="UTC")] = 121.0  # the second 01:00 (PST)
    result = compute_baseline(
        history, **event(D(2024, 11, 10), 1, 2), config=ONE_OF_ONE_SAME_WEEKDAY
    )
    assert result.days_used == (D(2024, 11, 3),)
    assert result.baseline.to_list() == pytest.approx([(101.0 + 121.0) / 2])


def test_amsterdam_spring_forward_alignment():
    history = pd.Series(
        7.0,
        index=pd.date_range("2024-03-18", "2024-04-02", freq="15min", tz="Europe/Amsterdam"),
    )
    wall = history.index.hour.to_numpy()
    history = (history + wall).tz_convert("UTC")  # 7 kW + local hour
    ams = ZoneInfo("Europe/Amsterdam")
    start = datetime(2024, 4, 2, 9, tzinfo=ams)  # DST began on 31 March
    result = compute_baseline(
        history[history.index < start], start=start, end=start + timedelta(hours=1),
        timezone="Europe/Amsterdam", config=CAISO_PLAIN,
    )
    assert result.baseline.to_list() == pytest.approx([16.0] * 4)


# --- missing intervals --------------------------------------------------------------------

TWO_OF_TWO = BaselineConfig(
    name="2 of 2", weekday=XofYRule(x=2, y=2, min_days=1), weekend=XofYRule(x=2, y=2)
)


def fifteen_minute(levels: Mapping[date, float], missing: list[str]) -> pd.Series:
    history = metered(levels, D(2024, 7, 12), D(2024, 7, 16), freq="15min")
    gaps = pd.DatetimeIndex([pd.Timestamp(m, tz=LA) for m in missing]).tz_convert("UTC")
    return history.drop(gaps)


def test_days_with_too_many_missing_intervals_are_ineligible():
    levels = {D(2024, 7, 16): 300.0, D(2024, 7, 15): 100.0, D(2024, 7, 12): 200.0}
    # 16 July misses 2 of 16 event intervals (12.5 % > 10 %); 15 July misses 1 (6.25 %)
    history = fifteen_minute(levels, ["2024-07-16 14:00", "2024-07-16 16:30", "2024-07-15 15:00"])
    result = compute_baseline(history, **event(WED), config=TWO_OF_TWO)
    assert result.days_used == (D(2024, 7, 15), D(2024, 7, 12))
    expected = np.repeat([164.0, 165.0, 166.0, 167.0], 4)
    expected[4] = 215.0  # 15:00 only from 12 July
    assert result.baseline.to_list() == pytest.approx(expected.tolist())
    assert result.confidence is Confidence.HIGH  # 1 of 32 intervals missing
    assert result.interval == timedelta(minutes=15)


def test_a_gap_no_day_covers_is_interpolated_and_lowers_confidence():
    one = BaselineConfig(name="1 of 1", weekday=XofYRule(x=1, y=1), weekend=XofYRule(x=1, y=1))
    history = fifteen_minute({D(2024, 7, 16): 100.0}, ["2024-07-16 15:00"])
    result = compute_baseline(history, **event(WED), config=one)
    assert result.baseline.iloc[4] == pytest.approx((114.0 + 115.0) / 2)
    assert result.confidence is Confidence.MEDIUM
    assert "interpolated" in result.note


def test_adjustment_without_day_of_data_is_skipped_and_flagged():
    history = caiso_history(1.0)
    history = history[history.index < pd.Timestamp(at(WED))]
    result = compute_baseline(history, **event(WED), event_days={JULY_1}, holidays={JULY_4})
    assert not result.adjustment.applied and result.adjustment.value == 1.0
    assert result.baseline.to_list() == pytest.approx([114.0, 115.0, 116.0, 117.0])
    assert result.confidence is Confidence.MEDIUM


def test_readings_during_the_event_are_ignored():
    history = caiso_history(1.0)
    during = pd.Series(0.0, index=pd.date_range(at(WED, 14), at(WED, 18), freq="1h"))
    with_event = pd.concat([history, during.tz_convert("UTC")])
    kwargs = {"event_days": {JULY_1}, "holidays": {JULY_4}}
    assert compute_baseline(with_event, **event(WED), **kwargs).baseline.equals(
        compute_baseline(history, **event(WED), **kwargs).baseline
    )


# --- the fallback chain -------------------------------------------------------------------


def test_fallback_same_time_yesterday():
    history = metered({D(2024, 7, 15): 90.0, D(2024, 7, 16): 100.0}, D(2024, 7, 15), D(2024, 7, 16))
    result = compute_baseline(history, **event(WED), config=CAISO_PLAIN)
    assert result.method is Method.SAME_TIME_YESTERDAY
    assert result.days_used == (D(2024, 7, 16),)
    assert result.baseline.to_list() == pytest.approx([114.0, 115.0, 116.0, 117.0])
    assert result.confidence is Confidence.MEDIUM
    assert "x-of-y skipped: 2 eligible" in result.note


def test_fallback_same_time_yesterday_of_another_day_type_is_low():
    history = metered(lambda d: 50.0, D(2024, 7, 13), D(2024, 7, 14))  # Sat and Sun
    result = compute_baseline(history, **event(D(2024, 7, 15)), config=CAISO_PLAIN)
    assert result.method is Method.SAME_TIME_YESTERDAY
    assert result.confidence is Confidence.LOW


def test_fallback_recent_weighted_average():
    levels = {D(2024, 7, 13): 60.0, D(2024, 7, 14): 90.0, D(2024, 7, 15): 120.0,
              D(2024, 7, 16): 1000.0}
    history = metered(levels, D(2024, 7, 13), D(2024, 7, 16))
    result = compute_baseline(
        history, **event(WED), config=CAISO_PLAIN, event_days={D(2024, 7, 16)}
    )
    # (3 × 120 + 2 × 90 + 1 × 60) / 6 = 100
    assert result.method is Method.RECENT_WEIGHTED_AVERAGE
    assert result.days_used == (D(2024, 7, 15), D(2024, 7, 14), D(2024, 7, 13))
    assert result.baseline.to_list() == pytest.approx([114.0, 115.0, 116.0, 117.0])
    assert result.confidence is Confidence.LOW  # 3 days, 5 required


def test_fallback_same_hour_average():
    history = metered({D(2024, 7, 15): 80.0, D(2024, 7, 16): 120.0}, D(2024, 7, 15),
                      D(2024, 7, 16), freq="15min")
    history = history.iloc[::2]  # half of every hour missing: no day is complete enough
    quarter = timedelta(minutes=15)  # the most common step is now 30 min: say what it is
    result = compute_baseline(history, **event(WED), config=CAISO_PLAIN, interval=quarter)
    assert result.method is Method.SAME_HOUR_AVERAGE
    assert result.baseline.to_list() == pytest.approx(np.repeat([114.0, 115, 116, 117], 4))
    assert result.confidence is Confidence.LOW


def test_fallback_overall_average():
    history = metered(lambda d: 100.0, D(2024, 7, 15), D(2024, 7, 16))
    history = history[history.index.tz_convert(LA).hour < 6]  # only metered 00:00-06:00
    result = compute_baseline(history, **event(WED), config=CAISO_PLAIN)
    assert result.method is Method.OVERALL_AVERAGE
    assert result.baseline.to_list() == pytest.approx([102.5] * 4)
    assert result.confidence is Confidence.LOW


@pytest.mark.parametrize(
    "history",
    [
        pd.Series([], dtype=float),
        pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC")),
        pd.Series(np.nan, index=pd.date_range("2024-07-10", periods=48, freq="1h", tz="UTC")),
        pd.Series(5.0, index=pd.date_range(at(WED, 14), periods=4, freq="1h")),  # after start
    ],
    ids=["empty", "empty-utc", "all-nan", "only-during-event"],
)
def test_no_history_gives_a_flagged_empty_result(history):
    result = compute_baseline(history, **event(WED))
    assert result.method is Method.NONE and not result.ok
    assert result.confidence is Confidence.LOW
    assert result.days_used == ()
    assert len(result.baseline) > 0 and result.baseline.isna().all()
    assert np.isnan(result.energy_kwh)
    assert "no baseline" in result.note


# --- invalid parameters -------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: XofYRule(x=0, y=10),
        lambda: XofYRule(x=5, y=4),
        lambda: XofYRule(x=3, y=6, selection=Selection.MIDDLE),
        lambda: XofYRule(x=5, y=10, min_days=11),
        lambda: SameDayAdjustment(kind=AdjustmentKind.RATIO, cap=-0.1),
        lambda: SameDayAdjustment(kind=AdjustmentKind.RATIO, cap=1.0),
        lambda: SameDayAdjustment(kind=AdjustmentKind.ADDITIVE, window=timedelta(0)),
        lambda: replace(CAISO_10_IN_10, lookback_days=5),
        lambda: replace(CAISO_10_IN_10, max_missing_share=1.0),
    ],
)
def test_invalid_configuration_raises_config_error(make):
    with pytest.raises(ConfigError):
        make()


@pytest.mark.parametrize(
    "change",
    [
        {"start": datetime(2024, 7, 17, 14)},  # naive
        {"end": at(WED, 13)},  # before start
        {"timezone": "Mars/Olympus_Mons"},
        {"start": at(WED, 14, 7)},  # off the interval grid
        {"interval": timedelta(minutes=7)},
    ],
)
def test_invalid_call_raises_config_error(change):
    kwargs = {**event(WED), **change}
    with pytest.raises(ConfigError):
        compute_baseline(caiso_history(1.0), **kwargs)


def test_history_must_be_tz_aware():
    naive = pd.Series(1.0, index=pd.date_range("2024-07-10", periods=4, freq="1h"))
    with pytest.raises(ConfigError, match="timezone-aware"):
        compute_baseline(naive, **event(WED))


# --- speed and properties -----------------------------------------------------------------


def test_a_year_of_15_minute_data_uses_x_of_y():
    index = pd.date_range(at(D(2023, 7, 17)), at(WED, 14), freq="15min", inclusive="left")
    rng = np.random.default_rng(7)
    history = pd.Series(rng.uniform(50, 150, len(index)), index=index.tz_convert("UTC"))
    for config in (CAISO_10_IN_10, NYISO_5_OF_10, PJM_HIGH_4_OF_5):
        result = compute_baseline(history, **event(WED), config=config)
        assert result.method is Method.X_OF_Y and len(result.baseline) == 16


@settings(max_examples=40, deadline=None)
@given(
    n_hours=st.integers(0, 24 * 12),
    missing=st.floats(0, 1),
    seed=st.integers(0, 2**16),
    hour=st.integers(0, 20),
    config=st.sampled_from([CAISO_10_IN_10, NYISO_5_OF_10, PJM_HIGH_4_OF_5]),
)
def test_baseline_is_finite_or_flagged(n_hours, missing, seed, hour, config):
    rng = np.random.default_rng(seed)
    start = at(WED, hour)
    index = pd.date_range(end=start - timedelta(hours=1), periods=n_hours, freq="1h")
    load = rng.uniform(0, 200, n_hours)
    load[rng.random(n_hours) < missing] = np.nan
    history = pd.Series(load, index=index.tz_convert("UTC"), dtype=float)
    result = compute_baseline(
        history, start=start, end=start + timedelta(hours=3), timezone=TZ, config=config,
        interval=timedelta(hours=1),
    )
    assert result.method in Method and result.confidence in Confidence
    assert len(result.baseline) == 3
    if result.ok:
        assert np.isfinite(result.baseline.to_numpy()).all()
    else:
        assert result.baseline.isna().all()


def test_public_api_is_pinned():
    import ven.baseline

    assert sorted(ven.baseline.__all__) == sorted([
        "CAISO_10_IN_10", "NO_ADJUSTMENT", "NYISO_5_OF_10", "PJM_HIGH_4_OF_5", "AdjustmentKind",
        "AppliedAdjustment", "BaselineConfig", "BaselineResult", "Confidence", "DayType",
        "Method", "SameDayAdjustment", "Selection", "XofYRule", "compute_baseline", "preset",
    ])


def test_adjustment_window_must_fit_the_interval():
    odd = replace(
        CAISO_10_IN_10, adjustment=replace(CAISO_10_IN_10.adjustment, gap=timedelta(minutes=20))
    )
    with pytest.raises(ConfigError, match="multiples"):
        compute_baseline(caiso_history(1.0), **event(WED), config=odd)


def test_a_bad_adjustment_window_is_named_in_words():
    with pytest.raises(ConfigError, match=r"window must be positive, got 0 s$"):
        SameDayAdjustment(kind=AdjustmentKind.RATIO, window=timedelta(0))
    with pytest.raises(ConfigError, match=r"gap must not be negative, got -15 min$"):
        SameDayAdjustment(kind=AdjustmentKind.RATIO, gap=timedelta(minutes=-15))


# ---- the VEN's reported baseline carries the programme preset's day-of adjustment --------------

BUILDINGS = Path(__file__).resolve().parents[2] / "examples" / "buildings"
OFFICE_EVENT = datetime(2026, 7, 15, 21, 0, tzinfo=UTC)  # Wednesday 14:00 PDT
QUARTER = timedelta(minutes=15)


def office_with_event(building_file: Path) -> tuple[BuildingBrain, EventPlan]:
    """The office brain run up to 15 min before a 1-hour SIMPLE level 2 event, planned."""
    clock = ManualClock(OFFICE_EVENT - timedelta(hours=5))
    brain = BuildingBrain.simulated(building_file, clock, seed=3)
    while clock.now() < OFFICE_EVENT - QUARTER:
        clock.advance(QUARTER)
        brain.tick()
    signal = make_signal("SIMPLE", start=OFFICE_EVENT, duration=timedelta(hours=1), level=2)
    plan = brain.plan("ev-1", 0, [signal])
    assert plan is not None
    return brain, plan


async def reported(brain: BuildingBrain, kind: PointKind, start: datetime,
                   end: datetime) -> np.ndarray:
    readings = await BuildingReadings(brain).read(kind, kind.value, start, end, QUARTER)
    return np.array([r.value for r in readings])


@pytest.mark.parametrize(("preset_line", "name", "kind"), [
    ("", CAISO, AdjustmentKind.RATIO),
    ('baseline = "pjm-high-4-of-5"', PJM, AdjustmentKind.ADDITIVE)])
async def test_reported_baseline_carries_the_presets_day_of_adjustment(
        tmp_path: Path, preset_line: str, name: str, kind: AdjustmentKind):
    building = tmp_path / "office.toml"
    building.write_text((BUILDINGS / "office.toml").read_text()
                        + f"\n[programme]\n{preset_line}\n")
    brain, plan = office_with_event(building)
    adjustment = plan.baseline.adjustment
    rule = PRESET_ADJUSTMENTS[name]
    assert plan.baseline.config_name == name and BuildingReadings(brain).baseline_method == name
    assert adjustment.applied and adjustment.kind is kind and adjustment.rule == rule
    # inside the event: the unadjusted profile, adjusted
    end = OFFICE_EVENT + timedelta(hours=1)
    event = await reported(brain, PointKind.BASELINE, OFFICE_EVENT, end)
    plain = event_baseline(brain.meter.history_kw(), brain.building, OFFICE_EVENT, end,
                           adjusted=False).baseline.to_numpy()
    assert len(event) == 4
    assert event == pytest.approx(apply(plain, adjustment), abs=1e-3)
    assert not np.allclose(event, plain, atol=1e-3)  # the adjustment changed it
    # before it: unadjusted, so the usage and baseline reported over the preset's window give
    # the VEN's adjustment again (what the VTN computes)
    window = (OFFICE_EVENT - rule.lead, OFFICE_EVENT - rule.gap)
    again = same_day_adjustment(await reported(brain, PointKind.BASELINE, *window),
                                await reported(brain, PointKind.USAGE, *window), rule, 0.1)
    assert again.value == pytest.approx(adjustment.value, rel=1e-3, abs=1e-3)
    assert "3 h ending 1 h before the event" in describe_plan(plan, brain.building, UTC)


def test_building_file_names_a_known_baseline_preset():
    text = (BUILDINGS / "office.toml").read_text()
    with pytest.raises(ConfigError, match=r"programme\.baseline.*must name a baseline preset"):
        parse_building(text + '\n[programme]\nbaseline = "ERCOT 8-of-10"\n')
    assert parse_building(text + '\n[programme]\nbaseline = "NYISO 5-of-10"\n'
                          ).programme.baseline == NYISO


async def test_event_planned_before_its_adjustment_window_is_replanned_once_it_is_complete(
        caplog: pytest.LogCaptureFixture):
    clock = ManualClock(OFFICE_EVENT - timedelta(hours=5))
    brain = BuildingBrain.simulated(BUILDINGS / "office.toml", clock, seed=3)
    while clock.now() < OFFICE_EVENT - timedelta(hours=3):
        clock.advance(QUARTER)
        brain.tick()
    signal = make_signal("SIMPLE", start=OFFICE_EVENT, duration=timedelta(hours=1), level=2)
    early = brain.plan("ev-1", 0, [signal])
    assert early is not None
    assert not early.baseline.adjustment.applied
    assert "lacks data" in early.baseline.adjustment.reason
    rule = PRESET_ADJUSTMENTS[CAISO]
    caplog.set_level("INFO", logger="ven.brain")
    while clock.now() < OFFICE_EVENT - rule.gap - QUARTER:
        clock.advance(QUARTER)
        brain.tick()
    assert brain.plans["ev-1"].baseline is early.baseline  # the window is not complete yet
    assert "day-of adjustment now applied" not in caplog.text
    clock.advance(QUARTER)  # the window ends (1 h before the event)
    brain.tick()
    plan = brain.plans["ev-1"]
    adjustment = plan.baseline.adjustment
    assert adjustment.applied and adjustment.kind is AdjustmentKind.RATIO
    assert adjustment.value != 1.0
    lines = [r for r in caplog.records if "day-of adjustment now applied" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelname == "INFO"
    assert f"×{adjustment.value:.3f}" in lines[0].getMessage()
    end = OFFICE_EVENT + timedelta(hours=1)
    plain = event_baseline(brain.meter.history_kw(), brain.building, OFFICE_EVENT, end,
                           adjusted=False).baseline.to_numpy()
    assert plan.baseline.baseline.to_numpy() == pytest.approx(apply(plain, adjustment),
                                                               abs=1e-3)
    event = await reported(brain, PointKind.BASELINE, OFFICE_EVENT, end)
    assert event == pytest.approx(apply(plain, adjustment), abs=1e-3)
    assert plan.request.baseline_kw.to_numpy() == pytest.approx(
        apply(early.request.baseline_kw.to_numpy(), adjustment), abs=1e-3)
    # further ticks do not re-plan again for the adjustment
    clock.advance(QUARTER)
    brain.tick()
    assert len([r for r in caplog.records
                if "day-of adjustment now applied" in r.getMessage()]) == 1


# ---- events close together: the day-of window is moved back before the earlier ones ------------


def test_an_earlier_event_moves_the_adjustment_window_before_it():
    level = july(lambda d: 100.0 if d >= D(2024, 7, 2) else 0.0)
    # the event day is like the 10 days before, except for a shed to half at 11:00-12:00
    history = with_event_day(metered(level, D(2024, 6, 1), D(2024, 7, 16)), WED,
                             lambda h: 0.5 * (100 + h) if h == 11 else 100.0 + h)
    days = {"event_days": {JULY_1}, "holidays": {JULY_4}}
    plain = compute_baseline(history, **event(WED), **days)
    # the rule's window 10:00-13:00 holds the shed: (110 + 55.5 + 112) / (110 + 111 + 112)
    assert plain.adjustment.value == pytest.approx(277.5 / 333)
    assert (plain.adjustment.window_start, plain.adjustment.window_end) == (at(WED, 10),
                                                                           at(WED, 13))
    assert not plain.adjustment.moved
    moved = compute_baseline(history, **event(WED), **days,
                             earlier_events=[(at(WED, 11), at(WED, 12))])
    # ends 1 h before the earlier event: 07:00-10:00, where the day was as usual
    assert moved.adjustment.applied and moved.adjustment.value == pytest.approx(1.0)
    assert moved.adjustment.moved
    assert (moved.adjustment.window_start, moved.adjustment.window_end) == (at(WED, 7),
                                                                           at(WED, 10))
    assert "moved back before earlier events to 14:00-17:00 UTC" in moved.adjustment_words
    # an event after the start, or one that ended before the window, changes nothing
    later = compute_baseline(history, **event(WED), **days,
                             earlier_events=[(at(WED, 15), at(WED, 16)), (at(WED, 6), at(WED, 7))])
    assert later.adjustment == plain.adjustment


def office_with_two_events(*, cancel_first: bool = False) -> tuple[BuildingBrain, EventPlan]:
    """The office brain with a 1-hour SIMPLE level 2 event at 12:00 PDT and one at 14:00
    (``OFFICE_EVENT``), both planned shortly before their start; the second one's plan.
    `cancel_first`: the first is planned ahead and cancelled before it starts."""
    first = OFFICE_EVENT - timedelta(hours=2)
    clock = ManualClock(OFFICE_EVENT - timedelta(hours=8))
    brain = BuildingBrain.simulated(BUILDINGS / "office.toml", clock, seed=3)
    if cancel_first:
        brain.plan("ev-a", 0, [make_signal("SIMPLE", start=first, duration=timedelta(hours=1),
                                           level=2)])
    while clock.now() < first - QUARTER:
        clock.advance(QUARTER)
        brain.tick()
    if cancel_first:
        brain.drop("ev-a", "cancelled")
    else:
        assert brain.plan("ev-a", 0, [make_signal("SIMPLE", start=first,
                                                  duration=timedelta(hours=1), level=2)])
    while clock.now() < OFFICE_EVENT - QUARTER:
        clock.advance(QUARTER)
        brain.tick()
    plan = brain.plan("ev-b", 0, [make_signal("SIMPLE", start=OFFICE_EVENT,
                                              duration=timedelta(hours=1), level=2)])
    assert plan is not None
    return brain, plan


async def test_an_event_after_a_shed_event_is_adjusted_from_before_the_first():
    brain, plan = office_with_two_events()
    first = OFFICE_EVENT - timedelta(hours=2)
    adjustment = plan.baseline.adjustment
    # the simulated office's only deviation from its usual day is the shed at 12:00-13:00
    assert adjustment.applied and adjustment.moved
    assert (adjustment.window_start, adjustment.window_end) == (first - timedelta(hours=4),
                                                                first - timedelta(hours=1))
    assert adjustment.value == pytest.approx(1.0, abs=0.01)
    # the rule's own window (10:00-13:00) holds that shed and would pull the baseline down
    end = OFFICE_EVENT + timedelta(hours=1)
    unmoved = event_baseline(brain.meter.history_kw(), brain.building, OFFICE_EVENT, end)
    assert unmoved.adjustment.value < 0.97
    assert "moved back before earlier events to 15:00-18:00 UTC" in describe_plan(
        plan, brain.building, UTC)
    # the VEN's usage and (unadjusted) baseline reported over that window give it again
    window = (adjustment.window_start, adjustment.window_end)
    again = same_day_adjustment(await reported(brain, PointKind.BASELINE, *window),
                                await reported(brain, PointKind.USAGE, *window),
                                adjustment.rule, 0.1)
    assert again.value == pytest.approx(adjustment.value, rel=1e-3, abs=1e-3)


def test_an_event_cancelled_before_its_start_does_not_move_the_window():
    _, plan = office_with_two_events(cancel_first=True)
    adjustment = plan.baseline.adjustment
    assert adjustment.applied and not adjustment.moved
    assert (adjustment.window_start, adjustment.window_end) == (
        OFFICE_EVENT - timedelta(hours=4), OFFICE_EVENT - timedelta(hours=1))
