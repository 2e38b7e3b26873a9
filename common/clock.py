"""Injectable clocks: every component that reads the time takes one of these (the wall clock,
a manual one for tests, or simulated time running N times faster, ``[clock]``)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from common.tomlconfig import ConfigProblems


class Clock(Protocol):
    """Something that tells the current time as a timezone-aware UTC datetime."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic scale [s], for measuring durations."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Current wall time, timezone-aware UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Monotonic seconds [s]."""
        return time.monotonic()

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._mono = 0.0

    def now(self) -> datetime:
        """The clock's current time, timezone-aware UTC."""
        return self._now

    def monotonic(self) -> float:
        """Seconds advanced since creation [s]."""
        return self._mono

    def advance(self, delta: timedelta | float) -> datetime:
        """Move the clock forward by `delta` (a timedelta or seconds [s]); returns the new time."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("a clock never goes backwards")
        self._now += step
        self._mono += step.total_seconds()
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to `when` (not earlier than now)."""
        self.advance(when.astimezone(UTC) - self._now)

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"


class ScaledClock:
    """Simulated time derived from the wall clock: `speed` times faster, reading `start` at
    wall time `wall_start`.

    Two processes given the same `start`, `wall_start` and `speed` read the same simulated
    time without talking to each other (their wall clocks agree). Before `wall_start` the
    clock reads earlier than `start`, on the same line. `wall` and `wall_monotonic` are the
    wall clock's sources (injected by tests).
    """

    def __init__(self, start: datetime, speed: float, wall_start: datetime, *,
                 wall: Callable[[], datetime] | None = None,
                 wall_monotonic: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None or wall_start.tzinfo is None:
            raise ValueError("ScaledClock needs timezone-aware start and wall_start times")
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"the clock's speed must be a positive number, got {speed!r}")
        self.start = start.astimezone(UTC)
        self.wall_start = wall_start.astimezone(UTC)
        self.speed = float(speed)
        self._wall = wall or SystemClock().now
        self._wall_monotonic = wall_monotonic

    def now(self) -> datetime:
        """The simulated time, timezone-aware UTC."""
        return self.start + (self._wall() - self.wall_start) * self.speed

    def monotonic(self) -> float:
        """Monotonic simulated seconds [s] (wall monotonic seconds times `speed`)."""
        return self._wall_monotonic() * self.speed

    def wall_seconds(self, seconds: float) -> float:
        """How long `seconds` of simulated time last on the wall clock [s]."""
        return seconds / self.speed

    def __repr__(self) -> str:
        return (f"ScaledClock(start={self.start.isoformat()}, speed={self.speed:g}, "
                f"wall_start={self.wall_start.isoformat()})")


def wall_seconds(clock: Clock, seconds: float) -> float:
    """How long `seconds` of `clock`'s time last on the wall clock [s]: scaled on a
    ``ScaledClock``, unchanged on any other."""
    return clock.wall_seconds(seconds) if isinstance(clock, ScaledClock) else seconds


async def clock_sleep(clock: Clock, seconds: float, stop: asyncio.Event | None = None) -> None:
    """Wait `seconds` of `clock`'s time [s] (wall time divided by its speed), or until `stop`
    is set."""
    wall = max(wall_seconds(clock, seconds), 0.0)
    if stop is None:
        await asyncio.sleep(wall)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), wall)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockSettings:
    """``[clock]`` of both programs' configurations: simulated time (demos, benchmarks).

    - ``speed``: how many times faster than the wall clock time runs [-] (default 1: the wall
      clock itself, and ``start``/``wall_start`` must be left out).
    - ``start``: the simulated time the clock reads at ``wall_start`` (a TOML date-time with
      its offset).
    - ``wall_start``: the wall time at which the clock reads ``start`` (a TOML date-time with
      its offset). The VTN and its VENs given the same three values share one simulated time.

    Every protocol time (event and report times, ReplayProtect timestamps) and every wait on
    the programs' own schedules (poll intervals, report periods) are then in simulated time.
    """

    speed: float = 1.0
    start: datetime | None = None
    wall_start: datetime | None = None

    def __post_init__(self) -> None:
        """Refuse inconsistent settings (``ConfigProblems`` naming each field)."""
        found: list[tuple[str, str]] = []
        if not (math.isfinite(self.speed) and self.speed > 0):
            found.append(("speed", f"must be a positive number, got {self.speed!r}"))
        given = (self.start is not None) + (self.wall_start is not None)
        if given == 1:
            found.append(("start" if self.start is None else "wall_start",
                          "is needed with the other: start and wall_start go together"))
        elif given == 0 and self.speed != 1:
            found.append(("start", "is needed with a speed other than 1 (and wall_start): "
                                   "the simulated time at wall time wall_start"))
        for name in ("start", "wall_start"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                found.append((name, "needs its UTC offset (e.g. 2026-07-15T17:00:00Z)"))
        if found:
            raise ConfigProblems(found)

    @property
    def simulated(self) -> bool:
        """True when these settings make a ``ScaledClock`` rather than the wall clock."""
        return self.start is not None


def clock_from(settings: ClockSettings) -> Clock:
    """The clock `settings` describe: the wall clock, or a ``ScaledClock``."""
    if settings.start is None or settings.wall_start is None:
        return SystemClock()
    return ScaledClock(settings.start, settings.speed, settings.wall_start)
