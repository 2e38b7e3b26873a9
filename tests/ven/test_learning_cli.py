"""``oadr-ven model fit`` and ``oadr-ven forecast`` as an operator runs them, through the CLI's
``main`` and as subprocesses (the real entry point: exit status, nothing on stderr)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.learning_data import (
    load_samples,
    store_samples,
    write_load_csv,
    write_zone_csv,
    zone_samples,
)
from tests.support.processes import ROOT, Run
from tests.support.ven_state import write_config
from ven.cli import main
from ven.devices.config import load_building, load_climate
from ven.devices.simulated import simulated_history
from ven.learning.simhistory import load_frame, simulated_zone_history

OFFICE = ROOT / "examples" / "buildings" / "office.toml"
HOME = ROOT / "examples" / "buildings" / "home.toml"
START = datetime(2025, 7, 7, tzinfo=UTC)


def oadr_ven(*args: str) -> Run:
    done = subprocess.run([sys.executable, "-m", "ven", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": ""})
    return Run(done.returncode, done.stdout, done.stderr)


def oadr_ven_main(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """`oadr-ven ARGS` through the CLI's ``main`` in this process (no interpreter start-up,
    whose imports take seconds): the exit status it returns, what it printed."""
    code = main(list(args))
    return Run(code, *capsys.readouterr())


@pytest.fixture(scope="module")
def office_zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    history = simulated_zone_history(load_building(OFFICE), "rtu-north", START, 5 * 24,
                                     climate=load_climate(OFFICE), noise_c=0.05)
    return write_zone_csv(history, tmp_path_factory.mktemp("zone") / "rtu-north.csv")


@pytest.fixture(scope="module")
def home_load(tmp_path_factory: pytest.TempPathFactory) -> Path:
    building = load_building(HOME)
    metered = simulated_history(building, START, START + timedelta(days=21), seed=2,
                                climate=load_climate(HOME))
    return write_load_csv(load_frame(building, metered), tmp_path_factory.mktemp("load")
                          / "home.csv")


def test_fit_on_a_csv_prints_the_lines_to_paste(office_zone: Path,
                                                capsys: pytest.CaptureFixture[str]):
    code = main(["model", "fit", "--csv", str(office_zone), "--building", str(OFFICE),
                 "--zone", "rtu-north"])
    run = Run(code, *capsys.readouterr())
    assert run.code == 0, run.err
    assert "Zone rtu-north: fit accepted" in run.out
    assert "configured: R = 0.12 °C/kW, C = 120 kWh/°C" in run.out
    assert "paste into this zone's [[devices]] table" in run.out
    assert "    r_c_per_kw = 0.11" in run.out or "    r_c_per_kw = 0.12" in run.out


def test_fit_json_is_one_document_with_units_in_the_names(office_zone: Path):
    run = oadr_ven("model", "fit", "--csv", str(office_zone), "--building", str(OFFICE),
                   "--zone", "rtu-north", "--json")
    assert run.code == 0 and run.err == "", run.err
    zone = json.loads(run.out)["zones"][0]
    assert zone["accepted"] and zone["in_force"] == "fitted"
    assert zone["fitted"]["r_c_per_kw"] == pytest.approx(0.12, rel=0.03)
    assert zone["fitted"]["c_kwh_per_c"] == pytest.approx(120.0, rel=0.03)
    assert zone["holdout_rmse_c"] < 0.2 and zone["max_holdout_rmse_c"] == 1.0


def test_a_refused_fit_exits_1_and_keeps_the_configured_model(
        office_zone: Path, capsys: pytest.CaptureFixture[str]):
    run = oadr_ven_main(capsys, "model", "fit", "--csv", str(office_zone), "--building",
                        str(OFFICE), "--zone", "rtu-north", "--min-hours", "500")
    assert run.code == 1, run.err
    assert "fit REFUSED: only 119.8 h of history; at least 500 h are needed; the configured " \
           "model stays in force" in run.out
    assert "in force: configured" in run.out and "paste" not in run.out


@pytest.mark.parametrize(("args", "message"), [
    (("--zone", "rtu-north", "--building", str(OFFICE)), "missing column(s) t_in_c"),
    (("--zone", "nowhere", "--building", str(OFFICE)), "no HVAC zone 'nowhere'"),
    ((), "name the zone with --zone"),
    (("--zone", "z1"), "give --mode cooling|heating"),
])
def test_bad_fit_input_exits_2_with_a_reason(tmp_path: Path, args: tuple[str, ...],
                                             message: str, capsys: pytest.CaptureFixture[str]):
    csv = tmp_path / "bad.csv"
    csv.write_text("time,power_kw,t_out_c\n2025-07-01T00:00Z,1,20\n")
    assert main(["model", "fit", "--csv", str(csv), *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("oadr-ven: ") and message in err


def test_bad_input_exits_2_in_a_subprocess_too(tmp_path: Path):
    csv = tmp_path / "bad.csv"
    csv.write_text("time,power_kw,t_out_c\n2025-07-01T00:00Z,1,20\n")
    run = oadr_ven("model", "fit", "--csv", str(csv), "--zone", "z", "--mode", "cooling")
    assert (run.code, run.out) == (2, "")
    assert run.err == f"oadr-ven: {csv}: missing column(s) t_in_c (the header has time, " \
                      "power_kw, t_out_c; needed: time, power_kw, t_in_c, t_out_c)\n"


def test_fit_and_forecast_on_the_stored_telemetry(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]):
    config = write_config(tmp_path)  # the office building; state file ven.sqlite
    zone = simulated_zone_history(load_building(OFFICE), "rtu-north", START, 3 * 24,
                                  climate=load_climate(OFFICE))
    building = load_building(OFFICE)
    metered = simulated_history(building, START - timedelta(days=14), START, seed=1,
                                climate=load_climate(OFFICE))
    asyncio.run(store_samples(tmp_path / "ven.sqlite", zone_samples(zone)
                              + load_samples(load_frame(building, metered))))
    fit = oadr_ven_main(capsys, "model", "fit", "--config", str(config), "--zone", "rtu-north",
                        "--json")
    assert fit.code == 0, fit.err
    found = json.loads(fit.out)["zones"][0]
    assert found["accepted"] and found["source"] == "telemetry, 288 intervals of 15 min"
    forecast = oadr_ven_main(capsys, "forecast", "--config", str(config), "--hours", "6",
                             "--json")
    assert forecast.code == 0, forecast.err
    data = json.loads(forecast.out)
    assert data["building_id"] == building.id and len(data["intervals"]) == 24
    assert data["intervals"][0]["start"] == START.isoformat()
    assert "regressed on the outdoor temperature" in data["weather"]


def test_fit_on_telemetry_without_zone_temperatures_says_what_is_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = write_config(tmp_path)
    building = load_building(OFFICE)
    metered = simulated_history(building, START, START + timedelta(days=2), seed=1,
                                climate=load_climate(OFFICE))
    asyncio.run(store_samples(tmp_path / "ven.sqlite", load_samples(load_frame(building,
                                                                               metered))))
    run = oadr_ven_main(capsys, "model", "fit", "--config", str(config))
    assert run.code == 2
    assert "no 'power' samples of 'rtu-north'" in run.err


def test_forecast_on_a_csv(home_load: Path, capsys: pytest.CaptureFixture[str]):
    run = oadr_ven_main(capsys, "forecast", "--csv", str(home_load), "--building", str(HOME))
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].startswith(f"Forecast from {(START + timedelta(days=21)).isoformat()} for 96 "
                               "intervals of 15 min")
    assert "method: same-time average of similar days, regressed on the outdoor" in run.out
    assert len([line for line in lines if line.startswith("  20")]) == 24  # one per hour
    document = oadr_ven_main(capsys, "forecast", "--csv", str(home_load), "--hours", "2",
                             "--at", "2025-07-28T12:00Z", "--json")
    assert document.code == 0 and document.err == "", document.err
    data = json.loads(document.out)
    assert [r["start"] for r in data["intervals"]][:2] == [
        "2025-07-28T12:00:00+00:00", "2025-07-28T12:15:00+00:00"]
    assert all(r["net_kw"] == pytest.approx(r["load_kw"] - r["pv_kw"], abs=2e-3)
               for r in data["intervals"])
    assert data["weather"] == "same-time average of similar days (no temperature forecast)"


def test_forecast_on_a_bad_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    csv = tmp_path / "meter.csv"
    csv.write_text("time,load_kw\n2025-07-01T00:00Z,1\n2025-07-01T00:15Z,x\n"
                   "2025-07-01T00:30Z,1\n")
    assert main(["forecast", "--csv", str(csv)]) == 2
    assert "line 3, column load_kw: 'x' is not a number" in capsys.readouterr().err
