"""The recorder keeps each zone's temperature, and a fit runs on what it stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from common.clock import ManualClock
from tests.support.processes import ROOT
from ven.brain import BuildingBrain
from ven.client.telemetry import TelemetryStore
from ven.devices.model import HvacZone
from ven.learning.telemetryinput import zone_history
from ven.telemetry import TelemetryRecorder

OFFICE = ROOT / "examples" / "buildings" / "office.toml"


async def test_the_recorder_stores_zone_temperatures_for_the_fit(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 7, 15, 9, 0, tzinfo=UTC))
    brain = BuildingBrain.simulated(OFFICE, clock, history_days=1)
    telemetry = await TelemetryStore.open(tmp_path / "ven.sqlite")
    recorder = TelemetryRecorder(brain, telemetry, clock)
    try:
        seen = []
        for _ in range(4):
            clock.advance(timedelta(minutes=15))
            recorder.tick(clock.now())
            seen.append((brain.meter.time, brain.meter.simulation.state()))
        await recorder.flush()
        stored = await telemetry.samples(quantity="temperature")
        zones = [d.id for d in brain.building.devices if isinstance(d, HvacZone)]
        assert {s.device_id for s in stored} == set(zones)
        assert all(s.unit == "°C" for s in stored)
        for at, states in seen:
            for zone in zones:
                value = states[zone].temperature_c
                assert value is not None
                assert [round(value, 3)] == [s.value for s in stored
                                             if s.time == at and s.device_id == zone]
        history = zone_history(await telemetry.samples(), zones[0], pd.Timedelta(minutes=15))
        assert len(history.times) >= 3 and history.source.startswith("telemetry, ")
    finally:
        await telemetry.close()
