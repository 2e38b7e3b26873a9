"""``oadr-ven energy plan``: a plan on a building file, its table, and refused input."""

from __future__ import annotations

from pathlib import Path

import pytest

from ven.cli import main

HOME = Path(__file__).resolve().parents[2] / "examples" / "buildings" / "home.toml"


def test_energy_plan_prints_the_plan_under_the_configured_tariff(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    energy = tmp_path / "energy.toml"
    energy.write_text('[energy]\nstrategy = "economic"\nhorizon_h = 6\n[energy.tariff]\n'
                      'price = 0.3\ndemand_charge_per_kw = 8.0\n', encoding="utf-8")
    assert main(["energy", "plan", "--building", str(HOME), "--start", "2026-07-15T00:00",
                 "--energy", str(energy)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("12 Elm Street: economic plan from 2026-07-15 00:00 for 6 h")
    assert "battery.kw" in out[1] and "ac.temp_c" in out[1]
    assert len(out) == 2 + 6 + 1  # header, one row per hour, totals


def test_energy_plan_refuses_bad_input(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["energy", "plan", "--building", str(HOME), "--start", "soon"]) == 2
    assert "not an ISO 8601 time" in capsys.readouterr().err
    energy = tmp_path / "energy.toml"
    energy.write_text("[energy]\nhorizon_h = 99\n", encoding="utf-8")
    assert main(["energy", "plan", "--building", str(HOME), "--start", "2026-07-15T00:00",
                 "--energy", str(energy)]) == 2
    assert "horizon_h must be a number in 1..48" in capsys.readouterr().err
