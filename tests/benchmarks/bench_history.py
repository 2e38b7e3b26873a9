"""Benchmark: a year of 15-minute simulated meter history, and a week of simulation steps."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common.clock import ManualClock
from ven.devices.config import load_building, load_climate
from ven.devices.history import generate_history
from ven.devices.simulated import SimulatedBuilding

BUILDINGS = Path(__file__).resolve().parents[2] / "examples" / "buildings"


def main() -> None:
    """Print history generation and simulation-step times [s] per example building."""
    print(f"{'building':<8} {'year of history [s]':>20} {'7 days of steps [s]':>20}")
    for name in ("office", "hotel", "home"):
        path = BUILDINGS / f"{name}.toml"
        building, climate = load_building(path), load_climate(path)
        start = datetime(2025, 1, 1, tzinfo=UTC)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            generate_history(building, start, start + timedelta(days=365), seed=5, climate=climate)
            best = min(best, time.perf_counter() - t0)
        clock = ManualClock(datetime(2025, 7, 1, tzinfo=UTC))
        sim = SimulatedBuilding(building, clock, climate=climate, seed=5)
        t0 = time.perf_counter()
        for _ in range(7 * 96):
            clock.advance(timedelta(minutes=15))
            sim.step()
        steps = time.perf_counter() - t0
        print(f"{name:<8} {best:>20.3f} {steps:>20.3f}")
