"""The numbers of one dispatch model: per-device-kind arrays, (devices, intervals) each."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ven.dispatch.inputs import Weights

__all__ = [
    "BatteryData",
    "CircuitData",
    "CurtailData",
    "EvData",
    "ModelData",
    "OnOffData",
    "RecoveryDebt",
    "ThermalData",
]


@dataclass(frozen=True, slots=True)
class OnOffData:
    """On/off loads: baseline [kW], shed allowed (0/1), timing windows (device, t, ks)."""

    ids: list[str]
    priority: np.ndarray
    base: np.ndarray
    allowed: np.ndarray
    shed_init: np.ndarray
    max_shed_h: np.ndarray
    min_shed_h: np.ndarray
    lockout_h: np.ndarray
    timed: np.ndarray  # devices that get start/release variables
    min_windows: list[tuple[int, int, list[int]]]
    lockout_windows: list[tuple[int, int, list[int]]]


@dataclass(frozen=True, slots=True)
class CurtailData:
    """Curtailable loads: baseline [kW] and largest curtailment per interval [kW]."""

    ids: list[str]
    priority: np.ndarray
    base: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True, slots=True)
class ThermalData:
    """HVAC zones or water heaters; temperature = setpoint + above - below [°C].

    Balance per interval: dev[t] - decay[t] * dev[t-1] - gain[t] * p[t] = drive[t], with dev
    the deviation from setpoint [°C] and dev[-1] folded into drive[0].
    """

    ids: list[str]
    priority: np.ndarray
    base: np.ndarray
    p_lo: np.ndarray
    p_hi: np.ndarray
    decay: np.ndarray
    gain: np.ndarray
    drive: np.ndarray
    setpoint: np.ndarray
    band_above: np.ndarray  # comfort_high - setpoint [°C] (>= 0)
    band_below: np.ndarray  # setpoint - comfort_low [°C] (>= 0)
    initial: np.ndarray


@dataclass(frozen=True, slots=True)
class BatteryData:
    """Batteries: charge/discharge bounds [kW], energy bounds [kWh], efficiencies."""

    ids: list[str]
    priority: np.ndarray
    base: np.ndarray
    c_lo: np.ndarray
    c_hi: np.ndarray
    e_lo: np.ndarray
    e_hi: np.ndarray
    soc_lo: np.ndarray
    soc_hi: np.ndarray
    eta_c: np.ndarray
    eta_d: np.ndarray
    capacity: np.ndarray
    energy0: np.ndarray
    terminal: np.ndarray


@dataclass(frozen=True, slots=True)
class EvData:
    """EV chargers: power bounds [kW], sessions (device, first t, last t, energy need [kWh])."""

    ids: list[str]
    priority: np.ndarray
    base: np.ndarray
    p_lo: np.ndarray
    p_hi: np.ndarray
    efficiency: np.ndarray
    sessions: list[tuple[int, int, int, float]]
    baseline_energy: np.ndarray  # energy the baseline delivers in the horizon [kWh]


@dataclass(frozen=True, slots=True)
class CircuitData:
    """The building's circuits as the dispatch sees them.

    ids/priority/members: the non-essential circuits that feed at least one dispatchable
    device, their priority [1..10] and the ids of those devices (each gets a "circuit-shed"
    variable and a tie-break cost, see ``Weights.circuit_priority``).
    essential: ids of the dispatchable devices on essential circuits (held at baseline by
    "essential-circuit-no-shed").
    """

    ids: list[str] = field(default_factory=list)
    priority: np.ndarray = field(default_factory=lambda: np.zeros(0))
    members: list[list[str]] = field(default_factory=list)
    essential: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RecoveryDebt:
    """Thermal devices that may owe energy at the end of a recovery window (see
    ``ModelData.recovery_debt``): their positions in the ThermalData, the sign that makes a
    debt positive (+1 cooling, -1 heating), the reference deviation from the setpoint at the
    end [°C], and the cost per °C owed [USD-equivalent/°C]."""

    devices: np.ndarray
    sign: np.ndarray
    reference: np.ndarray
    cost: np.ndarray


@dataclass(frozen=True, slots=True)
class ModelData:
    """All numbers of one dispatch model."""

    index: pd.DatetimeIndex
    dt: np.ndarray
    in_event: np.ndarray
    target: np.ndarray
    price: np.ndarray
    has_price: bool
    base_load: np.ndarray
    pv: np.ndarray
    building_baseline: np.ndarray
    onoff: OnOffData
    curtail: CurtailData
    hvac: ThermalData
    water: ThermalData
    battery: BatteryData
    ev: EvData
    weights: Weights
    circuits: CircuitData = field(default_factory=CircuitData)
    notes: list[str] = field(default_factory=list)
    no_event: np.ndarray | None = None  # the recovery window's reference load [kW]

    @property
    def rebound_floor(self) -> np.ndarray:
        """Least building shed per interval after the event before "rebound-excess" costs
        [kW]: the planned net load (building_baseline - shed) may reach the no-event load
        plus ``Weights.rebound_free`` of it, i.e. shed >= building_baseline - no_event -
        rebound_free * max(no_event, 0). The no-event load is ``no_event`` (the load the
        building would draw without the event, fixed when the event was first planned), else
        the dispatch's own forecast ``building_baseline`` (then: shed >= -rebound_free *
        max(baseline, 0)). A re-plan made after the event's end forecasts from the warm
        zones, so its forecast holds the rebound already: only the fixed reference caps it."""
        base = self.building_baseline
        ref = base if self.no_event is None else self.no_event
        return base - ref - self.weights.rebound_free * np.clip(ref, 0, None)

    def recovery_debt(self, td: ThermalData) -> RecoveryDebt:
        """The thermal energy devices still owe at the end of a plan that ends with a recovery
        window (its last interval after the event); empty otherwise.

        A zone left warmer (cooling) or a tank left cooler (heating) at the window's end than
        where its baseline schedule would leave it recovers at full power once released: a
        rebound after the plan. Per device, "`prefix`-recovery-debt" >= sign * (deviation at
        the end - reference deviation) [°C], >= 0, costs ``Weights.recovery_debt`` per kWh of
        the electric energy that recovering it takes (dt / |gain| [kWh/°C] in the last
        interval). The reference is the deviation the baseline schedule (the forecast) reaches
        from the initial state, so a zone that floats unoccupied owes nothing."""
        n = len(td.ids)
        empty = RecoveryDebt(np.zeros(0, dtype=int), np.zeros(0), np.zeros(0), np.zeros(0))
        if not self.n_t or self.in_event[-1] or not n:
            return empty
        gain = td.gain[:, -1]
        live = np.flatnonzero(np.abs(gain) > 1e-12)
        if not len(live):
            return empty
        dev = td.gain[:, 0] * td.base[:, 0] + td.drive[:, 0]
        for t in range(1, self.n_t):
            dev = td.decay[:, t] * dev + td.gain[:, t] * td.base[:, t] + td.drive[:, t]
        sign = np.where(gain[live] < 0, 1.0, -1.0)  # cooling owes when warmer, heating cooler
        cost = self.weights.recovery_debt * self.dt[-1] / np.abs(gain[live])
        return RecoveryDebt(live, sign, dev[live], cost)

    @property
    def target_rows(self) -> np.ndarray:
        """Intervals with a shed target row: inside the event and a target > 0."""
        return self.in_event & (self.target > 1e-9)

    @property
    def n_t(self) -> int:
        """Number of intervals."""
        return len(self.index)

    @property
    def device_ids(self) -> list[str]:
        """Dispatchable devices in model order."""
        return [
            *self.onoff.ids,
            *self.curtail.ids,
            *self.hvac.ids,
            *self.water.ids,
            *self.battery.ids,
            *self.ev.ids,
        ]
