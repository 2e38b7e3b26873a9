"""What the energy planner starts from: measured state, forecasts, DR targets, settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from ven.devices.state import DeviceState
from ven.learning.thermal_fit import RcParameters

__all__ = ["DrTarget", "EnergyForecast", "PlanSettings", "PlanState"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanState:
    """The building now: `now` (tz-aware, the first interval's start), each device's state
    (``DeviceState`` by id: zone/tank temperature [°C], battery soc [fraction], EV session),
    and the billing month's import peak so far [kW]."""

    now: datetime
    devices: Mapping[str, DeviceState]
    month_peak_kw: float = 0.0

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("PlanState.now must be timezone-aware")


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyForecast:
    """Forecasts on a tz-aware grid of interval starts that covers the horizon.

    fixed_kw: the load the planner does not control (base load, on/off and curtailable loads)
    [kW]; pv_kw: PV generation [kW] (>= 0); t_out_c: outdoor temperature [°C];
    carbon_g_per_kwh: grid carbon intensity [gCO2/kWh] (None = not known, 0 in the plan).
    """

    fixed_kw: pd.Series
    pv_kw: pd.Series
    t_out_c: pd.Series
    carbon_g_per_kwh: pd.Series | None = None

    def on(self, index: pd.DatetimeIndex) -> dict[str, np.ndarray]:
        """The forecasts on `index` (each must cover it: a missing interval is an error)."""
        out: dict[str, np.ndarray] = {}
        named = {"fixed_kw": self.fixed_kw, "pv_kw": self.pv_kw, "t_out_c": self.t_out_c}
        if self.carbon_g_per_kwh is not None:
            named["carbon_g_per_kwh"] = self.carbon_g_per_kwh
        for name, series in named.items():
            values = series.reindex(index).to_numpy(dtype=float)
            if np.isnan(values).any():
                missing = index[np.isnan(values)][0]
                raise ValueError(f"forecast {name} does not cover {missing.isoformat()}")
            out[name] = values
        if "carbon_g_per_kwh" not in out:
            out["carbon_g_per_kwh"] = np.zeros(len(index))
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class DrTarget:
    """A DR event as the planner sees it: over [start, end) the grid import should stay at or
    below `max_import_kw` [kW] (the baseline minus the requested shed); missing it costs the
    strategy's shed penalty per kWh."""

    start: datetime
    end: datetime
    max_import_kw: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanSettings:
    """Options of the model: zone_models: RC models that replace the building file's (e.g.
    learned by ``ven.learning.thermal_fit``), by zone id; pv_curtailable: PV may be
    curtailed (else its forecast is fixed); battery_cycles_per_day: most full equivalent
    cycles per day [1/d]; export_limit_kw: most export [kW] (None = no limit)."""

    zone_models: Mapping[str, RcParameters] = field(default_factory=dict)
    pv_curtailable: bool = True
    battery_cycles_per_day: float = 1.5
    export_limit_kw: float | None = None
