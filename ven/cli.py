"""The ``oadr-ven`` command: run the VEN, and look at or answer its state from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from common.clock import SystemClock
from common.errors import OadrError
from common.messages.enums import OptType
from ven.client.config import VenConfig, load_config
from ven.client.events import EventState
from ven.client.factory import build_client, building_devices, log_zone
from ven.client.invitations import is_pending, record_operator_answer, states
from ven.client.push import PushServer
from ven.client.readings import DeterministicSource, ReadingSource
from ven.client.store import Store

if TYPE_CHECKING:
    from ven.brain import BuildingBrain

__all__ = ["main"]

log = logging.getLogger("ven")

_DESCRIPTION = """\
An OpenADR 2.0b VEN for a building. `run` keeps it connected to its VTN; the other
commands read and answer its local state file (they work whether or not `run` is running).
"""
_EPILOG = """\
examples:
  oadr-ven run --config ven.toml
  oadr-ven status --config ven.toml
  oadr-ven invitations --config ven.toml --json
  oadr-ven answer EVENT_ID --opt out --device ahu-1 --config ven.toml
  oadr-ven plan --building office.toml --signal SIMPLE --level 2 --start 2026-07-15T14:00
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oadr-ven", description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--config", required=True, metavar="FILE.toml",
                         help="the VEN configuration file (its [ven] database is the state file)")
        sub.add_argument("--json", action="store_true",
                         help="machine-readable output (for run: one JSON object per log line)")
        return sub

    run = command("run", "Connect to the VTN and run until stopped (Ctrl-C or SIGTERM).")
    run.add_argument("--log-level", default="INFO",
                     choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default: INFO")
    command("status", "Show the registration, events, answers, reports and the outgoing queue.")
    command("invitations", "List the events waiting for your answer.")
    answer = command("answer", "Answer an event invitation (for the whole building or one "
                     "device); the running VEN sends it at its next poll.")
    answer.add_argument("event_id", metavar="EVENT_ID", help="the event's ID (see invitations)")
    answer.add_argument("--opt", required=True, choices=["in", "out"],
                        help="take part (in) or not (out)")
    answer.add_argument("--device", metavar="ID",
                        help="a device (resource) ID from the building file; omit for all")
    from ven.brain.plancli import HELP, add_plan_arguments

    add_plan_arguments(commands.add_parser("plan", help=HELP, description=HELP))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``oadr-ven``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "plan":
            from ven.brain.plancli import plan_command

            return plan_command(args)
        config = load_config(args.config)
        if args.command == "run":
            _setup_logging(args.log_level, as_json=args.json)
            return asyncio.run(_run(config))
        if not config.database.exists():
            sys.stderr.write(f"oadr-ven: there is no state file at {config.database} yet; "
                             "start the VEN with `oadr-ven run` first\n")
            return 1
        return asyncio.run(_COMMANDS[args.command](config, args))
    except OadrError as exc:
        sys.stderr.write(f"oadr-ven: {exc}\n")
        return 2


# ---- run ------------------------------------------------------------------------------------


def _log_time(record: logging.LogRecord) -> str:
    """When `record` was made: ISO 8601 in UTC, with its offset (one zone in the whole log,
    the zone event and report times are logged in)."""
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class _TextFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _log_time(record)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": _log_time(record),
                 "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def _log_formatter(*, as_json: bool) -> logging.Formatter:
    """The formatter of ``oadr-ven run``: one JSON object per line, or text lines."""
    return _JsonFormatter() if as_json else _TextFormatter("%(asctime)s %(levelname)s %(message)s")


def _setup_logging(level: str, *, as_json: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_log_formatter(as_json=as_json))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


async def _run(config: VenConfig) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    async def sleeper(seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)

    store = await Store.open(config.database)
    try:
        clock = SystemClock()
        brain = _building_brain(config, clock)
        source = DeterministicSource() if brain is None else _readings(brain)
        if brain is not None and config.reports.baseline_method is None:
            config = replace(config, reports=replace(
                config.reports, baseline_method=getattr(source, "baseline_method", None)))
        client = await build_client(
            config, store=store, clock=clock, sleeper=sleeper, source=source,
            handler=brain, tick=None if brain is None else brain.tick,
            building=None if brain is None else brain.building)  # the file is parsed once
        log.info("VEN %s starting: VTN %s, state file %s", config.ven_name, config.vtn_url,
                 config.database)
        if brain is None:
            log.warning("Report values come from the built-in deterministic test source: no "
                        "building file is configured ([ven] building)")
        else:
            await brain.resume(await client.event_states())  # a restart mid-event
        push = (None if config.push is None  # push mode: the VTN POSTs to our endpoint
                else PushServer.from_config(config, store=store, client=client))
        try:
            if push is not None:
                await push.start()
            await client.run(stop)
        finally:
            if push is not None:
                await push.stop()
            await client.close()
    finally:
        await store.close()
    log.info("VEN %s stopped", config.ven_name)
    return 0


def _building_brain(config: VenConfig, clock: SystemClock) -> BuildingBrain | None:
    """The simulated building's brain when the config names a building file, else None."""
    if config.building_file is None:
        return None
    from ven.brain import BuildingBrain

    brain = BuildingBrain.simulated(config.building_file, clock,
                                    supported=config.supported_signals)
    brain.log_zone = log_zone(config, brain.building)
    log.info("Simulating building %s (%s) from %s; events are planned and carried out on it",
             brain.building.id, brain.building.name, config.building_file)
    return brain


def _readings(brain: BuildingBrain) -> ReadingSource:
    from ven.measurements import BuildingReadings

    return BuildingReadings(brain)


# ---- state commands -------------------------------------------------------------------------


def _state_json(state: EventState) -> dict[str, Any]:
    return {
        "event_id": state.event_id,
        "modification_number": state.modification_number,
        "phase": state.phase.value,
        "status": state.status.value,
        "summary": state.summary,
        "effective_start": state.effective_start.isoformat(),
        "end": state.end.isoformat() if state.end else None,
        "response_required": state.response_required.value,
        "opt": state.opt.value if state.opt else None,
        "device_opts": {k: v.value for k, v in state.device_opts.items()},
    }


def _state_line(state: EventState) -> str:
    answer = state.opt.value if state.opt else "waiting for your answer"
    devices = "".join(f", {d} {o.value}" for d, o in state.device_opts.items())
    return (f"  {state.event_id} (mod {state.modification_number}, {state.status.value}): "
            f"{state.summary} -> {answer}{devices}")


def _emit(data: Any, lines: list[str], as_json: bool) -> None:
    sys.stdout.write((json.dumps(data, indent=2) if as_json else "\n".join(lines)) + "\n")


async def _status(config: VenConfig, args: argparse.Namespace) -> int:
    store = await Store.open(config.database)
    try:
        registration = await store.registration()
        events = await states(store, datetime.now(UTC))
        subscriptions = await store.subscriptions()
        queued = await store.outbox()
        rejected = await store.outbox(states=("rejected",))
    finally:
        await store.close()
    data = {
        "registration": None if registration is None else {
            "vtn_id": registration.vtn_id, "ven_id": registration.ven_id,
            "registration_id": registration.registration_id,
            "registered_at": registration.registered_at.isoformat(),
            "poll_freq_s": (registration.poll_freq.total_seconds()
                            if registration.poll_freq else None),
        },
        "events": [_state_json(s) for s in events],
        "reports": [{"report_request_id": s.report_request_id, "report_name": s.report_name,
                     "r_ids": list(s.r_ids), "granularity_s": s.granularity_s,
                     "report_back_s": s.report_back_s,
                     "covered_until": s.covered_until.isoformat()} for s in subscriptions],
        "outbox": {"queued": len(queued), "rejected": len(rejected),
                   "oldest_queued": queued[0].created_at.isoformat() if queued else None,
                   "last_error": queued[0].last_error if queued else None},
    }
    lines = [f"VEN {config.ven_name}, VTN {config.vtn_url}"]
    if registration is None:
        lines.append("Not registered yet.")
    else:
        lines.append(f"Registered with VTN {registration.vtn_id} as venID {registration.ven_id} "
                     f"(registration {registration.registration_id}) since "
                     f"{registration.registered_at:%Y-%m-%d %H:%M} UTC")
    lines.append(f"Events ({len(events)}):")
    lines.extend(_state_line(s) for s in events)
    lines.append(f"Reports the VTN asked for ({len(subscriptions)}):")
    lines.extend(f"  {s.report_name} {', '.join(s.r_ids)}: every {s.granularity_s:g} s, sent "
                 f"every {s.report_back_s:g} s (queued up to {s.covered_until:%H:%M} UTC)"
                 for s in subscriptions)
    waiting = f"{len(queued)} message(s) waiting for the VTN"
    if queued:
        waiting += f" since {queued[0].created_at:%Y-%m-%d %H:%M} UTC"
        if queued[0].last_error:
            waiting += f" (last error: {queued[0].last_error})"
    lines.append(waiting + (f"; {len(rejected)} refused by the VTN" if rejected else ""))
    _emit(data, lines, args.json)
    return 0


async def _invitations(config: VenConfig, args: argparse.Namespace) -> int:
    store = await Store.open(config.database)
    try:
        pending = [s for s in await states(store, datetime.now(UTC)) if is_pending(s)]
    finally:
        await store.close()
    lines = ([f"{len(pending)} event(s) waiting for your answer:"] if pending
             else ["No event is waiting for your answer."])
    lines.extend(_state_line(s) for s in pending)
    if pending:
        lines.append("Answer with: oadr-ven answer EVENT_ID --opt in|out [--device ID]")
    _emit([_state_json(s) for s in pending], lines, args.json)
    return 0


async def _answer(config: VenConfig, args: argparse.Namespace) -> int:
    opt = OptType.OPT_IN if args.opt == "in" else OptType.OPT_OUT
    devices = building_devices(config) if config.building_file else None
    store = await Store.open(config.database)
    try:
        answer = await record_operator_answer(
            store, args.event_id, opt, now=datetime.now(UTC), device_id=args.device,
            known_devices=devices)
    finally:
        await store.close()
    who = f"device {args.device}" if args.device else "the whole building"
    line = (f"Recorded {opt.value} for {who} in event {answer.event_id} "
            f"(mod {answer.modification_number}); the running VEN sends it at its next poll.")
    _emit({"event_id": answer.event_id, "modification_number": answer.modification_number,
           "device_id": args.device, "opt": opt.value}, [line], args.json)
    return 0


_COMMANDS = {"status": _status, "invitations": _invitations, "answer": _answer}
