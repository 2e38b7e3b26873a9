"""The running VEN's telemetry recorder: what the brain's meter measures, into the state file.

After each ``BuildingBrain.tick`` the recorder takes the meter's latest measurement: each
device's mean power [kW], the building's net load [kW] and the outdoor temperature [°C] (the
building meter, ``BUILDING_METER``); the building's load of every live step since the last
capture is taken too. ``flush()`` writes what was taken, stores what each device delivered in
the events that are over (``deliveries``), and purges the samples older than the retention
once every ``purge_every`` of the injected clock.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

import pandas as pd

from common.clock import Clock
from ven.brain.handler import BuildingBrain
from ven.brain.planning import EventPlan
from ven.client.config import TelemetrySettings
from ven.client.telemetry import BUILDING_METER, Delivery, Sample, TelemetryStore

__all__ = ["TelemetryRecorder", "device_deliveries"]

log = logging.getLogger("ven.telemetry")


class TelemetryRecorder:
    """Takes samples from `brain`'s meter and keeps them in `store` (see the module)."""

    def __init__(self, brain: BuildingBrain, store: TelemetryStore, clock: Clock,
                 settings: TelemetrySettings | None = None) -> None:
        self._brain = brain
        self._store = store
        self._clock = clock
        self._settings = settings or TelemetrySettings()
        self._pending: list[Sample] = []
        self._last: datetime | None = None
        self._watched: dict[str, EventPlan] = {}
        self._next_purge: datetime | None = None

    def __repr__(self) -> str:
        return f"TelemetryRecorder({self._brain.building.id!r}, pending={len(self._pending)})"

    def tick(self, now: datetime | None = None) -> int:
        """``brain.tick(now)`` then ``capture()`` (the VEN's tick hook); returns the steps."""
        steps = self._brain.tick(now)
        self.capture()
        return steps

    def capture(self) -> int:
        """Take the samples measured since the last capture; returns how many were taken."""
        meter = self._brain.meter
        for event_id, plan in self._brain.plans.items():
            self._watched[event_id] = plan
        last = meter.last
        if last is None or (self._last is not None and last.start <= self._last):
            return 0
        taken: list[Sample] = []
        live = meter.live_kw()
        since = live if self._last is None else live[live.index > pd.Timestamp(self._last)]
        for moment, kw in since.items():
            if pd.Timestamp(moment) < pd.Timestamp(last.start):
                taken.append(Sample(time=pd.Timestamp(moment).to_pydatetime(),
                                    device_id=BUILDING_METER, quantity="power",
                                    value=round(float(kw), 4), unit="kW"))
        taken.append(Sample(time=last.start, device_id=BUILDING_METER, quantity="power",
                            value=round(last.total_kw, 4), unit="kW"))
        taken.append(Sample(time=last.start, device_id=BUILDING_METER,
                            quantity="outdoor_temperature", value=round(last.t_out_c, 3),
                            unit="°C"))
        taken.extend(Sample(time=last.start, device_id=device_id, quantity="power",
                            value=round(float(kw), 4), unit="kW")
                     for device_id, kw in last.device_kw.items())
        self._pending.extend(taken)
        self._last = last.start
        return len(taken)

    async def flush(self) -> int:
        """Write the samples taken, the deliveries of the events now over, and purge when due;
        returns the number of samples written."""
        pending, self._pending = self._pending, []
        written = await self._store.add(pending) if pending else 0
        await self._record_deliveries()
        now = self._clock.now()
        if self._next_purge is None or now >= self._next_purge:
            purged = await self._store.purge(now - self._settings.retention)
            if purged:
                log.info("Telemetry: %d sample(s) older than %s purged", purged,
                         self._settings.retention)
            self._next_purge = now + self._settings.purge_every
        return written

    async def _record_deliveries(self) -> None:
        metered_until = self._brain.meter.time
        for event_id in list(self._watched):
            plan = self._brain.latest(event_id) or self._watched[event_id]
            if plan.until > metered_until:
                continue
            del self._watched[event_id]
            samples = await self._store.samples(quantity="power", start=plan.start,
                                                end=plan.end)
            found = device_deliveries(plan, samples)
            await self._store.add_deliveries(found)
            log.info("Event %s: delivered %.2f kWh over %d device(s) (telemetry)", event_id,
                     sum(d.delivered_kwh for d in found), len(found))


def device_deliveries(plan: EventPlan, samples: list[Sample]) -> list[Delivery]:
    """What each planned device delivered over `plan`'s event intervals: the sum of (its
    planned baseline - its mean measured power) x interval length [kWh], from `samples`
    (``power`` [kW]); intervals without a sample of the device count 0."""
    frame = pd.DataFrame(
        [(pd.Timestamp(s.time), s.device_id, s.value) for s in samples if s.quantity == "power"],
        columns=["time", "device_id", "kw"])
    baseline = plan.plan.baseline_kw
    index = plan.request.index
    hours = plan.request.duration_h
    in_event = plan.request.in_event
    found = []
    for device_id in baseline.columns:
        rows = frame[frame["device_id"] == device_id]
        total = 0.0
        for pos, start in enumerate(index):
            if not in_event[pos]:
                continue
            end = start + pd.Timedelta(hours=float(hours[pos]))
            inside = rows[(rows["time"] >= start) & (rows["time"] < end)]
            if len(inside) == 0:
                continue
            base = float(baseline[device_id].iloc[pos])
            if not math.isnan(base):
                total += (base - float(inside["kw"].mean())) * float(hours[pos])
        found.append(Delivery(event_id=plan.event_id,
                              modification_number=plan.modification_number,
                              device_id=str(device_id), start=plan.start, end=plan.end,
                              delivered_kwh=round(total, 6)))
    return found
