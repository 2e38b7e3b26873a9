"""Events at work: applying oadrDistributeEvent, automatic and personal answers, deadlines."""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo

from common.clock import Clock
from common.messages.enums import EventStatus, OptType
from common.messages.event import CreatedEvent, DistributeEvent, EiEvent, EventResponse
from common.messages.types import EiResponse, Message, QualifiedEventId
from common.xml import encode
from ven.client.config import VenConfig
from ven.client.events import (
    Change,
    EventPhase,
    EventState,
    classify,
    effective_start,
    event_end,
    event_from_xml,
    event_status,
    event_to_xml,
    invalid_content,
    is_for,
    summarize,
    unsupported_signals,
)
from ven.client.hooks import EventHandler
from ven.client.invitations import (
    PROVISIONAL,
    WHOLE_VEN,
    created_event,
    event_opt,
    is_pending,
    needs_created_event,
    record_operator_answer,
    state_of,
    states,
)
from ven.client.store import Answer, Outgoing, Registration, Store, StoredEvent

__all__ = ["EventDesk"]

log = logging.getLogger("ven.client")


def _utc(moment: datetime) -> str:
    """A moment as logged: UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class EventDesk:
    """Keeps the event states and answers; the only writer of events and answers.

    ``track()`` (every round of the VEN) follows each event's state in time (far, near,
    active, completed) and logs every change at INFO; an event that ended is recorded as
    completed then, without waiting for the VTN's next oadrDistributeEvent.

    Refusals: an oadrDistributeEvent from another vtnID than ours (compared exactly) gets an
    oadrCreatedEvent with code 452 and nothing in it is stored; an event of a market context
    not in ``[events] market_contexts`` (when set) is answered optOut with 453, one whose
    eiTarget does not include this VEN (``is_for``) optOut with 462, one without a supported
    signal optOut with 460, one whose content is not valid (``invalid_content``: a SIMPLE
    level outside 0-3, intervals that do not fill the active period) optOut with 454. An
    event cancelled (or no longer listed) while active, with a startafter window, stops at a
    random moment within that window from now (`rng`).
    """

    def __init__(
        self,
        *,
        store: Store,
        config: VenConfig,
        clock: Clock,
        handler: EventHandler,
        device_ids: Sequence[str],
        zone: tzinfo = UTC,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._rng = rng or random.Random()
        self._resources = frozenset((*device_ids, *config.resource_ids,
                                     *filter(None, (config.reports.resource_id,))))
        self._config = config
        self._clock = clock
        self._handler = handler
        self._devices = tuple(device_ids)
        self._zone = zone
        self._seen: dict[str, EventStatus] = {}  # the state last logged, by event ID

    async def on_distribute(self, message: DistributeEvent, registration: Registration) -> None:
        """Store what changed in the VTN's full list of events, answer automatically where
        configured, queue the responses and tell the building brain."""
        if message.vtn_id != registration.vtn_id:
            await self._refuse_foreign_vtn(message, registration)
            return
        now = self._clock.now()
        held = {e.event_id: e for e in await self._store.events()}
        known = {k: (e.modification_number, e.phase) for k, e in held.items()}
        to_save: list[StoredEvent] = []
        answers: list[Answer] = []
        changed: list[tuple[Change, StoredEvent]] = []
        for change, event_id, item in classify(known, message):
            if change is Change.STALE:
                log.warning("Event %s: the VTN sent an older modification than we hold; ignored",
                            event_id)
                continue
            if change is Change.UNCHANGED:
                if item is not None:
                    refreshed = self._vtn_status_changed(held[event_id], item.event, registration)
                    if refreshed is not None:
                        to_save.append(refreshed)
                continue
            if item is None:  # no longer listed
                stored = held[event_id]
                over = stored.end is not None and stored.end <= now
                phase = EventPhase.COMPLETED if over else EventPhase.IMPLIED_CANCELLED
                stop = None if over else self._randomised_stop(stored, None, now)
                updated = dataclasses.replace(
                    stored, phase=phase.value if stop is None else EventPhase.STOPPING.value,
                    end=stored.end if stop is None else stop)
                to_save.append(updated)
                changed.append((Change.COMPLETED if over else change, updated))
                continue
            event = item.event
            start = effective_start(event, registration.ven_id)
            unsupported = unsupported_signals(event, self._config.supported_signals)
            code = self._refusal(event, registration.ven_id)
            if code == 200 and unsupported and len(unsupported) == len(event.event_signals):
                code = 460
            cancelled = change is Change.CANCELLED
            stop = self._randomised_stop(held.get(event_id), event, now) if cancelled else None
            phase = EventPhase.CANCELLED if cancelled else EventPhase.ACTIVE
            stored = StoredEvent(
                event_id=event_id,
                modification_number=event.event_descriptor.modification_number,
                phase=(phase if stop is None else EventPhase.STOPPING).value,
                event_xml=event_to_xml(item, registration.vtn_id),
                effective_start=held[event_id].effective_start if stop is not None else start,
                end=event_end(event, start) if stop is None else stop,
                received_at=now,
                summary=summarize(event, start, self._zone),
                response_code=code,
                request_id=message.request_id,
            )
            to_save.append(stored)
            changed.append((change, stored))
            self._seen[event_id] = event_status(event, stored.phase, start, stored.end, now)
            if code not in (200, 454, 460):
                log.warning("Event %s is %s: answered optOut (%d)", event_id,
                            "not for this VEN (eiTarget)" if code == 462 else
                            f"of market context {event.event_descriptor.market_context!r}, "
                            "which is not ours", code)
            if unsupported and code == 200:
                log.warning("Event %s: ignoring signals we do not support: %s",
                            event_id, ", ".join(unsupported))
            answer = await self._automatic_answer(stored, cancelled, unsupported, code)
            if answer is not None:
                answers.append(answer)
        if not to_save:
            return
        for stored in to_save:
            if stored.phase == EventPhase.STOPPING:
                self._seen[stored.event_id] = EventStatus.ACTIVE
            elif stored.phase != EventPhase.ACTIVE:
                self._seen[stored.event_id] = EventStatus.CANCELLED if stored.phase in (
                    EventPhase.CANCELLED, EventPhase.IMPLIED_CANCELLED) else EventStatus.COMPLETED
        await self._store.save_events(to_save, answers)
        await self.flush(registration.ven_id, notify=False)
        for change, stored in changed:
            await self._announce(change, stored)

    def _refusal(self, event: EiEvent, ven_id: str) -> int:
        """200, or the code refusing an event not meant for us: 453 (market context not ours),
        462 (eiTarget does not include this VEN), 454 (invalid content: ``invalid_content``)."""
        if (problem := invalid_content(event)) is not None:
            log.warning("Event %s is not valid: %s; answered optOut (454)",
                        event.event_descriptor.event_id, problem)
            return 454
        contexts = self._config.market_contexts
        if contexts and event.event_descriptor.market_context not in contexts:
            return 453
        config = self._config
        if not is_for(event.target, ven_id=ven_id, resource_ids=self._resources,
                      group_ids=frozenset(config.group_ids),
                      party_ids=frozenset(config.party_ids)):
            return 462
        return 200

    def _randomised_stop(
        self, held: StoredEvent | None, event: EiEvent | None, now: datetime
    ) -> datetime | None:
        """When a cancelled event we are carrying out stops: within its startafter window from
        `now` (a draw of `rng`), or ``None`` to stop at once (not started, answered optOut, no
        window). `event` is the cancelled version (``None``: no longer listed)."""
        if held is None or held.phase != EventPhase.ACTIVE or held.response_code != 200:
            return None
        if held.effective_start > now or (held.end is not None and held.end <= now):
            return None
        period = (event or event_from_xml(held.event_xml).event).active_period
        window = period.tolerance_startafter
        if window is None or window <= timedelta(0):
            return None
        stop = now + timedelta(seconds=int(self._rng.random() * window.total_seconds()))
        if held.end is not None:
            stop = min(stop, held.end)
        return stop if stop > now else None

    async def _refuse_foreign_vtn(
        self, message: DistributeEvent, registration: Registration
    ) -> None:
        """An oadrDistributeEvent from a vtnID that is not ours: oadrCreatedEvent 452."""
        log.warning("Refusing events from vtnID %r: we are registered with %r (452)",
                    message.vtn_id, registration.vtn_id)
        description = f"vtnID {message.vtn_id!r} is not the VTN we are registered with"
        created = CreatedEvent(
            response=EiResponse(response_code=452, request_id=message.request_id,
                                response_description=description),
            ven_id=registration.ven_id,
            event_responses=tuple(EventResponse(
                response_code=452, response_description="Invalid ID",
                request_id=message.request_id,
                qualified_event_id=QualifiedEventId(
                    event_id=item.event.event_descriptor.event_id,
                    modification_number=item.event.event_descriptor.modification_number),
                opt_type=OptType.OPT_OUT) for item in message.events),
        )
        await self._store.commit(
            outbox=[("EiEvent", "created_event", "events from a foreign vtnID refused (452)",
                     encode(created))], now=self._clock.now())

    @staticmethod
    def _vtn_status_changed(
        stored: StoredEvent, event: EiEvent, registration: Registration
    ) -> StoredEvent | None:
        """`stored` with the eventStatus the VTN now sends (it changes without a new
        modification number; without a ramp-up it is what says "near"), or None if the same."""
        held = event_from_xml(stored.event_xml)
        if held.event.event_descriptor.event_status is event.event_descriptor.event_status:
            return None
        item = dataclasses.replace(held, event=dataclasses.replace(
            held.event, event_descriptor=dataclasses.replace(
                held.event.event_descriptor,
                event_status=event.event_descriptor.event_status)))
        return dataclasses.replace(stored, event_xml=event_to_xml(item, registration.vtn_id))

    async def track(self) -> None:
        """Follow every live event's state in time; log each change at INFO (event, old ->
        new state, when, in UTC) and record an ended event as completed."""
        now = self._clock.now()
        ended: list[StoredEvent] = []
        stopped: list[StoredEvent] = []
        for stored in await self._store.events(
                phases=(EventPhase.ACTIVE.value, EventPhase.STOPPING.value)):
            event = event_from_xml(stored.event_xml).event
            status = event_status(event, stored.phase, stored.effective_start, stored.end, now)
            before = self._seen.get(stored.event_id)
            if status is EventStatus.COMPLETED:
                ended.append(dataclasses.replace(stored, phase=EventPhase.COMPLETED.value))
            if status is EventStatus.CANCELLED:  # a cancelled event's randomised stop is due
                stopped.append(dataclasses.replace(stored, phase=EventPhase.CANCELLED.value))
            if status is not before and (before is not None or status is EventStatus.COMPLETED):
                log.info("Event %s: %s -> %s at %s", stored.event_id,
                         before.value if before is not None else "received",
                         status.value, _utc(self._changed_at(event, stored, status, now)))
            self._seen[stored.event_id] = status
        if ended or stopped:
            await self._store.save_events([*ended, *stopped])
        for stored in stopped:
            log.info("Event %s: stopping now, at its randomised time after the cancellation",
                     stored.event_id)
            await self._call_hook("on_cancel", state_of(
                stored, await self._store.answers(stored.event_id), now))

    @staticmethod
    def _changed_at(
        event: EiEvent, stored: StoredEvent, status: EventStatus, now: datetime
    ) -> datetime:
        """When `stored` entered `status` (`now` when the VTN's word is all we have)."""
        ramp_up = event.active_period.ramp_up
        if status in (EventStatus.COMPLETED, EventStatus.CANCELLED) and stored.end is not None:
            return stored.end
        if status is EventStatus.ACTIVE:
            return stored.effective_start
        if status is EventStatus.NEAR and ramp_up is not None and ramp_up > timedelta(0):
            return stored.effective_start - ramp_up
        return now

    async def _automatic_answer(
        self,
        stored: StoredEvent,
        cancelled: bool,
        unsupported: list[str],
        code: int,
    ) -> Answer | None:
        """The answer the VEN gives without a person, if any.

        With ``auto_answer = false`` an event whose responseRequired is ``always`` still gets
        its oadrCreatedEvent at once (certification: before the next poll): the configured
        default, recorded as ``provisional``. The invitation stays open for a person until
        the event starts; a different answer then goes out as a new oadrCreatedEvent.
        """
        def answer(opt: OptType, source: str) -> Answer:
            return Answer(event_id=stored.event_id,
                          modification_number=stored.modification_number,
                          device_id=WHOLE_VEN, opt=opt.value, source=source,
                          answered_at=self._clock.now())
        if code != 200:
            return answer(OptType.OPT_OUT, "unsupported" if code == 460 else "refused")
        if cancelled:
            previous = [a for a in await self._store.answers(stored.event_id)
                        if a.device_id == WHOLE_VEN]
            opt = OptType(previous[-1].opt) if previous else OptType.OPT_IN
            return answer(opt, "auto")
        chosen = await self._store.auto_answer()  # set at run time (building API)
        if self._config.auto_answer if chosen is None else chosen:
            return answer(self._config.default_opt, "auto")
        if needs_created_event(stored):  # the VTN wants oadrCreatedEvent before our next poll
            return answer(self._config.default_opt, PROVISIONAL)
        return None

    async def _announce(self, change: Change, stored: StoredEvent) -> None:
        state = state_of(stored, await self._store.answers(stored.event_id), self._clock.now())
        label = f"Event {stored.event_id} (mod {stored.modification_number})"
        if change in (Change.NEW, Change.MODIFIED):
            verb = "received" if change is Change.NEW else "modified"
            if stored.response_code == 460:
                log.warning("%s %s: %s; none of its signals is supported, answered optOut (460)",
                            label, verb, stored.summary)
            elif stored.response_code != 200:
                log.warning("%s %s: %s; not for this VEN, answered optOut (%d)", label, verb,
                            stored.summary, stored.response_code)
            elif state.opt is None:
                log.info("%s %s: %s; waiting for your answer", label, verb, stored.summary)
            elif state.provisional:
                log.info("%s %s: %s; answered %s for now (the configured default, the VTN "
                         "wants an answer at once); waiting for your answer (oadr-ven answer)",
                         label, verb, stored.summary, state.opt.value)
            else:
                log.info("%s %s: %s; answered %s automatically", label, verb, stored.summary,
                         state.opt.value)
            await self._call_hook("on_event", state)
        elif stored.phase == EventPhase.STOPPING:
            log.info("%s cancelled by the VTN while active: %s; stopping at %s (randomised "
                     "within startafter)", label, stored.summary,
                     _utc(stored.end or self._clock.now()))
        elif change is Change.CANCELLED:
            log.info("%s cancelled by the VTN: %s", label, stored.summary)
            await self._call_hook("on_cancel", state)
        elif change is Change.IMPLIED_CANCELLED:
            log.info("Event %s is no longer listed by the VTN before its end: treated as "
                     "cancelled", stored.event_id)
            await self._call_hook("on_cancel", state)
        elif change is Change.COMPLETED:
            log.info("Event %s completed", stored.event_id)

    async def _call_hook(self, name: str, state: EventState) -> None:
        try:
            await getattr(self._handler, name)(state)
        except Exception:
            log.exception("The building's %s handler failed for event %s", name, state.event_id)

    async def answer(self, event_id: str, opt: OptType, device_id: str | None = None) -> None:
        """Answer an invitation (the whole VEN, or one device); sent at the next step."""
        await record_operator_answer(
            self._store, event_id, opt, now=self._clock.now(), device_id=device_id,
            known_devices=self._devices or None)

    async def invitations(self) -> list[EventState]:
        """Events waiting for a person's answer."""
        now = self._clock.now()
        return [s for s in await states(self._store, now) if is_pending(s)]

    async def apply_deadlines(self) -> None:
        """An invitation nobody answered before the event starts gets the default opt."""
        now = self._clock.now()
        for state in await self.invitations():
            if state.effective_start <= now:
                log.warning("Event %s starts without an answer from you; answering %s (the "
                            "configured default)", state.event_id, self._config.default_opt.value)
                await self._store.record_answer(Answer(
                    event_id=state.event_id, modification_number=state.modification_number,
                    device_id=WHOLE_VEN, opt=self._config.default_opt.value, source="default",
                    answered_at=now))

    async def flush(self, ven_id: str, *, notify: bool = True) -> None:
        """Turn unsent answers into queued oadrCreatedEvent / oadrCreateOpt messages (in the
        same transaction that marks them sent), then tell the building brain."""
        unsent = await self._store.answers(unsent_only=True)
        if not unsent:
            return
        now = self._clock.now()
        outgoing: list[Outgoing] = []
        touched: list[StoredEvent] = []
        for event_id in dict.fromkeys(a.event_id for a in unsent):
            event = await self._store.event(event_id)
            group = [a for a in unsent if a.event_id == event_id]
            if event is None:
                continue
            current = [a for a in group if a.modification_number == event.modification_number]
            whole = next((a for a in current if a.device_id == WHOLE_VEN), None)
            if whole is not None:
                opt = OptType(whole.opt)
                if needs_created_event(event):
                    message: Message = created_event(ven_id, event, opt)
                    outgoing.append(("EiEvent", "created_event",
                                     f"answer {opt.value} to event {event_id}", encode(message)))
                elif whole.source == "operator":
                    message = event_opt(ven_id, event, opt, (), now)
                    outgoing.append(("EiOpt", "create_opt",
                                     f"{opt.value} for event {event_id}", encode(message)))
            for opt in OptType:
                devices = [a.device_id for a in current
                           if a.device_id != WHOLE_VEN and a.opt == opt.value]
                if devices:
                    message = event_opt(ven_id, event, opt, devices, now)
                    outgoing.append(("EiOpt", "create_opt",
                                     f"{opt.value} of {', '.join(devices)} for event {event_id}",
                                     encode(message)))
            touched.append(event)
        await self._store.commit(outbox=outgoing, sent_answers=unsent, now=now)
        if notify:
            for event in touched:
                state = state_of(event, await self._store.answers(event.event_id), now)
                if state.phase is EventPhase.ACTIVE:
                    await self._call_hook("on_event", state)

