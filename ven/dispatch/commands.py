"""Adapters between the dispatch and the device layer: forecasts in, device commands out."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from ven.devices.commands import (
    BatteryPower,
    DeviceCommand,
    PowerLimit,
    Release,
    Setpoint,
    Switch,
)
from ven.devices.model import (
    Battery,
    Building,
    CurtailableLoad,
    Device,
    EvCharger,
    HvacZone,
    OnOffLoad,
    WaterHeater,
)
from ven.devices.simulated import Forecast
from ven.devices.state import DeviceState
from ven.dispatch.inputs import DispatchInputs, InitialState
from ven.dispatch.results import DispatchPlan
from ven.instructions import PlanRequest

CHANGE_KW = 1e-3  # a planned power this close to the baseline counts as unchanged [kW]


def inputs_from_forecast(
    building: Building,
    request: PlanRequest,
    forecast: Forecast,
    states: Mapping[str, DeviceState] | None = None,
) -> DispatchInputs:
    """DispatchInputs from a device-layer forecast [kW, °C] and current device states.

    An on/off load's local controller has the last word on its timing: the intervals it would
    refuse (in its lockout after a shed, or past the end of its longest shed when it is shed
    already) are held out of the plan (rule ``off``), so that a re-plan does not count on a
    shed the device will not give."""
    states = states or {}
    request = _held_by_controllers(building, request, states)
    zone, soc, tank, ev, shed = {}, {}, {}, {}, {}
    for dev in building.devices:
        st = states.get(dev.id)
        if st is None:
            continue
        if isinstance(dev, HvacZone) and st.temperature_c is not None:
            zone[dev.id] = st.temperature_c
        elif isinstance(dev, WaterHeater) and st.temperature_c is not None:
            tank[dev.id] = st.temperature_c
        elif isinstance(dev, Battery) and st.soc is not None:
            soc[dev.id] = st.soc
        elif isinstance(dev, EvCharger) and st.energy_kwh is not None and st.plugged:
            ev[dev.id] = st.energy_kwh
        elif isinstance(dev, OnOffLoad) and st.on is not None:
            shed[dev.id] = not st.on
    return DispatchInputs(
        building=building,
        request=request,
        baseline_kw=forecast.device_kw,
        outdoor_c=forecast.t_out_c,
        pv_kw=forecast.pv_kw,
        initial=InitialState(
            zone_temp_c=zone, battery_soc=soc, tank_temp_c=tank, ev_energy_kwh=ev, shed=shed
        ),
    )


def _held_by_controllers(building: Building, request: PlanRequest,
                         states: Mapping[str, DeviceState]) -> PlanRequest:
    """`request` with each on/off load held (rule ``off``) in the intervals its controller would
    not shed it through: those starting before its lockout ends, and, when it is shed now,
    those ending after its shed reaches max_shed_minutes."""
    if not len(request.index):
        return request
    starts = request.index
    ends = starts + pd.to_timedelta(request.duration_h, unit="h")
    rules = None
    for dev in building.devices:
        st = states.get(dev.id)
        if not isinstance(dev, OnOffLoad) or st is None or dev.id not in request.rules.columns:
            continue
        held = pd.Series(False, index=starts)
        if st.lockout_until is not None:
            held |= starts < pd.Timestamp(st.lockout_until)
        if st.shed_since is not None:
            last = pd.Timestamp(st.shed_since) + pd.Timedelta(minutes=dev.max_shed_minutes)
            held |= pd.Series(ends > last, index=starts)
        if held.any():
            rules = request.rules.copy() if rules is None else rules
            rules.loc[held.to_numpy(), dev.id] = "off"
    return request if rules is None else dataclasses.replace(request, rules=rules)


def plan_to_commands(plan: DispatchPlan, building: Building, at: datetime) -> list[DeviceCommand]:
    """Commands that carry out the plan's interval containing `at` (Release outside the plan).

    On/off loads: Switch off when shed; HVAC: the planned zone temperature as setpoint;
    water heaters: a PowerLimit at the planned power when deferred, the planned tank
    temperature as setpoint when raised; batteries: BatteryPower; curtailable loads and EV
    chargers: a PowerLimit when reduced; a device at its baseline is released."""
    ts = pd.Timestamp(at)
    pos = int(plan.index.searchsorted(ts, side="right")) - 1
    ends = plan.index + pd.to_timedelta(plan.duration_h, unit="h")
    inside = 0 <= pos < len(plan.index) and ts < ends[pos]
    out: list[DeviceCommand] = []
    for dev in building.devices:
        if dev.id not in plan.power_kw.columns:
            continue
        if not inside:
            out.append(Release(device_id=dev.id))
            continue
        power = float(plan.power_kw[dev.id].iloc[pos])
        base = float(plan.baseline_kw[dev.id].iloc[pos])
        changed = abs(power - base) > CHANGE_KW
        out.append(_command(plan, dev, pos, power, base, changed))
    return out


def _command(
    plan: DispatchPlan, dev: Device, pos: int, power: float, base: float, changed: bool
) -> DeviceCommand:
    dev_id = dev.id
    if not changed:
        return Release(device_id=dev_id)
    if isinstance(dev, OnOffLoad):
        shed = bool(plan.onoff_shed[dev_id].iloc[pos])
        return Switch(device_id=dev_id, on=False) if shed else Release(device_id=dev_id)
    if isinstance(dev, HvacZone):
        return Setpoint(device_id=dev_id, celsius=float(plan.zone_temp_c[dev_id].iloc[pos]))
    if isinstance(dev, WaterHeater) and power < base:
        # a deferral is a power cap: a lower setpoint would switch an on/off thermostat off
        # altogether while the tank is inside its deadband (and leave it on below it)
        return PowerLimit(device_id=dev_id, kw=max(power, 0.0))
    if isinstance(dev, WaterHeater):
        return Setpoint(device_id=dev_id, celsius=float(plan.tank_temp_c[dev_id].iloc[pos]))
    if isinstance(dev, Battery):
        return BatteryPower(device_id=dev_id, kw=power)
    if isinstance(dev, CurtailableLoad | EvCharger) and power < base:
        return PowerLimit(device_id=dev_id, kw=max(power, 0.0))
    return Release(device_id=dev_id)
