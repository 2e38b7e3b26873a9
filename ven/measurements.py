"""A ``ReadingSource`` backed by the building brain: metered usage, baseline and status."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import pandas as pd

from common.messages.report import LoadControlState, LoadControlStateValue, ResourceStatus
from ven.baseline import CAISO_10_IN_10, Confidence
from ven.brain.handler import BuildingBrain
from ven.brain.meter import HISTORY_STEP
from ven.client.readings import PointKind, Reading

__all__ = ["CONFIDENCE_PCT", "BuildingReadings"]

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

    def __init__(self, brain: BuildingBrain) -> None:
        self._brain = brain

    def __repr__(self) -> str:
        return f"BuildingReadings({self._brain.building.id!r})"

    @property
    def baseline_method(self) -> str:
        """The configured baseline method (named in the METADATA's baseline readingType)."""
        return CAISO_10_IN_10.name

    async def read(
        self, kind: PointKind, r_id: str, start: datetime, end: datetime, granularity: timedelta
    ) -> Sequence[Reading]:
        """See ``ReadingSource.read``."""
        starts = _starts(start, end, granularity)
        if kind is PointKind.STATUS:
            return [Reading(start=t, value=self.status(t)) for t in starts]
        if kind is PointKind.BASELINE:
            return self._baseline(starts, granularity)
        meter = self._brain.meter
        gateway = self._brain.gateway
        now = self._brain.clock.now()
        readings = []
        for t in starts:
            metered = gateway.metered_kw(t, t + granularity)  # a real meter is the truth
            # the model has completed whole steps up to meter.time; a real meter up to now
            if t + granularity > (meter.time if metered is None else now) or (
                    metered is not None and math.isnan(metered)):
                break  # not complete yet: read again at the next report
            value = meter.mean_kw(t, t + granularity) if metered is None else metered
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


def _starts(start: datetime, end: datetime, granularity: timedelta) -> list[datetime]:
    if granularity <= timedelta(0):
        return []
    out = []
    moment = start
    while moment < end:
        out.append(moment)
        moment += granularity
    return out
