"""Inputs of the dispatch: the building, the plan request, forecasts, initial states, weights."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from ven.devices.model import Building
from ven.instructions import PlanRequest

MAX_CIRCUIT_PRIORITY = 10
"""The highest priority of a circuit (``ven.devices.model.Circuit``, 1..10) [-]."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InitialState:
    """Device states at the start of the plan; a missing device takes its config's default.

    zone_temp_c: HVAC zone temperature [°C] (default: initial_c, else setpoint_c).
    battery_soc: state of charge [fraction of capacity] (default: soc_initial).
    tank_temp_c: water-heater tank temperature [°C] (default: setpoint_c).
    ev_energy_kwh: energy delivered so far in the current plug-in session [kWh] (default 0).
    shed: on/off loads shed right now (default False).
    """

    zone_temp_c: Mapping[str, float] = field(default_factory=dict)
    battery_soc: Mapping[str, float] = field(default_factory=dict)
    tank_temp_c: Mapping[str, float] = field(default_factory=dict)
    ev_energy_kwh: Mapping[str, float] = field(default_factory=dict)
    shed: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Weights:
    """Objective weights, all in USD-equivalent so that they trade against energy cost.

    shortfall: per kWh of target not shed [USD/kWh].
    shed: per kWh shed from on/off and curtailable loads, per priority point [USD/kWh].
    zone: per °C·h of HVAC deviation from setpoint, per priority point [USD/(°C·h)].
    tank: per °C·h of water-heater deviation from setpoint, per priority point [USD/(°C·h)].
    comfort_band: per °C·h outside a comfort band [USD/(°C·h)].
    battery_cycle: per kWh charged or discharged [USD/kWh].
    battery_terminal: per kWh left below the terminal state of charge [USD/kWh].
    ev_departure: per kWh an EV misses at departure [USD/kWh].
    ev_delay: per kWh an EV is behind its baseline at the end, per priority point [USD/kWh].
    switching: per shed start or release of an on/off load with timing rules [USD].
    rebound: per kWh above baseline beyond the free rebound after the event [USD/kWh].
    rebound_free: rebound allowed without penalty [fraction of the no-event load] (the
        recovery window's tolerance, see ``ModelData.rebound_floor``).
    recovery_debt: per kWh of electric energy a thermal device still owes (a zone above its
        cooling setpoint, a tank below its setpoint) at the end of a recovery window [USD/kWh]
        (see ``ModelData.recovery_debt_costs``).
    export: per kWh the planned net load goes below the "no-export-from-storage" floor
        during the event [USD/kWh] (above shortfall: a target is never met by exporting).
    overshed: per kWh shed beyond the target during the event [USD/kWh] (above
        battery_cycle and the cheapest discomfort: see "shed-beyond-target").
    circuit_priority: tie-break per kWh a non-essential circuit sheds, per point of the
        circuit's priority [USD/kWh] (see ``objective.define_objective``). It must stay below
        ``shed / MAX_CIRCUIT_PRIORITY`` so that it never outweighs a comfort difference:
        checked on construction.
    """

    shortfall: float = 10.0
    shed: float = 0.05
    zone: float = 0.05
    tank: float = 0.005
    comfort_band: float = 20.0
    battery_cycle: float = 0.01
    battery_terminal: float = 15.0
    ev_departure: float = 20.0
    ev_delay: float = 0.01
    switching: float = 0.0
    rebound: float = 1.0
    rebound_free: float = 0.10
    recovery_debt: float = 1.2
    export: float = 20.0
    overshed: float = 0.5
    circuit_priority: float = 0.0005

    def __post_init__(self) -> None:
        if not 0.0 <= self.circuit_priority * MAX_CIRCUIT_PRIORITY < self.shed:
            raise ValueError(
                f"circuit_priority must be >= 0 and below shed / {MAX_CIRCUIT_PRIORITY} "
                f"= {self.shed / MAX_CIRCUIT_PRIORITY:g} (a tie-break only), "
                f"got {self.circuit_priority:g}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchInputs:
    """Everything one dispatch needs.

    building: the typed building model. request: intervals, target, prices, rules.
    baseline_kw: per-device uncontrolled power forecast [kW], rows = request.index, columns =
    device ids; missing columns (or None) fall back to a steady-state estimate.
    outdoor_c: outdoor temperature forecast [°C] (Series on request.index, or a constant).
    pv_kw: PV output forecast [kW] (Series on request.index, a constant, or None = 0).
    initial: device states at the start.
    """

    building: Building
    request: PlanRequest
    baseline_kw: pd.DataFrame | None = None
    outdoor_c: pd.Series | float = 20.0
    pv_kw: pd.Series | float | None = None
    initial: InitialState = field(default_factory=InitialState)
