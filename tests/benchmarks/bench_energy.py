"""Benchmark: the always-on energy manager (rolling-horizon MPC) against the rule-based baseline.

Value: each example building runs in closed loop (``ven.energy.closedloop``: the simulator is
the plant, 14 warm-up days of normal operation are the history the forecasts learn from; the
zone models are fitted on the last 7 of them, refused fits keep the building file's model)
for one week per season (quick; ``OADR_BENCH_ENERGY=full``:
four weeks per season; ``OADR_BENCH_ENERGY_DAYS=n`` sets the days,
``OADR_BENCH_ENERGY_BUILDINGS=home,office``, ``..._SEASONS=summer,winter`` and
``..._STRATEGIES=economic`` select), re-planning every 15 min
over 24 h, under each strategy, and the same weeks under the rule-based baseline
(``ven.energy.rulebased``). Reported per building, season and controller: energy cost, demand
charge (the week's peak import times the tariff's charge, as one billing month), peak [kW],
comfort violations outside the band on the side the HVAC acts on ("viol", above the band for
cooling zones) and on the other side ("other": a cooling zone too cold, mostly the weather:
no heating is modelled) [°C·h], set-point deviation on the uncomfortable side ("dev")
[°C·h], battery cycles [-], carbon [kgCO2], mean plan time [ms].

Speed: one plan (``ven.energy.mpc.plan``: model build, HiGHS solve, read back) for 6, 24 and
48 h horizons at 15 min per building, median of 5, against the issue's limits (1, 2, 4 s).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from common.clock import ManualClock
from ven.devices.config import load_building, load_climate
from ven.devices.history import T_OUT
from ven.devices.model import Building
from ven.devices.simulated import SimulatedBuilding
from ven.energy.closedloop import RunResult, fitted_zone_models, run_closed_loop
from ven.energy.forecasts import learned_forecast, typical_carbon
from ven.energy.inputs import PlanSettings, PlanState
from ven.energy.mpc import plan
from ven.energy.strategy import STRATEGIES, Strategy
from ven.energy.tariff import Tariff, TouPeriod

BUILDINGS = Path(__file__).resolve().parents[2] / "examples" / "buildings"
NAMES = ("office", "hotel", "home")
SEASONS = {"winter": (1, 12), "spring": (4, 13), "summer": (7, 13), "autumn": (10, 12)}
LIMITS_S = {6: 1.0, 24: 2.0, 48: 4.0}


def bench_tariff(building: Building, name: str) -> Tariff:
    """The benchmark's tariff: commercial TOU with a demand charge for the office and hotel,
    residential TOU with a small demand charge for the home."""
    if name == "home":
        return Tariff(kind="tou", price=0.30, export_price=0.05, demand_charge_per_kw=8.0,
                      periods=(TouPeriod(start_hour=16, end_hour=21, price=0.52),
                               TouPeriod(start_hour=0, end_hour=6, price=0.22)),
                      timezone=building.timezone)
    return Tariff(kind="tou", price=0.16, export_price=0.04, demand_charge_per_kw=18.0,
                  periods=(TouPeriod(start_hour=16, end_hour=21, price=0.42, days="weekday"),
                           TouPeriod(start_hour=8, end_hour=16, price=0.24, days="weekday")),
                  timezone=building.timezone)


def _days() -> float:
    if "OADR_BENCH_ENERGY_DAYS" in os.environ:
        return float(os.environ["OADR_BENCH_ENERGY_DAYS"])
    return 28.0 if os.environ.get("OADR_BENCH_ENERGY") == "full" else 7.0


def _names() -> tuple[str, ...]:
    wanted = os.environ.get("OADR_BENCH_ENERGY_BUILDINGS")
    return NAMES if not wanted else tuple(n for n in NAMES if n in wanted.split(","))


def _seasons() -> dict[str, tuple[int, int]]:
    wanted = os.environ.get("OADR_BENCH_ENERGY_SEASONS")
    return SEASONS if not wanted else {k: v for k, v in SEASONS.items()
                                       if k in wanted.split(",")}


def _strategies() -> tuple[str, ...]:
    wanted = os.environ.get("OADR_BENCH_ENERGY_STRATEGIES")
    return STRATEGIES if not wanted else tuple(s for s in STRATEGIES if s in wanted.split(","))


def _start(building: Building, month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=ZoneInfo(building.timezone)).astimezone(UTC)


def _row(name: str, season: str, r: RunResult, base: RunResult | None) -> str:
    def pct(value: float, ref: float) -> str:
        return f"{100 * (value - ref) / abs(ref):+.0f}%" if ref else "-"

    label = "rule-based" if r.controller == "rule" else r.strategy
    vs = "" if base is None else (f"  cost {pct(r.total_cost, base.total_cost)}, "
                                  f"peak {pct(r.peak_kw, base.peak_kw)}")
    return (f"{name:<7}{season:<8}{label:<14}{r.energy_cost:>10.2f}{r.demand_charge:>10.2f}"
            f"{r.total_cost:>10.2f}{r.peak_kw:>8.1f}{r.comfort_violation_ch:>8.2f}"
            f"{r.other_side_ch:>8.1f}{r.setpoint_deviation_ch:>8.1f}{r.battery_cycles:>7.2f}{r.carbon_kg:>8.0f}"
            f"{1000 * r.plan_s:>7.0f}{vs}")


def value() -> None:
    """Closed-loop weeks per building, season and strategy."""
    days = _days()
    print(f"Closed loop: {days:g} simulated days per season, re-plan every 15 min over 24 h")
    print(f"{'bldg':<7}{'season':<8}{'controller':<14}{'energy':>10}{'demand':>10}{'total':>10}"
          f"{'peak':>8}{'viol':>8}{'other':>8}{'dev':>8}{'cyc':>7}{'kgCO2':>8}{'ms':>7}")
    print(f"{'':<29}{'[cur]':>10}{'[cur]':>10}{'[cur]':>10}{'[kW]':>8}{'[°C·h]':>8}"
          f"{'[°C·h]':>8}{'[°C·h]':>8}{'[-]':>7}{'':>8}{'plan':>7}")
    for name in _names():
        path = BUILDINGS / f"{name}.toml"
        building, climate = load_building(path), load_climate(path)
        tariff = bench_tariff(building, name)
        for season, (month, day) in _seasons().items():
            start = _start(building, month, day)
            models = fitted_zone_models(building, start - timedelta(days=7), 7 * 24.0, seed=0,
                                        climate=climate)
            settings = PlanSettings(zone_models=models)
            base = run_closed_loop(building, start, days, controller="rule", tariff=tariff,
                                   climate=climate)
            print(_row(name, season, base, None), flush=True)
            for strategy in _strategies():
                r = run_closed_loop(building, start, days, controller="mpc", tariff=tariff,
                                    strategy=Strategy.named(strategy), climate=climate,
                                    settings=settings)
                print(_row(name, season, r, base), flush=True)
            zones = sum(1 for d in building.devices if d.kind == "hvac")
            print(f"{'':<15}(zone models: {len(models)} of {zones} fitted and accepted, the "
                  f"rest as configured)", flush=True)


def speed() -> None:
    """One plan per horizon and building, median of 5 [s]."""
    print("\nPlan time (build + HiGHS + read back), 15-min steps, median of 5 runs [s]")
    print(f"{'bldg':<8}{'horizon':>8}{'series':>9}{'median':>9}{'limit':>7}{'forecast':>10}")
    for name in NAMES:
        path = BUILDINGS / f"{name}.toml"
        building, climate = load_building(path), load_climate(path)
        tariff = bench_tariff(building, name)
        start = _start(building, 7, 13)
        clock = ManualClock(start - timedelta(days=14))
        sim = SimulatedBuilding(building, clock, climate=climate)
        clock.advance(timedelta(days=14))
        history = sim.run(start)
        for hours in (6, 24, 48):
            index = pd.date_range(start, periods=hours * 4, freq="15min")
            t_out = pd.Series(sim.weather.frame(index + pd.Timedelta("7.5min"))[T_OUT]
                              .to_numpy(), index=index)
            began = time.perf_counter()
            forecast = learned_forecast(building, history, index, t_out,
                                        typical_carbon(index, building.timezone))
            fc_s = time.perf_counter() - began
            state = PlanState(now=start, devices=sim.state())
            times = []
            schedule = None
            for _ in range(5):
                began = time.perf_counter()
                schedule = plan(building, state, forecast, tariff, Strategy.named("balanced"),
                                horizon=timedelta(hours=hours))
                times.append(time.perf_counter() - began)
            cols = 0 if schedule is None else schedule.frame.shape[1]
            print(f"{name:<8}{hours:>6} h{cols:>9}{statistics.median(times):>9.3f}"
                  f"{LIMITS_S[hours]:>7.1f}{fc_s:>10.3f}")


def main() -> None:
    """Print the speed table, then the value table (``OADR_BENCH_ENERGY=speed`` or ``value``:
    only that one)."""
    mode = os.environ.get("OADR_BENCH_ENERGY")
    if mode != "value":
        speed()
        print()
    if mode != "speed":
        value()


if __name__ == "__main__":
    main()
