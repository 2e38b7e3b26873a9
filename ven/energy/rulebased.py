"""The rule-based baseline the MPC is compared with: what a building does without a planner.

Thermostats hold their set points while occupied (the devices' own controllers), EVs charge
at full power on plug-in, water heaters follow their own thermostat, and a battery does simple
self-consumption: it charges from the PV surplus and discharges to cover the load, both as
measured in the interval before (it cannot see the current one).
"""

from __future__ import annotations

from ven.devices.commands import BatteryPower, DeviceCommand
from ven.devices.model import Battery, Building

__all__ = ["self_consumption_commands"]


def self_consumption_commands(building: Building, net_without_battery_kw: float
                              ) -> tuple[DeviceCommand, ...]:
    """Battery commands for the next interval from the last interval's net load without the
    batteries [kW] (> 0 import, < 0 PV surplus): charge the surplus, discharge the import;
    several batteries share it by their power ratings."""
    batteries = [d for d in building.devices if isinstance(d, Battery)]
    if not batteries:
        return ()
    out: list[DeviceCommand] = []
    if net_without_battery_kw < 0:
        total = sum(b.max_charge_kw for b in batteries) or 1.0
        for b in batteries:
            share = -net_without_battery_kw * b.max_charge_kw / total
            out.append(BatteryPower(device_id=b.id, kw=round(min(share, b.max_charge_kw), 4)))
    else:
        total = sum(b.max_discharge_kw for b in batteries) or 1.0
        for b in batteries:
            share = net_without_battery_kw * b.max_discharge_kw / total
            out.append(BatteryPower(device_id=b.id,
                                    kw=-round(min(share, b.max_discharge_kw), 4)))
    return tuple(out)
