"""The running VEN's telemetry recorder: what the brain's meter measures, into the state file.

After each ``BuildingBrain.tick`` the recorder takes the meter's latest measurement: each
device's mean power [kW], the building's net load [kW] and the outdoor temperature [°C] (the
building meter, ``BUILDING_METER``); the building's load of every live step since the last
capture is taken too. ``flush()`` writes what was taken, stores what each planned event's
plan is announced to deliver (``BuildingBrain.announced``: the latest plan's, once a re-plan
changed it materially) when it changed (``expectations``, for ``oadr-ven status``),
stores what each device delivered in the events that are over (``deliveries``), and purges
the samples older than the retention once every ``purge_every`` of the injected clock.

With devices that report their own readings (``[mqtt]``, a ``HeardTelemetry`` gateway) what
they say is stored instead of the model's figures: each device's latest reported power at its
own time stamp (once per new report, at most once per model step), and the building meter's
mean over each model step (``[mqtt] meter``; without one, the model's building load as
before). The outdoor temperature stays the model's weather.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import datetime, timedelta

import pandas as pd

from common.clock import Clock
from ven.brain.handler import BuildingBrain
from ven.brain.planning import EventPlan
from ven.client.config import TelemetrySettings
from ven.client.telemetry import BUILDING_METER, Delivery, Expected, Sample, TelemetryStore
from ven.devices.gateway import HeardTelemetry
from ven.devices.state import DeviceState
from ven.measurements import METER_GRACE

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
        self._expected: dict[str, tuple[object, ...]] = {}  # last expectation stored, by event
        self._heard: dict[str, datetime] = {}  # device -> newest reported stamp stored
        self._meter_next: datetime | None = None  # the real meter's next step to store

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
        gateway = self._brain.gateway
        heard = gateway if gateway is not meter.simulation and isinstance(
            gateway, HeardTelemetry) else None
        taken: list[Sample] = []
        if gateway is not meter.simulation and gateway.metered_kw(
                last.start, last.end) is not None:  # a real meter: its mean of each step
            taken.extend(self._metered(last.start, last.end - last.start))
        else:  # the model is the meter
            live = meter.live_kw()
            since = live if self._last is None else live[live.index > pd.Timestamp(self._last)]
            for moment, kw in since.items():
                if pd.Timestamp(moment) < pd.Timestamp(last.start):
                    taken.append(_power(pd.Timestamp(moment).to_pydatetime(), BUILDING_METER,
                                        float(kw)))
            taken.append(_power(last.start, BUILDING_METER, last.total_kw))
        taken.append(Sample(time=last.start, device_id=BUILDING_METER,
                            quantity="outdoor_temperature", value=round(last.t_out_c, 3),
                            unit="°C"))
        if heard is None:
            taken.extend(_power(last.start, device_id, float(kw))
                         for device_id, kw in last.device_kw.items())
            taken.extend(_zone_temperatures(meter.simulation.state(), meter.time))
        else:
            for device_id, (ts, kw) in heard.device_power().items():
                if device_id not in self._heard or ts > self._heard[device_id]:
                    taken.append(_power(ts, device_id, kw))
                    self._heard[device_id] = ts
        self._pending.extend(taken)
        self._last = last.start
        return len(taken)

    def _metered(self, first: datetime, step: timedelta) -> list[Sample]:
        """The real building meter's mean over each whole step since the last one stored
        (from `first` on the first call) that its readings complete; a step still waiting for
        a reading in transit is taken at a later capture, one the meter said nothing about
        (``METER_GRACE`` after its end) is left out."""
        now = self._clock.now()
        moment = self._meter_next or first
        taken = []
        while moment + step <= now:
            kw = self._brain.gateway.metered_kw(moment, moment + step)
            if kw is None or (math.isnan(kw) and now - (moment + step) < METER_GRACE):
                break
            if not math.isnan(kw):
                taken.append(_power(moment, BUILDING_METER, kw))
            moment += step
        self._meter_next = moment
        return taken

    async def flush(self) -> int:
        """Write the samples taken, the deliveries of the events now over, and purge when due;
        returns the number of samples written."""
        pending, self._pending = self._pending, []
        written = await self._store.add(pending) if pending else 0
        await self._record_expectations()
        await self._record_deliveries()
        now = self._clock.now()
        if self._next_purge is None or now >= self._next_purge:
            purged = await self._store.purge(now - self._settings.retention)
            if purged:
                log.info("Telemetry: %d sample(s) older than %s purged", purged,
                         self._settings.retention)
            self._next_purge = now + self._settings.purge_every
        return written

    async def _record_expectations(self) -> None:
        """Store what each planned event's plan is announced to deliver, when it changed."""
        now = self._clock.now()
        for event_id in self._brain.plans:
            found = self._brain.announced(event_id)
            if found is None:
                continue
            rows = [Expected(event_id=event_id, modification_number=found.modification_number,
                             start=i.start, duration_s=i.duration.total_seconds(),
                             baseline_kw=round(i.baseline_kw, 3),
                             requested_kw=round(i.requested_kw, 3),
                             expected_kw=round(i.expected_kw, 3), reasons=i.reasons,
                             planned_at=now) for i in found.intervals]
            key = tuple((r.modification_number, r.start, r.requested_kw, r.expected_kw,
                         r.reasons) for r in rows)
            if self._expected.get(event_id) == key:
                continue
            await self._store.put_expectations(event_id, rows)
            self._expected[event_id] = key

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


def _zone_temperatures(states: Mapping[str, DeviceState], at: datetime) -> list[Sample]:
    """Each HVAC zone's temperature [°C] at `at` (``temperature``; what ``oadr-ven model fit``
    learns the zone's RC model from)."""
    return [Sample(time=at, device_id=device_id, quantity="temperature",
                   value=round(state.temperature_c, 3), unit="°C")
            for device_id, state in states.items()
            if state.kind == "hvac" and state.temperature_c is not None]


def _power(time: datetime, device_id: str, kw: float) -> Sample:
    return Sample(time=time, device_id=device_id, quantity="power", value=round(kw, 4),
                  unit="kW")


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
