"""The simulated building with its meter: simulated history, live readings, metering intervals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from common.clock import ManualClock
from ven.devices.config import load_building, load_climate
from ven.devices.history import TOTAL
from ven.devices.model import Building
from ven.devices.simulated import Measurement, SimulatedBuilding
from ven.devices.weather import Climate

__all__ = ["HISTORY_DAYS", "HISTORY_STEP", "LIVE_STEP", "MeteredBuilding"]

HISTORY_STEP = timedelta(minutes=15)  # metering interval of the history [min]
LIVE_STEP = timedelta(minutes=1)  # resolution of the live simulation and its meter [min]
HISTORY_DAYS = 45  # days of simulated history before the live meter starts [d]


class MeteredBuilding:
    """A ``SimulatedBuilding`` and its meter.

    The live meter starts at `start` floored to the metering interval. Its history is the same
    simulation run before that: the ``SimulatedBuilding`` starts `history_days` earlier (devices
    at their initial states) and runs in normal operation (no DR) up to the live start, metered
    every ``HISTORY_STEP`` (``SimulatedBuilding.run``: the same readings as ``LIVE_STEP`` steps
    would give). The live simulation then carries on from the state the history left, so the
    baseline computed from the history and the live load come from one building, one weather
    and one set of thermostats. ``advance(until)`` steps the simulation by ``LIVE_STEP`` up to
    `until` and records each measured total load [kW]; every completed metering interval is
    appended to ``history_kw()`` (the series baselines are computed from).
    """

    def __init__(
        self,
        building: Building,
        *,
        start: datetime,
        climate: Climate | None = None,
        seed: int = 0,
        history_days: int = HISTORY_DAYS,
    ) -> None:
        if history_days < 0:
            raise ValueError(f"history_days must be >= 0, got {history_days}")
        begin = pd.Timestamp(start).tz_convert("UTC").floor(HISTORY_STEP).to_pydatetime()
        self.building = building
        self._clock = ManualClock(begin - timedelta(days=history_days))
        self.simulation = SimulatedBuilding(building, self._clock, climate=climate, seed=seed)
        self._clock.advance(begin - self._clock.now())
        self._frame = self.simulation.run(begin, HISTORY_STEP)
        self._seeded = self._frame[TOTAL].rename("total_kw")
        self._start = begin
        self._live_t: list[datetime] = []
        self._live_kw: list[float] = []
        self._last: Measurement | None = None
        self._cache: tuple[int, pd.Series, pd.Series] | None = None

    @classmethod
    def from_file(cls, path: str | Path, *, start: datetime, seed: int = 0,
                  history_days: int = HISTORY_DAYS) -> MeteredBuilding:
        """The metered simulated building of a building file (with its ``[climate]``)."""
        return cls(load_building(path), start=start, climate=load_climate(path), seed=seed,
                   history_days=history_days)

    def __repr__(self) -> str:
        return f"MeteredBuilding({self.building.id!r}, time={self.time.isoformat()})"

    @property
    def start(self) -> datetime:
        """When the live meter started (UTC); the history before it was simulated at once."""
        return self._start

    @property
    def time(self) -> datetime:
        """End of the last measured step (UTC)."""
        return self.simulation.time

    @property
    def history_frame(self) -> pd.DataFrame:
        """The simulated history per metering interval with every column of
        ``SimulatedBuilding.run`` (device powers [kW], base load, outdoor temperature)."""
        return self._frame

    @property
    def last(self) -> Measurement | None:
        """The latest measurement (None before the first step)."""
        return self._last

    def advance(self, until: datetime, before_step: Callable[[datetime], None] | None = None
                ) -> int:
        """Simulate whole ``LIVE_STEP``s up to `until`; `before_step(t)` runs before the step
        starting at t (to apply commands). Returns the number of steps."""
        steps = 0
        while self.time + LIVE_STEP <= until:
            if before_step is not None:
                before_step(self.time)
            self._clock.advance(LIVE_STEP)
            measurement = self.simulation.step(LIVE_STEP)
            self._live_t.append(measurement.start)
            self._live_kw.append(measurement.total_kw)
            self._last = measurement
            steps += 1
        return steps

    def live_kw(self) -> pd.Series:
        """Every live measurement: mean total load [kW] per ``LIVE_STEP``, by step start (UTC)."""
        return self._series()[0]

    def history_kw(self) -> pd.Series:
        """Metered total load [kW] per metering interval: the simulated history, then the
        completed intervals of the live simulation."""
        return self._series()[1]

    def mean_kw(self, start: datetime, end: datetime) -> float:
        """Mean metered load over [start, end) [kW]: live steps when the window is live, else
        the history; NaN when nothing was metered in the window."""
        a, b = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
        if a >= self._start:
            live = self.live_kw()
            part = live[(live.index >= a) & (live.index < b)]
        else:
            history = self.history_kw()
            part = history[(history.index > a - HISTORY_STEP) & (history.index < b)]
        return float(part.mean()) if len(part) else float("nan")

    def _series(self) -> tuple[pd.Series, pd.Series]:
        if self._cache is not None and self._cache[0] == len(self._live_kw):
            return self._cache[1], self._cache[2]
        index = pd.DatetimeIndex(self._live_t, tz="UTC") if self._live_t else pd.DatetimeIndex(
            [], tz="UTC")
        live = pd.Series(np.asarray(self._live_kw, dtype=float), index=index, name="total_kw")
        per = int(HISTORY_STEP / LIVE_STEP)
        blocks = live.resample(HISTORY_STEP).agg(["mean", "count"])
        complete = blocks.loc[blocks["count"] == per, "mean"].rename("total_kw")
        history = pd.concat([self._seeded, complete]) if len(complete) else self._seeded
        self._cache = (len(self._live_kw), live, history)
        return live, history
