"""The ``oadr-ven`` command: run the VEN, and look at or answer its state from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.clock import Clock, clock_from, clock_sleep
from common.errors import ConfigError, OadrError
from common.logformat import JsonFormatter, TextFormatter
from common.messages.enums import OptType
from ven.client.config import ReportPoints, VenConfig, load_config
from ven.client.events import EventState
from ven.client.factory import build_client, building_devices, log_zone
from ven.client.invitations import is_pending, record_operator_answer, states
from ven.client.push import PushServer
from ven.client.readings import DeterministicSource, ReadingSource
from ven.client.runlock import RunLock, is_running
from ven.client.store import OperatorRequest, Store
from ven.client.telemetry import TelemetryStore
from ven.client.transport import TransportError
from ven.expectations import expected_json, expected_lines

if TYPE_CHECKING:
    from ven.brain import BuildingBrain
    from ven.brain.energyloop import EnergyManager
    from ven.telemetry import TelemetryRecorder

__all__ = ["main"]

log = logging.getLogger("ven")

_DESCRIPTION = """\
An OpenADR 2.0b VEN for a building. `run` keeps it connected to its VTN; status,
invitations and answer read and answer its local state file (whether or not `run` is
running); registration and reports act through the running VEN, or directly without one.
"""
_EPILOG = """\
examples:
  oadr-ven run --config ven.toml
  oadr-ven status --config ven.toml
  oadr-ven invitations --config ven.toml --json
  oadr-ven answer EVENT_ID --opt out --device ahu-1 --config ven.toml
  oadr-ven registration query --config ven.toml --json
  oadr-ven registration cancel --config ven.toml
  oadr-ven reports republish --config ven.toml
  oadr-ven telemetry export --config ven.toml --device ahu-1 --from 2026-07-01 --out ahu.csv
  oadr-ven plan --building office.toml --signal SIMPLE --level 2 --start 2026-07-15T14:00
  oadr-ven capacity --building office.toml --at 2026-07-15T14:00 --json
  oadr-ven capacity --config ven.toml --json
  oadr-ven model fit --csv rtu-north.csv --building office.toml --zone rtu-north
  oadr-ven forecast --config ven.toml --hours 24 --json
  oadr-ven energy plan --building home.toml --start 2026-07-15T00:00 --strategy balanced
  oadr-ven energy strategy comfort --config ven.toml
  oadr-ven conformance --vtn-url https://vtn:8443/OpenADR2/Simple/2.0b --cert ven.pem \
      --key ven.key --ca ca.pem --cases 'N1_*,E1_*' --operator none --out report/
  oadr-ven conformance --vtn-url https://vtn:8443/OpenADR2/Simple/2.0b --cert ven.pem \
      --key ven.key --ca ca.pem --cases 'N0_*,E0_*' --push-listen 0.0.0.0:8090 \
      --push-address https://ven.example:8090 --operator none --out report/
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
    _operator_commands(commands)
    from ven.optcli import add_opt_commands

    add_opt_commands(commands)
    _telemetry_commands(commands)
    from ven.brain.plancli import HELP, add_plan_arguments

    add_plan_arguments(commands.add_parser("plan", help=HELP, description=HELP))
    from ven.conformance.command import HELP as KIT_HELP
    from ven.conformance.command import add_conformance_arguments

    add_conformance_arguments(commands.add_parser("conformance", help=KIT_HELP,
                                                  description=KIT_HELP))
    from ven.brain.capacitycli import HELP as CAPACITY_HELP
    from ven.brain.capacitycli import add_capacity_arguments

    add_capacity_arguments(commands.add_parser("capacity", help=CAPACITY_HELP,
                                               description=CAPACITY_HELP))
    _learning_commands(commands)
    from ven.energy.command import HELP as ENERGY_HELP
    from ven.energy.command import add_energy_arguments

    energy_help = "The always-on energy manager (tariffs, strategies, rolling-horizon MPC)."
    energy = commands.add_parser("energy", help=energy_help, description=energy_help)
    energy_sub = energy.add_subparsers(dest="energy_command", required=True, metavar="COMMAND")
    add_energy_arguments(energy_sub.add_parser("plan", help=ENERGY_HELP,
                                               description=ENERGY_HELP))
    from ven.brain.strategycli import HELP as STRATEGY_HELP
    from ven.brain.strategycli import add_strategy_arguments

    add_strategy_arguments(energy_sub.add_parser("strategy", help=STRATEGY_HELP,
                                                 description=STRATEGY_HELP))
    return parser


def _learning_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``model fit`` and ``forecast`` (ven.learning.command)."""
    from ven.learning.command import (
        FIT_HELP,
        FORECAST_HELP,
        add_fit_arguments,
        add_forecast_arguments,
    )

    help_text = "Learned models of the building (fit its zones' RC models to their history)."
    model = commands.add_parser("model", help=help_text, description=help_text)
    sub = model.add_subparsers(dest="model_command", required=True, metavar="COMMAND")
    add_fit_arguments(sub.add_parser("fit", help=FIT_HELP, description=FIT_HELP))
    add_forecast_arguments(commands.add_parser("forecast", help=FORECAST_HELP,
                                               description=FORECAST_HELP))


_OPERATOR_ACTIONS = {
    ("registration", "cancel"): (
        "cancel-registration",
        "Cancel the VEN's registration with its VTN (oadrCancelPartyRegistration); the VEN then "
        "stays unregistered, without polling, until restarted or re-registered.",
        "oadr-ven registration cancel --config ven.toml\n"
        "  oadr-ven registration cancel --config ven.toml --json --wait 60"),
    ("registration", "query"): (
        "query-registration",
        "Ask the VTN what it knows of this VEN (oadrQueryRegistration) and show its answer.",
        "oadr-ven registration query --config ven.toml\n"
        "  oadr-ven registration query --config ven.toml --json"),
    ("registration", "reregister"): (
        "reregister",
        "Register again (a new oadrCreatePartyRegistration, with the current registrationID "
        "when registered), then offer the METADATA reports.",
        "oadr-ven registration reregister --config ven.toml"),
    ("reports", "republish"): (
        "republish-reports",
        "Send the METADATA reports again (oadrRegisterReport) and take up what the VTN asks for.",
        "oadr-ven reports republish --config ven.toml --json"),
}
"""(group, command) -> (action, help, examples) of the operator commands."""

_ACTING = """\
With `oadr-ven run` running on this state file the action is queued there and carried out by
the running VEN at its next round (this command waits up to --wait seconds for the outcome);
without it this command connects to the VTN itself.

exit status: 0 done; 1 the VTN refused, could not be reached or did not act in time; 2 bad
configuration.
"""


def _operator_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}
    helps = {"registration": "Cancel, query or renew the VEN's registration with its VTN.",
             "reports": "Re-publish the VEN's METADATA reports."}
    for (group, name), (action, help_text, examples) in _OPERATOR_ACTIONS.items():
        if group not in groups:
            parser = commands.add_parser(group, help=helps[group], description=helps[group])
            groups[group] = parser.add_subparsers(dest="operator_command", required=True,
                                                  metavar="COMMAND")
        sub = groups[group].add_parser(
            name, help=help_text, description=help_text,
            epilog=f"{_ACTING}\nexamples:\n  {examples}\n",
            formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.add_argument("--config", required=True, metavar="FILE.toml",
                         help="the VEN configuration file (its [ven] database is the state file)")
        sub.add_argument("--json", action="store_true", help="machine-readable output")
        sub.add_argument("--wait", type=float, default=30.0, metavar="SECONDS",
                         help="how long to wait for the running VEN to act (default: 30)")
        sub.set_defaults(action=action)


_TELEMETRY_EPILOG = """\
Times are ISO 8601; without an offset they are UTC. --from is inclusive, --to exclusive. The
building meter is the device `building`. Columns: time,device_id,quantity,value,unit.

examples:
  oadr-ven telemetry export --config ven.toml
  oadr-ven telemetry export --config ven.toml --device ahu-1 --out ahu-1.csv
  oadr-ven telemetry export --config ven.toml --device building \\
      --from 2026-07-01T00:00Z --to 2026-08-01T00:00Z --out july.csv
"""


def _telemetry_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    help_text = "Export the telemetry the running VEN stored (per device and building meter)."
    group = commands.add_parser("telemetry", help=help_text, description=help_text)
    sub = group.add_subparsers(dest="telemetry_command", required=True, metavar="COMMAND")
    export = sub.add_parser("export", help="Write stored telemetry samples as CSV.",
                            description="Write stored telemetry samples as CSV.",
                            epilog=_TELEMETRY_EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    export.add_argument("--config", required=True, metavar="FILE.toml",
                        help="the VEN configuration file (its [ven] database is the state file)")
    export.add_argument("--device", metavar="ID", help="only this device (default: all)")
    export.add_argument("--from", dest="start", metavar="TIME", type=_cli_time,
                        help="first sample time (inclusive)")
    export.add_argument("--to", dest="end", metavar="TIME", type=_cli_time,
                        help="end time (exclusive)")
    export.add_argument("--out", metavar="FILE", help="write to FILE (default: stdout)")


def _cli_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _telemetry_export(config: VenConfig, args: argparse.Namespace) -> int:
    from ven.client.telemetry import TelemetryStore, to_csv

    telemetry = await TelemetryStore.open(config.database)
    try:
        samples = await telemetry.samples(device_id=args.device, start=args.start, end=args.end)
    finally:
        await telemetry.close()
    text = to_csv(samples)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        sys.stderr.write(f"oadr-ven: {len(samples)} sample(s) written to {args.out}\n")
    else:
        sys.stdout.write(text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``oadr-ven``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "plan":
            from ven.brain.plancli import plan_command

            return plan_command(args)
        if args.command == "conformance":
            from ven.conformance.command import conformance_command

            return conformance_command(args)
        if args.command == "capacity":
            from ven.brain.capacitycli import capacity_command

            return capacity_command(args)
        if args.command == "model":
            from ven.learning.command import fit_command

            return fit_command(args)
        if args.command == "forecast":
            from ven.learning.command import forecast_command

            return forecast_command(args)
        if args.command == "energy" and args.energy_command == "strategy":
            from ven.brain.strategycli import strategy_command

            return strategy_command(args)
        if args.command == "energy":
            from ven.energy.command import energy_command

            return energy_command(args)
        config = load_config(args.config)
        if args.command == "run":
            _setup_logging(args.log_level, as_json=args.json)
            with RunLock(config.database):
                return asyncio.run(_run(config))
        if args.command in ("registration", "reports"):
            return asyncio.run(_operator_action(config, args))
        if args.command == "opt":
            from ven.optcli import opt_action

            try:
                args.action = opt_action(args)
            except ValueError as exc:
                sys.stderr.write(f"oadr-ven: {exc}\n")
                return 2
            return asyncio.run(_operator_action(config, args))
        if not config.database.exists():
            sys.stderr.write(f"oadr-ven: there is no state file at {config.database} yet; "
                             "start the VEN with `oadr-ven run` first\n")
            return 1
        if args.command == "telemetry":
            return asyncio.run(_telemetry_export(config, args))
        return asyncio.run(_COMMANDS[args.command](config, args))
    except OadrError as exc:
        sys.stderr.write(f"oadr-ven: {exc}\n")
        return 2


# ---- run ------------------------------------------------------------------------------------


def _log_formatter(*, as_json: bool) -> logging.Formatter:
    """The formatter of ``oadr-ven run``: one JSON object per line, or text lines; times in UTC
    with their offset (the zone event and report times are logged in by default)."""
    return JsonFormatter(utc=True) if as_json else TextFormatter(utc=True)


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

    clock = clock_from(config.clock)  # the wall clock, or simulated time ([clock])

    async def sleeper(seconds: float) -> None:  # seconds of the clock's time [s]
        await clock_sleep(clock, seconds, stop)

    store = await Store.open(config.database)
    stack = contextlib.AsyncExitStack()  # telemetry and the building API
    background: set[asyncio.Task[None]] = set()  # device opt-outs on their way
    try:
        brain = _building_brain(config, clock)
        if brain is not None:  # the points of each device and metered circuit ([mqtt])
            config = replace(config, reports=_part_points(brain, config))
        source = DeterministicSource() if brain is None else _readings(brain, config)
        if brain is not None and config.reports.baseline_method is None:
            config = replace(config, reports=replace(
                config.reports, baseline_method=getattr(source, "baseline_method", None)))
        telemetry = await TelemetryStore.open(config.database)
        stack.push_async_callback(telemetry.close)
        recorder = None if brain is None else _recorder(brain, telemetry, clock, config)
        energy = None if brain is None else _energy_manager(brain, config, clock)
        if energy is None:
            await store.save_energy_plan(None)  # no plan in force: status shows none
        else:  # a strategy chosen at run time (PUT /energy/strategy) wins over the file's
            energy.restore_strategy(await store.energy_strategy())
        client = await build_client(
            config, store=store, clock=clock, sleeper=sleeper, source=source,
            handler=brain, tick=None if recorder is None else recorder.tick,
            building=None if brain is None else brain.building)  # the file is parsed once
        log.info("VEN %s starting: VTN %s, state file %s", config.ven_name, config.vtn_url,
                 config.database)
        if config.clock.simulated:
            log.info("Simulated time, shared with the VTN: %r", clock)
        if brain is None:
            log.warning("Report values come from the built-in deterministic test source: no "
                        "building file is configured ([ven] building)")
        else:
            _connect_devices(brain, client, background)
            await brain.resume(await client.event_states())  # a restart mid-event
        push = (None if config.push is None  # push mode: the VTN POSTs to our endpoint
                else PushServer.from_config(config, store=store, client=client))
        try:
            if config.api.enabled:
                from ven.api.context import ApiContext
                from ven.api.server import ApiServer

                api = ApiServer(ApiContext(config=config, store=store, telemetry=telemetry,
                                           clock=clock, brain=brain, energy=energy))
                await api.start()
                stack.push_async_callback(api.stop)
            if recorder is not None:
                flushing = asyncio.create_task(_flush_telemetry(recorder, stop, sleeper))
                stack.push_async_callback(_finish, flushing)
            if energy is not None:  # the always-on energy manager ([energy])
                planning = asyncio.create_task(energy.run(stop, sleeper,
                                                          save=store.save_energy_plan))
                stack.push_async_callback(_finish, planning)
            if push is not None:
                await push.start()
            await client.run(stop)
        finally:
            if push is not None:
                await push.stop()
            await client.close()
            if brain is not None and hasattr(brain.gateway, "close"):
                await brain.gateway.close()  # MQTT: "offline", then disconnect
    finally:
        stop.set()
        await stack.aclose()
        await store.close()
    log.info("VEN %s stopped", config.ven_name)
    return 0


_TELEMETRY_FLUSH_S = 30.0
"""How often the running VEN writes the telemetry it took [s]."""


def _recorder(brain: BuildingBrain, telemetry: TelemetryStore, clock: Clock,
              config: VenConfig) -> TelemetryRecorder:
    from ven.telemetry import TelemetryRecorder

    return TelemetryRecorder(brain, telemetry, clock, config.telemetry)


async def _flush_telemetry(recorder: TelemetryRecorder, stop: asyncio.Event,
                           sleeper: Callable[[float], Awaitable[None]]) -> None:
    """Write the recorder's samples every ``_TELEMETRY_FLUSH_S`` until `stop`, then once more."""
    while True:
        await sleeper(_TELEMETRY_FLUSH_S)
        try:
            await recorder.flush()
        except Exception:  # a full disk must not stop the VEN: log and keep going
            log.exception("Telemetry could not be written; trying again later")
        if stop.is_set():
            return


async def _finish(task: asyncio.Task[None]) -> None:
    """Wait for a background task that ends when the VEN stops."""
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(task, 10.0)


def _building_brain(config: VenConfig, clock: Clock) -> BuildingBrain | None:
    """The simulated building's brain when the config names a building file, else None."""
    if config.building_file is None:
        return None
    from ven.brain import BuildingBrain

    brain = BuildingBrain.simulated(config.building_file, clock,
                                    supported=config.supported_signals)
    brain.log_zone = log_zone(config, brain.building)
    if config.mqtt is not None:
        from ven.devices.mqtt import MqttGateway

        brain.gateway = MqttGateway(brain.building, config.mqtt, clock)
        log.info("Building %s (%s) from %s: devices over MQTT at %s (prefix %s); the "
                 "simulation is the planning model", brain.building.id, brain.building.name,
                 config.building_file, config.mqtt.url, config.mqtt.prefix)
        return brain
    log.info("Simulating building %s (%s) from %s; events are planned and carried out on it",
             brain.building.id, brain.building.name, config.building_file)
    return brain


def _energy_manager(brain: BuildingBrain, config: VenConfig, clock: Clock
                    ) -> EnergyManager | None:
    """The always-on energy manager when the building file has an ``[energy]`` table."""
    from ven.brain.energyloop import EnergyManager
    from ven.energy.config import energy_config_from_file

    if config.building_file is None:
        return None
    settings = energy_config_from_file(config.building_file, timezone=brain.building.timezone)
    if settings is None:
        log.info("Energy manager off (no [energy] table in %s)", config.building_file)
        return None
    log.info("Energy manager on: %s strategy, %s tariff%s, re-planning %g h every %g min",
             settings.strategy.name, settings.tariff.kind,
             "" if settings.price_feed is None else
             f" and the price feed {settings.price_feed.source} (every "
             f"{settings.price_feed.refresh.total_seconds() / 60:g} min)",
             settings.horizon.total_seconds() / 3600, settings.step.total_seconds() / 60)
    return EnergyManager(brain, settings, clock)  # logs each zone's model in force


def _connect_devices(brain: BuildingBrain, client: Any, background: set[asyncio.Task[None]]
                     ) -> None:
    """Start an MQTT gateway, and opt a device out of an event when it reports a manual
    override (oadrCreateOpt with its resource ID, through the client's answer path)."""
    from ven.devices.mqtt import MqttGateway

    gateway = brain.gateway
    if not isinstance(gateway, MqttGateway):
        return
    gateway.start()

    def opt_out(event_id: str, device_id: str) -> None:
        log.warning("Device %s reports a manual override: opting it out of event %s",
                    device_id, event_id)
        task = asyncio.create_task(client.answer(event_id, OptType.OPT_OUT, device_id))
        background.add(task)
        task.add_done_callback(background.discard)

    brain.on_override = opt_out


def _readings(brain: BuildingBrain, config: VenConfig) -> ReadingSource:
    from ven.measurements import BuildingReadings

    return BuildingReadings(brain, config.reports)


def _part_points(brain: BuildingBrain, config: VenConfig) -> ReportPoints:
    from ven.measurements import part_points

    try:
        return part_points(brain.building, config.reports, config.mqtt)
    except ValueError as exc:
        raise ConfigError(f"{config.building_file}: {exc}") from exc


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


def _api_url(config: VenConfig) -> str | None:
    """The building API's base URL when ``[api]`` turns it on, else None."""
    if not config.api.enabled:
        return None
    host = f"[{config.api.host}]" if ":" in config.api.host else config.api.host
    return f"http://{host}:{config.api.port}/api/v1"


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
        events = await states(store, clock_from(config.clock).now())
        subscriptions = await store.subscriptions()
        queued = await store.outbox()
        rejected = await store.outbox(states=("rejected",))
        energy = await store.energy_plan()
        chosen = await store.energy_strategy()
    finally:
        await store.close()
    telemetry = await TelemetryStore.open(config.database)
    try:
        expected = await telemetry.expectations(s.event_id for s in events)
    finally:
        await telemetry.close()
    by_event = {s.event_id: [e for e in expected if e.event_id == s.event_id] for s in events}
    data: dict[str, Any] = {
        "registration": None if registration is None else {
            "vtn_id": registration.vtn_id, "ven_id": registration.ven_id,
            "registration_id": registration.registration_id,
            "registered_at": registration.registered_at.isoformat(),
            "poll_freq_s": (registration.poll_freq.total_seconds()
                            if registration.poll_freq else None),
        },
        "events": [{**_state_json(s), "expected": expected_json(by_event[s.event_id])}
                   for s in events],
        "reports": [{"report_request_id": s.report_request_id, "report_name": s.report_name,
                     "r_ids": list(s.r_ids), "granularity_s": s.granularity_s,
                     "report_back_s": s.report_back_s,
                     "covered_until": s.covered_until.isoformat()} for s in subscriptions],
        "outbox": {"queued": len(queued), "rejected": len(rejected),
                   "oldest_queued": queued[0].created_at.isoformat() if queued else None,
                   "last_error": queued[0].last_error if queued else None},
    }
    data["energy_plan"] = energy  # the energy manager's plan in force (None: none saved)
    data["energy_strategy"] = chosen  # chosen at run time (None: the building file's)
    api_url = _api_url(config)
    data["api"] = {"url": api_url, "token_file": str(config.api_token_file)} if api_url else None
    lines = [f"VEN {config.ven_name}, VTN {config.vtn_url}"]
    if api_url:
        lines.append(f"Building API: {api_url} (bearer token in {config.api_token_file})")
    if registration is None:
        lines.append("Not registered yet.")
    else:
        lines.append(f"Registered with VTN {registration.vtn_id} as venID {registration.ven_id} "
                     f"(registration {registration.registration_id}) since "
                     f"{registration.registered_at:%Y-%m-%d %H:%M} UTC")
    lines.append(f"Events ({len(events)}):")
    for s in events:
        lines.extend([_state_line(s), *expected_lines(by_event[s.event_id])])
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
    if energy is not None or config.building_file is not None:
        from ven.brain.energyloop import plan_lines

        lines.extend(plan_lines(energy))
    if chosen is not None:
        lines.append(f"Energy strategy chosen at run time: {chosen['strategy']} (wins over the "
                     "building file's)")
    _emit(data, lines, args.json)
    return 0


async def _invitations(config: VenConfig, args: argparse.Namespace) -> int:
    store = await Store.open(config.database)
    try:
        pending = [s for s in await states(store, clock_from(config.clock).now())
                   if is_pending(s)]
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
            store, args.event_id, opt, now=clock_from(config.clock).now(), device_id=args.device,
            known_devices=devices)
    finally:
        await store.close()
    who = f"device {args.device}" if args.device else "the whole building"
    line = (f"Recorded {opt.value} for {who} in event {answer.event_id} "
            f"(mod {answer.modification_number}); the running VEN sends it at its next poll.")
    _emit({"event_id": answer.event_id, "modification_number": answer.modification_number,
           "device_id": args.device, "opt": opt.value}, [line], args.json)
    return 0


# ---- operator actions -----------------------------------------------------------------------


async def _operator_action(config: VenConfig, args: argparse.Namespace) -> int:
    """Queue `args.action` for the running VEN and wait for it, or carry it out here."""
    if is_running(config.database):
        outcome = await _through_running_ven(config, args.action, args.wait)
        via = "running VEN"
    else:
        outcome = await _directly(config, args.action)
        via = "this command"
    state, result, error = outcome
    data = {"action": args.action, "via": via, "state": state, "result": result, "error": error}
    if state == "done":
        lines = [f"Done by the {via}: {args.action}.", *_result_lines(result or {})]
    elif state == "queued":
        lines = [f"Queued for the running VEN, which has not acted within {args.wait:g} s; it "
                 "will at its next round (see `oadr-ven status`)."]
    else:
        lines = [f"oadr-ven: {args.action} failed: {error}"]
    if state == "failed" and not args.json:
        sys.stderr.write(lines[0] + "\n")
    else:
        _emit(data, lines, args.json)
    return 0 if state == "done" else 1


async def _through_running_ven(
    config: VenConfig, action: str, wait: float
) -> tuple[str, dict[str, Any] | None, str | None]:
    store = await Store.open(config.database)
    try:
        request_id = await store.queue_request(action, clock_from(config.clock).now())
        deadline = asyncio.get_running_loop().time() + wait
        request: OperatorRequest | None = None
        while True:
            request = await store.request(request_id)
            if request is None or request.state != "queued" \
                    or asyncio.get_running_loop().time() >= deadline:
                break
            await asyncio.sleep(0.1)
    finally:
        await store.close()
    if request is None:
        return "failed", None, "the request vanished from the state file"
    return request.state, request.result, request.error


async def _directly(
    config: VenConfig, action: str
) -> tuple[str, dict[str, Any] | None, str | None]:
    store = await Store.open(config.database)
    try:
        client = await build_client(config, store=store, source=DeterministicSource(),
                                    clock=clock_from(config.clock))
        try:
            result = await client.perform(action)
        except (TransportError, OadrError) as exc:
            return "failed", None, str(exc)
        finally:
            await client.close()
    finally:
        await store.close()
    return "done", result, None


def _result_lines(result: dict[str, Any]) -> list[str]:
    return [f"  {key}: {json.dumps(value) if isinstance(value, (list, dict)) else value}"
            for key, value in result.items()]


_COMMANDS = {"status": _status, "invitations": _invitations, "answer": _answer}
