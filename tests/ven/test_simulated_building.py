"""The simulated building: physics recomputed from its outputs, responses to commands, history."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from common.clock import ManualClock
from ven.devices.commands import (
    BatteryPower,
    PowerLimit,
    Release,
    Setpoint,
    Switch,
    UnsupportedCommand,
)
from ven.devices.config import load_building, load_climate
from ven.devices.history import generate_history
from ven.devices.model import Building
from ven.devices.simulated import SimulatedBuilding
from ven.devices.weather import Climate, Weather, epoch_hours

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "buildings"
MINUTE = timedelta(minutes=1)
QUARTER = timedelta(minutes=15)
WATER_KWH_PER_L_C = 4.186 / 3600  # recomputed here on purpose, not imported


def example(name: str) -> tuple[Building, Climate]:
    path = EXAMPLES / f"{name}.toml"
    return load_building(path), load_climate(path)


def local(name: str, *args: int) -> datetime:
    """A local wall time of the example building `name`, as UTC."""
    zone = {"office": "America/Los_Angeles", "home": "America/Los_Angeles"}.get(
        name, "Europe/Madrid"
    )
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def simulator(
    name: str, start: datetime, **options: object
) -> tuple[SimulatedBuilding, ManualClock]:
    b, climate = example(name)
    clock = ManualClock(start)
    options.setdefault("noise", False)
    return SimulatedBuilding(b, clock, climate=climate, seed=7, **options), clock


def run(sim: SimulatedBuilding, clock: ManualClock, steps: int, dt: timedelta = QUARTER) -> list:
    return list(stepping(sim, clock, steps, dt))


def stepping(sim: SimulatedBuilding, clock: ManualClock, steps: int, dt: timedelta = QUARTER):
    """Yield each step's measurement as it happens (state() then reflects that step)."""
    for _ in range(steps):
        clock.advance(dt)
        yield sim.step(dt)


# -- physics invariants -------------------------------------------------------------------------


def test_battery_soc_balance_with_efficiencies() -> None:
    sim, clock = simulator("home", local("home", 2025, 3, 10, 1))
    bat = sim.building.device("battery")
    soc = [sim.state()["battery"].soc]
    powers = []
    plan = [3.0] * 8 + [-4.0] * 8 + [10.0] * 30 + [-10.0] * 40
    for kw in plan:
        sim.apply([BatteryPower(device_id="battery", kw=kw)])
        m = run(sim, clock, 1)[0]
        powers.append(m.device_kw["battery"])
        soc.append(sim.state()["battery"].soc)
    assert powers[0] == pytest.approx(3.0) and powers[8] == pytest.approx(-4.0)
    assert max(powers) <= bat.max_charge_kw + 1e-9 and min(powers) >= -bat.max_discharge_kw - 1e-9
    for before, after, kw in zip(soc[:-1], soc[1:], powers, strict=True):
        dt_h = 0.25
        if kw >= 0:
            expected = before + bat.charge_efficiency * kw * dt_h / bat.capacity_kwh
        else:
            expected = before + kw * dt_h / bat.discharge_efficiency / bat.capacity_kwh
        assert after == pytest.approx(expected, abs=1e-9)
    assert max(soc) == pytest.approx(bat.soc_max)  # charged into its bound, not past it
    assert min(soc) == pytest.approx(bat.soc_min)
    assert powers[-1] == pytest.approx(0.0)  # empty: the last discharge request is refused


def test_hvac_trajectory_matches_an_independent_1r1c_integration() -> None:
    sim, clock = simulator("office", local("office", 2025, 7, 15, 12))
    zone = sim.building.device("rtu-south")
    commands = {
        0: Setpoint(device_id="rtu-south", celsius=22.5),
        60: PowerLimit(device_id="rtu-south", kw=10.0),
        120: Release(device_id="rtu-south"),
    }
    temps = [sim.state()["rtu-south"].temperature_c]
    powers, starts = [], []
    for minute in range(240):
        if minute in commands:
            sim.apply([commands[minute]])
        starts.append(sim.time)
        m = run(sim, clock, 1, MINUTE)[0]
        powers.append(m.device_kw["rtu-south"])
        temps.append(sim.state()["rtu-south"].temperature_c)
    assert max(powers[60:120]) <= 10.0 + 1e-9
    # the simulator reads the weather at the middle of each one-minute step
    t_out = sim.weather.temperature_c(epoch_hours(pd.DatetimeIndex(starts)) + 0.5 / 60)
    # forward Euler with 200 sub-steps per minute, from the 1R1C equation of model.py
    r, c, cop = zone.r_c_per_kw, zone.c_kwh_per_c, zone.cop
    temp = temps[0]
    worst = 0.0
    for outdoor, kw, measured in zip(t_out, powers, temps[1:], strict=True):
        h = (1 / 60) / 200
        for _ in range(200):
            temp += h * ((outdoor - temp) / (r * c) - cop * kw / c)
        worst = max(worst, abs(temp - measured))
    assert worst < 1e-4
    assert temps[59] == pytest.approx(22.5, abs=0.01)  # the thermostat reached the new setpoint
    assert temps[-1] == pytest.approx(zone.setpoint_c, abs=0.01)  # and the normal one again
    assert powers[-1] > 0


def test_deadband_thermostat_keeps_the_zone_in_its_band() -> None:
    sim, clock = simulator("home", local("home", 2025, 7, 20, 13), hvac_control="deadband")
    temps, powers = [], []
    for m in stepping(sim, clock, 240, MINUTE):
        temps.append(sim.state()["ac"].temperature_c)
        powers.append(m.device_kw["ac"])
    assert min(temps) > 24.0 - 0.6 and max(temps) < 24.0 + 0.6
    assert set(np.round(powers, 6)) <= {0.0, 3.0}  # an on/off compressor
    assert 0 < np.mean(powers) < 3.0


def test_water_tank_energy_balance() -> None:
    sim, clock = simulator("home", local("home", 2025, 2, 3, 5))
    tank = sim.building.device("water-heater")
    capacity = tank.volume_l * WATER_KWH_PER_L_C
    temps = [sim.state()["water-heater"].temperature_c]
    residual, heat_in = 0.0, 0.0
    for m in stepping(sim, clock, 6 * 60, MINUTE):
        temps.append(sim.state()["water-heater"].temperature_c)
        t0, t1 = temps[-2], temps[-1]
        mean = (t0 + t1) / 2
        hour = m.start.astimezone(ZoneInfo("America/Los_Angeles")).hour
        draw_kw = tank.draw_l_per_h[hour] * WATER_KWH_PER_L_C * (mean - tank.inlet_c)
        loss_kw = tank.ua_kw_per_c * (mean - tank.ambient_c)
        power = m.device_kw["water-heater"]
        heat_in += power / 60
        residual += capacity * (t1 - t0) - (power - draw_kw - loss_kw) / 60
    assert heat_in > 1.0  # the morning draws made the element run
    assert abs(residual) < 1e-3 * heat_in
    assert min(temps) >= tank.comfort_low_c


def test_ev_energy_delivered_with_efficiency_and_power_limit() -> None:
    sim, clock = simulator("office", local("office", 2025, 6, 4, 7))  # a Wednesday
    ev = sim.building.device("ev-1")
    grid_kwh = 0.0
    for step, m in enumerate(stepping(sim, clock, 4 * 10)):
        if step == 4 * 2:  # 09:00: cap the charger
            sim.apply([PowerLimit(device_id="ev-1", kw=3.0)])
        if step == 4 * 3:
            sim.apply([Release(device_id="ev-1")])
        kw = m.device_kw["ev-1"]
        assert kw <= ev.max_kw + 1e-9
        if 4 * 2 + 1 <= step < 4 * 3:
            assert kw == pytest.approx(3.0)
        grid_kwh += kw * 0.25
    state = sim.state()["ev-1"]
    assert state.plugged
    assert state.energy_kwh == pytest.approx(ev.energy_needed_kwh)
    assert grid_kwh * ev.efficiency == pytest.approx(ev.energy_needed_kwh)


def test_ev_weekend_energy() -> None:
    sim, clock = simulator("office", local("office", 2025, 6, 7, 7))  # a Saturday
    assert all(m.device_kw["ev-1"] == 0 for m in run(sim, clock, 40))


# -- responses to commands ----------------------------------------------------------------------


def test_shed_lowers_measured_load() -> None:
    start = local("hotel", 2025, 5, 14, 11)  # a Wednesday, laundry running
    normal, clock_a = simulator("hotel", start)
    shed, clock_b = simulator("hotel", start)
    shed.apply([Switch(device_id="laundry-dryers", on=False)])
    a, b = run(normal, clock_a, 1)[0], run(shed, clock_b, 1)[0]
    assert b.device_kw["laundry-dryers"] == 0.0
    dryers = shed.building.device("laundry-dryers")
    assert a.total_kw - b.total_kw == pytest.approx(dryers.rated_kw * dryers.duty)


def test_onoff_local_rules_max_shed_lockout_and_min_shed() -> None:
    sim, clock = simulator("hotel", local("hotel", 2025, 5, 14, 9))
    sim.apply([Switch(device_id="laundry-dryers", on=False)])  # max 90 min, lockout 30 min
    minutes = [m.device_kw["laundry-dryers"] for m in run(sim, clock, 100, MINUTE)]
    assert minutes[:90] == [0.0] * 90 and minutes[90] > 0  # released itself after 90 min
    sim.apply([Switch(device_id="laundry-dryers", on=False)])  # minute 100: locked out
    assert run(sim, clock, 1, MINUTE)[0].device_kw["laundry-dryers"] > 0
    assert sim.state()["laundry-dryers"].on
    later = [m.device_kw["laundry-dryers"] for m in run(sim, clock, 26, MINUTE)]  # 101..126
    assert min(later[:19]) > 0 and later[19:] == [0.0] * 7  # the kept command acts at 120
    sim.apply([Switch(device_id="laundry-dryers", on=True)])  # at 127; min shed 15 min
    back = [m.device_kw["laundry-dryers"] for m in run(sim, clock, 20, MINUTE)]  # 127..146
    assert back[:8] == [0.0] * 8 and min(back[8:]) > 0  # back on at 135


def test_raised_setpoint_reduces_cooling_in_a_hot_hour() -> None:
    start = local("office", 2025, 7, 16, 15)
    normal, clock_a = simulator("office", start)
    raised, clock_b = simulator("office", start)
    outdoor = normal.weather.temperature_c(epoch_hours(start))[0]
    assert outdoor > 27
    raised.apply(
        [
            Setpoint(device_id=f"rtu-{side}", celsius=25.5)
            for side in ("north", "south", "east", "west")
        ]
    )
    a, b = run(normal, clock_a, 4), run(raised, clock_b, 4)
    hvac = [f"rtu-{side}" for side in ("north", "south", "east", "west")]
    cooling_a = sum(m.device_kw[d] for m in a for d in hvac)
    cooling_b = sum(m.device_kw[d] for m in b for d in hvac)
    assert cooling_a > 20
    assert cooling_b < 0.5 * cooling_a
    assert sum(m.total_kw for m in b) < sum(m.total_kw for m in a)


def test_water_heater_shed_keeps_comfort_low() -> None:
    sim, clock = simulator("home", local("home", 2025, 2, 3, 5))
    sim.apply([Switch(device_id="water-heater", on=False)])
    tank = sim.building.device("water-heater")
    run(sim, clock, 12 * 4)
    assert sim.state()["water-heater"].temperature_c >= tank.comfort_low_c - 0.5


def test_curtailable_limit_and_floor() -> None:
    sim, clock = simulator("office", local("office", 2025, 6, 4, 10))
    light = sim.building.device("lighting-low")
    normal = light.rated_kw * light.profile[10]
    sim.apply([PowerLimit(device_id="lighting-low", kw=30.0)])
    assert run(sim, clock, 1)[0].device_kw["lighting-low"] == pytest.approx(30.0)
    sim.apply([PowerLimit(device_id="lighting-low", kw=0.0)])
    floor = normal * (1 - light.max_reduction)
    assert run(sim, clock, 1)[0].device_kw["lighting-low"] == pytest.approx(floor)


def test_commands_are_checked() -> None:
    sim, _ = simulator("home", local("home", 2025, 2, 3, 5))
    with pytest.raises(UnsupportedCommand, match="no device"):
        sim.apply([Switch(device_id="jacuzzi", on=False)])
    with pytest.raises(UnsupportedCommand, match="does not apply to pv"):
        sim.apply([Switch(device_id="pv", on=False)])
    with pytest.raises(UnsupportedCommand):  # all or none
        sim.apply([Switch(device_id="ev", on=False), BatteryPower(device_id="ev", kw=1)])
    with pytest.raises(ValueError, match="kw must be >= 0"):
        PowerLimit(device_id="ev", kw=-1)


def test_step_never_runs_ahead_of_the_clock() -> None:
    sim, clock = simulator("home", local("home", 2025, 2, 3, 5))
    with pytest.raises(ValueError, match="ahead of the clock"):
        sim.step(QUARTER)
    clock.advance(timedelta(minutes=7))
    m = sim.step()
    assert m.end - m.start == timedelta(minutes=7) and sim.time == clock.now()


# -- forecast -----------------------------------------------------------------------------------


def test_forecast_matches_the_uncontrolled_simulation() -> None:
    start = local("hotel", 2025, 7, 9, 0)
    sim, clock = simulator("hotel", start)
    forecast = sim.forecast(start, 96)
    assert forecast.device_kw.index.tz is not None and len(forecast.device_kw) == 96
    assert list(forecast.device_kw.columns) == [d.id for d in sim.building.devices]
    steps = run(sim, clock, 96)
    measured = pd.DataFrame([m.device_kw for m in steps], index=forecast.device_kw.index)
    total = pd.Series([m.total_kw for m in steps], index=forecast.total_kw.index)
    assert total.sum() == pytest.approx(forecast.total_kw.sum(), rel=0.02)
    # tanks cycle on/off in the simulator (a few degrees below setpoint on average, so they
    # lose a little less heat) but are held at setpoint in the forecast: compare them daily
    tanks = ["dhw-main", "dhw-kitchen"]
    assert measured[tanks].sum().sum() == pytest.approx(
        forecast.device_kw[tanks].sum().sum(), rel=0.10
    )
    others = measured.drop(columns=tanks) - forecast.device_kw.drop(columns=tanks)
    assert others.abs().to_numpy().max() < 1.0


def test_home_forecast_has_pv() -> None:
    start = local("home", 2025, 6, 21, 0)
    sim, _ = simulator("home", start)
    forecast = sim.forecast(start, 96)
    assert forecast.pv_kw.min() >= 0
    assert 2.5 < forecast.pv_kw.max() < 5.0  # 5 kWp, 14 % losses, June noon
    noon = forecast.pv_kw.idxmax().tz_convert("America/Los_Angeles")
    assert 11 <= noon.hour <= 14
    assert (forecast.device_kw["pv"] == -forecast.pv_kw).all()


# -- history ------------------------------------------------------------------------------------


def office_history(seed: int = 1, **kwargs: object) -> pd.DataFrame:
    b, climate = example("office")
    kwargs.setdefault("climate", climate)
    return generate_history(
        b, datetime(2025, 6, 2, tzinfo=UTC), datetime(2025, 6, 30, tzinfo=UTC), seed=seed, **kwargs
    )


def test_history_shape_and_columns() -> None:
    h = office_history()
    assert str(h.index.tz) == "UTC" and len(h) == 28 * 96
    assert {"total_kw", "base_kw", "t_out_c", "ghi_w_m2", "rtu-north"} <= set(h.columns)
    devices = [d.id for d in example("office")[0].devices]
    assert np.allclose(h["total_kw"], h["base_kw"] + h[devices].sum(axis=1))


def test_office_weekday_exceeds_weekend() -> None:
    h = office_history()
    local_index = h.index.tz_convert("America/Los_Angeles")
    office_hours = (local_index.hour >= 9) & (local_index.hour < 17)
    weekend = local_index.day_of_week >= 5
    weekday_mean = h["total_kw"][office_hours & ~weekend].mean()
    weekend_mean = h["total_kw"][office_hours & weekend].mean()
    assert weekday_mean > 1.8 * weekend_mean


def test_history_is_deterministic_for_a_seed() -> None:
    a, b, c = office_history(1), office_history(1), office_history(2)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["total_kw"], c["total_kw"])


def test_overlapping_windows_agree() -> None:
    b, climate = example("office")
    first = generate_history(
        b,
        datetime(2025, 6, 1, tzinfo=UTC),
        datetime(2025, 6, 10, tzinfo=UTC),
        seed=3,
        climate=climate,
    )
    second = generate_history(
        b,
        datetime(2025, 6, 5, tzinfo=UTC),
        datetime(2025, 6, 12, tzinfo=UTC),
        seed=3,
        climate=climate,
    )
    both = first.index.intersection(second.index)
    pd.testing.assert_series_equal(first.loc[both, "base_kw"], second.loc[both, "base_kw"])
    pd.testing.assert_series_equal(
        first.loc[both, "lighting-low"], second.loc[both, "lighting-low"]
    )


def test_history_depends_on_the_weather() -> None:
    h = office_history()
    hvac = h[["rtu-north", "rtu-south", "rtu-east", "rtu-west"]].sum(axis=1)
    local_index = h.index.tz_convert("America/Los_Angeles")
    occupied = (local_index.hour >= 12) & (local_index.hour < 19) & (local_index.day_of_week < 5)
    assert np.corrcoef(h["t_out_c"][occupied], hvac[occupied])[0, 1] > 0.6
    hotter = office_history(
        climate=Climate(mean_c=20.0, seasonal_amplitude_c=6.5, daily_amplitude_c=7.0)
    )
    assert hotter["total_kw"].sum() > 1.1 * h["total_kw"].sum()


def test_hvac_history_follows_1r1c_at_setpoint() -> None:
    """Where the zone is held at setpoint, power = (T_out - T_set) / (R COP) for a cooling zone."""
    h = office_history()
    zone = example("office")[0].device("rtu-east")
    local_index = h.index.tz_convert("America/Los_Angeles")
    steady = (local_index.hour >= 13) & (local_index.hour < 18) & (local_index.day_of_week < 5)
    kw = h["rtu-east"][steady]
    held = (kw > 0.5) & (kw < zone.max_kw - 0.5)
    # at steady state the power is between the two ends of the interval's outdoor temperature
    expected = (h["t_out_c"][steady] - zone.setpoint_c) / (zone.r_c_per_kw * zone.cop)
    assert held.sum() > 50
    assert (kw[held] - expected[held]).abs().median() < 1.0


def test_a_year_of_hotel_history_is_plausible() -> None:
    b, climate = example("hotel")
    h = generate_history(
        b,
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
        seed=5,
        climate=climate,
    )
    assert len(h) == 365 * 96
    assert h["total_kw"].between(50, 600).all()


def test_weather_is_plausible() -> None:
    weather = Weather(Climate(), latitude=37.8, longitude=-122.3, seed=0)
    index = pd.date_range("2025-01-01", "2026-01-01", freq="1h", tz="UTC", inclusive="left")
    frame = weather.frame(index)
    monthly = frame["t_out_c"].groupby(index.month).mean()
    assert monthly[7] - monthly[1] > 10
    assert frame["ghi_w_m2"].min() >= 0 and 800 < frame["ghi_w_m2"].max() < 1100
    night = frame["cos_zenith"] < 0
    assert (frame["ghi_w_m2"][night] == 0).all()
    assert math.isclose(frame["t_out_c"].mean(), 16.0, abs_tol=1.5)
    same = Weather(Climate(), latitude=37.8, longitude=-122.3, seed=0).frame(index)
    pd.testing.assert_frame_equal(frame, same)


def test_from_file_uses_the_files_climate() -> None:
    start = local("hotel", 2025, 7, 9, 12)
    clock = ManualClock(start)
    from_file = SimulatedBuilding.from_file(EXAMPLES / "hotel.toml", clock, seed=7, noise=False)
    twin, twin_clock = simulator("hotel", start)
    assert from_file.weather.climate == load_climate(EXAMPLES / "hotel.toml")
    clock.advance(QUARTER)
    a, b = from_file.step(), run(twin, twin_clock, 1)[0]
    assert a.t_out_c == b.t_out_c and a.total_kw == b.total_kw


# -- run: many steps at once, metered as a history ---------------------------------------------

RUN_COMMANDS = {
    "office": [Switch(device_id="garage-fans", on=False), PowerLimit(device_id="ev-1", kw=3.0)],
    "hotel": [Switch(device_id="pool-pump", on=False), Setpoint(device_id="hvac-lobby",
                                                                celsius=25.0)],
    "home": [BatteryPower(device_id="battery", kw=-2.0), Switch(device_id="pool-pump", on=False)],
}


@pytest.mark.parametrize("name", ["office", "hotel", "home"])
def test_run_meters_what_stepping_would(name: str) -> None:
    """run() = step() minute by minute (noise on, with commands whose local controllers act
    mid-run: an over-long shed ends itself), interval by interval and in the end state."""
    start = local(name, 2025, 7, 9, 6)
    ran, clock_a = simulator(name, start, noise=True)
    stepped, clock_b = simulator(name, start, noise=True)
    for sim in (ran, stepped):
        sim.apply(RUN_COMMANDS[name])
    clock_a.advance(timedelta(hours=12))
    frame = ran.run(interval=QUARTER)
    minutes = run(stepped, clock_b, 12 * 60, MINUTE)
    ids = [d.id for d in ran.building.devices]
    assert list(frame.columns) == [*ids, "base_kw", "total_kw", "t_out_c", "ghi_w_m2"]
    assert len(frame) == 48 and frame.index[0] == start and str(frame.index.tz) == "UTC"
    by_minute = pd.DataFrame([{**m.device_kw, "base_kw": m.base_kw, "total_kw": m.total_kw,
                               "t_out_c": m.t_out_c} for m in minutes],
                             index=pd.DatetimeIndex([m.start for m in minutes]))
    quarters = by_minute.resample(QUARTER).mean()
    np.testing.assert_allclose(frame[quarters.columns].to_numpy(), quarters.to_numpy(),
                               atol=1e-9)
    assert frame["base_kw"].std() > 0  # the noise is on, and the same in both
    assert ran.time == stepped.time == start + timedelta(hours=12)
    assert ran.state() == stepped.state()


def test_run_checks_its_span() -> None:
    sim, clock = simulator("home", local("home", 2025, 2, 3, 5))
    with pytest.raises(ValueError, match="ahead of the clock"):
        sim.run(sim.time + QUARTER)
    clock.advance(timedelta(minutes=20))
    with pytest.raises(ValueError, match="whole number"):
        sim.run(interval=QUARTER)
    empty = sim.run(sim.time, QUARTER)
    assert len(empty) == 0 and "total_kw" in empty.columns
    assert len(sim.run(sim.time + QUARTER)) == 1


def test_simulated_history_has_generate_historys_frame() -> None:
    from ven.devices.simulated import simulated_history

    b, climate = example("office")
    start, end = datetime(2025, 6, 2, tzinfo=UTC), datetime(2025, 6, 5, tzinfo=UTC)
    simulated = simulated_history(b, start, end, seed=1, climate=climate)
    steady = generate_history(b, start, end, seed=1, climate=climate)
    assert list(simulated.columns) == list(steady.columns)
    pd.testing.assert_index_equal(simulated.index, steady.index)
    devices = [d.id for d in b.devices]
    assert np.allclose(simulated["total_kw"], simulated["base_kw"] + simulated[devices].sum(axis=1))
    # one weather: the same outdoor temperature, to the sub-step averaging
    assert (simulated["t_out_c"] - steady["t_out_c"]).abs().max() < 0.1
    assert simulated["total_kw"].sum() == pytest.approx(steady["total_kw"].sum(), rel=0.05)


def test_a_raised_tank_set_point_heats_at_once_and_clears_a_power_cap() -> None:
    sim, clock = simulator("hotel", local("hotel", 2025, 5, 14, 15))
    run(sim, clock, 8, MINUTE)
    tank = sim.state()["dhw-main"].temperature_c
    assert tank is not None
    sim.apply([PowerLimit(device_id="dhw-main", kw=0.0)])  # deferred
    assert run(sim, clock, 1, MINUTE)[0].device_kw["dhw-main"] == 0.0
    # raised a little above the tank: heats now (a load-up), without waiting for the tank to
    # fall through the thermostat's 5 °C deadband, and the earlier cap no longer holds
    now = sim.state()["dhw-main"].temperature_c
    assert now is not None
    sim.apply([Setpoint(device_id="dhw-main", celsius=now + 0.5)])
    heating = [m.device_kw["dhw-main"] for m in run(sim, clock, 2, MINUTE)]
    assert heating[0] == pytest.approx(sim.building.device("dhw-main").rated_kw)
    reached = sim.state()["dhw-main"].temperature_c
    assert reached is not None and reached > now + 0.2  # 2 min at 60 kW on 5,000 l


def test_ahead_runs_a_copy_on_in_normal_operation() -> None:
    sim, clock = simulator("hotel", local("hotel", 2025, 5, 14, 15))
    run(sim, clock, 4, MINUTE)
    sim.apply([Switch(device_id="ovens", on=False), Setpoint(device_id="hvac-rooms",
                                                             celsius=26.0)])
    before = sim.state()
    later = sim.time + timedelta(hours=2)
    twin = sim.ahead(later)
    assert twin.time == later and sim.time == clock.now()  # the building itself stays
    assert sim.state() == before
    # the copy released every device: what the no-event forecast from now assumes
    plain, plain_clock = simulator("hotel", local("hotel", 2025, 5, 14, 15))
    run(plain, plain_clock, 4, MINUTE)
    mirror = plain.ahead(later)
    for dev in ("hvac-rooms", "dhw-main"):
        assert twin.state()[dev].temperature_c == pytest.approx(
            mirror.state()[dev].temperature_c, abs=1e-9)
    assert sim.ahead(sim.time) is sim
