"""A running VEN's building API with an always-on energy manager (the home building, on a
real loopback port), for the ``oadr-ven energy strategy`` subprocess tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from common.clock import ManualClock
from tests.support.network import free_port
from ven.api.context import ApiContext
from ven.api.server import ApiServer
from ven.brain import BuildingBrain
from ven.brain.energyloop import EnergyManager
from ven.client.config import load_config
from ven.client.store import Store
from ven.client.telemetry import TelemetryStore
from ven.energy.config import parse_energy_table

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "examples" / "buildings" / "home.toml"
START = datetime(2026, 7, 15, 17, 0, tzinfo=UTC)

_VEN = """
[vtn]
url = "http://127.0.0.1:9/OpenADR2/Simple/2.0b"
allow_plain_http = true
[ven]
name = "energy-ven"
database = "ven.sqlite"
building = "{building}"
[api]
port = {port}
"""


@dataclass
class EnergyApi:
    """The listener's ven.toml, its energy manager and state file."""

    config: Path
    manager: EnergyManager
    store: Store


def energy_manager(clock: ManualClock) -> EnergyManager:
    """The home building's energy manager, economic by its [energy] table, 6 h ahead."""
    brain = BuildingBrain.simulated(HOME, clock, history_days=1)
    return EnergyManager(brain, parse_energy_table(
        {"strategy": "economic", "horizon_h": 6, "weights": {"degradation_per_kwh": 0.05}},
        timezone=brain.building.timezone), clock)


@asynccontextmanager
async def energy_api(tmp_path: Path) -> AsyncIterator[EnergyApi]:
    """Serve the building API (with its token file) until the block ends."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "ven.toml"
    path.write_text(_VEN.format(building=HOME, port=free_port()))
    config = load_config(path)
    clock = ManualClock(START)
    manager = energy_manager(clock)
    store = await Store.open(config.database)
    telemetry = await TelemetryStore.open(config.database)
    server = ApiServer(ApiContext(config=config, store=store, telemetry=telemetry, clock=clock,
                                  brain=manager.brain, energy=manager))
    try:
        await server.start()
        yield EnergyApi(config=path, manager=manager, store=store)
    finally:
        await server.stop()
        await telemetry.close()
        await store.close()
