"""Operator adapters: how the harness gets a person's action done on the VEN under test.

A scenario drives the VEN only through the protocol (what it answers to its polls). A few
cases need something done on the VEN's side (make it query its registration, cancel it,
opt out of an event); the scenario asks its ``Operator`` for a ``Step`` and gets back a
``StepOutcome``:

- ``DONE``: the action was taken; the scenario waits for its effect on the wire;
- ``UNSUPPORTED``: nobody can take it here: the case ends ``needs-operator``;
- ``FAILED``: the adapter tried and failed: the case fails with the adapter's reason.

Adapters (``make_operator``):

- ``none``: every step is unsupported (the default: such cases end ``needs-operator``);
- ``script:COMMAND``: runs ``COMMAND STEP [ARG...]`` with the environment variables
  ``OADR_CASE``, ``OADR_STEP``, ``OADR_EVENT_ID`` (when the step names an event) and
  ``OADR_OPT_ID`` / ``OADR_OPT_*`` (opt schedules, ``OptWindow.env``). Exit status 0: done;
  3: unsupported; anything else: failed (its stderr is the reason). Steps:
  ``query-registration``, ``cancel-registration``, ``register`` (register again, after a
  cancellation), ``opt-out EVENT_ID``, ``opt-in EVENT_ID``, ``republish-reports`` (send the
  METADATA oadrRegisterReport again), ``opt-schedule OPT_ID`` (send an opt schedule with that
  optID, window in ``OADR_OPT_*``), ``cancel-opt-schedule OPT_ID``;
- ``prompt``: prints the step on the terminal and waits for Enter (done) or ``s`` (skip:
  unsupported); unsupported when stdin is not a terminal;
- ``ours-ven:CONFIG``: this project's VEN, driven with ``oadr-ven`` commands on its config
  and state file (``python -m ven answer EVENT_ID --opt out --config CONFIG``,
  ``python -m ven registration cancel|query|reregister --config CONFIG``, ``python -m ven
  reports republish``, ``python -m ven opt schedule|cancel``), as a subprocess;
  the steps it has no command for are unsupported. It observes an event through the running
  VEN's building API (``GET /api/v1/invitations?all=true`` with the token of its ``[api]``
  table) when the config turns the API on, else through ``python -m ven status --json``.

An observation (``Operator.observe``) reads what the VEN says it does with an event, its
"active event indicator" (``Observation``: ``far``, ``near``, ``active``, ``completed``,
``cancelled``, or ``none`` when the VEN does not hold the event; the start and end it
executes, randomisation included). Whether the building's load follows is not read: that
needs a meter, and stays with a person.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tomllib
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "OBSERVED_STATES",
    "SCRIPT_UNSUPPORTED",
    "Observation",
    "Operator",
    "OptWindow",
    "Step",
    "StepOutcome",
    "make_operator",
]

SCRIPT_UNSUPPORTED = 3
"""The exit status by which an operator script says "this step cannot be done here"."""

STEP_TIMEOUT = 60.0
"""Seconds an operator command may take [s]."""


class StepOutcome(StrEnum):
    """What became of an operator step."""

    DONE = "done"
    UNSUPPORTED = "unsupported"
    FAILED = "failed"


@dataclass(frozen=True)
class Step:
    """One action on the VEN's side: ``name`` (``opt-out``), its ``event_id`` or ``opt_id`` if
    any, a sentence for a person, and for an opt schedule its ``window``."""

    case_id: str
    name: str
    text: str
    event_id: str | None = None
    opt_id: str | None = None
    window: OptWindow | None = None

    def argv(self) -> list[str]:
        """The step as command arguments: ``[name]``, ``[name, event_id]`` or
        ``[name, opt_id]``."""
        subject = self.event_id if self.event_id is not None else self.opt_id
        return [self.name] if subject is None else [self.name, subject]

    def env(self) -> dict[str, str]:
        """The step's facts as ``OADR_*`` environment variables (script operators)."""
        env = {"OADR_CASE": self.case_id, "OADR_STEP": self.name}
        if self.event_id is not None:
            env["OADR_EVENT_ID"] = self.event_id
        if self.opt_id is not None:
            env["OADR_OPT_ID"] = self.opt_id
        if self.window is not None:
            env |= self.window.env()
        return env


@dataclass(frozen=True)
class OptWindow:
    """An opt schedule's window for the ``opt-schedule`` step: opt ``in`` or ``out`` from
    ``start`` for ``duration`` (``None``: open-ended), for ``resource_id`` (``None``: the whole
    VEN)."""

    opt: str
    start: datetime
    duration: timedelta | None
    resource_id: str | None = None

    def env(self) -> dict[str, str]:
        """``OADR_OPT_TYPE`` (in/out), ``OADR_OPT_START`` (ISO 8601), ``OADR_OPT_DURATION_S``
        (empty: open-ended) and ``OADR_OPT_RESOURCE`` (empty: the whole VEN)."""
        return {"OADR_OPT_TYPE": self.opt, "OADR_OPT_START": self.start.isoformat(),
                "OADR_OPT_DURATION_S": "" if self.duration is None
                else f"{self.duration.total_seconds():g}",
                "OADR_OPT_RESOURCE": self.resource_id or ""}


OBSERVED_STATES = frozenset({"far", "near", "active", "completed", "cancelled", "none"})
"""The states an observation may report (``none``: the VEN does not hold the event)."""


@dataclass(frozen=True)
class Observation:
    """What the VEN says it does with one event: its ``status`` (``OBSERVED_STATES``), and the
    ``start`` and ``end`` it executes (randomisation included; ``None`` when not reported, or
    ``end`` of an open-ended event)."""

    status: str
    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> Observation:
        """From ``{"status": ..., "start"|"effective_start": ISO, "end": ISO}``; raises
        ``ValueError`` for anything else."""
        if not isinstance(data, dict) or data.get("status") not in OBSERVED_STATES:
            raise ValueError(f"an observation needs a status in {sorted(OBSERVED_STATES)}, "
                             f"got {data!r}")

        def moment(key: str) -> datetime | None:
            value = data.get(key)
            if value is None:
                return None
            moment = datetime.fromisoformat(str(value))
            if moment.tzinfo is None:
                raise ValueError(f"{key} {value!r} has no time zone")
            return moment

        return cls(str(data["status"]), moment("start") or moment("effective_start"),
                   moment("end"))


Observed = tuple[StepOutcome, str, Observation | None]
"""An observation's outcome, reason and (when done) what was seen."""


class Operator(Protocol):
    """Performs steps on the VEN's side."""

    name: str

    async def perform(self, step: Step) -> tuple[StepOutcome, str]:
        """Take `step`; its outcome and a reason (empty when done)."""
        ...

    async def observe(self, step: Step) -> Observed:
        """Read the VEN's state of ``step.event_id`` (step ``observe-event``)."""
        ...


class NoOperator:
    """Nobody at the VEN: every step is unsupported."""

    name = "none"

    async def perform(self, step: Step) -> tuple[StepOutcome, str]:
        return StepOutcome.UNSUPPORTED, f"no operator to {step.text}"

    async def observe(self, step: Step) -> Observed:
        return StepOutcome.UNSUPPORTED, f"no operator to {step.text}", None


class ScriptOperator:
    """Runs a command per step (see the module docstring for the contract)."""

    def __init__(self, command: str) -> None:
        self.name = f"script:{command}"
        self._command = command

    async def perform(self, step: Step) -> tuple[StepOutcome, str]:
        env = {**os.environ, **step.env()}
        return await _run([self._command, *step.argv()], env)

    async def observe(self, step: Step) -> Observed:
        env = {**os.environ, **step.env()}
        outcome, reason, out = await _run_for_output([self._command, *step.argv()], env)
        if outcome is not StepOutcome.DONE:
            return outcome, reason, None
        try:
            return StepOutcome.DONE, "", Observation.from_json(json.loads(out))
        except ValueError as exc:
            return StepOutcome.FAILED, f"the observation is not understood: {exc}", None


class PromptOperator:
    """Asks the person at the terminal (TTY only)."""

    name = "prompt"

    async def perform(self, step: Step) -> tuple[StepOutcome, str]:
        if not sys.stdin.isatty():
            return StepOutcome.UNSUPPORTED, "stdin is not a terminal: nobody to prompt"
        sys.stderr.write(f"\n[{step.case_id}] on the VEN: {step.text}\n"
                         "press Enter when done, or s then Enter to skip: ")
        sys.stderr.flush()
        reply = await asyncio.to_thread(sys.stdin.readline)
        if reply.strip().lower().startswith("s"):
            return StepOutcome.UNSUPPORTED, "skipped by the operator"
        return StepOutcome.DONE, ""

    async def observe(self, step: Step) -> Observed:
        if not sys.stdin.isatty():
            return StepOutcome.UNSUPPORTED, "stdin is not a terminal: nobody to prompt", None
        states = "/".join(sorted(OBSERVED_STATES))
        sys.stderr.write(f"\n[{step.case_id}] on the VEN: {step.text}\n"
                         f"type the state it shows ({states}), or s to skip: ")
        sys.stderr.flush()
        reply = (await asyncio.to_thread(sys.stdin.readline)).strip().lower()
        if reply in OBSERVED_STATES:
            return StepOutcome.DONE, "", Observation(reply)
        return StepOutcome.UNSUPPORTED, "skipped by the operator", None


class OursVenOperator:
    """This project's VEN, through its ``oadr-ven`` commands (subprocess only)."""

    def __init__(self, config: str) -> None:
        self.name = f"ours-ven:{config}"
        self._config = config

    async def perform(self, step: Step) -> tuple[StepOutcome, str]:
        opts = {"opt-out": "out", "opt-in": "in"}
        if step.name in opts and step.event_id is not None:
            command = ["answer", step.event_id, "--opt", opts[step.name]]
        elif step.name == "opt-schedule" and step.opt_id is not None and step.window is not None:
            command = _schedule_command(step.opt_id, step.window)
        elif step.name == "cancel-opt-schedule" and step.opt_id is not None:
            command = ["opt", "cancel", step.opt_id]
        elif step.name in _OURS_VEN_COMMANDS:
            command = _OURS_VEN_COMMANDS[step.name]
        else:
            return StepOutcome.UNSUPPORTED, f"oadr-ven has no command to {step.text}"
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": root}
        return await _run([sys.executable, "-m", "ven", *command, "--config", self._config],
                          env, cwd=root)

    async def observe(self, step: Step) -> Observed:
        if step.event_id is None:
            return StepOutcome.UNSUPPORTED, "an observation names an event", None
        try:
            api = _building_api(Path(self._config))
        except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
            return StepOutcome.FAILED, f"cannot read {self._config}: {exc}", None
        if api is not None:
            try:
                events = await asyncio.to_thread(_get_json, *api)
            except (OSError, ValueError) as exc:
                return StepOutcome.FAILED, f"the VEN's building API: {exc}", None
        else:
            root = str(Path(__file__).resolve().parents[2])
            outcome, reason, out = await _run_for_output(
                [sys.executable, "-m", "ven", "status", "--json", "--config", self._config],
                {**os.environ, "PYTHONPATH": root}, cwd=root)
            if outcome is not StepOutcome.DONE:
                return outcome, reason, None
            try:
                events = json.loads(out)["events"]
            except (ValueError, KeyError, TypeError) as exc:
                return StepOutcome.FAILED, f"oadr-ven status --json: {exc}", None
        found = next((e for e in events if isinstance(e, dict)
                      and e.get("event_id") == step.event_id), None)
        try:
            return StepOutcome.DONE, "", (Observation("none") if found is None
                                          else Observation.from_json(found))
        except ValueError as exc:
            return StepOutcome.FAILED, f"the VEN's event state is not understood: {exc}", None


def _building_api(config: Path) -> tuple[str, str] | None:
    """(events URL, bearer token) of our VEN's building API when its config turns it on."""
    table = tomllib.loads(config.read_text(encoding="utf-8"))
    api = table.get("api", {})
    port = int(api.get("port", 0))
    if port == 0:
        return None
    base = config.parent
    database = base / table.get("ven", {}).get("database", "var/ven.sqlite")
    token_file = base / api["token_file"] if "token_file" in api else (
        database.parent / "api-token")
    host = str(api.get("host", "127.0.0.1"))
    host = f"[{host}]" if ":" in host else host
    return (f"http://{host}:{port}/api/v1/invitations?all=true",
            token_file.read_text(encoding="utf-8").strip())


def _get_json(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=STEP_TIMEOUT) as response:
        return json.loads(response.read())


_OURS_VEN_COMMANDS = {
    "query-registration": ["registration", "query"],
    "cancel-registration": ["registration", "cancel"],
    "register": ["registration", "reregister"],
    "republish-reports": ["reports", "republish"],
}
"""The ``oadr-ven`` command of each step that names no event."""


def _schedule_command(opt_id: str, window: OptWindow) -> list[str]:
    """``oadr-ven opt schedule`` arguments for `window`."""
    command = ["opt", "schedule", "--id", opt_id, "--type", window.opt,
               "--start", window.start.isoformat()]
    if window.duration is not None:
        command += ["--duration-min", f"{window.duration.total_seconds() / 60:g}"]
    if window.resource_id is not None:
        command += ["--resource", window.resource_id]
    return command


async def _run(argv: list[str], env: dict[str, str], cwd: str | None = None
               ) -> tuple[StepOutcome, str]:
    outcome, reason, _ = await _run_for_output(argv, env, cwd)
    return outcome, reason


async def _run_for_output(argv: list[str], env: dict[str, str], cwd: str | None = None
                          ) -> tuple[StepOutcome, str, str]:
    """Run `argv`: its outcome, the reason and its stdout."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
    except OSError as exc:
        return StepOutcome.FAILED, f"cannot run {argv[0]}: {exc}", ""
    try:
        out, err = await asyncio.wait_for(process.communicate(), STEP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        return StepOutcome.FAILED, f"{argv[0]} took more than {STEP_TIMEOUT:g} s", ""
    stdout = out.decode("utf-8", "replace")
    if process.returncode == 0:
        return StepOutcome.DONE, "", stdout
    text = (err or out).decode("utf-8", "replace").strip()
    if process.returncode == SCRIPT_UNSUPPORTED:
        return (StepOutcome.UNSUPPORTED, text or "the operator script cannot do this step",
                stdout)
    return StepOutcome.FAILED, f"exit status {process.returncode}: {text}", stdout


def make_operator(spec: str) -> Operator:
    """The adapter named by `spec`: ``none``, ``prompt``, ``script:COMMAND`` or
    ``ours-ven:CONFIG``."""
    kind, _, argument = spec.partition(":")
    if kind == "none" and not argument:
        return NoOperator()
    if kind == "prompt" and not argument:
        return PromptOperator()
    if kind == "script" and argument:
        return ScriptOperator(argument)
    if kind == "ours-ven" and argument:
        return OursVenOperator(argument)
    raise ValueError(f"unknown operator {spec!r}: use none, prompt, script:COMMAND or "
                     "ours-ven:VEN_CONFIG")
