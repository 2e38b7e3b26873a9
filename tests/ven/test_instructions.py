"""Event signals -> shed targets, prices and per-device participation rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from common.errors import ResponseCode, SignalNotSupported
from ven.devices.model import (
    Building,
    CurtailableLoad,
    OnOffLoad,
    Participation,
    PvArray,
)
from ven.instructions import EventSignal, SignalInterval, check_signal, plan_request, timeline

T0 = datetime(2026, 7, 1, 18, tzinfo=UTC)  # 11:00 in Los Angeles (PDT)
HOUR = timedelta(hours=1)


def building(**kw: object) -> Building:
    return Building(id="b", name="b", **kw)  # type: ignore[arg-type]


def signal(name: str, kind: str, *values: float, start: datetime = T0) -> EventSignal:
    return EventSignal(
        name=name,
        type=kind,
        intervals=tuple(SignalInterval(start + k * HOUR, HOUR, v) for k, v in enumerate(values)),
    )


def event_targets(req) -> np.ndarray:
    return req.target_kw.to_numpy()[req.in_event]


@pytest.mark.parametrize("level,share", [(0, 0.0), (1, 0.1), (2, 0.2), (3, 0.3)])
def test_simple_levels_shed_the_configured_share_of_the_baseline(level, share):
    req = plan_request([signal("SIMPLE", "level", level)], building(), 200.0)
    assert np.allclose(event_targets(req), share * 200.0)


def test_simple_level_shares_are_configurable_and_lowercase_name_is_accepted():
    b = building(simple_level_shares=(0.05, 0.5, 0.9))
    req = plan_request([signal("simple", "level", 1, 2, 3)], b, 100.0, step=None)
    assert np.allclose(event_targets(req), [5.0, 50.0, 90.0])


def test_simple_level_outside_0_to_3_is_not_supported():
    with pytest.raises(SignalNotSupported, match="SIMPLE level 4"):
        plan_request([signal("SIMPLE", "level", 4)], building(), 100.0)


def test_load_dispatch_setpoint_sheds_baseline_minus_setpoint():
    req = plan_request([signal("LOAD_DISPATCH", "setpoint", 70.0, 120.0)], building(), 100.0)
    targets = event_targets(req)
    assert np.allclose(targets[:4], 30.0)
    assert np.allclose(targets[4:], 0.0)  # a setpoint above baseline asks for no shed
    assert any("negative shed" in n for n in req.notes)


def test_load_dispatch_delta_is_the_shed_in_kw():
    req = plan_request([signal("LOAD_DISPATCH", "delta", 12.5)], building(), 100.0)
    assert np.allclose(event_targets(req), 12.5)


@pytest.mark.parametrize(
    "kind,value,expected",
    [
        ("x-loadControlCapacity", 0.8, 20.0),
        ("x-loadControlPercentOffset", -15.0, 15.0),
        ("x-loadControlLevelOffset", 2, 20.0),
        ("x-loadControlSetpoint", 60.0, 40.0),
    ],
)
def test_load_control_types(kind, value, expected):
    req = plan_request([signal("LOAD_CONTROL", kind, value)], building(), 100.0)
    assert np.allclose(event_targets(req), expected)


@pytest.mark.parametrize(
    "kind,value,price",
    [("price", 0.5, 0.5), ("priceRelative", 0.1, 0.3), ("priceMultiplier", 3, 0.6)],
)
def test_electricity_price_sets_prices_not_a_target(kind, value, price):
    req = plan_request([signal("ELECTRICITY_PRICE", kind, value)], building(), 100.0)
    assert req.price_usd_per_kwh is not None
    assert np.allclose(req.price_usd_per_kwh.to_numpy()[req.in_event], price)
    assert np.allclose(req.price_usd_per_kwh.to_numpy()[~req.in_event], 0.2)  # the tariff
    assert np.allclose(req.target_kw, 0.0)


def test_several_shed_signals_take_the_largest_shed():
    sigs = [signal("SIMPLE", "level", 1, 3), signal("LOAD_DISPATCH", "delta", 25.0, 25.0)]
    req = plan_request(sigs, building(), 100.0, step=None)
    assert np.allclose(event_targets(req), [25.0, 30.0])


@pytest.mark.parametrize(
    "name,kind",
    [
        ("BID_LOAD", "setpoint"),
        ("ENERGY_PRICE", "price"),
        ("SIMPLE", "delta"),
        ("LOAD_DISPATCH", "level"),
    ],
)
def test_unsupported_signals_raise_signal_not_supported(name, kind):
    with pytest.raises(SignalNotSupported) as info:
        plan_request([signal(name, kind, 1)], building(), 100.0)
    assert info.value.code == ResponseCode.SIGNAL_NOT_SUPPORTED
    assert name in str(info.value)


def test_timeline_splits_into_steps_and_appends_the_rebound_window():
    index, dur, in_event = timeline([signal("SIMPLE", "level", 1, 2)], rebound=HOUR)
    assert len(index) == 12 and str(index.tz) == "UTC"
    assert np.allclose(dur, 0.25)
    assert in_event.sum() == 8 and not in_event[8:].any()
    assert index[8] == pd.Timestamp(T0 + 2 * HOUR)


def test_baseline_series_is_looked_up_at_each_interval_start():
    base = pd.Series([100.0, 200.0], index=pd.DatetimeIndex([T0, T0 + HOUR]))
    req = plan_request([signal("SIMPLE", "level", 1, 1)], building(), base, step=None)
    assert np.allclose(event_targets(req), [10.0, 20.0])


def test_rules_follow_local_hours_dr_enabled_and_leave_pv_out():
    la_hours = [Participation.PARTICIPATION] * 24
    la_hours[11] = Participation.SHIFTING  # 11:00-12:00 local = the first event hour
    la_hours[12] = Participation.OFF
    b = building(
        timezone="America/Los_Angeles",
        devices=(
            OnOffLoad(id="pump", rated_kw=5, participation=tuple(la_hours)),
            CurtailableLoad(id="fan", rated_kw=5, dr_enabled=False),
            PvArray(id="pv", rated_kwp=10),
        ),
    )
    req = plan_request([signal("SIMPLE", "level", 1, 1)], b, 50.0, step=None)
    assert list(req.rules.columns) == ["pump", "fan"]
    assert list(req.rules["pump"][:2]) == ["shifting", "off"]
    assert set(req.rules["fan"]) == {"off"}
    assert list(req.allowed_change["pump"][:2]) == [0.2, 0.0]


def test_an_interval_across_two_hours_takes_the_stricter_rule():
    hours = [Participation.PARTICIPATION] * 24
    hours[19] = Participation.OFF
    b = building(devices=(OnOffLoad(id="pump", rated_kw=5, participation=tuple(hours)),))
    sig = EventSignal(
        name="SIMPLE", type="level", intervals=[(T0 + timedelta(minutes=30), HOUR, 1)]
    )
    req = plan_request([sig], b, 50.0, step=None)
    assert req.rules["pump"].iloc[0] == "off"


def test_event_without_intervals_gives_an_empty_request():
    req = plan_request([EventSignal(name="SIMPLE", type="level", intervals=())], building(), 10.0)
    assert len(req.index) == 0 and len(req.target_kw) == 0


def test_a_zero_length_interval_is_refused_with_its_duration_in_words():
    sig = EventSignal(name="SIMPLE", type="level", intervals=[(T0, timedelta(0), 1)])
    with pytest.raises(SignalNotSupported, match=r"interval duration 0 s is not positive$"):
        check_signal(sig)
