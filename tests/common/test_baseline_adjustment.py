"""The day-of baseline adjustment shared by the VEN and the VTN, and the presets' rules."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from common.baselines.adjustment import (
    NO_ADJUSTMENT,
    AdjustmentKind,
    SameDayAdjustment,
    adjustment_json,
    adjustment_window,
    apply,
    describe,
    same_day_adjustment,
    window_words,
    with_window,
)
from common.baselines.presets import CAISO, NYISO, PJM, PRESET_ADJUSTMENTS, adjustment_for
from common.errors import ConfigError

RATIO = PRESET_ADJUSTMENTS[CAISO]
ADDITIVE = PRESET_ADJUSTMENTS[PJM]
BASE = np.full(12, 10.0)  # 3 h of 15-minute intervals [kW]


@pytest.mark.parametrize(("actual", "value", "capped"), [
    (11.0, 1.1, False), (8.5, 0.85, False), (13.0, 1.2, True), (5.0, 0.8, True)])
def test_ratio_is_actual_over_baseline_within_the_20_percent_cap(actual, value, capped):
    adj = same_day_adjustment(BASE, np.full(12, actual), RATIO, 0.1)
    assert adj.applied and adj.kind is AdjustmentKind.RATIO
    assert adj.value == pytest.approx(value) and adj.capped is capped
    assert adj.raw == pytest.approx(actual / 10.0)
    assert apply(np.array([20.0]), adj)[0] == pytest.approx(20.0 * value)


def test_additive_is_the_uncapped_difference_for_pjm():
    adj = same_day_adjustment(BASE, np.full(12, 17.5), ADDITIVE, 0.1)
    assert adj.applied and adj.kind is AdjustmentKind.ADDITIVE
    assert adj.value == pytest.approx(7.5) and not adj.capped
    assert apply(np.array([20.0]), adj)[0] == pytest.approx(27.5)
    low = same_day_adjustment(BASE, np.full(12, 1.0), ADDITIVE, 0.1)
    assert low.value == pytest.approx(-9.0) and not low.capped


def test_a_capped_additive_is_kept_within_its_share_of_the_baseline():
    rule = SameDayAdjustment(kind=AdjustmentKind.ADDITIVE, cap=0.1)
    adj = same_day_adjustment(BASE, np.full(12, 17.5), rule, 0.1)
    assert adj.value == pytest.approx(1.0) and adj.capped and adj.raw == pytest.approx(7.5)


def test_only_intervals_known_on_both_sides_are_compared():
    base = BASE.copy()
    base[:2] = np.nan
    actual = np.r_[np.full(2, 100.0), np.full(10, 11.0)]
    adj = same_day_adjustment(base, actual, RATIO, 0.1)
    assert adj.value == pytest.approx(1.1)


@pytest.mark.parametrize("rule", [RATIO, ADDITIVE])
def test_no_pre_event_data_leaves_the_baseline_unadjusted_and_says_why(rule):
    for actual in (np.full(12, np.nan), np.r_[np.full(2, np.nan), np.full(10, 11.0)],
                   np.array([])):
        base = BASE if len(actual) else np.array([])
        adj = same_day_adjustment(base, actual, rule, 0.1)
        assert not adj.applied and not adj.capped and adj.raw is None
        assert adj.value == (1.0 if rule.kind is AdjustmentKind.RATIO else 0.0)
        assert "lacks data" in adj.reason
        assert "not applied: the event day's adjustment window lacks data" in describe(adj)
        assert apply(np.array([20.0]), adj)[0] == 20.0


def test_a_ratio_against_a_zero_or_negative_baseline_is_not_applied():
    adj = same_day_adjustment(np.full(12, -1.0), np.full(12, 2.0), RATIO, 0.1)
    assert not adj.applied and adj.value == 1.0 and "not > 0" in adj.reason


def test_no_baseline_in_the_window_is_not_applied():
    adj = same_day_adjustment(np.full(12, np.nan), np.full(12, 2.0), ADDITIVE, 0.1)
    assert not adj.applied and adj.value == 0.0 and "baseline has no data" in adj.reason


def test_windows_of_different_lengths_are_an_error():
    with pytest.raises(ValueError, match="same intervals"):
        same_day_adjustment(np.ones(3), np.ones(4), RATIO, 0.1)


def test_presets_state_their_windows_and_caps():
    assert (RATIO.kind, RATIO.window, RATIO.gap, RATIO.cap) == (
        AdjustmentKind.RATIO, timedelta(hours=3), timedelta(hours=1), 0.2)
    assert (ADDITIVE.kind, ADDITIVE.window, ADDITIVE.gap, ADDITIVE.cap) == (
        AdjustmentKind.ADDITIVE, timedelta(hours=3), timedelta(hours=1), None)
    assert window_words(RATIO) == "3 h ending 1 h before the event"
    assert window_words(PRESET_ADJUSTMENTS[NYISO]) == "2 h starting 4 h before the event"
    assert window_words(NO_ADJUSTMENT) == "none"
    assert adjustment_for("caiso-10-in-10") is RATIO
    assert adjustment_for("PJM High 4 of 5") is ADDITIVE
    assert adjustment_for("x-baseline-unknown") is None


def test_words_and_json_show_method_window_and_cap():
    ratio = same_day_adjustment(BASE, np.full(12, 13.0), RATIO, 0.1)
    assert describe(ratio) == ("day-of ratio ×1.200 (3 h ending 1 h before the event, "
                               "cap ±20 %; capped from ×1.300)")
    offset = same_day_adjustment(BASE, np.full(12, 10.25), ADDITIVE, 0.1)
    assert describe(offset) == ("day-of offset +0.250 kW (3 h ending 1 h before the event, "
                                "uncapped)")
    body = adjustment_json(ratio)
    assert body["kind"] == "ratio" and body["unit"] == "ratio" and body["capped"]
    assert body["value"] == 1.2 and body["raw"] == 1.3 and body["cap"] == 0.2
    assert (body["window_s"], body["gap_s"]) == (3 * 3600, 3600)
    assert adjustment_json(offset)["unit"] == "kW"
    none = same_day_adjustment(BASE, BASE, NO_ADJUSTMENT, 0.1)
    assert describe(none) == "no day-of adjustment" and math.isclose(none.value, 0.0)
    assert adjustment_json(none)["window_s"] is None


def test_invalid_rules_raise():
    with pytest.raises(ConfigError, match="below 1"):
        SameDayAdjustment(kind=AdjustmentKind.RATIO, cap=1.0)
    with pytest.raises(ConfigError, match="finite fraction"):
        SameDayAdjustment(kind=AdjustmentKind.ADDITIVE, cap=-0.1)


# ---- the window, moved back before the VEN's earlier events -------------------------------------

START = datetime(2026, 7, 15, 23, 0, tzinfo=UTC)  # 16:00 PDT
H = timedelta(hours=1)


def test_without_earlier_events_the_window_is_the_rules():
    assert adjustment_window(START, RATIO) == (START - 4 * H, START - H)
    nyiso = PRESET_ADJUSTMENTS[NYISO]
    assert adjustment_window(START, nyiso) == (START - 4 * H, START - 2 * H)


def test_an_overlapping_earlier_event_moves_the_window_before_it():
    # a 1-hour event at 14:00 lies in 12:00-15:00: the window ends 1 h before it
    earlier = [(START - 2 * H, START - H)]
    assert adjustment_window(START, RATIO, earlier) == (START - 6 * H, START - 3 * H)


def test_a_chain_of_events_moves_the_window_before_the_first():
    # events at 12:00 and 14:00 (1 h each, one every 2 hours): 15:00 -> 13:00 -> 11:00
    chain = [(START - 2 * H, START - H), (START - 4 * H, START - 3 * H)]
    assert adjustment_window(START, RATIO, chain) == (START - 8 * H, START - 5 * H)
    assert adjustment_window(START, RATIO, reversed(chain)) == (START - 8 * H, START - 5 * H)


def test_an_event_that_ended_long_before_or_starts_later_changes_nothing():
    nominal = (START - 4 * H, START - H)
    assert adjustment_window(START, RATIO, [(START - 9 * H, START - 8 * H)]) == nominal
    assert adjustment_window(START, RATIO, [(START - 5 * H, START - 4 * H)]) == nominal  # touches
    assert adjustment_window(START, RATIO, [(START + H, START + 2 * H)]) == nominal
    assert adjustment_window(START, RATIO, [(START, START + H)]) == nominal  # same start
    assert adjustment_window(START, RATIO, [(START - 2 * H, START - 2 * H)]) == nominal  # empty


def test_an_earlier_event_in_the_gap_or_still_running_moves_the_window():
    in_gap = [(START - H / 2, START)]  # between the window and the start: no overlap
    assert adjustment_window(START, RATIO, in_gap) == (START - 4 * H, START - H)
    running = [(START - 2 * H, START + H)]  # started before, runs on into the event
    assert adjustment_window(START, RATIO, running) == (START - 6 * H, START - 3 * H)


def test_a_period_off_the_metering_grid_is_widened_to_whole_steps():
    quarter = timedelta(minutes=15)
    earlier = [(START - 2 * H + timedelta(minutes=5), START - H - timedelta(minutes=10))]
    assert adjustment_window(START, RATIO, earlier) == (
        START - 6 * H + timedelta(minutes=5), START - 3 * H + timedelta(minutes=5))
    assert adjustment_window(START, RATIO, earlier, step=quarter) == (
        START - 6 * H, START - 3 * H)


def test_the_window_used_is_shown_in_words_and_json():
    window = adjustment_window(START, RATIO, [(START - 2 * H, START - H)])
    moved = with_window(same_day_adjustment(BASE, np.full(12, 10.0), RATIO, 0.1), window, START)
    assert moved.moved and (moved.window_start, moved.window_end) == window
    assert describe(moved) == ("day-of ratio ×1.000 (3 h ending 1 h before the event, moved "
                               "back before earlier events to 17:00-20:00 UTC, cap ±20 %)")
    body = adjustment_json(moved)
    assert (body["window_start"], body["window_end"], body["window_moved"]) == (
        "2026-07-15T17:00:00Z", "2026-07-15T20:00:00Z", True)
    plain = with_window(same_day_adjustment(BASE, np.full(12, 10.0), RATIO, 0.1),
                        adjustment_window(START, RATIO), START)
    assert not plain.moved
    assert describe(plain) == "day-of ratio ×1.000 (3 h ending 1 h before the event, cap ±20 %)"
    assert adjustment_json(plain)["window_start"] == "2026-07-15T19:00:00Z"
    unknown = adjustment_json(same_day_adjustment(BASE, BASE, RATIO, 0.1))
    assert (unknown["window_start"], unknown["window_end"], unknown["window_moved"]) == (
        None, None, False)
