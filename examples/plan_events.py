"""Each example building through a SIMPLE level-2 and a LOAD_DISPATCH event, simulated (no VTN).

    .venv/bin/python -m examples.plan_events      # dry runs; `make demo` runs VTN + VENs

Runs the same code path as ``oadr-ven plan`` (``ven.brain.dryrun``), prints one summary table
and writes a chart per run to ``var/demo/``.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from ven.brain.chart import write_chart
from ven.brain.dryrun import DryRun, dry_run, make_signal, parse_start
from ven.devices.config import load_building

BUILDINGS_DIR = Path(__file__).resolve().parent / "buildings"
OUT_DIR = Path("var/demo")
DAY = "2026-07-15"  # a summer Wednesday


@dataclass(frozen=True, slots=True)
class Case:
    """One example building: its file, the local start of its events, and the LOAD_DISPATCH
    delta sized to it [kW]."""

    name: str
    start: str
    delta_kw: float


CASES = (Case("office", "14:00", 40.0), Case("hotel", "17:00", 30.0), Case("home", "18:00", 2.0))


def plan_building(
    building_file: str | Path,
    signal: str,
    *,
    start: str,
    duration: timedelta = timedelta(hours=1),
    level: int = 2,
    delta_kw: float | None = None,
    seed: int = 0,
) -> DryRun:
    """One dry run: `signal` (SIMPLE at `level`, or LOAD_DISPATCH shedding `delta_kw` [kW])
    from `start` (local time of the building, ISO 8601) for `duration`."""
    building = load_building(building_file)
    event = make_signal(signal, start=parse_start(start, building.timezone), duration=duration,
                        level=level, delta_kw=delta_kw if signal == "LOAD_DISPATCH" else None)
    return dry_run(building_file, [event], seed=seed)


def summary_row(run: DryRun) -> list[str]:
    """building, signal, requested kW, baseline kW, achieved kW, % delivered, kWh, confidence."""
    t = run.totals()
    pct = "n/a" if t["delivered_pct"] is None else f"{t['delivered_pct']:.0f} %"
    return [run.building.id, _signal(run), _kw(t["requested_shed_kw"]), _kw(t["baseline_kw"]),
            _kw(t["measured_shed_kw"]), pct,
            f"{t['delivered_kwh']:.1f}/{t['requested_kwh']:.1f}", t["baseline_confidence"]]


def main(out_dir: Path = OUT_DIR) -> int:
    """Run every case, showing progress; print the summary table; returns the exit status."""
    runs: list[DryRun] = []
    total = 2 * len(CASES)
    began = time.perf_counter()
    for case in CASES:
        path = BUILDINGS_DIR / f"{case.name}.toml"
        for signal in ("SIMPLE", "LOAD_DISPATCH"):
            print(f"[{len(runs) + 1}/{total}] {case.name}: {signal} event from {DAY} "
                  f"{case.start} ...", end=" ", flush=True)
            t0 = time.perf_counter()
            run = plan_building(path, signal, start=f"{DAY}T{case.start}",
                                delta_kw=case.delta_kw)
            chart = write_chart(run, out_dir / f"{case.name}-{signal.lower()}.png")
            print(f"{time.perf_counter() - t0:.1f} s, chart {chart}", flush=True)
            runs.append(run)
    head = ["building", "signal", "requested kW", "baseline kW", "achieved kW", "delivered",
            "kWh shed/asked", "baseline confidence"]
    rows = [head, *(summary_row(r) for r in runs)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    print()
    for k, row in enumerate(rows):
        print("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\n{total} events planned and simulated in {time.perf_counter() - began:.1f} s; "
          "achieved = baseline - measured load (simulated meter), mean over the event.")
    return 0


def _signal(run: DryRun) -> str:
    sig = run.plan.signals[0]
    value = sig.intervals[0].value
    if sig.name == "SIMPLE":
        return f"SIMPLE level {value:g}"
    return f"{sig.name} {sig.type} {value:g} kW"


def _kw(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.1f}"


if __name__ == "__main__":
    sys.exit(main())
