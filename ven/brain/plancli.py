"""``oadr-ven plan``: one event planned and simulated on a building file, without a VTN."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the dispatch (Pyomo) loads only when `plan` runs
    from ven.brain.dryrun import DryRun

__all__ = ["add_plan_arguments", "plan_command"]

HELP = ("Dry run (no VTN): plan one event on a building file, simulate the building carrying "
        "it out, and print baseline, target, planned and measured load per interval.")


def add_plan_arguments(sub: argparse.ArgumentParser) -> None:
    """The options of ``oadr-ven plan``."""
    sub.add_argument("--building", required=True, metavar="FILE.toml", help="the building file")
    sub.add_argument("--signal", default="SIMPLE", choices=["SIMPLE", "LOAD_DISPATCH"],
                     help="default: SIMPLE")
    sub.add_argument("--level", type=int, default=2, choices=[0, 1, 2, 3],
                     help="SIMPLE level (default: 2)")
    sub.add_argument("--kw", type=float, metavar="KW",
                     help="LOAD_DISPATCH delta: the load to shed [kW]")
    sub.add_argument("--setpoint-kw", type=float, metavar="KW",
                     help="LOAD_DISPATCH setpoint: the load to draw [kW]")
    sub.add_argument("--start", required=True, metavar="TIME",
                     help="event start, ISO 8601 (no offset: the building's local time)")
    sub.add_argument("--duration", default="1h", metavar="DURATION",
                     help="e.g. 1h, 90min, 1h30m (default: 1h)")
    sub.add_argument("--intervals", type=int, default=1, metavar="N",
                     help="split the event into N equal signal intervals (default: 1)")
    sub.add_argument("--recovery", metavar="DURATION",
                     help="recovery window after the event, e.g. 30min, or 0 for none (default: "
                          "the building file's [programme] recovery_minutes, else 1h)")
    sub.add_argument("--seed", type=int, default=0, help="weather and noise seed (default: 0)")
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_argument("--chart", metavar="OUT.png",
                     help="write a chart of baseline, target and measured load")


def run_plan(args: argparse.Namespace) -> DryRun:
    """The dry run the parsed arguments describe (raises ConfigError on bad input)."""
    from ven.brain.dryrun import dry_run, make_signal, parse_duration, parse_start
    from ven.devices.config import load_building

    building = load_building(args.building)
    signal = make_signal(
        args.signal, start=parse_start(args.start, building.timezone),
        duration=parse_duration(args.duration), intervals=args.intervals,
        level=args.level, delta_kw=args.kw, setpoint_kw=args.setpoint_kw)
    recovery = None
    if args.recovery is not None:
        recovery = (timedelta(0) if args.recovery.strip() in ("0", "0h", "0min")
                    else parse_duration(args.recovery))
    return dry_run(args.building, [signal], seed=args.seed, recovery=recovery)


def plan_command(args: argparse.Namespace) -> int:
    """Run ``oadr-ven plan`` and print its table (or JSON); returns the exit status."""
    from ven.brain.chart import write_chart

    run = run_plan(args)
    chart = None if args.chart is None else write_chart(run, Path(args.chart))
    if args.json:
        data = run.to_json()
        data["chart"] = None if chart is None else str(chart)
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        lines = run.lines()
        if chart is not None:
            lines.append(f"chart: {chart}")
        sys.stdout.write("\n".join(lines) + "\n")
    return 0
