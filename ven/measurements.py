"""A ``ReadingSource`` backed by the building brain: metered usage, baseline and status, for
the building and, with devices of their own (``[mqtt]``), for each metered circuit and device."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import pandas as pd

from common.messages.report import LoadControlState, LoadControlStateValue, ResourceStatus
from ven.baseline import Confidence
from ven.brain.handler import BuildingBrain
from ven.brain.meter import HISTORY_STEP
from ven.brain.planning import baseline_config
from ven.client.config import PartPoint, ReportPoints
from ven.client.readings import NotYetMeasured, PointKind, Reading
from ven.devices.gateway import CircuitMeters
from ven.devices.model import Building
from ven.devices.mqttconfig import MqttSettings

__all__ = ["CONFIDENCE_PCT", "METER_GRACE", "BuildingReadings", "part_points"]

CONFIDENCE_PCT = {Confidence.HIGH: 90, Confidence.MEDIUM: 70, Confidence.LOW: 40}
"""The baseline's confidence on the wire (oadrReportPayload/confidence) [%]."""

log = logging.getLogger("ven.brain")


class BuildingReadings:
    """Report values from the brain's metered building.

    usage / history: mean metered load over each interval [kW] (the report layer turns history
    into [kWh] per interval); only intervals the meter has completed are read. baseline: the
    event's baseline inside events, else the baseline engine's value [kW] (mean of the
    metering intervals the interval overlaps), each with its confidence [%] (``CONFIDENCE_PCT``
    of the baseline engine's high / medium / low); with a gateway meter (MQTT ``[mqtt] meter``),
    usage is the meter's, for every interval over by the brain's clock (not only the model's
    whole steps). status: online unless a device is offline, manual override when a
    device reports one (or ignored a command), and the load control state (SIMPLE level
    offset [levels] and load offset against the baseline [%]).
    """

    def __init__(self, brain: BuildingBrain, points: ReportPoints | None = None) -> None:
        self._brain = brain
        points = points or ReportPoints()
        self._circuit_of = {p.r_id: p.resource_id for p in points.usage_parts}
        self._device_of = {p.r_id: p.resource_id for p in points.status_parts}

    def __repr__(self) -> str:
        return f"BuildingReadings({self._brain.building.id!r})"

    @property
    def baseline_method(self) -> str:
        """The building's baseline preset (named in the METADATA's baseline readingType)."""
        return baseline_config(self._brain.building).name

    async def read(
        self, kind: PointKind, r_id: str, start: datetime, end: datetime, granularity: timedelta
    ) -> Sequence[Reading]:
        """See ``ReadingSource.read``."""
        if kind in (PointKind.EXPECTED_DELTA, PointKind.EXPECTED_BASELINE):
            return self._expected(kind, start)
        starts = _starts(start, end, granularity)
        if kind is PointKind.STATUS:
            device = self._device_of.get(r_id)
            if device is not None:
                return [Reading(start=t, value=self.device_status(device, t)) for t in starts]
            return [Reading(start=t, value=self.status(t)) for t in starts]
        if kind is PointKind.BASELINE:
            return self._baseline(starts, granularity)
        circuit = self._circuit_of.get(r_id)
        if circuit is not None:
            return self._circuit_usage(circuit, starts, granularity)
        meter = self._brain.meter
        gateway = self._brain.gateway
        now = self._brain.clock.now()
        readings = []
        for t in starts:
            metered = gateway.metered_kw(t, t + granularity)  # a real meter is the truth
            if metered is not None:
                if t + granularity > now:
                    break  # not over yet
                if _complete(metered, t + granularity, now):
                    readings.append(Reading(start=t, value=round(metered, 4)))
                continue
            # the model has completed whole steps up to meter.time
            if t + granularity > meter.time:
                if t + granularity <= now:  # over, but the building not stepped that far yet
                    raise NotYetMeasured(f"the simulation has not completed the interval "
                                         f"ending {t + granularity}")  # (simulated time)
                break  # not complete yet: read again at the next report
            value = meter.mean_kw(t, t + granularity)
            if not math.isnan(value):
                readings.append(Reading(start=t, value=round(value, 4)))
        return readings

    def status(self, moment: datetime) -> ResourceStatus:
        """The TELEMETRY_STATUS payload at `moment`."""
        control = self._brain.control_state(moment)
        devices = self._brain.device_status(moment).values()
        return ResourceStatus(
            online=all(d.online for d in devices),
            manual_override=any(d.override for d in devices), load_control_state=(
            LoadControlState(
                level_offset=LoadControlStateValue(current=control.level, min=0.0, max=3.0,
                                                   normal=0.0),
                percent_offset=LoadControlStateValue(current=round(control.offset_pct, 2),
                                                     min=-100.0, max=0.0, normal=0.0))))

    def device_status(self, device_id: str, moment: datetime) -> ResourceStatus:
        """One device's TELEMETRY_STATUS payload at `moment`: online (fresh telemetry) and
        manual override (reported by the device, or a command it did not follow)."""
        found = self._brain.device_status(moment).get(device_id)
        if found is None:
            return ResourceStatus(online=False, manual_override=False)
        return ResourceStatus(online=found.online, manual_override=found.override)

    def _circuit_usage(self, circuit: str, starts: list[datetime], granularity: timedelta
                       ) -> list[Reading]:
        """A metered circuit's mean load per interval [kW], from its meter only (no meter:
        no readings); stops at the first interval its meter has not completed."""
        gateway = self._brain.gateway
        if not isinstance(gateway, CircuitMeters):
            return []
        now = self._brain.clock.now()
        readings = []
        for t in starts:
            if t + granularity > now:
                break  # not over yet
            value = gateway.metered_circuit_kw(circuit, t, t + granularity)
            if value is None:
                return []
            if _complete(value, t + granularity, now):
                readings.append(Reading(start=t, value=round(value, 4)))
        return readings

    def _expected(self, kind: PointKind, since: datetime) -> list[Reading]:
        """The announced projection (``BuildingBrain.announced``: the latest plan's when a
        re-plan changed it materially) for every event interval that ends after `since`, with
        its own length: planned demand - baseline [kW] (negative for a shed;
        ``EXPECTED_DELTA``) or the event baseline [kW] (``EXPECTED_BASELINE``), rounded to
        0.001 kW (a home's requests are tens of watts: 0.1 kW would be more than the whole
        request). The report desk sends it again whenever it changes."""
        readings = []
        for event_id in sorted(self._brain.plans):
            expectation = self._brain.announced(event_id)
            for item in expectation.intervals if expectation is not None else ():
                if item.start + item.duration <= since or not math.isfinite(item.baseline_kw):
                    continue
                value = (-item.expected_kw if kind is PointKind.EXPECTED_DELTA
                         else item.baseline_kw)
                readings.append(Reading(start=item.start, value=round(value, 3),
                                        duration=item.duration))
        return readings

    def _baseline(self, starts: list[datetime], granularity: timedelta) -> list[Reading]:
        if not starts:
            return []
        values, method, confidence = self._brain.baseline_kw(starts[0], starts[-1] + granularity)
        log.debug("Baseline for %s-%s: %s, %s confidence", starts[0], starts[-1] + granularity,
                  method.value, confidence.value)
        readings = []
        step = pd.Timedelta(HISTORY_STEP)
        for t in starts:
            a, b = pd.Timestamp(t), pd.Timestamp(t + granularity)
            part = values[(values.index < b) & (values.index + step > a)]
            value = float(part.mean()) if len(part) else math.nan
            if not math.isnan(value):
                readings.append(Reading(start=t, value=round(value, 4),
                                        confidence=CONFIDENCE_PCT.get(confidence)))
        return readings


METER_GRACE = timedelta(seconds=30)
"""How long after an interval's end a real meter's reading stamped at or after that end may
take to arrive before the interval is reported without the meter's value [duration]."""


def _complete(value: float, end: datetime, now: datetime) -> bool:
    """Whether a real meter's mean `value` over an interval ending at `end` can be reported:
    True when it is a number; False when the meter said nothing about it, ``METER_GRACE`` after
    `end` (left out); before that ``NotYetMeasured`` (the report waits for the reading in
    transit)."""
    if not math.isnan(value):
        return True
    if now - end < METER_GRACE:
        raise NotYetMeasured(f"the meter has not completed the interval ending {end}")
    return False


def _starts(start: datetime, end: datetime, granularity: timedelta) -> list[datetime]:
    if granularity <= timedelta(0):
        return []
    out = []
    moment = start
    while moment < end:
        out.append(moment)
        moment += granularity
    return out


def part_points(building: Building, points: ReportPoints, mqtt: MqttSettings | None
                ) -> ReportPoints:
    """`points` with the points of the building's parts when its devices are on MQTT: a
    TELEMETRY_STATUS point per device (rID ``<status rID>-<device id>``, reportDataSource the
    device ID) and, with ``circuit_meters``, a TELEMETRY_USAGE point per circuit with a meter
    (rID ``<usage rID>-<circuit id>``, reportDataSource the circuit ID). Without ``[mqtt]``
    (the embedded simulation: every device online, the model is the meter) `points` as is.
    ``ValueError`` when a part's rID would repeat one of the building's."""
    if mqtt is None:
        return points
    status = tuple(PartPoint(r_id=f"{points.status}-{d.id}", resource_id=d.id)
                   for d in building.devices)
    usage = tuple(PartPoint(r_id=f"{points.usage}-{c.id}", resource_id=c.id)
                  for c in building.circuits if c.meter is not None and mqtt.circuit_meters)
    own = {points.usage, points.baseline, points.status, points.history}
    clash = sorted(own & {p.r_id for p in (*status, *usage)})
    if clash:
        raise ValueError(f"[reports] rIDs {clash} are also the rIDs of devices or circuits; "
                         "rename them")
    return replace(points, usage_parts=usage, status_parts=status)
