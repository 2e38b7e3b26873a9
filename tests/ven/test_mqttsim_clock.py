"""The MQTT building simulator's simulated time: --speed, --sim-start, --wall-start."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.clock import ScaledClock, SystemClock
from ven.devices.mqttsim import _clock, main, parser


def test_the_simulator_takes_the_vens_clock_settings():
    args = parser().parse_args(["--building", "b.toml", "--speed", "120", "--sim-start",
                                "2026-07-15T20:10:00+00:00", "--wall-start",
                                "2026-12-07T19:00:00Z"])
    clock = _clock(args)
    assert isinstance(clock, ScaledClock)
    assert (clock.speed, clock.start, clock.wall_start) == (
        120, datetime(2026, 7, 15, 20, 10, tzinfo=UTC), datetime(2026, 12, 7, 19, tzinfo=UTC))
    assert isinstance(_clock(parser().parse_args(["--building", "b.toml"])), SystemClock)


def test_a_speed_without_its_start_is_refused(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_:
        main(["--building", "b.toml", "--speed", "60"])
    assert exit_.value.code == 2
    assert "start: is needed with a speed other than 1" in capsys.readouterr().err
