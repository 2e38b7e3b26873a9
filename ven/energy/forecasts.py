"""The planner's forecasts from metered history (``ven.learning.forecast``) and a carbon curve."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ven.devices.daytype import LocalCalendar
from ven.devices.history import BASE, T_OUT
from ven.devices.model import Building, CurtailableLoad, OnOffLoad, PvArray
from ven.energy.inputs import EnergyForecast
from ven.learning.forecast import forecast_building

__all__ = ["UNCONTROLLED_KINDS", "learned_forecast", "typical_carbon", "uncontrolled_history"]

UNCONTROLLED_KINDS = ("onoff", "curtailable")
"""Device kinds the planner leaves to their own schedules (their load is forecast)."""


def uncontrolled_history(building: Building, metered: pd.DataFrame) -> pd.DataFrame:
    """From a metered frame (``SimulatedBuilding.run``): load_kw = base load + on/off and
    curtailable loads [kW], pv_kw = PV generation [kW] (>= 0), t_out_c [°C]."""
    ids = [d.id for d in building.devices if isinstance(d, OnOffLoad | CurtailableLoad)]
    pv_ids = [d.id for d in building.devices if isinstance(d, PvArray)]
    load = metered[BASE] + (metered[ids].sum(axis=1) if ids else 0.0)
    pv = (-metered[pv_ids].sum(axis=1)).clip(lower=0.0) if pv_ids else pd.Series(
        0.0, index=metered.index)
    return pd.DataFrame({"load_kw": load, "pv_kw": pv, "t_out_c": metered[T_OUT]},
                        index=metered.index)


def learned_forecast(
    building: Building,
    metered: pd.DataFrame,
    index: pd.DatetimeIndex,
    t_out_forecast: pd.Series,
    carbon_g_per_kwh: pd.Series | None = None,
) -> EnergyForecast:
    """Forecast of the uncontrolled load and the PV on `index` from the metered history
    before index[0] (``ven.learning.forecast.forecast_building``, regressed on
    `t_out_forecast` [°C])."""
    history = uncontrolled_history(building, metered[metered.index < index[0]])
    predicted = forecast_building(history, index, timezone=building.timezone,
                                  t_out_forecast=t_out_forecast)
    return EnergyForecast(fixed_kw=predicted.load_kw.clip(lower=0.0),
                          pv_kw=predicted.pv_kw.clip(lower=0.0),
                          t_out_c=t_out_forecast.reindex(index),
                          carbon_g_per_kwh=carbon_g_per_kwh)


def typical_carbon(index: pd.DatetimeIndex, timezone: str) -> pd.Series:
    """A synthetic grid carbon intensity [gCO2/kWh] with a solar-hours dip and an evening
    peak (a stand-in where no carbon feed is configured: 250 + 150 at 19 h - 120 at 13 h)."""
    hour = LocalCalendar.of(index, timezone).hour_frac
    evening = np.exp(-((hour - 19.0) ** 2) / 8.0)
    midday = np.exp(-((hour - 13.0) ** 2) / 6.0)
    return pd.Series(250.0 + 150.0 * evening - 120.0 * midday, index=index,
                     name="carbon_g_per_kwh")
