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
from typing import Protocol

from ven.devices.commands import DeviceCommand

__all__ = ["DeviceGateway", "DeviceStatus"]


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
