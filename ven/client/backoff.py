"""Retry pacing: capped exponential back-off with jitter, and the injectable sleeper."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

__all__ = ["Backoff", "Sleeper", "asyncio_sleeper"]

Sleeper = Callable[[float], Awaitable[None]]
"""Waits the given number of seconds [s]; tests pass one that advances a ManualClock."""


async def asyncio_sleeper(seconds: float) -> None:
    """The real sleeper: ``asyncio.sleep``."""
    await asyncio.sleep(seconds)


class Backoff:
    """Delays between retries: ``initial * 2**n`` capped at `maximum`, with "equal jitter"
    (a uniform draw between half the delay and the full delay) so that many VENs that lost the
    same VTN do not come back in lock-step. ``reset`` after a success."""

    def __init__(self, *, initial: float, maximum: float, rng: random.Random | None = None) -> None:
        if initial <= 0 or maximum < initial:
            raise ValueError("need 0 < initial <= maximum")
        self._initial = initial
        self._maximum = maximum
        self._rng = rng or random.Random()
        self._failures = 0

    @property
    def failures(self) -> int:
        """Failures since the last success."""
        return self._failures

    def next_delay(self) -> float:
        """Record a failure and return how long to wait before the next attempt [s]."""
        exponent = min(self._failures, 62)
        self._failures += 1
        ceiling = min(self._maximum, self._initial * 2.0**exponent)
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        """Forget past failures."""
        self._failures = 0
