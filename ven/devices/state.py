"""Snapshot of one device's simulated state, as the dispatch reads it before planning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceState:
    """State of one device at one instant; fields that do not apply to its kind are None.

    temperature_c: zone (HVAC) or tank (water heater) temperature [°C].
    soc: battery state of charge [fraction of capacity].
    energy_kwh: EV energy put into the vehicle in the current session [kWh].
    energy_needed_kwh: EV energy the current session needs in total [kWh].
    plugged: EV connected.
    on: on/off load running (False while shed).
    lockout_until: an on/off load refuses to be shed until this time (UTC).
    shed_since: an on/off load shed since this time (UTC); its controller ends the shed after
        its max_shed_minutes.
    """

    device_id: str
    kind: str
    temperature_c: float | None = None
    soc: float | None = None
    energy_kwh: float | None = None
    energy_needed_kwh: float | None = None
    plugged: bool | None = None
    on: bool | None = None
    lockout_until: datetime | None = None
    shed_since: datetime | None = None
