"""Shed capacity by circuit: which circuits the dispatch may shed, in the order it sheds them.

    entries = shed_capacity(building, current_kw, at)     # list[CircuitCapacity]
    document = [e.as_json() for e in entries]             # plain JSON values (CLI, API)

`current_kw` is each device's draw now [kW], from wherever the caller has it (meter or
telemetry, the simulated building's forecast, ...). A device's sheddable power follows the
dispatch's bounds (``ven.dispatch.kinds``) under its participation rule for the local hour of
`at`: under ``participation`` a load may go to 0 (a curtailable load only by its
``max_reduction``, an on/off load only when it runs), under ``shifting`` by
``SHIFTING_LIMIT`` of its draw (an on/off load not at all), under ``off`` not at all; a
participating battery may also discharge up to ``max_discharge_kw``. PV is never listed.
Comfort limits and shed-time limits are left out: the figure is the most the dispatch may take
now, not what it would plan.

`circuit_kw` is each metered circuit's meter reading now [kW] (``[mqtt] circuit_meters``):
where given it is that circuit's current kW (``metered`` true), else the sum of its devices.

Order (the dispatch's tie-break, ``ven.dispatch.objective``): devices on no circuit first
(priority 0), then circuits by priority, lowest first (ties by id). An essential circuit is
never shed: it is left out unless `include_essential`, and then comes last with 0 sheddable kW.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ven.devices.model import (
    SHIFTING_LIMIT,
    AnyDevice,
    Battery,
    Building,
    CurtailableLoad,
    OnOffLoad,
    Participation,
    PvArray,
)

__all__ = ["CircuitCapacity", "DeviceCapacity", "device_sheddable_kw", "shed_capacity"]

_ALLOWED = {Participation.PARTICIPATION: 1.0, Participation.SHIFTING: SHIFTING_LIMIT,
            Participation.OFF: 0.0}  # as ven.instructions.ALLOWED_CHANGE [fraction]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceCapacity:
    """One device now: its rule, current draw [kW] and the most the dispatch may shed [kW]."""

    device_id: str
    kind: str
    rule: Participation
    current_kw: float
    sheddable_kw: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CircuitCapacity:
    """One circuit now (circuit_id None: the devices on no circuit).

    priority: the circuit's 1..10 (0 for no circuit); current_kw: its meter's reading when
    ``metered``, else the sum over its devices [kW]; sheddable_kw: the sum over its devices
    [kW] (0 on an essential circuit); meter: the circuit's meter hint.
    """

    circuit_id: str | None
    name: str
    essential: bool
    priority: int
    meter: str | None
    current_kw: float
    sheddable_kw: float
    devices: tuple[DeviceCapacity, ...]
    metered: bool = False

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values, powers rounded to 0.001 kW."""
        return {
            "circuit_id": self.circuit_id, "name": self.name, "essential": self.essential,
            "priority": self.priority, "meter": self.meter, "metered": self.metered,
            "current_kw": round(self.current_kw, 3), "sheddable_kw": round(self.sheddable_kw, 3),
            "devices": [{"device_id": d.device_id, "kind": d.kind, "rule": d.rule.value,
                         "current_kw": round(d.current_kw, 3),
                         "sheddable_kw": round(d.sheddable_kw, 3)} for d in self.devices],
        }


def device_sheddable_kw(device: AnyDevice, rule: Participation, current_kw: float) -> float:
    """The most the dispatch may take off `device` under `rule` when it draws `current_kw`
    [kW] (0 for PV)."""
    allowed = _ALLOWED[rule]
    draw = max(current_kw, 0.0)
    if isinstance(device, PvArray):
        return 0.0
    if isinstance(device, OnOffLoad):
        return draw if allowed >= 1.0 else 0.0
    if isinstance(device, CurtailableLoad):
        return min(max(device.max_reduction, 0.0), allowed) * draw
    if isinstance(device, Battery):
        if allowed >= 1.0:
            return max(current_kw + max(device.max_discharge_kw, 0.0), 0.0)
        return allowed * abs(current_kw)
    return draw if allowed >= 1.0 else allowed * draw


def shed_capacity(
    building: Building,
    current_kw: Mapping[str, float],
    at: datetime,
    *,
    include_essential: bool = False,
    circuit_kw: Mapping[str, float] | None = None,
) -> list[CircuitCapacity]:
    """The circuits the dispatch may shed at `at` (tz-aware), in shed order (see the module).

    current_kw: each device's draw now [kW]; a device missing from it counts as 0.
    circuit_kw: metered circuits' load now [kW], their current kW where given.
    Circuits without a (non-PV) device are listed too (their uncontrolled load is not
    sheddable: 0 kW).
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    hour = at.astimezone(ZoneInfo(building.timezone)).hour
    groups: dict[str | None, list[DeviceCapacity]] = {c.id: [] for c in building.circuits}
    groups[None] = []
    for dev in building.devices:
        if isinstance(dev, PvArray):
            continue
        rule = dev.rule_at(hour)
        draw = float(current_kw.get(dev.id, 0.0))
        sheddable = 0.0 if building.is_essential(dev) else device_sheddable_kw(dev, rule, draw)
        groups.setdefault(dev.circuit, []).append(DeviceCapacity(
            device_id=dev.id, kind=dev.kind, rule=rule, current_kw=draw, sheddable_kw=sheddable))
    entries: list[CircuitCapacity] = []
    if groups[None]:
        entries.append(_entry(None, "(no circuit)", False, 0, None, groups[None]))
    for circuit in sorted(building.circuits, key=lambda c: (c.essential, c.priority, c.id)):
        if circuit.essential and not include_essential:
            continue
        entries.append(_entry(circuit.id, circuit.name, circuit.essential, circuit.priority,
                              circuit.meter, groups[circuit.id],
                              (circuit_kw or {}).get(circuit.id)))
    return entries


def _entry(ident: str | None, name: str, essential: bool, priority: int, meter: str | None,
           devices: list[DeviceCapacity], metered_kw: float | None = None) -> CircuitCapacity:
    return CircuitCapacity(
        circuit_id=ident, name=name, essential=essential, priority=priority, meter=meter,
        current_kw=sum(d.current_kw for d in devices) if metered_kw is None else metered_kw,
        sheddable_kw=sum(d.sheddable_kw for d in devices), devices=tuple(devices),
        metered=metered_kw is not None)
