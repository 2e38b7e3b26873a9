"""The ``oadr-vtn`` command: run the VTN, and manage VENs, events and reports over its admin API."""

from __future__ import annotations

import http.client
import json
import ssl
import sys
from collections.abc import Sequence

from common.errors import ConfigError
from vtn.cli.client import ApiRefused, ClientError
from vtn.cli.commands import COMMANDS, option_of
from vtn.cli.connection import admin_client
from vtn.cli.parser import build_parser
from vtn.cli.serve import serve

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``oadr-vtn``; returns the exit status (1 on any error)."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
        if args.command == "conformance":  # imported here: the kit's VTN side is a server
            if args.action == "run-ven":
                from vtn.conformance import run_ven

                return run_ven(args)
            from vtn.cli import conformance

            return conformance.run(args)
        api = admin_client(args)
        data, text = COMMANDS[(args.command, args.action)](api, args)
    except ApiRefused as exc:
        sys.stderr.write(f"oadr-vtn: {option_of(exc.field, str(exc))}\n")
        return 1
    except (ClientError, ConfigError, ssl.SSLError) as exc:
        sys.stderr.write(f"oadr-vtn: {exc}\n")
        return 1
    except (http.client.HTTPException, OSError) as exc:
        sys.stderr.write(f"oadr-vtn: {type(exc).__name__}: {exc}\n")
        return 1
    if args.json and data is not None:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
