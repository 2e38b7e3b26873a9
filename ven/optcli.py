"""``oadr-ven opt schedule|cancel``: send or withdraw an opt schedule (oadrCreateOpt with
vavailability, oadrCancelOpt) through the running VEN, or directly without one."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from common.messages.enums import OptReason, OptType
from ven.client.config import OptSchedule
from ven.client.optactions import cancel_action, schedule_action

__all__ = ["HELP", "add_opt_commands", "opt_action"]

HELP = "Send or cancel an opt schedule (times the VEN opts in or out of any event)."

_EPILOG = """\
Without --duration-min the window is open-ended (it lasts until cancelled). With
`oadr-ven run` running on this state file the action is carried out by the running VEN at its
next round (this command waits up to --wait seconds); without it this command connects to
the VTN itself.

exit status: 0 done; 1 the VTN refused, could not be reached or did not act in time; 2 bad
input or configuration.

examples:
  oadr-ven opt schedule --config ven.toml --id maintenance-1 --type out \\
      --start 2026-07-15T14:00Z --duration-min 120
  oadr-ven opt schedule --config ven.toml --id standby --type in --start 2026-07-15T00:00Z \\
      --resource ahu-1 --json
  oadr-ven opt cancel maintenance-1 --config ven.toml
"""


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def add_opt_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``opt`` command group."""
    group = commands.add_parser("opt", help=HELP, description=HELP)
    sub = group.add_subparsers(dest="opt_command", required=True, metavar="COMMAND")
    schedule = sub.add_parser("schedule", help="Send an opt schedule (oadrCreateOpt).",
                              description="Send an opt schedule (oadrCreateOpt).",
                              epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    schedule.add_argument("--id", required=True, dest="opt_id", metavar="OPT_ID",
                          help="the schedule's optID (cancel it by this ID)")
    schedule.add_argument("--type", required=True, choices=["in", "out"], dest="opt_type",
                          help="opt in (available) or out (unavailable) in the window")
    schedule.add_argument("--start", required=True, type=_time, metavar="TIME",
                          help="the window's start, ISO 8601 (UTC without an offset)")
    schedule.add_argument("--duration-min", type=float, metavar="MINUTES",
                          help="the window's length [min]; omit for an open-ended window")
    schedule.add_argument("--resource", action="append", default=[], metavar="ID",
                          help="a resource the schedule is for (repeatable; omit: the whole VEN)")
    schedule.add_argument("--market-context", metavar="URI", help="the program it is for")
    schedule.add_argument("--reason", default=OptReason.X_SCHEDULE.value,
                          choices=[r.value for r in OptReason],
                          help="optReason (default: x-schedule)")
    cancel = sub.add_parser("cancel", help="Cancel an opt schedule (oadrCancelOpt).",
                            description="Cancel an opt schedule (oadrCancelOpt).",
                            epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    cancel.add_argument("opt_id", metavar="OPT_ID", help="the schedule's optID")
    for parser in (schedule, cancel):
        parser.add_argument("--config", required=True, metavar="FILE.toml",
                            help="the VEN configuration file (its [ven] database is the state "
                                 "file)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.add_argument("--wait", type=float, default=30.0, metavar="SECONDS",
                            help="how long to wait for the running VEN to act (default: 30)")


def opt_action(args: argparse.Namespace) -> str:
    """The operator action text of the parsed ``opt`` command; ``ValueError`` for bad input."""
    if args.opt_command == "cancel":
        return cancel_action(args.opt_id)
    minutes = args.duration_min
    if minutes is not None and minutes <= 0:
        raise ValueError("--duration-min must be > 0 (omit it for an open-ended window)")
    return schedule_action(OptSchedule(
        opt_id=args.opt_id, opt_type=OptType.OPT_IN if args.opt_type == "in" else OptType.OPT_OUT,
        start=args.start, duration=timedelta(minutes=minutes or 0),
        reason=OptReason(args.reason), resource_ids=tuple(args.resource),
        market_context=args.market_context))
