"""The building brain: events -> baseline, plan and device commands; the building's meter.

    brain = BuildingBrain.simulated("examples/buildings/office.toml", clock)
    client = await build_client(config, store=store, source=BuildingReadings(brain),
                                handler=brain, tick=brain.tick)

Modules: `signals` (typed 2.0b event -> instruction signals), `meter` (simulated building,
history and live readings), `planning` (baseline, request, dispatch, re-plan), `handler`
(the ``EventHandler``), `outcome` (what was measured), `expectation` (what a plan expects
to deliver against what is asked, and why it falls short), `words` (log lines), `dryrun` (one
event simulated without a VTN: ``oadr-ven plan`` and the demo), `plancli` (that command),
`chart` (its PNG). ``ven.measurements`` reads the meter for the VEN's reports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ven.brain.handler import BuildingBrain, ControlState
    from ven.brain.meter import MeteredBuilding
    from ven.brain.outcome import EventOutcome, measure
    from ven.brain.planning import EventPlan

__all__ = [
    "BuildingBrain",
    "ControlState",
    "EventOutcome",
    "EventPlan",
    "MeteredBuilding",
    "measure",
]

_HOME = {
    "BuildingBrain": "ven.brain.handler",
    "ControlState": "ven.brain.handler",
    "EventOutcome": "ven.brain.outcome",
    "EventPlan": "ven.brain.planning",
    "MeteredBuilding": "ven.brain.meter",
    "measure": "ven.brain.outcome",
}
"""Where each public name lives: imported on first use, so that the light command modules of
this package (``plancli``, ``capacitycli``, ``strategycli``) do not bring in the dispatch
(Pyomo, SciPy: seconds) for every ``oadr-ven`` command."""


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
