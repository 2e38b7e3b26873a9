"""Injectable clocks: every component that reads the time takes one of these."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


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
