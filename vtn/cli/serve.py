"""``oadr-vtn serve``: the configuration with the command line's overrides, then the server."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from vtn.cli.connection import CONFIG_ENV
from vtn.config import load_config

__all__ = ["serve"]


def serve(args: argparse.Namespace) -> int:
    """Run the VTN until it is stopped; its exit status."""
    overrides: dict[str, Any] = {}
    if args.plain_http:
        overrides["plain_http"] = True
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.admin_port is not None:
        overrides["admin.port"] = args.admin_port
    if args.workers is not None:
        overrides["workers"] = args.workers
    if args.log_format is not None:
        overrides["log_format"] = args.log_format
    if args.db:
        overrides["database_url"] = args.db if "://" in args.db else (
            f"sqlite+aiosqlite:///{Path(args.db).resolve()}")
    config = load_config(args.config or os.environ.get(CONFIG_ENV), overrides)
    from vtn import server

    return server.run(config, log_level=args.log_level)
