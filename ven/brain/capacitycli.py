"""``oadr-ven capacity``: the circuits a building may shed now, lowest priority first (from the
running VEN's building API, or the building file's simulated building)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["HELP", "add_capacity_arguments", "capacity_command", "capacity_document"]

HELP = ("List the circuits the dispatch may shed at a time, in the order it sheds them (lowest "
        "priority first, essential circuits never), with their current and sheddable kW: with "
        "--config, now, from the running VEN's building API (what its devices and circuit "
        "meters say); with --building, the building file's simulated building without DR.")


def add_capacity_arguments(sub: argparse.ArgumentParser) -> None:
    """The options of ``oadr-ven capacity``."""
    source = sub.add_mutually_exclusive_group(required=True)
    source.add_argument("--building", metavar="FILE.toml", help="the building file (simulated)")
    source.add_argument("--config", metavar="FILE.toml",
                        help="the running VEN's ven.toml: ask its building API ([api])")
    sub.add_argument("--at", metavar="TIME",
                     help="ISO 8601 (no offset: the building's local time); default: now "
                          "(--building only)")
    sub.add_argument("--essential", action="store_true",
                     help="list the essential circuits too (never sheddable: 0 kW)")
    sub.add_argument("--seed", type=int, default=0, help="weather seed (default: 0)")
    sub.add_argument("--json", action="store_true", help="machine-readable output")


def capacity_document(args: argparse.Namespace) -> dict[str, Any]:
    """The listing the parsed arguments ask for, as plain JSON values."""
    if getattr(args, "config", None):
        return _from_api(args)
    from common.clock import ManualClock
    from ven.brain.dryrun import parse_start
    from ven.devices.capacity import shed_capacity
    from ven.devices.config import load_building, load_climate
    from ven.devices.simulated import SimulatedBuilding

    building = load_building(args.building)
    at = (datetime.now(UTC) if args.at is None
          else parse_start(args.at, building.timezone)).astimezone(UTC)
    simulation = SimulatedBuilding(building, ManualClock(at), climate=load_climate(args.building),
                                   seed=args.seed)
    draw = simulation.forecast(at, 1).device_kw.iloc[0]
    entries = shed_capacity(building, {k: float(v) for k, v in draw.items()}, at,
                            include_essential=args.essential)
    return {"building_id": building.id,
            "at": at.astimezone(ZoneInfo(building.timezone)).isoformat(),
            "sheddable_kw": round(sum(e.sheddable_kw for e in entries), 3),
            "circuits": [e.as_json() for e in entries]}


def _from_api(args: argparse.Namespace) -> dict[str, Any]:
    """``GET /capacity`` of the running VEN's building API (``ConfigError`` when its ``[api]``
    is off, it does not answer, or refuses)."""
    from common.errors import ConfigError
    from ven.api.calls import call_building_api
    from ven.client.config import load_config

    if args.at is not None:
        raise ConfigError("--at: only with --building (--config lists the running VEN's now)")
    config = load_config(args.config)
    if not config.api.enabled:
        raise ConfigError(f"{args.config}: the building API is off; set [api] port to list the "
                          "running VEN's capacity (or use --building)")
    return call_building_api(config, "/capacity" + ("?essential=true" if args.essential else ""))


def capacity_command(args: argparse.Namespace) -> int:
    """Run ``oadr-ven capacity`` and print its listing (or JSON); returns the exit status."""
    data = capacity_document(args)
    if args.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return 0
    lines = [f"Shed capacity of {data['building_id']} at {data['at']}: "
             f"{data['sheddable_kw']:g} kW, lowest priority first"]
    for entry in data["circuits"]:
        label = entry["circuit_id"] or "(no circuit)"
        kind = "essential" if entry["essential"] else f"priority {entry['priority']}"
        metered = " (metered)" if entry.get("metered") else ""
        lines.append(f"  {label} ({kind}): {entry['current_kw']:g} kW now{metered}, "
                     f"{entry['sheddable_kw']:g} kW sheddable")
        lines.extend(f"    {d['device_id']} ({d['kind']}, {d['rule']}): {d['current_kw']:g} kW "
                     f"now, {d['sheddable_kw']:g} kW sheddable" for d in entry["devices"])
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
