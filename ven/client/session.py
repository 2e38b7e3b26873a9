"""The VEN's protocol session: registration, the poll loop, and what it does with each message."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from common.clock import Clock
from common.errors import NotRegisteredOrAuthorized, OadrError, ProtocolError
from common.messages.enums import OptType
from common.messages.event import DistributeEvent, RequestEvent
from common.messages.poll import Poll, Response
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    QueryRegistration,
    RequestReregistration,
)
from common.messages.report import (
    CancelReport,
    CreateReport,
    RegisteredReport,
    RegisterReport,
    ReportRequest,
)
from common.messages.types import EiResponse, Message
from common.xml import encode
from ven.client.backoff import Backoff, Sleeper, asyncio_sleeper
from ven.client.config import VenConfig
from ven.client.eventdesk import EventDesk
from ven.client.events import (
    EventState,
)
from ven.client.hooks import EventHandler, NoEventHandler
from ven.client.invitations import (
    new_id,
    schedule_opt,
    states,
)
from ven.client.messaging import Exchange
from ven.client.optactions import (
    CANCEL_PREFIX,
    SCHEDULE_PREFIX,
    cancel_schedule,
    schedule_from_action,
    send_schedule,
)
from ven.client.outbox import OutboxSender
from ven.client.readings import ReadingSource
from ven.client.registration import register, register_reports
from ven.client.reporting import ReportDesk
from ven.client.reports import metadata_reports
from ven.client.store import (
    Registration,
    Store,
)
from ven.client.transport import TransportError, WrongVtnCertificate

__all__ = ["ACTIONS", "DEFAULT_POLL_INTERVAL", "RETENTION", "VenClient"]

log = logging.getLogger("ven.client")

DEFAULT_POLL_INTERVAL = timedelta(seconds=10)
_MAX_POLLS_PER_STEP = 50
ACTIONS = ("cancel-registration", "query-registration", "reregister", "republish-reports")
"""The operator actions ``VenClient.perform`` takes (queued in the state file for ``run``)."""
RETENTION = timedelta(days=30)
"""How long finished events, cancelled reports and refused messages stay in the state file."""


class VenClient:
    """One VEN talking to one VTN: it polls, or (``[push]``) ``ven.client.push`` serves it.

    ``start()`` registers (unless the state file already holds a registration), offers the
    reports and re-synchronises events with oadrRequestEvent; ``step()`` does one round
    (queue due reports, apply answer deadlines, poll until the VTN has nothing more, deliver
    the outbox); ``run()`` repeats them at the poll interval, backing off after failures.
    Everything goes through `store` first, so a VEN killed at any point resumes where it was.
    `device_ids` are the building's resource IDs (accepted in per-device answers); `zone` is
    the building's time zone, used in what people read (logs, summaries). `tick(now)`, when
    given, runs at the start of every round (the building brain steps its building to now).
    """

    def __init__(
        self,
        *,
        config: VenConfig,
        store: Store,
        exchange: Exchange,
        source: ReadingSource,
        clock: Clock,
        sleeper: Sleeper = asyncio_sleeper,
        handler: EventHandler | None = None,
        device_ids: Sequence[str] = (),
        zone: tzinfo = UTC,
        rng: random.Random | None = None,
        tick: Callable[[datetime], object] | None = None,
    ) -> None:
        self._config = config
        self._store = store
        self._exchange = exchange
        self._source = source
        self._clock = clock
        self._sleeper = sleeper
        self._backoff = Backoff(initial=config.retry.initial, maximum=config.retry.maximum,
                                rng=rng)
        self._registration: Registration | None = None
        self._synced = False
        self._last_purge: datetime | None = None
        self._reports = ReportDesk(store=store, points=config.reports, source=source, clock=clock)
        self._events = EventDesk(store=store, config=config, clock=clock,
                                 handler=handler or NoEventHandler(), device_ids=device_ids,
                                 zone=zone, rng=rng)
        self._tick = tick  # drives the building up to now at the start of every round
        self._outbox = OutboxSender(store=store, exchange=exchange, clock=clock,
                                    retry=config.retry)
        self._handling = asyncio.Lock()  # push mode: pushed messages vs. the loop's local work
        self._reregister_due = False
        self._stay_unregistered = False  # cancelled (by the VTN or an operator): no polls

    def __repr__(self) -> str:
        return f"VenClient({self._config.ven_name!r} -> {self._config.vtn_url!r})"

    @property
    def registration(self) -> Registration | None:
        """The registration in use (``None`` before ``start``)."""
        return self._registration

    @property
    def exchange(self) -> Exchange:
        """The message layer (codec, signer, verifier); the push endpoint decodes with it."""
        return self._exchange

    @property
    def handling(self) -> asyncio.Lock:
        """Held while acting on VTN messages and during the loop's local work and outbox
        snapshot, so that a pushed message and the replies it queues form one unit (push mode;
        uncontended in pull mode)."""
        return self._handling

    @property
    def poll_interval(self) -> timedelta:
        """The configured override, else what the VTN asked for, else 10 s."""
        if self._config.poll_interval is not None:
            return self._config.poll_interval
        if self._registration is not None and self._registration.poll_freq:
            return self._registration.poll_freq
        return DEFAULT_POLL_INTERVAL

    # ---- life cycle --------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the connection to the VTN (the store belongs to the caller)."""
        await self._exchange.close()

    async def start(self) -> None:
        """Register if needed, offer reports if not yet done, re-synchronise events."""
        self._stay_unregistered = False  # asked to start: register again if needed
        await self._ensure_registered()
        await self._sync_events()

    async def run(self, stop: asyncio.Event | None = None, *, max_steps: int | None = None) -> None:
        """Loop until `stop` is set (or `max_steps` rounds): start, then step every poll
        interval; after a failure wait a back-off delay instead (exponential, jittered, capped).
        A ``WrongVtnCertificate`` (the configured fingerprint is not the server's) is a
        configuration error: it is raised at once, never retried.
        """
        steps = 0
        while (stop is None or not stop.is_set()) and (max_steps is None or steps < max_steps):
            steps += 1
            try:
                await self.carry_out_requests()
                if self._stay_unregistered:  # cancelled: wait for a restart or an operator
                    await self._sleeper(self.poll_interval.total_seconds())
                    continue
                if self._registration is None or not self._synced:
                    await self.start()
                await self.step()
            except WrongVtnCertificate:
                raise  # a configuration error: retrying cannot help
            except (TransportError, ProtocolError) as exc:
                delay = self._failure_delay()
                log.warning("Could not complete the exchange with the VTN (%s); trying again in "
                            "%.3g s (attempt %d)", exc, delay, self._backoff.failures)
            except Exception:  # a VEN runs unattended: log, back off, carry on
                delay = self._failure_delay()
                log.exception("Unexpected error in the VEN loop; trying again in %.3g s", delay)
            else:
                if self._backoff.failures:
                    log.info("The VTN is reachable again")
                self._backoff.reset()
                delay = self.poll_interval.total_seconds()
            await self._sleeper(delay)

    def _failure_delay(self) -> float:
        """The back-off delay, never shorter than the poll interval once registered (the VTN
        asked not to be polled more often than that) [s]."""
        delay = self._backoff.next_delay()
        if self._registration is not None:
            delay = max(delay, self.poll_interval.total_seconds())
        return delay

    async def step(self) -> None:
        """One round: local work first (it needs no VTN), then the network. In push mode there
        is no oadrPoll (the VTN pushes); the round re-registers when a push asked for it."""
        self._drive_building()
        await self.queue_due_reports()
        async with self._handling:
            await self._events.track()
            await self._events.apply_deadlines()
            await self._flush_answers()
        if self._reregister_due and self._registration is not None:
            await self._reregister()
            self._reregister_due = False
        if self._registration is not None and not self._registration.reports_registered:
            await self._offer_reports()  # the VTN asked for our METADATA again
        await self.deliver_outbox()
        if self._config.push is None:
            await self.poll()
            await self.queue_due_reports()  # one-shot reports the poll may just have asked for
            await self.deliver_outbox()
        await self._purge()

    def _drive_building(self) -> None:
        """Let the building brain catch up with the clock (before reports read its meter)."""
        if self._tick is None:
            return
        try:
            self._tick(self._clock.now())
        except Exception:  # the building must not stop the protocol session
            log.exception("The building brain failed to step the building")

    async def _purge(self) -> None:
        """At most hourly, forget what ended more than ``RETENTION`` ago."""
        now = self._clock.now()
        if self._last_purge is None or now - self._last_purge >= timedelta(hours=1):
            await self._store.purge(now - RETENTION)
            self._last_purge = now

    # ---- registration ------------------------------------------------------------------------

    async def _ensure_registered(self) -> None:
        if self._registration is None:
            self._registration = await self._store.registration()
            if self._registration is not None:
                log.info("Resuming registration with VTN %s as venID %s",
                         self._registration.vtn_id, self._registration.ven_id)
        if self._registration is None:
            self._registration = await register(self._exchange, self._config, self._clock.now())
            await self._store.save_registration(self._registration)
        if not self._registration.reports_registered:
            await self._offer_reports()
        await self._queue_opt_schedules()

    async def _offer_reports(self) -> RegisteredReport:
        registration = self._need_registration()
        answer = await register_reports(
            self._exchange, self._config, registration.ven_id, self._clock.now())
        registration = dataclasses.replace(registration, reports_registered=True)
        async with self._handling:
            await self._accept_report_requests(answer.report_requests, request_id=None)
        await self._store.save_registration(registration)
        self._registration = registration
        return answer

    async def _reregister(self) -> None:
        previous = self._registration
        self._registration = await register(
            self._exchange, self._config, self._clock.now(), previous)
        await self._store.save_registration(self._registration)
        await self._offer_reports()
        self._synced = False

    def _need_registration(self) -> Registration:
        if self._registration is None:
            raise NotRegisteredOrAuthorized("not registered with the VTN yet")
        return self._registration

    # ---- operator actions (``oadr-ven registration ...``, ``oadr-ven reports republish``) ----

    async def carry_out_requests(self) -> int:
        """Carry out the operator requests queued in the state file, oldest first, recording
        each result (or why it failed) there for the waiting command; returns how many."""
        done = 0
        for request in await self._store.requests():
            try:
                result = await self.perform(request.action)
            except WrongVtnCertificate:
                raise
            except (TransportError, OadrError, ValueError) as exc:
                log.error("Operator request %d (%s) failed: %s", request.id, request.action, exc)
                await self._store.finish_request(request.id, now=self._clock.now(),
                                                 error=str(exc))
            else:
                await self._store.finish_request(request.id, now=self._clock.now(),
                                                 result=result)
            done += 1
        return done

    async def perform(self, action: str) -> dict[str, Any]:
        """Carry out one operator action (one of ``ACTIONS``, or an opt schedule to send or
        cancel: ``ven.client.optactions``) now; what came of it.

        Raises ``ValueError`` for an unknown action, ``NotRegisteredOrAuthorized`` when the
        action needs a registration we do not have or the VTN refuses, transport errors as
        they are."""
        if self._registration is None:  # not started (the CLI acting without `run`)
            self._registration = await self._store.registration()
        actions = {"cancel-registration": self.cancel_registration,
                   "query-registration": self.query_registration,
                   "reregister": self.register_again,
                   "republish-reports": self.republish_reports}
        if action.startswith(SCHEDULE_PREFIX):
            schedule = schedule_from_action(action)
            return await send_schedule(self._exchange, self._need_registration().ven_id,
                                       schedule, self._clock.now())
        if action.startswith(CANCEL_PREFIX):
            return await cancel_schedule(self._exchange, self._need_registration().ven_id,
                                         action.removeprefix(CANCEL_PREFIX))
        if action not in actions:
            raise ValueError(f"unknown operator action {action!r}; known: {', '.join(ACTIONS)}, "
                             f"{SCHEDULE_PREFIX}JSON, {CANCEL_PREFIX}OPT_ID")
        return await actions[action]()

    async def cancel_registration(self) -> dict[str, Any]:
        """oadrCancelPartyRegistration of our registration. Once the VTN confirms it, the
        registration is forgotten and the VEN stays unregistered (no polls) until restarted
        or re-registered by an operator."""
        registration = self._need_registration()
        answer = await self._exchange.request("EiRegisterParty", CancelPartyRegistration(
            request_id=new_id(), registration_id=registration.registration_id,
            ven_id=registration.ven_id))
        response = getattr(answer, "response", None)
        if not isinstance(answer, CanceledPartyRegistration) or response is None \
                or not response.ok:
            raise NotRegisteredOrAuthorized(
                "the VTN did not confirm the cancellation of registration "
                f"{registration.registration_id} ({_answer_words(answer)}); we stay registered")
        await self._store.save_registration(None)
        self._registration = None
        self._synced = False
        self._stay_unregistered = True
        log.info("Cancelled our registration %s (venID %s) with VTN %s at an operator's "
                 "request; we stay unregistered until restarted or re-registered",
                 registration.registration_id, registration.ven_id, registration.vtn_id)
        return {"cancelled": True, "vtn_id": registration.vtn_id, "ven_id": registration.ven_id,
                "registration_id": registration.registration_id}

    async def query_registration(self) -> dict[str, Any]:
        """oadrQueryRegistration: what the VTN says of us (changes nothing here)."""
        answer = await self._exchange.request(
            "EiRegisterParty", QueryRegistration(request_id=new_id()))
        if not isinstance(answer, CreatedPartyRegistration):
            raise NotRegisteredOrAuthorized(
                f"the VTN answered the registration query with {_answer_words(answer)}")
        poll = answer.requested_oadr_poll_freq
        log.info("Queried the registration at an operator's request: VTN %s, venID %s, "
                 "registration %s", answer.vtn_id, answer.ven_id or "none",
                 answer.registration_id or "none")
        return {
            "response_code": int(answer.response.response_code),
            "vtn_id": answer.vtn_id,
            "ven_id": answer.ven_id,
            "registration_id": answer.registration_id,
            "poll_freq_s": None if poll is None else poll.total_seconds(),
            "profiles": [{"profile": p.profile_name.value,
                          "transports": [t.value for t in p.transports]}
                         for p in answer.profiles],
            "ours": None if self._registration is None else self._registration.registration_id,
        }

    async def register_again(self) -> dict[str, Any]:
        """A new oadrCreatePartyRegistration (with our registrationID and venID when we have
        them: a re-registration), then our METADATA; events are re-synchronised next round."""
        previous = self._registration
        registration = await register(self._exchange, self._config, self._clock.now(), previous)
        await self._store.save_registration(registration)
        self._registration = registration
        self._stay_unregistered = False
        self._synced = False
        await self._offer_reports()
        return {"vtn_id": registration.vtn_id, "ven_id": registration.ven_id,
                "registration_id": registration.registration_id,
                "previous_registration_id": None if previous is None
                else previous.registration_id}

    async def republish_reports(self) -> dict[str, Any]:
        """Send our METADATA oadrRegisterReport again (report requests the VTN piggy-backs on
        its oadrRegisteredReport are taken up as usual)."""
        answer = await self._offer_reports()
        names = [r.report_name for r in metadata_reports(self._config.reports,
                                                         self._clock.now())]
        log.info("Re-published our METADATA reports at an operator's request")
        return {"reports": [str(n) for n in names],
                "report_requests": [r.report_request_id for r in answer.report_requests]}

    # ---- polling and incoming messages -------------------------------------------------------

    async def _sync_events(self) -> None:
        registration = self._need_registration()
        answer = await self._exchange.request(
            "EiEvent", RequestEvent(request_id=new_id(), ven_id=registration.ven_id))
        if isinstance(answer, DistributeEvent):
            async with self._handling:
                await self.handle(answer)
        self._synced = True

    async def poll(self) -> None:
        """oadrPoll until the VTN answers with a plain oadrResponse (or nothing).

        What a message queues (oadrCreatedEvent, oadrCreatedReport, ...) is delivered before
        the next oadrPoll: certification wants each oadrDistributeEvent with responseRequired
        ``always`` answered before the VEN polls again.
        """
        for _ in range(_MAX_POLLS_PER_STEP):
            registration = self._registration
            if registration is None:  # the VTN cancelled our registration meanwhile
                return
            answer = await self._exchange.request("OadrPoll", Poll(ven_id=registration.ven_id))
            if answer is None or isinstance(answer, Response):
                if isinstance(answer, Response) and not answer.response.ok:
                    log.warning("The VTN answered our poll with code %d (%s)",
                                int(answer.response.response_code),
                                answer.response.response_description or "no description")
                return
            await self.handle(answer)
            await self.deliver_outbox()
        log.warning("The VTN still had messages after %d polls; continuing next round",
                    _MAX_POLLS_PER_STEP)

    async def handle(self, message: Message, *, replies: list[Message] | None = None) -> None:
        """Act on one message from the VTN (from a poll, or pushed).

        An answer due at once (oadrRegisteredReport, oadrResponse, ...) is sent to the VTN in
        a request of its own; with `replies` (push mode) it is appended there instead, for the
        HTTP response, and a requested re-registration waits for the next round.
        """
        if isinstance(message, DistributeEvent):
            await self._events.on_distribute(message, self._need_registration())
        elif isinstance(message, CreateReport):
            await self._accept_report_requests(message.report_requests, message.request_id)
        elif isinstance(message, CancelReport):
            await self._reports.cancel(message, self._need_registration().ven_id)
        elif isinstance(message, RegisterReport):
            registration = self._need_registration()
            await self._reply("EiReport", RegisteredReport(
                response=EiResponse(response_code=200, request_id=message.request_id),
                ven_id=registration.ven_id), replies)
        elif isinstance(message, RequestReregistration):
            log.info("The VTN asked us to register again")
            registration = self._need_registration()
            await self._reply("EiRegisterParty", Response(
                response=EiResponse(response_code=200, request_id=""),
                ven_id=registration.ven_id), replies)
            if replies is None:
                await self._reregister()
            else:
                self._reregister_due = True  # after our HTTP answer, in the next round
        elif isinstance(message, CancelPartyRegistration):
            await self._on_cancel_registration(message, replies)
        elif isinstance(message, Response):
            return
        else:
            log.warning("Ignoring an unexpected %s from the VTN", type(message).__name__)

    async def _reply(self, service: str, message: Message, replies: list[Message] | None) -> None:
        if replies is None:
            await self._exchange.request(service, message)
        else:
            replies.append(message)

    async def _on_cancel_registration(
        self, message: CancelPartyRegistration, replies: list[Message] | None = None
    ) -> None:
        registration = self._need_registration()
        if message.registration_id != registration.registration_id:
            log.warning("The VTN cancelled registration %s, which is not ours (%s); refused "
                        "(452), we stay registered", message.registration_id,
                        registration.registration_id)
            await self._reply("EiRegisterParty", CanceledPartyRegistration(
                response=EiResponse(response_code=452, request_id=message.request_id,
                                    response_description="not our registrationID"),
                registration_id=message.registration_id, ven_id=registration.ven_id), replies)
            return
        await self._reply("EiRegisterParty", CanceledPartyRegistration(
            response=EiResponse(response_code=200, request_id=message.request_id),
            registration_id=registration.registration_id, ven_id=registration.ven_id), replies)
        await self._store.save_registration(None)
        self._registration = None
        self._synced = False
        self._stay_unregistered = not self._config.reregister_after_cancel
        if self._config.reregister_after_cancel:
            log.error("The VTN cancelled our registration (venID %s); we will register again "
                      "([ven] reregister_after_cancel)", registration.ven_id)
        else:
            log.error("The VTN cancelled our registration (venID %s); we stay unregistered "
                      "until restarted (set [ven] reregister_after_cancel = true to register "
                      "again by ourselves)", registration.ven_id)

    # ---- events (see EventDesk) ---------------------------------------------------------------

    async def answer(self, event_id: str, opt: OptType, device_id: str | None = None) -> None:
        """Answer an invitation (the whole VEN, or one device); queued at once, sent at the
        next delivery."""
        await self._events.answer(event_id, opt, device_id)
        if self._registration is not None:
            await self._events.flush(self._registration.ven_id)

    async def invitations(self) -> list[EventState]:
        """Events waiting for a person's answer."""
        return await self._events.invitations()

    async def _flush_answers(self) -> None:
        if self._registration is not None:
            await self._events.flush(self._registration.ven_id)

    async def _queue_opt_schedules(self) -> None:
        registration = self._need_registration()
        done = await self._store.sent_opt_schedules()
        todo = [s for s in self._config.opt_schedules if s.opt_id not in done]
        if not todo:
            return
        now = self._clock.now()
        outgoing = [("EiOpt", "create_opt", f"opt schedule {s.opt_id}",
                     encode(schedule_opt(registration.ven_id, s, now))) for s in todo]
        await self._store.commit(outbox=outgoing, sent_opt_schedules=[s.opt_id for s in todo],
                                 now=now)

    # ---- reports and outbox ------------------------------------------------------------------

    async def _accept_report_requests(
        self, requests: Sequence[ReportRequest], request_id: str | None
    ) -> None:
        registration = self._need_registration()
        if await self._reports.accept(requests, request_id, registration.ven_id):
            self._registration = dataclasses.replace(registration, reports_registered=False)
            await self._store.save_registration(self._registration)

    async def queue_due_reports(self) -> int:
        """Queue an oadrUpdateReport for every complete report period; returns how many."""
        if self._registration is None:
            return 0
        async with self._handling:
            return await self._reports.queue_due(self._registration.ven_id)

    async def deliver_outbox(self) -> int:
        """Send what the VTN has not acknowledged yet (see ``OutboxSender.deliver``); reports
        for at most one poll interval per call, so that a backlog never delays the poll."""
        registration = self._registration
        if registration is None:
            return 0
        async with self._handling:
            pass  # a pushed message being handled queues its replies before our snapshot
        delivered, cancels = await self._outbox.deliver(registration.ven_id,
                                                        report_budget=self.poll_interval)
        async with self._handling:
            for cancel in cancels:
                await self._reports.cancel(cancel, registration.ven_id)
        return delivered

    async def event_states(self) -> list[EventState]:
        """Every known event's state."""
        return await states(self._store, self._clock.now())


def _answer_words(answer: Message | None) -> str:
    """A VTN's answer in a few words: its payload and code."""
    if answer is None:
        return "no answer"
    response = getattr(answer, "response", None)
    if response is None:
        return type(answer).__name__
    detail = f", {response.response_description}" if response.response_description else ""
    return f"{type(answer).__name__} code {int(response.response_code)}{detail}"
