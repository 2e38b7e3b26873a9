"""Reading the histories the fits and forecasts learn from out of CSV files, strictly.

Two wide formats (one row per interval, a header row, times ISO 8601; a time without an offset
is UTC; rows in time order on a regular grid with no gaps):

- a zone's history (``ZONE_COLUMNS``): ``time`` (interval start), ``power_kw`` (mean electric
  HVAC power over the interval [kW]), ``t_in_c`` (zone temperature at the interval's start
  [°C]), ``t_out_c`` (mean outdoor temperature over the interval [°C]);
- a building's history (``LOAD_COLUMNS``): ``time``, ``load_kw`` (mean consumption [kW]), and
  optionally ``pv_kw`` (mean PV generation [kW], >= 0) and ``t_out_c`` [°C].

A telemetry export (``oadr-ven telemetry export``: ``time,device_id,quantity,value,unit``) is
read as samples instead (``read_samples``). Every problem is a ``LearningInputError`` naming
the file, the line and the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ven.client.telemetry import CSV_COLUMNS, Sample
from ven.learning.errors import LearningInputError
from ven.learning.thermal_fit import ZoneHistory

__all__ = ["LOAD_COLUMNS", "MIN_ROWS", "ZONE_COLUMNS", "is_telemetry_export", "read_load_csv",
           "read_samples", "read_zone_csv"]

ZONE_COLUMNS = ("time", "power_kw", "t_in_c", "t_out_c")
LOAD_COLUMNS = ("time", "load_kw")
LOAD_OPTIONAL = ("pv_kw", "t_out_c")
MIN_ROWS = 3
"""Fewest data rows a wide CSV may have."""


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LearningInputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LearningInputError(f"{path}: cannot be read: {exc}") from exc
    rows = [row for row in csv.reader(text.splitlines()) if any(cell.strip() for cell in row)]
    if not rows:
        raise LearningInputError(f"{path}: the file is empty (a header row is needed)")
    return [cell.strip() for cell in rows[0]], rows[1:]


def _time(text: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise LearningInputError(f"{where}: {text!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise LearningInputError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise LearningInputError(f"{where}: {text!r} is not a finite number")
    return value


def _wide(path: Path, required: Sequence[str], optional: Sequence[str]) -> pd.DataFrame:
    header, rows = _rows(path)
    missing = [c for c in required if c not in header]
    if missing:
        raise LearningInputError(f"{path}: missing column(s) {', '.join(missing)} (the header "
                                 f"has {', '.join(header) or 'nothing'}; needed: "
                                 f"{', '.join(required)})")
    wanted = [*required, *(c for c in optional if c in header)]
    where = {c: header.index(c) for c in wanted}
    if len(rows) < MIN_ROWS:
        raise LearningInputError(f"{path}: too few rows ({len(rows)}; at least {MIN_ROWS})")
    times: list[datetime] = []
    values: dict[str, list[float]] = {c: [] for c in wanted if c != "time"}
    for line, row in enumerate(rows, start=2):
        if len(row) < len(header):
            raise LearningInputError(f"{path}, line {line}: {len(row)} field(s), the header has "
                                     f"{len(header)}")
        times.append(_time(row[where["time"]], f"{path}, line {line}, column time"))
        for column in values:
            values[column].append(_number(row[where[column]],
                                          f"{path}, line {line}, column {column}"))
    index = pd.DatetimeIndex(times).tz_convert("UTC")
    steps = np.diff(index.asi8)
    bad = np.flatnonzero(steps <= 0)
    if len(bad):
        raise LearningInputError(f"{path}, line {bad[0] + 3}: time {index[bad[0] + 1].isoformat()}"
                                 " is not after the row before (rows must be in time order)")
    gaps = np.flatnonzero(steps != steps[0])
    if len(gaps):
        k = int(gaps[0])
        step = index[1] - index[0]
        raise LearningInputError(
            f"{path}, line {k + 3}: a gap or uneven step: {index[k].isoformat()} -> "
            f"{index[k + 1].isoformat()}, while the file's step is {step} (fill or cut the "
            "missing stretch)")
    return pd.DataFrame(values, index=index)


def read_zone_csv(path: str | Path, zone_id: str) -> ZoneHistory:
    """The zone history in the wide CSV at `path` (``ZONE_COLUMNS``), for `zone_id`."""
    file = Path(path)
    frame = _wide(file, ZONE_COLUMNS, ())
    negative = np.flatnonzero(frame["power_kw"].to_numpy() < 0)
    if len(negative):
        raise LearningInputError(f"{file}, line {negative[0] + 2}, column power_kw: the HVAC's "
                                 "electric power cannot be negative")
    return ZoneHistory(zone_id=zone_id, times=pd.DatetimeIndex(frame.index),
                       power_kw=frame["power_kw"].to_numpy(), t_in_c=frame["t_in_c"].to_numpy(),
                       t_out_c=frame["t_out_c"].to_numpy(), source=f"{file} ({len(frame)} rows)")


def read_load_csv(path: str | Path) -> pd.DataFrame:
    """The building history in the wide CSV at `path`: columns load_kw [kW] and, when the
    file has them, pv_kw [kW] and t_out_c [°C], on a tz-aware UTC index."""
    file = Path(path)
    return _wide(file, LOAD_COLUMNS, LOAD_OPTIONAL)


def is_telemetry_export(path: str | Path) -> bool:
    """True when the file's header is a telemetry export's (``CSV_COLUMNS``)."""
    header, _ = _rows(Path(path))
    return tuple(header) == CSV_COLUMNS


def read_samples(path: str | Path) -> list[Sample]:
    """The samples of a telemetry export CSV (``time,device_id,quantity,value,unit``)."""
    file = Path(path)
    header, rows = _rows(file)
    if tuple(header) != CSV_COLUMNS:
        raise LearningInputError(f"{file}: not a telemetry export (header {', '.join(header)}; "
                                 f"expected {', '.join(CSV_COLUMNS)})")
    samples = []
    for line, row in enumerate(rows, start=2):
        if len(row) != len(CSV_COLUMNS):
            raise LearningInputError(f"{file}, line {line}: {len(row)} field(s), expected "
                                     f"{len(CSV_COLUMNS)}")
        samples.append(Sample(time=_time(row[0], f"{file}, line {line}, column time"),
                              device_id=row[1], quantity=row[2],
                              value=_number(row[3], f"{file}, line {line}, column value"),
                              unit=row[4]))
    return samples
