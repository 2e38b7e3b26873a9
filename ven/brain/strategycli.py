"""``oadr-ven energy strategy NAME``: choose the running VEN's energy strategy through its
building API (``PUT /energy/strategy``; kept in the state file)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from common.errors import ConfigError
from ven.energy.strategy import STRATEGIES

__all__ = ["HELP", "add_strategy_arguments", "strategy_command"]

HELP = ("Choose the running VEN's energy strategy (economic, comfort, environmental, balanced) "
        "through its building API; it is kept in the state file, wins over the building "
        "file's at the next start, and the energy manager re-plans with it at its next look.")


def add_strategy_arguments(sub: argparse.ArgumentParser) -> None:
    """The options of ``oadr-ven energy strategy``."""
    sub.add_argument("name", choices=STRATEGIES, metavar="NAME",
                     help=f"the strategy: {', '.join(STRATEGIES)}")
    sub.add_argument("--weight", action="append", default=[], metavar="KEY=VALUE",
                     help="a weight (cost, comfort, carbon: balanced only; "
                          "degradation_per_kwh, penalty_*: any); repeatable")
    sub.add_argument("--config", default="ven.toml", metavar="FILE.toml",
                     help="the running VEN's ven.toml (default: ven.toml)")
    sub.add_argument("--json", action="store_true", help="machine-readable output")


def _weights(items: list[str]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            weights[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise ConfigError(f"--weight {item!r}: expected KEY=NUMBER")
    return weights


def _put(config_path: str, body: dict[str, Any]) -> dict[str, Any]:
    """``PUT /energy/strategy`` on the running VEN's building API (``ConfigError`` when its
    ``[api]`` is off, it does not answer, or refuses)."""
    from ven.api.calls import call_building_api
    from ven.client.config import load_config

    config = load_config(config_path)
    if not config.api.enabled:
        raise ConfigError(f"{config_path}: the building API is off; set [api] port to choose "
                          "the running VEN's strategy")
    return call_building_api(config, "/energy/strategy", method="PUT", body=body)


def strategy_command(args: argparse.Namespace) -> int:
    """Run ``oadr-ven energy strategy`` and print the strategy now chosen (or JSON)."""
    body: dict[str, Any] = {"strategy": args.name}
    if args.weight:
        body["weights"] = _weights(args.weight)
    data = _put(args.config, body)
    if args.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return 0
    chosen = data["strategy"]
    weights = ", ".join(f"{k} {v:g}" for k, v in chosen["weights"].items())
    sys.stdout.write(f"Energy strategy: {chosen['name']} ({weights}); kept in the state file, "
                     f"it wins over the building file's ({chosen['building_file']}); the "
                     "energy manager re-plans with it at its next look.\n")
    return 0
