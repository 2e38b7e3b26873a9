"""Operator adapters: the steps of a case a person at the VTN would do.

Steps (``Step``) and their parameters (JSON objects):

- ``create_event``: ``{"ven_id", "signal_name", "signal_type", "value", "start",
  "duration", "response_required"}``: create an event for this VEN only (``start`` is
  ``now``, ``+5m``-style or ISO 8601; ``duration`` ISO 8601). Optional, only when a case
  needs them: ``"ramp_up"``, ``"recovery"``, ``"startafter"`` (ISO 8601 durations: the
  event's x-eiRampUp, x-eiRecovery and tolerance startafter), ``"priority"``,
  ``"market_context"``, ``"test_event"`` (true), ``"baseline"`` (``{"kw": ...}``: an
  eiEventBaseline over the event). Result: ``{"event_id": ...}`` if known.
- ``modify_event``: ``{"ven_id", "event_id"}`` and the fields that change, any of
  ``"start"`` (ISO 8601), ``"duration"`` and ``"response_required"``: the VTN modifies the
  event (modificationNumber + 1).
- ``cancel_event``: ``{"ven_id", "event_id"}``, optionally ``"response_required"`` (the
  cancellation's oadrResponseRequired): the VTN cancels an event it created for this VEN (the
  cancellation goes out as a modification).
- ``cancel_registration``: ``{"ven_id", "registration_id"}``: the VTN cancels the VEN's
  registration (it sends oadrCancelPartyRegistration at the next poll).
- ``request_reregistration``: ``{"ven_id"}``: the VTN sends oadrRequestReregistration.
- ``request_report``: ``{"ven_id", "report_specifier_id"}``, optionally ``"one_shot"``
  (default true), ``"granularity"``, ``"duration"`` (ISO 8601) and ``"start"``: the VTN asks
  for a report (oadrCreateReport).
- ``cancel_report``: ``{"ven_id", "report_request_id", "report_to_follow"}``: the VTN
  cancels a report request (oadrCancelReport).

Adapters:

- ``OursOperator``: our VTN's admin API (``POST /admin/api/v1/...``, bearer token), over plain
  HTTP; the VTN under test need not be ours, only its admin API.
- ``ScriptOperator``: runs ``CMD STEP 'JSON'`` (the command through the shell, the step name
  and the parameters as two more arguments). Exit 0: done (stdout may hold a JSON object, the
  result); exit 3: this step cannot be done (the case is ``needs-operator``); anything else: the
  step failed (the case fails). It has 120 s.
- ``PromptOperator``: asks on the terminal (stdin must be a TTY); an empty answer means done,
  ``skip`` means not done.
- ``NoOperator``: every step is ``needs-operator``.

Errors: ``OperatorUnavailable`` (the step cannot be done here: the case is reported
``needs-operator``) and ``OperatorFailed`` (the step was tried and failed: the case fails).
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import aiohttp

__all__ = [
    "NoOperator", "Operator", "OperatorFailed", "OperatorUnavailable", "OursOperator",
    "PromptOperator", "ScriptOperator", "Step",
]

SCRIPT_LIMIT_S = 120.0
"""Seconds a script step may take [s]."""
SCRIPT_CANNOT = 3
"""The exit status a script uses for "this step cannot be done here"."""


class Step(StrEnum):
    CREATE_EVENT = "create_event"
    MODIFY_EVENT = "modify_event"
    CANCEL_EVENT = "cancel_event"
    CANCEL_REGISTRATION = "cancel_registration"
    REQUEST_REREGISTRATION = "request_reregistration"
    REQUEST_REPORT = "request_report"
    CANCEL_REPORT = "cancel_report"


class OperatorUnavailable(Exception):
    """The step cannot be done with this operator (the case is ``needs-operator``)."""


class OperatorFailed(Exception):
    """The step was attempted and failed (the case fails)."""


class Operator(Protocol):
    name: str

    async def perform(self, step: Step, params: dict[str, Any]) -> dict[str, Any]:
        """Do `step`; its result (possibly empty)."""
        ...


class NoOperator:
    name = "none"

    async def perform(self, step: Step, params: dict[str, Any]) -> dict[str, Any]:
        raise OperatorUnavailable(f"step {step} needs an operator (--operator none)")


_EVENT_OPTIONS = ("ramp_up", "recovery", "startafter", "priority", "market_context",
                  "test_event", "baseline")
"""Optional create_event parameters, passed to the admin API under the same names."""
_SIGNAL_VALUE = {"ELECTRICITY_PRICE": "price", "LOAD_DISPATCH": "kw", "LOAD_CONTROL": "kw",
                 "SIMPLE": "level"}


class OursOperator:
    """Our VTN's admin API at `url` (``http://host:port``, ``/admin/api/v1`` added)."""

    name = "ours"

    def __init__(self, url: str, token: str) -> None:
        base = url.rstrip("/")
        self.url = base if base.endswith("/admin/api/v1") else f"{base}/admin/api/v1"
        self._token = token

    def __repr__(self) -> str:
        return f"OursOperator({self.url!r}, token=***)"

    async def perform(self, step: Step, params: dict[str, Any]) -> dict[str, Any]:
        ven_id = params["ven_id"]
        if step is Step.CREATE_EVENT:
            signal = params.get("signal_name", "SIMPLE")
            body: dict[str, Any] = {
                "targets": {"ven_ids": [ven_id]}, "signal_name": signal,
                _SIGNAL_VALUE.get(signal, "level"): params.get("value", 1),
                "start": params.get("start", "+1h"), "duration": params.get("duration", "PT1H"),
                "response_required": params.get("response_required", "always")}
            if params.get("signal_type"):
                body["signal_type"] = params["signal_type"]
            body.update({k: params[k] for k in _EVENT_OPTIONS if params.get(k) is not None})
            answer = await self._post("/events", body)
            event = answer.get("event", answer)
            return {"event_id": event.get("event_id")} if isinstance(event, dict) else {}
        if step is Step.MODIFY_EVENT:
            patch = {k: params[k] for k in ("start", "duration", "response_required")
                     if params.get(k) is not None}
            return await self._post(f"/events/{params['event_id']}", patch, method="PATCH")
        if step is Step.CANCEL_EVENT:
            cancel = ({"response_required": params["response_required"]}
                      if params.get("response_required") else {})
            return await self._post(f"/events/{params['event_id']}/cancel", cancel)
        if step is Step.CANCEL_REGISTRATION:
            return await self._post(f"/vens/{ven_id}/cancel", {})
        if step is Step.REQUEST_REREGISTRATION:
            return await self._post(f"/vens/{ven_id}/reregister", {})
        if step is Step.REQUEST_REPORT:
            request = {"ven_id": ven_id, "report_specifier_id": params["report_specifier_id"],
                       "one_shot": bool(params.get("one_shot", True))}
            request.update({k: params[k] for k in ("granularity", "duration", "start")
                            if params.get(k) is not None})
            return await self._post("/reports/subscriptions", request)
        if step is Step.CANCEL_REPORT:
            return await self._post(
                f"/reports/subscriptions/{params['report_request_id']}/cancel",
                {"report_to_follow": bool(params.get("report_to_follow", False))})
        raise OperatorUnavailable(f"step {step} is not supported by --operator ours")

    async def _post(self, path: str, body: dict[str, Any], *, method: str = "POST"
                    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}", "X-Oadr-Operator": "conformance-kit"}
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
                session.request(method, self.url + path, json=body, headers=headers) as answer,
            ):
                text = await answer.text()
                if answer.status >= 300:
                    raise OperatorFailed(f"{method} {path}: HTTP {answer.status}: {text[:300]}")
        except aiohttp.ClientError as exc:
            raise OperatorFailed(f"{method} {path}: {exc}") from exc
        try:
            parsed = json.loads(text) if text else {}
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


class ScriptOperator:
    """Runs `command` once per step (see the module docstring for the contract)."""

    name = "script"

    def __init__(self, command: str) -> None:
        self.command = command

    async def perform(self, step: Step, params: dict[str, Any]) -> dict[str, Any]:
        line = f"{self.command} {shlex.quote(str(step))} {shlex.quote(json.dumps(params))}"
        process = await asyncio.create_subprocess_shell(
            line, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(process.communicate(), SCRIPT_LIMIT_S)
        except TimeoutError as exc:
            process.kill()
            await process.wait()
            raise OperatorFailed(f"{step}: the script took over {SCRIPT_LIMIT_S:.0f} s") from exc
        if process.returncode == SCRIPT_CANNOT:
            raise OperatorUnavailable(f"{step}: the script cannot do it: "
                                      f"{err.decode(errors='replace').strip()}")
        if process.returncode != 0:
            raise OperatorFailed(f"{step}: the script exited {process.returncode}: "
                                 f"{err.decode(errors='replace').strip()[:300]}")
        try:
            result = json.loads(out) if out.strip() else {}
        except ValueError:
            result = {}
        return result if isinstance(result, dict) else {}


class PromptOperator:
    """Asks a person on the terminal."""

    name = "prompt"

    async def perform(self, step: Step, params: dict[str, Any]) -> dict[str, Any]:
        if not sys.stdin.isatty():
            raise OperatorUnavailable(f"step {step} needs a person, and stdin is not a terminal")
        question = (f"\n[operator] please do at the VTN: {step} {json.dumps(params)}\n"
                    "  press Enter when done, or type 'skip': ")
        answer = await asyncio.to_thread(input, question)
        if answer.strip().lower() == "skip":
            raise OperatorUnavailable(f"step {step} was skipped at the prompt")
        return {}


def read_token(path: Path) -> str:
    """The admin token in `path` (stripped)."""
    return path.read_text(encoding="utf-8").strip()
