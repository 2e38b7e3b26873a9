"""Turning stored telemetry samples into the histories the fits and forecasts learn from.

Samples (``ven.client.telemetry.Sample``) are binned onto a regular grid of `step`: each bin
[t, t + step) gets the mean of its ``power`` samples [kW] and of the building meter's
``outdoor_temperature`` [°C], and the first ``temperature`` sample of the zone [°C] (the zone
temperature at the bin's start). Bins without every needed quantity are gaps; the longest
stretch without a gap is used, and the history says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

from ven.client.telemetry import BUILDING_METER, Sample
from ven.learning.errors import LearningInputError
from ven.learning.thermal_fit import ZoneHistory

__all__ = ["OUTDOOR_TEMPERATURE", "ZONE_TEMPERATURE", "load_history", "zone_history"]

ZONE_TEMPERATURE = "temperature"
"""The quantity of a zone's measured indoor temperature [°C] in the telemetry."""
OUTDOOR_TEMPERATURE = "outdoor_temperature"
"""The building meter's outdoor temperature [°C] in the telemetry."""


def _series(samples: Iterable[Sample], device_id: str, quantity: str) -> pd.Series:
    rows = [(s.time, s.value) for s in samples
            if s.device_id == device_id and s.quantity == quantity]
    if not rows:
        return pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype=float)
    times, values = zip(*rows, strict=True)
    return pd.Series(values, index=pd.DatetimeIndex(times).tz_convert("UTC"), dtype=float)


def _binned(series: pd.Series, step: pd.Timedelta, how: str) -> pd.Series:
    if series.empty:
        return series
    grouped = series.groupby(series.index.floor(step))
    return grouped.first() if how == "first" else grouped.mean()


def _minutes(step: pd.Timedelta) -> str:
    return f"{step / pd.Timedelta(minutes=1):g} min"


def _longest_stretch(frame: pd.DataFrame, step: pd.Timedelta) -> tuple[pd.DataFrame, str]:
    """The longest run of complete consecutive bins, and a note when bins were left out."""
    full = frame.dropna()
    if full.empty:
        return full, ""
    breaks = np.flatnonzero((full.index[1:] - full.index[:-1]) != step)
    bounds = [0, *(int(b) + 1 for b in breaks), len(full)]
    first, last = max(pairwise(bounds), key=lambda r: r[1] - r[0])
    kept = full.iloc[first:last]
    dropped = len(frame) - len(kept)
    note = (f"; the longest stretch without gaps, {kept.index[0].isoformat()} to "
            f"{(kept.index[-1] + step).isoformat()} ({dropped} other interval(s) left out)"
            if dropped else "")
    return kept, note


def zone_history(samples: Sequence[Sample], zone_id: str, step: pd.Timedelta) -> ZoneHistory:
    """The history of zone `zone_id` in `samples`, binned by `step` (see the module)."""
    power = _binned(_series(samples, zone_id, "power"), step, "mean")
    t_in = _binned(_series(samples, zone_id, ZONE_TEMPERATURE), step, "first")
    t_out = _binned(_series(samples, BUILDING_METER, OUTDOOR_TEMPERATURE), step, "mean")
    for name, series, who in (("power", power, zone_id), (ZONE_TEMPERATURE, t_in, zone_id),
                              (OUTDOOR_TEMPERATURE, t_out, BUILDING_METER)):
        if series.empty:
            raise LearningInputError(f"the telemetry has no {name!r} samples of {who!r}"
                                     + (" (the VEN records zone temperatures only where its "
                                        "devices report them)" if name == ZONE_TEMPERATURE
                                        else ""))
    frame = pd.DataFrame({"power_kw": power, "t_in_c": t_in, "t_out_c": t_out})
    zone_times = power.index.union(t_in.index)
    frame = frame.loc[zone_times.min():zone_times.max()]  # the zone's own span
    kept, note = _longest_stretch(frame, step)
    if len(kept) < 2:
        raise LearningInputError(f"the telemetry of {zone_id!r} has fewer than 2 consecutive "
                                 f"{_minutes(step)} intervals with power, zone and outdoor "
                                 "temperature")
    return ZoneHistory(zone_id=zone_id, times=pd.DatetimeIndex(kept.index),
                       power_kw=kept["power_kw"].to_numpy(), t_in_c=kept["t_in_c"].to_numpy(),
                       t_out_c=kept["t_out_c"].to_numpy(),
                       source=f"telemetry, {len(kept)} intervals of {_minutes(step)}{note}")


def load_history(samples: Sequence[Sample], pv_ids: Sequence[str], step: pd.Timedelta
                 ) -> pd.DataFrame:
    """The building's history from `samples`: load_kw (the meter's net load plus the PV's
    generation) [kW], pv_kw (generation of the `pv_ids` devices, >= 0) [kW] and, when
    recorded, t_out_c [°C], binned by `step`; bins without a meter reading are dropped."""
    net = _binned(_series(samples, BUILDING_METER, "power"), step, "mean")
    if net.empty:
        raise LearningInputError(f"the telemetry has no 'power' samples of {BUILDING_METER!r}")
    frame = pd.DataFrame({"net_kw": net})
    pv = pd.Series(0.0, index=net.index)
    for pv_id in pv_ids:
        generation = -_binned(_series(samples, pv_id, "power"), step, "mean")
        pv = pv.add(generation.reindex(net.index).fillna(0.0), fill_value=0.0)
    frame["pv_kw"] = pv.clip(lower=0.0)
    frame["load_kw"] = frame["net_kw"] + frame["pv_kw"]
    t_out = _binned(_series(samples, BUILDING_METER, OUTDOOR_TEMPERATURE), step, "mean")
    if not t_out.empty:
        frame["t_out_c"] = t_out.reindex(net.index).interpolate(limit_area="inside")
    return frame.drop(columns="net_kw")
