"""``oadr-ven energy plan``: one energy-manager plan on a building file's simulated building."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from common.clock import ManualClock
from common.errors import ConfigError

__all__ = ["HELP", "add_energy_arguments", "energy_command"]

HELP = ("Plan the building's devices over the next hours under a tariff and a strategy (the "
        "always-on energy manager), from its simulated building after 14 days of history, "
        "and print the plan.")
_WARMUP = timedelta(days=14)


def add_energy_arguments(sub: argparse.ArgumentParser) -> None:
    """The options of ``oadr-ven energy plan``."""
    sub.add_argument("--building", required=True, metavar="FILE.toml", help="the building file")
    sub.add_argument("--start", required=True, metavar="TIME",
                     help="plan start, ISO 8601 (no offset: the building's local time)")
    sub.add_argument("--energy", metavar="FILE.toml",
                     help="a TOML file with an [energy] table (strategy, horizon_h, step_min, "
                          "[energy.weights], [energy.tariff]); default: economic, 24 h, "
                          "15 min, flat 0.25/kWh")
    sub.add_argument("--strategy", choices=["economic", "comfort", "environmental", "balanced"],
                     help="overrides the [energy] table's strategy")
    sub.add_argument("--seed", type=int, default=0, help="weather and noise seed (default: 0)")
    sub.add_argument("--json", action="store_true", help="machine-readable output")


def _start(text: str, timezone: str, step: timedelta) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"start: {text!r} is not an ISO 8601 time like 2026-07-15T14:00"
                          ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))
    stamp = pd.Timestamp(moment).tz_convert("UTC").floor(pd.Timedelta(step))
    return stamp.to_pydatetime()


def energy_command(args: argparse.Namespace) -> int:
    """Run ``oadr-ven energy plan``; returns the exit status."""
    from ven.devices.config import load_building, load_climate
    from ven.devices.history import T_OUT
    from ven.devices.simulated import SimulatedBuilding
    from ven.energy.config import (
        EnergyConfigError,
        energy_config_from_file,
        parse_energy_table,
    )
    from ven.energy.forecasts import learned_forecast, typical_carbon
    from ven.energy.inputs import PlanState
    from ven.energy.mpc import plan
    from ven.energy.strategy import Strategy, StrategyError
    from ven.energy.tariff import TariffError

    building = load_building(args.building)
    try:
        config = (energy_config_from_file(args.energy, timezone=building.timezone)
                  if args.energy else None) or parse_energy_table({}, timezone=building.timezone)
        strategy = (Strategy.named(args.strategy) if args.strategy else config.strategy)
    except (EnergyConfigError, StrategyError, TariffError, OSError, tomllib.TOMLDecodeError
            ) as exc:
        raise ConfigError(f"energy settings: {exc}") from None
    start = _start(args.start, building.timezone, config.step)
    clock = ManualClock(start - _WARMUP)
    sim = SimulatedBuilding(building, clock, climate=load_climate(args.building), seed=args.seed)
    clock.advance(_WARMUP)
    history = sim.run(start, config.step)
    index = pd.date_range(start, start + config.horizon, freq=config.step, inclusive="left")
    t_out = pd.Series(sim.weather.frame(index + config.step / 2)[T_OUT].to_numpy(), index=index)
    forecast = learned_forecast(building, history, index, t_out,
                                typical_carbon(index, building.timezone))
    schedule = plan(building, PlanState(now=start, devices=sim.state()), forecast,
                    config.tariff, strategy, horizon=config.horizon, step=config.step,
                    settings=config.settings)
    if args.json:
        data = {"building": building.id, "currency": config.tariff.currency,
                **schedule.as_json(),
                "commands": [{"device_id": c.device_id, "command": type(c).__name__,
                              **{k: getattr(c, k) for k in ("kw", "celsius", "on")
                                 if hasattr(c, k)}} for c in schedule.commands]}
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return 0
    zone = ZoneInfo(building.timezone)
    out = [f"{building.name}: {strategy.name} plan from {start.astimezone(zone):%Y-%m-%d %H:%M} "
           f"for {config.horizon / timedelta(hours=1):g} h ({schedule.status}, "
           f"{1000 * (schedule.build_s + schedule.solve_s):.0f} ms)"]
    frame = schedule.frame
    hourly = frame.iloc[:: max(1, int(timedelta(hours=1) / config.step))]
    columns = [c for c in frame.columns if c.endswith((".kw", ".temp_c", ".soc"))
               or c in ("import_kw", "export_kw")]
    widths = [max(10, len(c) + 2) for c in columns]
    out.append("local  " + "".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for moment, row in hourly.iterrows():
        local = pd.Timestamp(str(moment)).tz_convert(zone)
        out.append(f"{local:%H:%M}  " + "".join(
            f"{row[c]:>{w}.2f}" for c, w in zip(columns, widths, strict=True)))
    t = schedule.totals
    out.append(f"energy cost {t['energy_cost']:.2f} {config.tariff.currency}, demand charge "
               f"increment {t['demand_charge_increment']:.2f}, peak {t['peak_kw']:.1f} kW, "
               f"comfort deviation {t['comfort_deviation_ch']:.1f} °C·h, band violation "
               f"{t['band_violation_ch']:.2f} °C·h, carbon {t['carbon_kg']:.1f} kg")
    sys.stdout.write("\n".join(out) + "\n")
    return 0
