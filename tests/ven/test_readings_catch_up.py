"""Usage readings of a simulated building whose clock ran ahead of its last step (simulated
time: the clock moves while the VEN works): the report waits, no interval is dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.clock import ManualClock
from ven.brain import BuildingBrain
from ven.client.readings import NotYetMeasured, PointKind
from ven.measurements import BuildingReadings

HOME = Path(__file__).resolve().parents[2] / "examples" / "buildings" / "home.toml"
MINUTE = timedelta(minutes=1)


async def test_an_interval_over_but_not_yet_simulated_waits_for_the_next_step():
    clock = ManualClock(datetime(2026, 7, 16, 1, 0, tzinfo=UTC))
    brain = BuildingBrain.simulated(HOME, clock, seed=1, history_days=2)
    readings = BuildingReadings(brain)
    start = clock.now()
    clock.advance(2 * MINUTE)
    brain.tick()  # stepped to 01:02
    clock.advance(2 * MINUTE)  # 01:04, not stepped: the report of [01:00, 01:04) must wait
    with pytest.raises(NotYetMeasured):
        await readings.read(PointKind.USAGE, "usage", start, start + 4 * MINUTE, MINUTE)
    brain.tick()
    read = await readings.read(PointKind.USAGE, "usage", start, start + 4 * MINUTE, MINUTE)
    assert [r.start for r in read] == [start + k * MINUTE for k in range(4)]
