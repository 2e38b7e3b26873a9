"""``oadr-ven plan``: a dry run on a building file, measured on the simulated building."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ven.cli import main

OFFICE = Path(__file__).resolve().parents[2] / "examples" / "buildings" / "office.toml"


def test_plan_json_in_a_subprocess(tmp_path: Path):
    chart = tmp_path / "out.png"
    done = subprocess.run(
        [sys.executable, "-m", "ven", "plan", "--building", str(OFFICE), "--signal", "SIMPLE",
         "--level", "2", "--start", "2026-07-15T14:00", "--duration", "1h", "--json",
         "--chart", str(chart)],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["building"] == "office-sj" and data["signal"] == "SIMPLE level 2"
    rows = data["intervals"]
    event = [r for r in rows if r["in_event"]]
    assert [r["start"] for r in event] == [
        "2026-07-15T21:00:00+00:00", "2026-07-15T21:15:00+00:00",
        "2026-07-15T21:30:00+00:00", "2026-07-15T21:45:00+00:00"]  # 14:00 PDT
    assert len(rows) > len(event)  # the rebound hour follows
    for row in event:
        assert row["measured_shed_kw"] > 0
        assert row["target_kw"] == pytest.approx(row["baseline_kw"] - row["requested_shed_kw"],
                                                 abs=1e-2)
        assert row["measured_shed_kw"] == pytest.approx(
            row["baseline_kw"] - row["measured_kw"], abs=1e-2)
    assert any(abs(r["measured_kw"] - r["planned_kw"]) > 1e-3 for r in event)  # simulated
    totals = data["totals"]
    assert totals["requested_kwh"] > 0 and totals["delivered_kwh"] > 0
    assert totals["delivered_pct"] == pytest.approx(
        100 * totals["delivered_kwh"] / totals["requested_kwh"], abs=0.1)
    assert totals["baseline_method"] == "x-of-y" and totals["baseline_confidence"] == "high"
    assert totals["solver_status"] == "optimal" and totals["solve_s"] > 0
    assert data["chart"] == str(chart) and chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plan_load_dispatch_delta_table(capsys: pytest.CaptureFixture[str]):
    code = main(["plan", "--building", str(OFFICE), "--signal", "LOAD_DISPATCH", "--kw", "30",
                 "--start", "2026-07-15T15:00", "--duration", "1h", "--intervals", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "LOAD_DISPATCH delta 30 kW" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("interval"))
    assert lines[header + 1].startswith("15:00") and lines[header + 4].startswith("15:45")
    assert "after" in lines[header + 5]
    assert "requested 30.0 kWh" in out and "baseline: CAISO 10-in-10" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--signal", "LOAD_DISPATCH"], "exactly one of --kw"),
    (["--duration", "soon"], "duration: 'soon'"),
    (["--start", "tomorrow"], "start: 'tomorrow'"),
])
def test_plan_errors_are_readable(args: list[str], message: str,
                                  capsys: pytest.CaptureFixture[str]):
    base = ["plan", "--building", str(OFFICE), "--start", "2026-07-15T14:00"]
    code = main(base + args)
    assert code == 2
    assert message in capsys.readouterr().err


def test_plan_with_a_missing_building_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code = main(["plan", "--building", str(tmp_path / "nope.toml"), "--start", "2026-07-15T14:00"])
    assert code == 2
    assert "cannot read the building file" in capsys.readouterr().err
