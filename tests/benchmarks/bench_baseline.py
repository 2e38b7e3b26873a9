"""Benchmark: baseline computation on a year of 15-minute meter data, per preset."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from ven.baseline import CAISO_10_IN_10, NYISO_5_OF_10, PJM_HIGH_4_OF_5, compute_baseline


def main() -> None:
    """Print the best-of-5 time [ms] of one baseline over a 4-hour event, per preset."""
    end = datetime(2024, 7, 17, 14, tzinfo=UTC)
    index = pd.date_range(end - pd.Timedelta(days=365), end, freq="15min", inclusive="left")
    history = pd.Series(np.random.default_rng(7).uniform(50, 150, len(index)), index=index)
    start, stop = end, end + pd.Timedelta(hours=4)
    print(f"{'preset':<18} {'best of 5 [ms]':>15}  method")
    for config in (CAISO_10_IN_10, NYISO_5_OF_10, PJM_HIGH_4_OF_5):
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            result = compute_baseline(
                history, start=start, end=stop, timezone="America/Los_Angeles", config=config
            )
            best = min(best, time.perf_counter() - t0)
        print(f"{config.name:<18} {best * 1e3:>15.1f}  {result.method}")
