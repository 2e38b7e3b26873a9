"""Invitations and answers: event states for people and hooks, recording opt answers, and the
oadrCreatedEvent / oadrCreateOpt messages they turn into."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from common.errors import InvalidId, NotAllowed
from common.messages.enums import EventStatus, OptReason, OptType, ResponseRequired
from common.messages.event import CreatedEvent, EventResponse
from common.messages.opt import CreateOpt
from common.messages.types import EiResponse, Period, QualifiedEventId, Target
from ven.client.config import OptSchedule
from ven.client.events import EventPhase, EventState, event_from_xml, event_status
from ven.client.store import Answer, Store, StoredEvent

__all__ = [
    "PROVISIONAL",
    "REFUSALS",
    "WHOLE_VEN",
    "created_event",
    "event_opt",
    "is_pending",
    "needs_created_event",
    "new_id",
    "record_operator_answer",
    "schedule_opt",
    "state_of",
    "states",
]

WHOLE_VEN = ""
"""The device_id of an answer that concerns the whole VEN."""


PROVISIONAL = "provisional"
"""The source of the default answer given at once, while a person may still answer
(``auto_answer = false`` and responseRequired ``always``)."""


def new_id() -> str:
    """A fresh request/opt ID."""
    return uuid.uuid4().hex


_OPEN = (EventStatus.FAR, EventStatus.NEAR, EventStatus.ACTIVE)
"""The states in which an event can still be answered."""


def state_of(event: StoredEvent, answers: Sequence[Answer], now: datetime) -> EventState:
    """The ``EventState`` of a stored event at `now` given its answers (any modification)."""
    oadr_event = event_from_xml(event.event_xml)
    current = [a for a in answers if a.modification_number == event.modification_number]
    whole = next((a for a in current if a.device_id == WHOLE_VEN), None)
    return EventState(
        event_id=event.event_id,
        modification_number=event.modification_number,
        phase=EventPhase(event.phase),
        status=event_status(oadr_event.event, event.phase, event.effective_start, event.end,
                            now),
        event=oadr_event.event,
        response_required=oadr_event.response_required,
        effective_start=event.effective_start,
        end=event.end,
        summary=event.summary,
        opt=OptType(whole.opt) if whole is not None else None,
        provisional=whole is not None and whole.source == PROVISIONAL,
        device_opts={a.device_id: OptType(a.opt) for a in current if a.device_id != WHOLE_VEN},
    )


async def states(
    store: Store, now: datetime, *, phases: Sequence[str] | None = None
) -> list[EventState]:
    """Every stored event's state at `now` (optionally only those in `phases`)."""
    result = []
    for event in await store.events(phases=phases):
        result.append(state_of(event, await store.answers(event.event_id), now))
    return result


def is_pending(state: EventState) -> bool:
    """An invitation still waiting for a person: unanswered and far, near or active, or
    answered provisionally and not started yet (far or near)."""
    if state.provisional:
        return state.status in (EventStatus.FAR, EventStatus.NEAR)
    return state.status in _OPEN and state.opt is None


async def record_operator_answer(
    store: Store,
    event_id: str,
    opt: OptType,
    *,
    now: datetime,
    device_id: str | None = None,
    known_devices: Sequence[str] | None = None,
) -> Answer:
    """Record a person's answer to the current modification of `event_id`.

    With `device_id` the answer concerns that device only (sent as oadrCreateOpt with its
    resourceID); if the whole VEN has not answered yet it is recorded as taking part (optIn),
    since only some devices stay out. Raises ``InvalidId`` for an unknown event or device and
    ``NotAllowed`` for an event that is cancelled, completed, or has no supported signal.
    """
    event = await store.event(event_id)
    if event is None:
        raise InvalidId(f"no event {event_id!r} is known")
    status = event_status(event_from_xml(event.event_xml).event, event.phase,
                          event.effective_start, event.end, now)
    if status not in _OPEN:
        verb = "has completed" if status is EventStatus.COMPLETED else "was cancelled"
        raise NotAllowed(f"event {event_id} {verb}; it can no longer be answered")
    if event.response_code != 200:
        why = REFUSALS.get(event.response_code, "refused").lower()
        raise NotAllowed(f"event {event_id} was answered optOut with code "
                         f"{event.response_code} ({why}); it cannot be taken part in")
    if device_id is not None and known_devices is not None and device_id not in known_devices:
        raise InvalidId(f"no device {device_id!r} in the building (known: "
                        f"{', '.join(known_devices) or 'none'})")
    whole = next((a for a in await store.answers(event_id)
                  if a.modification_number == event.modification_number
                  and a.device_id == WHOLE_VEN), None)
    answer = Answer(event_id=event_id, modification_number=event.modification_number,
                    device_id=device_id or WHOLE_VEN, opt=opt.value, source="operator",
                    answered_at=now, sent=device_id is None and _confirms(whole, opt))
    if device_id is not None and (whole is None or whole.source == PROVISIONAL):
        taking_part = OptType.OPT_IN
        await store.record_answer(Answer(
            event_id=event_id, modification_number=event.modification_number,
            device_id=WHOLE_VEN, opt=taking_part.value, source="operator",
            answered_at=now, sent=_confirms(whole, taking_part)))
    await store.record_answer(answer)
    return answer


def _confirms(whole: Answer | None, opt: OptType) -> bool:
    """Whether a person's `opt` only confirms the provisional answer the VTN already has
    (then there is nothing new to send)."""
    return (whole is not None and whole.source == PROVISIONAL and whole.sent
            and whole.opt == opt.value)


REFUSALS = {
    452: "Invalid ID",
    453: "Market context not recognized",
    460: "Signal not supported",
    462: "Target mismatch: the event is not for this VEN",
}
"""Why an event was answered optOut without asking anyone, by the eventResponse code."""


def created_event(ven_id: str, event: StoredEvent, opt: OptType) -> CreatedEvent:
    """oadrCreatedEvent answering the current modification of `event` with `opt`."""
    return CreatedEvent(
        response=EiResponse(response_code=200, request_id=event.request_id),
        ven_id=ven_id,
        event_responses=(EventResponse(
            response_code=event.response_code,
            response_description=REFUSALS.get(event.response_code, "OK"),
            request_id=event.request_id,
            qualified_event_id=QualifiedEventId(
                event_id=event.event_id, modification_number=event.modification_number),
            opt_type=opt,
        ),),
    )


def event_opt(
    ven_id: str,
    event: StoredEvent,
    opt: OptType,
    resource_ids: Sequence[str],
    now: datetime,
) -> CreateOpt:
    """oadrCreateOpt for one event, for some resources (empty: the whole VEN). No
    marketContext and no vavailability: the eventID says which event it is."""
    return CreateOpt(
        opt_id=new_id(),
        opt_type=opt,
        opt_reason=(OptReason.PARTICIPATING if opt is OptType.OPT_IN
                    else OptReason.NOT_PARTICIPATING),
        ven_id=ven_id,
        created_date_time=now,
        request_id=new_id(),
        qualified_event_id=QualifiedEventId(
            event_id=event.event_id, modification_number=event.modification_number),
        target=Target(resource_ids=tuple(resource_ids)),
    )


def schedule_opt(ven_id: str, schedule: OptSchedule, now: datetime) -> CreateOpt:
    """oadrCreateOpt carrying one configured availability window (vavailability: dtstart and
    duration only, never tolerance, ramp-up, recovery or notification)."""
    return CreateOpt(
        opt_id=schedule.opt_id,
        opt_type=schedule.opt_type,
        opt_reason=schedule.reason,
        ven_id=ven_id,
        created_date_time=now,
        request_id=new_id(),
        market_context=schedule.market_context,
        vavailability=(Period(dtstart=schedule.start, duration=schedule.duration),),
        target=Target(resource_ids=schedule.resource_ids),
        device_class=(Target(end_device_assets=schedule.device_classes)
                      if schedule.device_classes else None),
    )


def needs_created_event(event: StoredEvent) -> bool:
    """Whether the VTN asked for oadrCreatedEvent for this event (responseRequired)."""
    return event_from_xml(event.event_xml).response_required is ResponseRequired.ALWAYS
