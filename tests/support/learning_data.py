"""Histories for the fit and forecast tests: zone and building CSVs and stored telemetry."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ven.client.telemetry import BUILDING_METER, Sample, TelemetryStore
from ven.learning.thermal_fit import ZoneHistory


def write_zone_csv(history: ZoneHistory, path: Path) -> Path:
    """`history` as a zone CSV (time,power_kw,t_in_c,t_out_c)."""
    lines = ["time,power_kw,t_in_c,t_out_c"]
    lines.extend(f"{t.isoformat()},{p:.5f},{i:.4f},{o:.4f}" for t, p, i, o in zip(
        history.times, history.power_kw, history.t_in_c, history.t_out_c, strict=True))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_load_csv(frame: pd.DataFrame, path: Path) -> Path:
    """A building history frame (load_kw, pv_kw, t_out_c) as a building CSV."""
    lines = ["time," + ",".join(frame.columns)]
    lines.extend(f"{t.isoformat()}," + ",".join(f"{v:.4f}" for v in row)
                 for t, row in zip(frame.index, frame.itertuples(index=False), strict=True))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def zone_samples(history: ZoneHistory) -> list[Sample]:
    """What the VEN's telemetry would hold of the zone: its power and temperature, and the
    building meter's outdoor temperature, at each interval start."""
    samples = []
    for t, p, i, o in zip(history.times, history.power_kw, history.t_in_c, history.t_out_c,
                          strict=True):
        moment = t.to_pydatetime()
        samples += [Sample(time=moment, device_id=history.zone_id, quantity="power",
                           value=float(p), unit="kW"),
                    Sample(time=moment, device_id=history.zone_id, quantity="temperature",
                           value=float(i), unit="°C"),
                    Sample(time=moment, device_id=BUILDING_METER,
                           quantity="outdoor_temperature", value=float(o), unit="°C")]
    return samples


def load_samples(frame: pd.DataFrame, pv_id: str | None = None) -> list[Sample]:
    """The building meter's net load (load - PV) [kW], outdoor temperature and, with `pv_id`,
    the PV's power (negative) of a building history frame."""
    samples = []
    for t, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        moment = t.to_pydatetime()
        samples.append(Sample(time=moment, device_id=BUILDING_METER, quantity="power",
                              value=float(row.load_kw - row.pv_kw), unit="kW"))
        samples.append(Sample(time=moment, device_id=BUILDING_METER,
                              quantity="outdoor_temperature", value=float(row.t_out_c),
                              unit="°C"))
        if pv_id is not None:
            samples.append(Sample(time=moment, device_id=pv_id, quantity="power",
                                  value=-float(row.pv_kw), unit="kW"))
    return samples


async def store_samples(database: Path, samples: list[Sample]) -> None:
    """Write `samples` into the telemetry tables of the state file `database`."""
    store = await TelemetryStore.open(database)
    try:
        await store.add(samples)
    finally:
        await store.close()
