"""Input values made finite and aligned on the dispatch's intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["clean", "series_on"]


def clean(values: np.ndarray, fill: float, what: str, notes: list[str]) -> np.ndarray:
    """`values` with non-finite entries replaced by `fill` (noted in `notes` as `what`)."""
    values = np.asarray(values, dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        notes.append(f"{what}: {int(bad.sum())} missing or non-finite values replaced by {fill}")
        values = np.where(bad, fill, values)
    return values


def series_on(index: pd.DatetimeIndex, value: pd.Series | float) -> np.ndarray:
    """`value` (a constant, or a series held from each of its stamps) at each stamp of `index`."""
    if isinstance(value, pd.Series):
        if len(value) == len(index) and value.index.equals(index):
            return value.to_numpy(dtype=float)
        src = value.sort_index()
        if len(src) == 0:
            return np.full(len(index), np.nan)
        pos = np.clip(src.index.searchsorted(index, side="right") - 1, 0, len(src) - 1)
        return src.to_numpy(dtype=float)[pos]
    return np.full(len(index), float(value))
