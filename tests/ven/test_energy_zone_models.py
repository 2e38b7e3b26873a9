"""Fitted zone models in the running VEN: ``oadr-ven model fit --save`` writes the accepted
fits atomically, the energy manager of a building file with ``[energy.zone_models]`` plans
with them (logged at start, shown in status), and a refused, stale, foreign or unreadable fit
never replaces the configured model."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from common.clock import ManualClock
from tests.support.learning_data import write_zone_csv
from ven.brain import BuildingBrain
from ven.brain.energyloop import EnergyManager, plan_lines
from ven.cli import main
from ven.devices.config import load_building, load_climate
from ven.devices.model import HvacZone
from ven.energy.config import EnergyConfigError, energy_config_from_file, parse_energy_table
from ven.energy.mpc import Schedule, plan
from ven.learning.savedmodels import SavedModelsError, save_fits
from ven.learning.simhistory import simulated_zone_history
from ven.learning.thermal_fit import ThermalFit

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "examples" / "buildings" / "home.toml"
HISTORY = datetime(2025, 7, 7, tzinfo=UTC)  # five days of the ac's history from here
AFTER = HISTORY + timedelta(days=5, hours=2)  # the VEN runs soon after
TRUE_R, TRUE_C = 3.6, 1.9  # the real zone [°C/kW], [kWh/°C]; the building file says 1.6, 8.0


@pytest.fixture(scope="module")
def zone_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ac's measured history, of a real zone that is not the building file's."""
    building = load_building(HOME)
    real = dataclasses.replace(building, devices=tuple(
        dataclasses.replace(d, r_c_per_kw=TRUE_R, c_kwh_per_c=TRUE_C)
        if isinstance(d, HvacZone) else d for d in building.devices))
    history = simulated_zone_history(real, "ac", HISTORY, 5 * 24, climate=load_climate(HOME),
                                     noise_c=0.05)
    return write_zone_csv(history, tmp_path_factory.mktemp("zone") / "ac.csv")


def _building_file(directory: Path, extra: str = 'path = "zone-models.json"\n') -> Path:
    path = directory / "home.toml"
    path.write_text(HOME.read_text() + "\n[energy.zone_models]\n" + extra)
    return path


def _fit(zone_csv: Path, save: Path, *more: str) -> int:
    return main(["model", "fit", "--csv", str(zone_csv), "--building", str(HOME), "--zone",
                 "ac", "--save", str(save), *more])


class Spy:
    """The planner, remembering the zone models of each plan."""

    def __init__(self) -> None:
        self.models: list[dict[str, Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Schedule:
        self.models.append(dict(kwargs["settings"].zone_models))
        return plan(*args, **kwargs)


def _manager(building_file: Path, at: datetime = AFTER) -> tuple[EnergyManager, Spy,
                                                                 ManualClock]:
    clock = ManualClock(at)
    brain = BuildingBrain.simulated(building_file, clock, history_days=1)
    config = energy_config_from_file(building_file, timezone=brain.building.timezone)
    assert config is not None
    spy = Spy()
    return EnergyManager(brain, config, clock, planner=spy), spy, clock


def test_fit_save_and_the_running_planner_uses_the_fitted_r_and_c(
        zone_csv: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "zone-models.json"
    assert _fit(zone_csv, models) == 0
    out = capsys.readouterr().out
    assert f"Saved 1 accepted fit(s) to {models} (ac)" in out
    assert "paste into" not in out
    saved = json.loads(models.read_text())
    assert saved["building_id"] == "home-elm-st" and set(saved["zones"]) == {"ac"}
    entry = saved["zones"]["ac"]
    assert entry["r_c_per_kw"] == pytest.approx(TRUE_R, rel=0.05)
    assert entry["c_kwh_per_c"] == pytest.approx(TRUE_C, rel=0.05)
    assert not list(tmp_path.glob(".zone-models.json.*"))  # the temporary file is gone

    with caplog.at_level(logging.INFO, logger="ven.energy"):
        manager, spy, _ = _manager(_building_file(tmp_path))
    started = [r.getMessage() for r in caplog.records if "Zone model in force" in r.getMessage()]
    assert len(started) == 1 and "zone ac: fitted model R = " in started[0]
    assert "held-out RMSE" in started[0]
    schedule = manager.step()
    assert schedule is not None and schedule.optimal
    used = spy.models[-1]["ac"]
    assert (used.r_c_per_kw, used.c_kwh_per_c) == (entry["r_c_per_kw"], entry["c_kwh_per_c"])
    summary = manager.summary()
    assert summary is not None
    zone = summary["zone_models"][0]
    assert (zone["zone_id"], zone["in_force"], zone["note"]) == ("ac", "fitted", "")
    assert zone["r_c_per_kw"] == pytest.approx(TRUE_R, rel=0.05)
    assert any(line.startswith("  zone ac: fitted model R = ") for line in plan_lines(summary))

    # the plan differs from one on the configured model: the fit is what the MPC runs
    configured, _, _ = _manager(HOME)  # no [energy.zone_models]
    other = configured.step()
    assert other is not None
    assert other.as_json()["intervals"][4]["ac.temp_c"] != pytest.approx(
        schedule.as_json()["intervals"][4]["ac.temp_c"], abs=1e-3)


def test_a_refused_fit_changes_nothing(zone_csv: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "zone-models.json"
    assert _fit(zone_csv, models, "--min-hours", "1000") == 1  # refused: too little history
    assert "nothing written (no fit accepted)" in capsys.readouterr().out
    assert not models.exists()
    assert _fit(zone_csv, models) == 0
    before = models.read_text()
    assert _fit(zone_csv, models, "--max-rmse", "0.0001") == 1  # refused: kept as it was
    assert models.read_text() == before


def test_fit_json_says_what_was_saved(zone_csv: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "zone-models.json"
    assert _fit(zone_csv, models, "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["saved"] == {"path": str(models), "zones": ["ac"]}


def test_a_stale_fit_keeps_the_configured_model(zone_csv: Path, tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    assert _fit(zone_csv, tmp_path / "zone-models.json") == 0
    building = _building_file(tmp_path, 'path = "zone-models.json"\nmax_age_days = 1\n')
    manager, spy, clock = _manager(building)
    assert manager.models[0].source == "fitted"
    manager.step()
    assert "ac" in spy.models[-1]
    clock.advance(timedelta(days=1))  # the data ended 2 h + 1 day ago: stale
    with caplog.at_level(logging.WARNING, logger="ven.energy"):
        manager.step()
    assert "ac" not in spy.models[-1]
    summary = manager.summary()
    assert summary is not None
    zone = summary["zone_models"][0]
    assert zone["in_force"] == "configured" and zone["r_c_per_kw"] == 1.6
    assert "stale" in zone["note"] and "more than 1 days ago" in zone["note"]
    assert any("zone ac: configured model" in r.getMessage() and "stale" in r.getMessage()
               for r in caplog.records)


@pytest.mark.parametrize(("document", "note"), [
    ("not json", "not a saved models file"),
    ('{"version": 1, "building_id": "someone-else", "zones": {"ac": {}}}',
     "the file holds the models of building 'someone-else'"),
    ('{"version": 1, "building_id": "home-elm-st", "zones": {"ac": {"r_c_per_kw": 2.0, '
     '"c_kwh_per_c": 2.0, "cop": 3.5, "mode": "heating", "end": "2025-07-12T00:00:00+00:00"}}}',
     "fitted for heating but the zone is in cooling mode"),
    ('{"version": 1, "building_id": "home-elm-st", "zones": {"ac": {"r_c_per_kw": -2.0, '
     '"c_kwh_per_c": 2.0, "cop": 3.5, "mode": "cooling", "end": "2025-07-12T00:00:00+00:00"}}}',
     "r_c_per_kw is not a positive number"),
    ('{"version": 1, "building_id": "home-elm-st", "zones": {"ac": {"r_c_per_kw": 2.0, '
     '"c_kwh_per_c": 2.0, "cop": 2.0, "mode": "cooling", "end": "2025-07-12T00:00:00+00:00"}}}',
     "fitted with COP 2 but the zone's is 3.5"),
])
def test_an_unusable_file_keeps_the_configured_model(tmp_path: Path, document: str,
                                                     note: str) -> None:
    (tmp_path / "zone-models.json").write_text(document)
    manager, spy, _ = _manager(_building_file(tmp_path))
    assert manager.step() is not None
    assert "ac" not in spy.models[-1]
    assert manager.models[0].source == "configured" and note in manager.models[0].note


def test_a_missing_file_is_read_once_it_appears(zone_csv: Path, tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ven.energy"):
        manager, spy, clock = _manager(_building_file(tmp_path))
    assert any("no such file" in r.getMessage() for r in caplog.records)
    manager.step()
    assert "ac" not in spy.models[-1]
    assert _fit(zone_csv, tmp_path / "zone-models.json") == 0  # saved while the VEN runs
    clock.advance(timedelta(minutes=15))
    manager.step()
    assert "ac" in spy.models[-1] and manager.models[0].source == "fitted"


def test_save_refuses_another_buildings_file(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"version": 1, "building_id": "office", "zones": {}}')
    fit = ThermalFit(zone_id="ac", accepted=True, reason="", fitted=None, configured=None)
    with pytest.raises(SavedModelsError, match="holds the models of building 'office'"):
        save_fits(path, [fit], building_id="home-elm-st", now=AFTER)


@pytest.mark.parametrize(("table", "problem"), [
    ({}, "path must name the file"),
    ({"path": "m.json", "max_age_days": 0}, "max_age_days must be a positive number"),
    ({"path": "m.json", "refit": True}, "unknown keys: refit"),
])
def test_a_bad_zone_models_table_is_refused(table: dict[str, Any], problem: str) -> None:
    with pytest.raises(EnergyConfigError, match=problem):
        parse_energy_table({"zone_models": table})
