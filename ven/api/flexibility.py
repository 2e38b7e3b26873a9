"""Flexibility: what the dispatch could shed per device and hour, from the device models'
forecast and the participation rules.

The bounds are the dispatch's own (``ven.dispatch.kinds``): under a ``participation`` rule a
load may go down to 0 (a curtailable load only by its ``max_reduction``, an on/off load only
when it runs), under ``shifting`` by ``SHIFTING_LIMIT`` of its power (an on/off load not at
all), under ``off`` not at all; a battery may in addition discharge up to ``max_discharge_kw``
when it participates. PV is never dispatched. Comfort limits (zone and tank temperatures,
EV departure energy) and ``max_shed_minutes`` are left out: the figure is the most the
dispatch may take in that hour, not what it would plan for a given event. A device on an
essential circuit (``Building.is_essential``) is never shed: 0 kW, as in
``ven.devices.capacity``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from ven.devices.capacity import device_sheddable_kw
from ven.devices.model import AnyDevice, Building, Participation
from ven.devices.simulated import SimulatedBuilding
from ven.instructions import participation_rules

__all__ = ["DeviceHour", "flexibility", "sheddable_kw"]

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceHour:
    """One device in one hour: its rule, forecast power without DR and sheddable power [kW]."""

    start: datetime
    device_id: str
    rule: str
    forecast_kw: float
    sheddable_kw: float


def sheddable_kw(device: AnyDevice, rule: Participation, forecast_kw: float,
                building: Building | None = None) -> float:
    """The most the dispatch may take off `device` under `rule` when it would draw
    `forecast_kw` without DR [kW]: ``ven.devices.capacity.device_sheddable_kw``, and 0 for a
    device on an essential circuit of `building` (never shed)."""
    if building is not None and building.is_essential(device):
        return 0.0
    return device_sheddable_kw(device, rule, forecast_kw)


def flexibility(building: Building, simulation: SimulatedBuilding, start: datetime,
                hours: int = 24) -> list[DeviceHour]:
    """Each dispatchable device's flexibility in each of `hours` hours from `start` (floored
    to the hour), forecast from the simulation's current state."""
    first = pd.Timestamp(start).tz_convert("UTC").floor("h")
    forecast = simulation.forecast(first.to_pydatetime(), hours, "1h")
    index = forecast.device_kw.index
    rules = participation_rules(building, index, np.ones(len(index)))
    out = []
    for device_id in rules.columns:
        device = building.device(str(device_id))
        for moment in index:
            rule = Participation(rules.at[moment, device_id])
            kw = float(forecast.device_kw.at[moment, device_id])
            out.append(DeviceHour(start=moment.to_pydatetime(), device_id=str(device_id),
                                  rule=rule.value, forecast_kw=round(kw, 4),
                                  sheddable_kw=round(sheddable_kw(device, rule, kw, building), 4)))
    return out
