"""What an event delivered: per-interval baseline, target, planned and measured load [kW]."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ven.brain.meter import MeteredBuilding
from ven.brain.planning import EventPlan
from ven.devices.gateway import DeviceGateway

__all__ = ["COLUMNS", "EventOutcome", "measure"]

COLUMNS = ("baseline_kw", "target_kw", "planned_kw", "measured_kw", "measured_shed_kw")
"""Load columns of an outcome table [kW]."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventOutcome:
    """An event's outcome, measured on the building's meter (not copied from the plan): the
    real meter when the devices have one (``[mqtt] meter``), else the model's.

    table: one row per plan interval (index: start, UTC) with in_event, duration_h [h],
        baseline_kw (event baseline), requested_shed_kw, target_kw (baseline - requested
        shed: the load to stay under), planned_kw (the dispatch's expected net load),
        measured_kw (metered mean load), measured_shed_kw (baseline - measured) [kW]; in the
        recovery window after the event baseline_kw is that window's customer baseline when
        the plan has one (``EventPlan.recovery_baseline``, else NaN), measured_shed_kw is
        then negative for a rebound above it, and requested_shed_kw and target_kw are NaN;
        no_event_kw: the building's load without the event, as the plan forecast it (the
        recovery window's reference) [kW].
    requested_kwh / delivered_kwh: requested and measured shed over the event [kWh].
    """

    table: pd.DataFrame
    requested_kwh: float
    delivered_kwh: float

    @property
    def delivered_share(self) -> float:
        """Measured shed / requested shed [fraction]; NaN when nothing was requested."""
        if self.requested_kwh <= 1e-9:
            return math.nan
        return self.delivered_kwh / self.requested_kwh

    def event_mean(self, column: str) -> float:
        """Mean of a column over the event intervals, weighted by duration [kW]."""
        rows = self.table[self.table["in_event"]]
        weights = rows["duration_h"].to_numpy()
        if weights.sum() <= 0:
            return math.nan
        return float(np.average(rows[column].to_numpy(dtype=float), weights=weights))


def measure(plan: EventPlan, meter: MeteredBuilding, gateway: DeviceGateway | None = None
            ) -> EventOutcome:
    """The outcome of `plan` so far: intervals not metered yet have NaN measurements. With a
    `gateway` that has a meter of its own (``[mqtt] meter``), that meter's load is the measured
    load, not the model's."""
    request = plan.request
    index = request.index
    hours = request.duration_h
    ends = (index + pd.to_timedelta(hours, unit="h")).round("us")  # 1/60 h is not whole ns
    in_event = np.asarray(request.in_event, dtype=bool)
    shown = in_event | (plan.recovery_baseline is not None)
    baseline = np.where(shown, request.baseline_kw.to_numpy(dtype=float), np.nan)
    shed = plan.requested_kw.to_numpy(dtype=float)
    def metered(a: pd.Timestamp, b: pd.Timestamp) -> float:
        real = None if gateway is None else gateway.metered_kw(a.to_pydatetime(),
                                                               b.to_pydatetime())
        if real is not None:
            return real  # NaN until the meter has completed the interval
        return meter.mean_kw(a.to_pydatetime(), b.to_pydatetime()) if b <= meter.time \
            else math.nan

    measured = np.array([metered(a, b) for a, b in zip(index, ends, strict=True)])
    table = pd.DataFrame({
        "in_event": in_event,
        "duration_h": hours,
        "baseline_kw": baseline,
        "requested_shed_kw": np.where(in_event, shed, np.nan),
        "target_kw": np.where(in_event, baseline - shed, np.nan),
        "planned_kw": plan.plan.net_load_kw.to_numpy(dtype=float),
        "measured_kw": measured,
        "measured_shed_kw": baseline - measured,
        "no_event_kw": (np.full(len(index), np.nan) if request.no_event_kw is None
                        else request.no_event_kw.to_numpy(dtype=float)),
    }, index=index)
    event = table[in_event]
    requested = float((event["requested_shed_kw"] * event["duration_h"]).sum())
    delivered = float((event["measured_shed_kw"] * event["duration_h"]).sum(min_count=1))
    return EventOutcome(table=table, requested_kwh=requested,
                        delivered_kwh=0.0 if math.isnan(delivered) else delivered)
