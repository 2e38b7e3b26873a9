"""Fitting a zone's RC model: recovery of the simulator's parameters, refusals and fallback."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from ven.devices.model import Building, HvacZone
from ven.devices.physics import zone_step
from ven.devices.weather import Climate
from ven.learning.simhistory import simulated_zone_history
from ven.learning.thermal_fit import (
    FitLimits,
    RcParameters,
    ZoneHistory,
    fit_zone,
    simulate_zone,
)

OFFICE_HOURS = tuple(6 <= h < 19 for h in range(24))
START = datetime(2025, 7, 7, tzinfo=UTC)


def one_zone(**fields: object) -> Building:
    settings: dict[str, object] = {"id": "z", "r_c_per_kw": 0.12, "c_kwh_per_c": 120.0,
                                   "max_kw": 40.0, "cop": 3.2, "setpoint_c": 23.0,
                                   "occupied": OFFICE_HOURS}
    settings.update(fields)
    return Building(id="b", name="one zone", devices=(HvacZone(**settings),))  # type: ignore[arg-type]


def configured(building: Building) -> RcParameters:
    zone = building.device("z")
    assert isinstance(zone, HvacZone)
    return RcParameters(r_c_per_kw=zone.r_c_per_kw, c_kwh_per_c=zone.c_kwh_per_c, cop=zone.cop,
                        mode=zone.mode)


@pytest.mark.parametrize(("mode", "control", "climate", "r", "c"), [
    ("cooling", "modulating", None, 0.12, 120.0),
    ("cooling", "deadband", None, 0.08, 60.0),
    ("heating", "deadband", Climate(mean_c=12.0), 0.5, 20.0),
])
def test_the_fit_recovers_the_simulators_parameters(mode, control, climate, r, c):
    building = one_zone(mode=mode, r_c_per_kw=r, c_kwh_per_c=c, setpoint_c=22.0)
    history = simulated_zone_history(building, "z", START, 7 * 24, climate=climate,
                                     hvac_control=control, noise_c=0.05)
    fit = fit_zone(history, mode=mode, cop=3.2, configured=configured(building))
    assert fit.accepted, fit.reason
    assert fit.fitted is not None and fit.in_force is fit.fitted
    assert fit.fitted.r_c_per_kw == pytest.approx(r, rel=0.03)
    assert fit.fitted.c_kwh_per_c == pytest.approx(c, rel=0.03)
    assert fit.holdout_rmse_c is not None and fit.holdout_rmse_c < 0.1
    assert fit.fit_rows + fit.holdout_rows == len(history.times) - 1
    assert fit.holdout_rows == round((len(history.times) - 1) * 0.25)
    assert "r_c_per_kw = " in fit.toml() and "c_kwh_per_c = " in fit.toml()


def test_noisy_thermometer_is_refused_and_the_configured_model_stays():
    building = one_zone()
    history = simulated_zone_history(building, "z", START, 7 * 24, noise_c=2.0)
    fit = fit_zone(history, mode="cooling", cop=3.2, configured=configured(building))
    assert not fit.accepted
    assert "held-out RMSE" in fit.reason and "exceeds 1 °C" in fit.reason
    assert "configured model stays in force" in fit.reason
    assert fit.in_force == configured(building)
    assert fit.holdout_rmse_c is not None and fit.holdout_rmse_c > 1.0
    assert fit.toml() == ""
    assert fit.as_json()["in_force"] == "configured"


def test_a_day_of_history_is_too_little():
    building = one_zone()
    history = simulated_zone_history(building, "z", START, 24)
    fit = fit_zone(history, mode="cooling", cop=3.2, configured=configured(building))
    assert not fit.accepted and fit.fitted is None
    assert fit.reason.startswith("only 23.8 h of history; at least 48 h are needed")
    assert fit.in_force == configured(building)


def test_a_zone_whose_hvac_never_ran_teaches_nothing_about_its_power():
    building = one_zone(occupied=tuple(False for _ in range(24)))
    history = simulated_zone_history(building, "z", START, 3 * 24)
    fit = fit_zone(history, mode="cooling", cop=3.2)
    assert not fit.accepted
    assert "never ran" in fit.reason and "no configured model to fall back to" in fit.reason
    assert fit.in_force is None


def test_the_wrong_mode_is_refused():
    building = one_zone()
    history = simulated_zone_history(building, "z", START, 4 * 24)
    fit = fit_zone(history, mode="heating", cop=3.2, configured=configured(building))
    assert not fit.accepted
    assert fit.reason.startswith("the measured power does not move the zone temperature the "
                                 "way a heating HVAC would")
    assert fit.in_force == configured(building)


def test_parameters_outside_the_physical_bounds_are_refused():
    building = one_zone()
    history = simulated_zone_history(building, "z", START, 4 * 24)
    limits = FitLimits(r_bounds=(0.2, 10.0))
    fit = fit_zone(history, mode="cooling", cop=3.2, limits=limits)
    assert not fit.accepted and "outside the physical bounds" in fit.reason
    assert fit.fitted is not None and fit.fitted.r_c_per_kw == pytest.approx(0.12, rel=0.03)


def test_the_cop_scales_r_and_c_but_not_the_time_constant():
    building = one_zone()
    history = simulated_zone_history(building, "z", START, 4 * 24)
    at_3 = fit_zone(history, mode="cooling", cop=3.2).fitted
    at_6 = fit_zone(history, mode="cooling", cop=6.4).fitted
    assert at_3 is not None and at_6 is not None
    assert at_6.r_c_per_kw == pytest.approx(at_3.r_c_per_kw / 2, rel=1e-3)
    assert at_6.tau_h == pytest.approx(at_3.tau_h, rel=1e-3)


def test_simulate_zone_is_the_device_physics():
    rng = np.random.default_rng(4)
    power = rng.uniform(0, 10, 40)
    t_out = rng.uniform(15, 35, 40)
    params = RcParameters(r_c_per_kw=0.3, c_kwh_per_c=15.0, cop=2.5, mode="cooling")
    run = simulate_zone(params, 24.0, power, t_out, 0.25)
    temp = 24.0
    expected = [temp]
    for p, t in zip(power.tolist(), t_out.tolist(), strict=True):
        temp = zone_step(temp, t, p, r=0.3, c=15.0, cop=2.5, sign=-1.0, dt_h=0.25)
        expected.append(temp)
    assert run == pytest.approx(expected, abs=1e-9)


def test_a_zone_history_must_be_regular_and_aware():
    times = pd.date_range("2025-01-01", periods=3, freq="15min", tz="UTC")
    values = np.zeros(3)
    with pytest.raises(ValueError, match="regular"):
        ZoneHistory(zone_id="z", times=times.delete(1).append(times[-1:] + pd.Timedelta("1h")),
                    power_kw=values, t_in_c=values, t_out_c=values)
    with pytest.raises(ValueError, match="timezone-aware"):
        ZoneHistory(zone_id="z", times=times.tz_localize(None), power_kw=values, t_in_c=values,
                    t_out_c=values)
    with pytest.raises(ValueError, match="same length"):
        ZoneHistory(zone_id="z", times=times, power_kw=values[:2], t_in_c=values,
                    t_out_c=values)
    history = ZoneHistory(zone_id="z", times=times, power_kw=values, t_in_c=values,
                          t_out_c=values)
    assert history.step_h == 0.25 and math.isclose(history.hours, 0.5)
    assert list(history.between(times[1], None).times) == list(times[1:])
    with pytest.raises(ValueError, match="fewer than 2 rows"):
        history.between(times[0], times[1])
