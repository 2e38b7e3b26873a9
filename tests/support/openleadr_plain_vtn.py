"""openleadr's VTN as its users run it, for the conformance matrix, and its operator adapter.

``PlainOpenleadrVtn`` is openleadr's ``OpenADRServer`` in its normal mode: internal polling
(openleadr's own message queue answers each oadrPoll), events added with
``server.add_event``, every VEN accepted by an ``on_create_party_registration`` handler that
hands out a fresh (ven_id, registration_id) (a re-registration keeps its venID), a
``ven_lookup`` over those registrations, and an ``on_register_report`` that takes every
report offered at the VEN's minimum sampling interval. Nothing is added to openleadr's
routes: it has no EiOpt service, so an oadrCreateOpt gets whatever openleadr's web server
answers. openleadr's VTN never pushes (it has no client for a VEN's push endpoint), so it is
run over pull only.

``OpenleadrOperator`` performs the kit's operator steps that openleadr's in-process API
offers: ``create_event`` (``server.add_event``) and ``cancel_event``
(``server.cancel_event``); every other step is unavailable (the case stays needs-operator).
"""

from __future__ import annotations

import logging
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from openleadr import OpenADRServer, objects, utils

from ven.conformance.operator import OperatorUnavailable, Step
from vtn.admin.problems import BadRequest
from vtn.admin.timeinput import parse_duration, parse_start

__all__ = ["OpenleadrOperator", "PlainOpenleadrVtn"]

VTN_ID = "openleadr-vtn"
PREFIX = "/OpenADR2/Simple/2.0b"
DEFAULT_SAMPLING = timedelta(seconds=10)
"""The sampling interval asked for when a VEN offers no minimum [s]."""

logging.getLogger("openleadr").setLevel(logging.ERROR)


class PlainOpenleadrVtn:
    """openleadr's OpenADRServer, normal mode, on an ephemeral loopback port (plain HTTP)."""

    def __init__(self, *, poll_freq: timedelta = timedelta(seconds=10)) -> None:
        with warnings.catch_warnings():  # openleadr stores itself under a plain str app key
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            self.server = OpenADRServer(vtn_id=VTN_ID, http_port=0, http_host="127.0.0.1",
                                        requested_poll_freq=poll_freq,
                                        ven_lookup=self._ven_lookup)
        self.vens: dict[str, dict[str, Any]] = {}
        self.reports: list[tuple[str, str, datetime, Any]] = []  # ven, r_id, time, value
        self.opts: list[tuple[str, str, str]] = []  # ven, event, opt type
        self.port = 0
        self._registrations = 0
        self._runner: web.AppRunner | None = None
        self.server.add_handler("on_create_party_registration", self._on_register)
        self.server.add_handler("on_register_report", self._on_register_report)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.server.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- openleadr handlers, as an operator would write them ---------------------------------

    def _ven_lookup(self, ven_id: str) -> dict[str, Any] | None:
        return self.vens.get(ven_id)

    async def _on_register(self, payload: dict[str, Any]) -> tuple[str, str]:
        number = len(self.vens) + 1
        known = payload.get("ven_id")  # a re-registration keeps its venID
        ven_id = known if isinstance(known, str) and known in self.vens else f"ven-{number:04d}"
        self._registrations += 1
        registration_id = f"reg-{self._registrations:04d}"
        self.vens[ven_id] = {"ven_id": ven_id, "ven_name": payload.get("ven_name"),
                             "fingerprint": None, "registration_id": registration_id}
        return ven_id, registration_id

    async def _on_register_report(self, ven_id: str, resource_id: str | None,
                                  measurement: str | None, unit: str | None, scale: str | None,
                                  min_sampling_interval: timedelta | None,
                                  max_sampling_interval: timedelta | None,
                                  ) -> tuple[Any, timedelta]:
        sampling = min_sampling_interval
        if not isinstance(sampling, timedelta) or sampling <= timedelta(0):
            sampling = DEFAULT_SAMPLING

        def collect(values: list[tuple[datetime, Any]]) -> None:
            for moment, value in values:
                self.reports.append((ven_id, str(measurement), moment, value))
        return collect, sampling

    def record_opt(self, ven_id: str, event_id: str, opt_type: str) -> None:
        """The callback given with each event: the VEN's optIn/optOut."""
        self.opts.append((ven_id, event_id, opt_type))


class OpenleadrOperator:
    """The kit's operator steps done through openleadr's in-process server API."""

    name = "openleadr-api"

    def __init__(self, vtn: PlainOpenleadrVtn) -> None:
        self.vtn = vtn

    async def perform(self, step: Step, params: dict[str, Any]) -> dict[str, Any]:
        server = self.vtn.server
        ven_id = str(params["ven_id"])
        if step is Step.CREATE_EVENT:
            if params.get("baseline") is not None:
                raise OperatorUnavailable(f"{step}: openleadr's add_event takes no event "
                                          "baseline (eiEventBaseline)")
            now = datetime.now(UTC)
            try:
                start = parse_start(params.get("start") or "+1h", now)
                duration = parse_duration(params.get("duration") or "PT1H", "duration")
            except BadRequest as exc:
                raise OperatorUnavailable(f"{step}: {exc}") from exc
            signal_name = str(params.get("signal_name") or "SIMPLE")
            signal_type = str(params.get("signal_type") or "level")
            value = params.get("value")
            interval = objects.Interval(dtstart=start, duration=duration,
                                        signal_payload=float(1 if value is None else value))
            try:
                event_id = server.add_event(
                    ven_id=ven_id, signal_name=signal_name, signal_type=signal_type,
                    intervals=[interval], callback=self.vtn.record_opt,
                    response_required=str(params.get("response_required") or "always"))
            except ValueError as exc:
                raise OperatorUnavailable(f"{step}: openleadr's add_event refuses: {exc}") from exc
            return {"event_id": event_id}
        if step is Step.CANCEL_EVENT:
            event_id = str(params["event_id"])
            known = [utils.getmember(e, "event_descriptor.event_id")
                     for e in server.events.get(ven_id, [])]
            if event_id not in known:
                raise OperatorUnavailable(f"{step}: openleadr has no event {event_id!r} "
                                          f"for {ven_id!r}")
            server.cancel_event(ven_id, event_id)
            return {}
        raise OperatorUnavailable(f"step {step}: openleadr's server API has no way to do it")

