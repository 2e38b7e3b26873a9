"""Where report values come from: the ``ReadingSource`` protocol and a deterministic source."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from common.messages.report import ResourceStatus

__all__ = ["DeterministicSource", "NotYetMeasured", "PointKind", "Reading", "ReadingSource"]


class PointKind(StrEnum):
    """What a data point measures (each configured rID has one kind)."""

    USAGE = "usage"  # actual demand [kW]
    BASELINE = "baseline"  # baseline demand [kW]
    STATUS = "status"  # resource status (online, manual override, load control state)
    HISTORY = "history"  # historical demand [kW]
    EXPECTED_DELTA = "expected_delta"  # planned change of demand against the baseline [kW]
    EXPECTED_BASELINE = "expected_baseline"  # the baseline that change is counted from [kW]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """One value for the interval starting at `start`: [kW] for power kinds, or a status;
    `confidence` [%] how far the value can be trusted (sent as oadrReportPayload/confidence);
    `duration` the interval's length when it is not the report's granularity (projections of
    an event's intervals)."""

    start: datetime
    value: float | ResourceStatus
    confidence: int | None = None
    duration: timedelta | None = None


class NotYetMeasured(Exception):
    """Raised by ``ReadingSource.read`` when an interval that is over by the clock is not yet
    complete at its source (a meter's reading stamped after its end has not arrived): the
    report of that period waits for a later round instead of going out without it."""


class ReadingSource(Protocol):
    """Values of the VEN's data points, looked up by time (the simulated building, a meter)."""

    async def read(
        self, kind: PointKind, r_id: str, start: datetime, end: datetime, granularity: timedelta
    ) -> Sequence[Reading]:
        """Readings of `r_id` for the intervals of length `granularity` in [start, end).

        One reading per interval start (``start + k * granularity``); an interval without data
        is simply left out. Power values are averages over the interval [kW]. May raise
        ``NotYetMeasured`` (try the same window again later).
        """
        ...


class DeterministicSource:
    """A source for tests and demos: every value is a pure function of time.

    usage = `base_kw` + 10 kW * sin(minute of day), baseline = `base_kw` + 15 kW, history as
    usage; status online, no manual override, capacity 1.0.
    """

    def __init__(self, *, base_kw: float = 100.0) -> None:
        self._base = base_kw

    def __repr__(self) -> str:
        return f"DeterministicSource(base_kw={self._base})"

    def value(self, kind: PointKind, start: datetime) -> float | ResourceStatus:
        """The value at `start` [kW or status]."""
        if kind is PointKind.STATUS:
            return ResourceStatus(online=True, manual_override=False)
        if kind is PointKind.BASELINE:
            return self._base + 15.0
        minute = start.astimezone(UTC).hour * 60 + start.minute
        return round(self._base + 10.0 * math.sin(2 * math.pi * minute / 1440), 3)

    async def read(
        self, kind: PointKind, r_id: str, start: datetime, end: datetime, granularity: timedelta
    ) -> Sequence[Reading]:
        """See ``ReadingSource.read``."""
        if kind in (PointKind.EXPECTED_DELTA, PointKind.EXPECTED_BASELINE):
            return []  # no plans: nothing is projected
        readings = []
        moment = start
        while moment < end:
            readings.append(Reading(start=moment, value=self.value(kind, moment)))
            moment += granularity
        return readings
