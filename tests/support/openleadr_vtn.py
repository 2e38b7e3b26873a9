"""A real third-party VTN for the VEN tests: openleadr's OpenADRServer, in process, on port 0.

openleadr runs in "external polling" mode: the harness decides what each oadrPoll returns
(events, report requests, re-registration) and records everything the VEN sent. openleadr has
no EiOpt service, so the harness adds one (answering oadrCreatedOpt with our codec).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from openleadr import OpenADRServer, objects

from certs.pki import Pki
from common.messages.opt import CreatedOpt, CreateOpt
from common.messages.types import EiResponse
from common.security import server_context
from common.xml import decode, encode

VTN_ID = "openleadr-vtn"
PREFIX = "/OpenADR2/Simple/2.0b"

logging.getLogger("openleadr").setLevel(logging.ERROR)


@dataclass
class Received:
    """What the VTN saw from the VEN."""

    registrations: list[dict[str, Any]] = field(default_factory=list)
    opts: list[tuple[str, str, str]] = field(default_factory=list)  # ven, event, opt
    create_opts: list[CreateOpt] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    values: list[tuple[str, str, datetime, Any]] = field(default_factory=list)  # rrid, rid, t, v
    polls: int = 0


class OpenleadrVtn:
    """openleadr's OpenADRServer on an ephemeral port, scripted by the test."""

    def __init__(
        self,
        *,
        pki: Pki | None = None,
        sign: bool = True,
        poll_freq: timedelta = timedelta(seconds=10),
        report_rids: tuple[str, ...] = ("usage", "baseline"),
        granularity: timedelta = timedelta(minutes=1),
        report_back: timedelta = timedelta(minutes=5),
    ) -> None:
        kwargs: dict[str, Any] = {}
        if pki is not None:
            kwargs = {
                "cert": str(pki.vtn_rsa.cert) if sign else None,
                "key": str(pki.vtn_rsa.key) if sign else None,
                "http_cert": str(pki.vtn_rsa.cert), "http_key": str(pki.vtn_rsa.key),
                "http_ca_file": str(pki.ca_bundle), "show_fingerprint": False,
            }
        self.pki = pki
        with warnings.catch_warnings():  # openleadr stores itself under a plain str app key
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            self.server = OpenADRServer(
                vtn_id=VTN_ID, http_port=0, requested_poll_freq=poll_freq,
                ven_lookup=self._ven_lookup, **kwargs)
        self.received = Received()
        self.queue: list[tuple[str, dict[str, Any]]] = []
        self.events: dict[str, objects.Event] = {}
        self.report_rids = report_rids
        self.granularity = granularity
        self.report_back = report_back
        self.ven_id = "ven-0001"
        self.registration_id = "reg-0001"
        self.fingerprint = pki.ven_rsa.fingerprint if pki is not None else None
        self.changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port = 0
        server = self.server
        server.add_handler("on_create_party_registration", self._on_register)
        server.add_handler("on_poll", self._on_poll)
        server.add_handler("on_request_event", self._on_request_event)
        server.add_handler("on_created_event", self._on_created_event)
        server.add_handler("on_register_report", self._on_register_report)
        server.app.router.add_post(f"{PREFIX}/EiOpt", self._on_opt)

    # ---- life cycle -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        scheme = "https" if self.pki is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}{PREFIX}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.server.app)
        await self._runner.setup()
        await self.resume()

    async def resume(self) -> None:
        """Listen (again, on the same port after ``pause``)."""
        assert self._runner is not None
        context = None
        if self.pki is not None:
            context = server_context(self.pki.vtn_rsa.cert, self.pki.vtn_rsa.key,
                                     ca=self.pki.ca_bundle)
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=context)
        await self._site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]

    async def pause(self) -> None:
        """Stop listening: the VTN is unreachable (connection refused)."""
        assert self._site is not None and self._runner is not None
        await self._site.stop()
        server = self._runner.server
        if server is not None:  # drop kept-alive connections too
            for handler in server.connections:
                handler.force_close()
            await server.shutdown(0.1)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _touch(self) -> None:
        self.changed.set()

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `condition()` holds (re-checked whenever the VTN receives something)."""
        async def loop() -> None:
            while not condition():
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(loop(), timeout)

    # ---- scripting --------------------------------------------------------------------------

    def add_event(self, event_id: str, *, level: float = 2.0, start: datetime | None = None,
                  duration: timedelta = timedelta(hours=1), signal_name: str = "SIMPLE",
                  signal_type: str = "level", response_required: str = "always",
                  startafter: timedelta | None = None) -> None:
        start = start or datetime.now(UTC) + timedelta(hours=1)
        event = objects.Event(
            event_descriptor=objects.EventDescriptor(
                event_id=event_id, modification_number=0, market_context="http://market.test",
                event_status="far", created_date_time=datetime.now(UTC)),
            event_signals=[objects.EventSignal(
                intervals=[objects.Interval(dtstart=start, duration=duration,
                                            signal_payload=level)],
                signal_name=signal_name, signal_type=signal_type, signal_id=f"{event_id}-s")],
            targets=[{"ven_id": self.ven_id}],
            active_period=objects.ActivePeriod(
                dtstart=start, duration=duration,
                tolerance={"startafter": startafter} if startafter else None),
            response_required=response_required,
        )
        self.events[event_id] = event
        self._distribute()

    def modify_event(self, event_id: str, *, level: float) -> None:
        event = self.events[event_id]
        event.event_descriptor.modification_number += 1
        event.event_signals[0].intervals[0].signal_payload = level
        self._distribute()

    def cancel_event(self, event_id: str) -> None:
        event = self.events[event_id]
        event.event_descriptor.modification_number += 1
        event.event_descriptor.event_status = "cancelled"
        self._distribute()

    def drop_event(self, event_id: str) -> None:
        """Stop listing an event (an implied cancellation for the VEN)."""
        del self.events[event_id]
        self._distribute()

    def _distribute(self) -> None:
        self.queue.append(("oadrDistributeEvent", {"events": list(self.events.values())}))

    def request_reregistration(self) -> None:
        self.queue.append(("oadrRequestReregistration", {}))

    def cancel_report(self, report_request_id: str, *, report_to_follow: bool = True) -> None:
        self.queue.append(("oadrCancelReport", {
            "report_request_id": report_request_id, "report_to_follow": report_to_follow,
            "request_id": "cancel-1"}))

    def request_history(self, report_request_id: str, *, start: datetime,
                        duration: timedelta, granularity: timedelta,
                        r_id: str = "history_usage") -> None:
        """Ask (through the next poll) for a one-shot HISTORY_USAGE report of a past window."""
        service = self.server.services["report_service"]
        service.report_callbacks[(report_request_id, r_id)] = self._collector(r_id)
        self.queue.append(("oadrCreateReport", {"report_requests": [objects.ReportRequest(
            report_request_id=report_request_id,
            report_specifier=objects.ReportSpecifier(
                report_specifier_id="HISTORY_USAGE", granularity=granularity,
                report_back_duration=timedelta(0),
                report_interval=objects.Interval(dtstart=start, duration=duration,
                                                 signal_payload=0),
                specifier_payloads=[objects.SpecifierPayload(r_id=r_id,
                                                             reading_type="Direct Read")]),
        )]}))

    def values(self, r_id: str) -> list[tuple[datetime, Any]]:
        return [(t, v) for _, rid, t, v in self.received.values if rid == r_id]

    # ---- openleadr handlers -----------------------------------------------------------------

    def _ven_lookup(self, ven_id: str) -> dict[str, Any] | None:
        if ven_id != self.ven_id:
            return None
        return {"ven_id": self.ven_id, "ven_name": "test-ven", "fingerprint": self.fingerprint,
                "registration_id": self.registration_id}

    async def _on_register(self, payload: dict[str, Any]) -> tuple[str, str]:
        self.received.registrations.append(payload)
        self._touch()
        return self.ven_id, self.registration_id

    async def _on_poll(self, ven_id: str) -> tuple[str, dict[str, Any]] | None:
        self.received.polls += 1
        self._touch()
        return self.queue.pop(0) if self.queue else None

    async def _on_request_event(self, ven_id: str) -> list[objects.Event] | None:
        return list(self.events.values()) or None

    async def _on_created_event(self, ven_id: str, event_id: str, opt_type: str) -> None:
        self.received.opts.append((ven_id, event_id, opt_type))
        self._touch()

    async def _on_register_report(self, report: dict[str, Any]) -> list[tuple[Any, ...]]:
        self.received.metadata.append(report)
        self._touch()
        wanted = []
        for description in report["report_descriptions"]:
            r_id = description["r_id"]
            if r_id in self.report_rids:
                wanted.append((r_id, self._collector(r_id), self.granularity, self.report_back))
        return wanted

    def _collector(self, r_id: str) -> Callable[[list[tuple[datetime, Any]]], None]:
        def collect(values: list[tuple[datetime, Any]]) -> None:
            for moment, value in values:
                self.received.values.append(("", r_id, moment, value))
            self._touch()
        return collect

    async def _on_opt(self, request: web.Request) -> web.Response:
        message = decode(await request.read())
        assert isinstance(message, CreateOpt)
        self.received.create_opts.append(message)
        self._touch()
        answer = CreatedOpt(response=EiResponse(response_code=200, request_id=message.request_id),
                            opt_id=message.opt_id)
        return web.Response(body=encode(answer), content_type="application/xml")
