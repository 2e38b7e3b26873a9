"""The simulated clock (``ScaledClock``, ``[clock]``) on an injected wall clock: no sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from common.clock import (
    ClockSettings,
    ManualClock,
    ScaledClock,
    SystemClock,
    clock_from,
    clock_sleep,
    wall_seconds,
)
from common.errors import ConfigError

WALL = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)
SIM = datetime(2026, 7, 15, 16, 0, tzinfo=UTC)


class Wall:
    """An injected wall clock and monotonic source that move only when told."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.mono = 100.0

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
        self.mono += seconds


def test_simulated_time_runs_speed_times_faster_from_start_at_wall_start():
    wall = Wall(WALL)
    clock = ScaledClock(SIM, 60, WALL, wall=wall.now, wall_monotonic=wall.monotonic)
    assert clock.now() == SIM
    wall.advance(1.0)
    assert clock.now() == SIM + timedelta(minutes=1)
    wall.advance(59.0)
    assert clock.now() == SIM + timedelta(hours=1)
    before = clock.monotonic()
    wall.advance(0.5)
    assert clock.monotonic() - before == pytest.approx(30.0)
    assert clock.wall_seconds(900) == pytest.approx(15.0)


def test_before_wall_start_the_clock_reads_earlier_on_the_same_line():
    wall = Wall(WALL - timedelta(seconds=2))
    clock = ScaledClock(SIM, 30, WALL, wall=wall.now)
    assert clock.now() == SIM - timedelta(minutes=1)


def test_two_processes_with_the_same_settings_read_the_same_time():
    wall = Wall(WALL + timedelta(seconds=37.25))
    settings = ClockSettings(speed=20, start=SIM.astimezone(), wall_start=WALL)
    made = clock_from(settings)  # what each program makes of its [clock]
    assert isinstance(made, ScaledClock)
    a, b = (ScaledClock(made.start, made.speed, made.wall_start, wall=wall.now)
            for _ in range(2))
    assert a.now() == b.now() == SIM + timedelta(seconds=37.25 * 20)
    assert a.now().tzinfo is UTC


def test_bad_clocks_are_refused():
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(SIM, 0, WALL)
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(SIM, float("nan"), WALL)
    with pytest.raises(ValueError, match="timezone-aware"):
        ScaledClock(SIM.replace(tzinfo=None), 60, WALL)


def test_settings_default_to_the_wall_clock_and_refuse_half_a_simulation():
    assert isinstance(clock_from(ClockSettings()), SystemClock)
    assert not ClockSettings().simulated
    with pytest.raises(ConfigError, match="start: is needed with a speed other than 1"):
        ClockSettings(speed=60)
    with pytest.raises(ConfigError, match="wall_start: is needed with the other"):
        ClockSettings(speed=60, start=SIM)
    with pytest.raises(ConfigError, match="speed: must be a positive number"):
        ClockSettings(speed=-1, start=SIM, wall_start=WALL)
    with pytest.raises(ConfigError, match="start: needs its UTC offset"):
        ClockSettings(speed=60, start=SIM.replace(tzinfo=None), wall_start=WALL)
    shifted = ClockSettings(start=SIM, wall_start=WALL)  # speed 1: the wall clock, shifted
    assert shifted.simulated and isinstance(clock_from(shifted), ScaledClock)


def test_waits_on_a_clock_are_in_its_time():
    clock = ScaledClock(SIM, 60, WALL)
    assert wall_seconds(clock, 60.0) == pytest.approx(1.0)
    assert wall_seconds(SystemClock(), 60.0) == 60.0
    assert wall_seconds(ManualClock(SIM), 60.0) == 60.0


async def test_clock_sleep_ends_when_stop_is_set():
    stop = asyncio.Event()
    stop.set()
    await asyncio.wait_for(clock_sleep(SystemClock(), 3600.0, stop), 5.0)  # not an hour


def test_both_configurations_read_the_clock_table(tmp_path):
    from ven.client.config import parse_config
    from vtn.config import load_config

    table = ("[clock]\nspeed = 60\nstart = 2026-07-15T18:00:00+02:00\n"
             "wall_start = 2026-12-07T19:00:00Z\n")
    (tmp_path / "vtn.toml").write_text("plain_http = true\n" + table)
    vtn = load_config(tmp_path / "vtn.toml").clock
    ven = parse_config('[vtn]\nurl = "http://127.0.0.1:1/x"\nallow_plain_http = true\n'
                       '[ven]\nname = "v"\n' + table).clock
    assert vtn == ven == ClockSettings(speed=60, start=SIM, wall_start=WALL)
    assert load_config(None, {"plain_http": True}).clock == ClockSettings()
    (tmp_path / "bad.toml").write_text("plain_http = true\n[clock]\nspeed = 60\n")
    with pytest.raises(ConfigError, match=r"clock\.start: is needed"):
        load_config(tmp_path / "bad.toml")
    with pytest.raises(ConfigError, match=r"clock\.wall_start: is needed"):
        parse_config('[vtn]\nurl = "http://127.0.0.1:1/x"\nallow_plain_http = true\n'
                     '[ven]\nname = "v"\n[clock]\nspeed = 2\nstart = 2026-07-15T18:00:00Z\n')
