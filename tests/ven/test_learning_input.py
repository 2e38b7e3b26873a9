"""The fits' and forecasts' input: strict CSV reading and telemetry samples on a grid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.support.learning_data import load_samples, write_zone_csv, zone_samples
from ven.client.telemetry import to_csv
from ven.learning.csvinput import (
    is_telemetry_export,
    read_load_csv,
    read_samples,
    read_zone_csv,
)
from ven.learning.errors import LearningInputError
from ven.learning.telemetryinput import load_history, zone_history
from ven.learning.thermal_fit import ZoneHistory

HEADER = "time,power_kw,t_in_c,t_out_c\n"


def small_history(rows: int = 8) -> ZoneHistory:
    times = pd.date_range("2025-07-01", periods=rows, freq="15min", tz="UTC")
    return ZoneHistory(zone_id="z", times=times, power_kw=np.linspace(0, 5, rows),
                       t_in_c=np.linspace(22, 24, rows), t_out_c=np.linspace(25, 30, rows))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "zone.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_zone_csv_round_trips(tmp_path: Path):
    history = small_history()
    read = read_zone_csv(write_zone_csv(history, tmp_path / "z.csv"), "z")
    assert list(read.times) == list(history.times)
    assert read.power_kw == pytest.approx(history.power_kw, abs=1e-5)
    assert read.t_in_c == pytest.approx(history.t_in_c, abs=1e-4)
    assert "8 rows" in read.source


def test_times_without_an_offset_are_utc(tmp_path: Path):
    path = write(tmp_path, HEADER + "".join(f"2025-07-01T00:{m:02d},1,22,25\n"
                                            for m in (0, 15, 30)))
    assert read_zone_csv(path, "z").times[0] == pd.Timestamp("2025-07-01T00:00Z")


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    ("time,power_kw,t_out_c\n2025-07-01T00:00Z,1,2\n", "missing column(s) t_in_c"),
    (HEADER + "2025-07-01T00:00Z,1,22,25\n2025-07-01T00:15Z,1,22,25\n",
     "too few rows (2; at least 3)"),
    (HEADER + "2025-07-01T00:00Z,1,22,25\n2025-07-01T00:15Z,one,22,25\n"
     "2025-07-01T00:30Z,1,22,25\n", "line 3, column power_kw: 'one' is not a number"),
    (HEADER + "2025-07-01T00:00Z,1,22,25\n2025-07-01T00:15Z,1,nan,25\n"
     "2025-07-01T00:30Z,1,22,25\n", "line 3, column t_in_c: 'nan' is not a finite number"),
    (HEADER + "2025-07-01T00:00Z,1,22,25\nyesterday,1,22,25\n2025-07-01T00:30Z,1,22,25\n",
     "line 3, column time: 'yesterday' is not an ISO 8601 time"),
    (HEADER + "2025-07-01T00:00Z,1,22,25\n2025-07-01T00:15Z,1,22,25\n"
     "2025-07-01T01:00Z,1,22,25\n", "line 4: a gap or uneven step"),
    (HEADER + "2025-07-01T00:15Z,1,22,25\n2025-07-01T00:00Z,1,22,25\n"
     "2025-07-01T00:30Z,1,22,25\n", "line 3: time 2025-07-01T00:00:00+00:00 is not after"),
    (HEADER + "2025-07-01T00:00Z,1,22,25\n2025-07-01T00:15Z,1,22\n"
     "2025-07-01T00:30Z,1,22,25\n", "line 3: 3 field(s), the header has 4"),
    (HEADER + "2025-07-01T00:00Z,-1,22,25\n2025-07-01T00:15Z,1,22,25\n"
     "2025-07-01T00:30Z,1,22,25\n", "line 2, column power_kw: the HVAC's electric power"),
])
def test_bad_zone_csvs_are_refused_with_the_place(tmp_path: Path, text: str, message: str):
    path = write(tmp_path, text)
    with pytest.raises(LearningInputError) as caught:
        read_zone_csv(path, "z")
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_a_missing_file(tmp_path: Path):
    with pytest.raises(LearningInputError, match="no such file"):
        read_zone_csv(tmp_path / "absent.csv", "z")


def test_a_load_csv_keeps_its_optional_columns(tmp_path: Path):
    path = tmp_path / "load.csv"
    path.write_text("time,load_kw,pv_kw,extra\n" + "".join(
        f"2025-07-01T0{h}:00Z,{h},0,x\n" for h in range(4)))
    frame = read_load_csv(path)
    assert list(frame.columns) == ["load_kw", "pv_kw"]
    assert frame["load_kw"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_a_telemetry_export_gives_the_zone_history(tmp_path: Path):
    history = small_history(12)
    path = tmp_path / "export.csv"
    path.write_text(to_csv(zone_samples(history)))
    assert is_telemetry_export(path) and not is_telemetry_export(write_zone_csv(
        history, tmp_path / "z.csv"))
    read = zone_history(read_samples(path), "z", pd.Timedelta(minutes=15))
    assert list(read.times) == list(history.times)
    assert read.t_out_c == pytest.approx(history.t_out_c)
    assert read.source == "telemetry, 12 intervals of 15 min"


def test_telemetry_with_gaps_uses_the_longest_stretch():
    history = small_history(12)
    samples = [s for s in zone_samples(history)
               if not (s.time == history.times[3] and s.quantity == "temperature")]
    read = zone_history(samples, "z", pd.Timedelta(minutes=15))
    assert list(read.times) == list(history.times[4:])
    assert "the longest stretch without gaps" in read.source
    assert "(4 other interval(s) left out)" in read.source


def test_telemetry_without_zone_temperatures_says_so():
    samples = [s for s in zone_samples(small_history()) if s.quantity != "temperature"]
    with pytest.raises(LearningInputError, match="no 'temperature' samples of 'z'"):
        zone_history(samples, "z", pd.Timedelta(minutes=15))


def test_telemetry_gives_the_load_history_with_pv_added_back():
    times = pd.date_range("2025-07-01", periods=4, freq="15min", tz="UTC")
    frame = pd.DataFrame({"load_kw": [5.0, 6.0, 7.0, 8.0], "pv_kw": [0.0, 1.0, 2.0, 0.5],
                          "t_out_c": [20.0, 21.0, 22.0, 23.0]}, index=times)
    found = load_history(load_samples(frame, "pv"), ["pv"], pd.Timedelta(minutes=15))
    assert found["load_kw"].tolist() == pytest.approx(frame["load_kw"].tolist())
    assert found["pv_kw"].tolist() == pytest.approx(frame["pv_kw"].tolist())
    hourly = load_history(load_samples(frame), [], pd.Timedelta(hours=1))
    assert hourly["load_kw"].tolist() == pytest.approx([(5 + 5 + 5 + 7.5) / 4])


def test_samples_are_binned_by_their_start():
    start = datetime(2025, 7, 1, tzinfo=UTC)
    history = small_history(4)
    samples = zone_samples(history)
    shifted = [s.__class__(time=s.time + timedelta(minutes=1), device_id=s.device_id,
                           quantity=s.quantity, value=s.value, unit=s.unit) for s in samples]
    read = zone_history(shifted, "z", pd.Timedelta(minutes=15))
    assert read.times[0] == pd.Timestamp(start)
