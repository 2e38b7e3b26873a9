"""What the building API's handlers share: the running VEN's config, state, telemetry, brain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from common.clock import Clock
from ven.client.config import VenConfig
from ven.client.store import Store
from ven.client.telemetry import TelemetryStore

if TYPE_CHECKING:
    from ven.brain import BuildingBrain
    from ven.brain.energyloop import EnergyManager

__all__ = ["CONTEXT", "ApiContext", "context"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiContext:
    """The running VEN's parts the API reads: `brain` is None without a building file,
    `energy` (the always-on energy manager) without an ``[energy]`` table."""

    config: VenConfig
    store: Store
    telemetry: TelemetryStore
    clock: Clock
    brain: BuildingBrain | None = None
    energy: EnergyManager | None = None

    def device_ids(self) -> list[str] | None:
        """The building's device IDs (None without a building)."""
        if self.brain is None:
            return None
        return [d.id for d in self.brain.building.devices]


CONTEXT = web.AppKey("ven_api_context", ApiContext)


def context(request: web.Request) -> ApiContext:
    """The context of the application serving `request`."""
    return request.config_dict[CONTEXT]
