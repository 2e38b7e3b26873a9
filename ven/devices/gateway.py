"""``DeviceGateway``: the one interface the brain uses to reach a building's devices.

Two implementations: the in-process ``SimulatedBuilding`` (every device always online, never
overridden, no meter of its own: the model is the meter) and ``ven.devices.mqtt.MqttGateway``
(devices and meters on an MQTT broker). The brain keeps planning on its model of the building
and sends the commands of each plan interval through the gateway; what the gateway hears back
wins: an offline or overridden device is released from the plan, and a configured meter's
readings are the reported usage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from ven.devices.commands import DeviceCommand

__all__ = ["CircuitMeters", "DeviceGateway", "DeviceStatus", "HeardTelemetry"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceStatus:
    """What the gateway knows of one device at one instant.

    online: its telemetry is fresh (``stale_after``); override: it reports a manual override
    or did not follow a command within ``command_timeout``; power_kw: its last reported power
    [kW] (None before the first report); reason: why it is offline or overridden, in words.
    """

    device_id: str
    online: bool = True
    override: bool = False
    power_kw: float | None = None
    temperature_c: float | None = None
    soc: float | None = None
    seen: datetime | None = None
    reason: str = ""

    @property
    def available(self) -> bool:
        """Whether the dispatch may plan on this device (online and not overridden)."""
        return self.online and not self.override


class DeviceGateway(Protocol):
    """Read state, send commands, hear overrides and offline devices."""

    def send(self, commands: Sequence[DeviceCommand]) -> None:
        """Send commands to their devices (without waiting for them to be carried out)."""
        ...

    def device_status(self, now: datetime) -> Mapping[str, DeviceStatus]:
        """The status of every device of the building at `now`, by id."""
        ...

    def metered_kw(self, start: datetime, end: datetime) -> float | None:
        """Mean metered building load over [start, end) [kW]; None when the gateway has no
        meter of its own (the brain's model is the meter); NaN when the meter said nothing."""
        ...


@runtime_checkable
class CircuitMeters(Protocol):
    """A gateway that also hears meters of single circuits (``MqttGateway`` with
    ``[mqtt] circuit_meters``)."""

    @property
    def metered_circuits(self) -> tuple[str, ...]:
        """The circuits with a meter the gateway listens to."""
        ...

    def metered_circuit_kw(self, circuit_id: str, start: datetime, end: datetime
                           ) -> float | None:
        """Mean metered load of one circuit over [start, end) [kW]; None when it has no meter,
        NaN when the meter said nothing (or the window is not complete)."""
        ...

    def circuit_kw_now(self, circuit_id: str, now: datetime) -> float | None:
        """The circuit meter's latest reading [kW] when fresh at `now`, else None."""
        ...


@runtime_checkable
class HeardTelemetry(Protocol):
    """A gateway whose devices report their own readings (``MqttGateway``): the telemetry
    recorder stores what they say, not the model's figures."""

    def device_power(self) -> Mapping[str, tuple[datetime, float]]:
        """Each device's latest reported power by id: (its time stamp, [kW])."""
        ...
