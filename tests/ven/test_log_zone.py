"""Event and report times in the VEN's log are in one zone: UTC unless ``[log] zone =
"building"`` asks for the building's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from common.clock import ManualClock
from common.errors import ConfigError
from tests.support.processes import ROOT
from ven.brain import BuildingBrain
from ven.client.config import parse_config
from ven.client.factory import log_zone
from ven.devices.config import load_building

OFFICE = ROOT / "examples" / "buildings" / "office.toml"  # America/Los_Angeles


def config_text(log: str = "") -> str:
    return (f'[vtn]\nurl = "http://127.0.0.1:1/OpenADR2/Simple/2.0b"\nallow_plain_http = true\n'
            f'[ven]\nname = "v"\nbuilding = "{OFFICE}"\n{log}')


def test_the_log_zone_is_utc_unless_the_building_s_is_asked_for(tmp_path: Path) -> None:
    building = load_building(OFFICE)
    default = parse_config(config_text(), base=tmp_path)
    assert default.log_zone == "UTC"
    assert log_zone(default, building) is UTC
    local = parse_config(config_text('[log]\nzone = "building"\n'), base=tmp_path)
    assert log_zone(local, building) == ZoneInfo("America/Los_Angeles")
    assert log_zone(local, None) is UTC


def test_an_unknown_log_zone_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"log.zone: must be \"UTC\" or \"building\""):
        parse_config(config_text('[log]\nzone = "Europe/Paris"\n'), base=tmp_path)


def test_the_brain_logs_plans_in_utc_by_default() -> None:
    clock = ManualClock(datetime(2026, 7, 15, 20, 0, tzinfo=UTC))
    brain = BuildingBrain.simulated(OFFICE, clock, history_days=1)
    assert brain.log_zone is UTC
    assert brain.zone == ZoneInfo("America/Los_Angeles")  # the building's days stay local
    local = BuildingBrain.simulated(OFFICE, clock, history_days=1, log_zone=brain.zone)
    assert local.log_zone == brain.zone
