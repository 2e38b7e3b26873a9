"""A_E3/A_E2, continued: optional elements, the event-state sequences, ordering 2, near status,
overlap, cancel retries, completion within startafter and the VEN's application error code
(pull, and the same scenarios as push twins), the harness playing the VEN.

Events are created, modified and cancelled by the operator (``create_event``,
``modify_event``, ``cancel_event``), for this VEN only. How the kit reads the cases:

- 0432 "optional elements": an event with x-eiRampUp, x-eiRecovery and a startafter window
  of one minute each is distributed with all three; optIn -> 200.
- The state sequences are named STATE, modificationNumber, oadrResponseRequired (A always, N
  never), a fourth letter, and the VEN's answer (I optIn, O optOut, N none). STATE is P
  (pending: far or near), A (active), CP / CA (a pending / active event the operator then
  cancels). A modificationNumber of 1 means the operator changed the event once after its
  first distribution: a pending one starts a minute later, an active one lasts a minute longer,
  a cancelled one was cancelled; the kit then expects the first distribution (pending or
  active, modificationNumber 0, always), its answer (optIn) acknowledged, and the second
  distribution in the named state. With the answer N the VEN sends nothing, and the VTN must
  have nothing more for it. The fourth letter is N in all but 0454 (P0AYI); its meaning is not
  public: the kit reads Y as a test event (``testEvent`` true), and checks the same as 0452.
  IDs: 0452 P0ANI, 0454 P0AYI, 0468 P0NNN, 0470 P1ANI, 0474 P1ANO, 0480 P1NNN (the
  modification also sets responseRequired never), 0484 A0ANI (then lengthened, answered
  again), 0490 A1ANO, 0492 CP1ANI, 0494 CA1ANI, 0496 CP1ANO, 0498 CP1NNN (the cancellation
  carries responseRequired never).
- 0520 "event ordering 2": four events in two market contexts (MarketContext1: now for 10
  minutes with priority 1, in 20 minutes for 30 with 0; MarketContext2: started 10 minutes
  ago for 20 with priority 1, in 20 minutes for 10 with 0): the active ones come before the
  pending ones; two active ones of one priority by start time; the pending ones by start time
  (the two that start together in either order).
- 0527 "near eventStatus": an event in three minutes with a ramp-up of four minutes is
  distributed ``near`` (its ramp-up has begun).
- 0530 "overlapping events" (an observation at the VTN's console): the operator creates an
  event, then another of the same market context over the same period; the VTN must refuse
  the second. A VTN that takes it fails (and the rule ``event.no-overlap`` sees both in its
  distributions).
- 0657 "VTN cancel retries": a pending event, opted in; the operator cancels it; the kit does
  not answer the cancellation, and the VTN must send it again (cancelled, modificationNumber
  1, always) at the next poll (push: within ``max(2 x push wait, 30 s)``). Then the kit
  answers it. The rule ``event.answer-before-poll`` does not fail this case (the kit breaks
  it on purpose).
- 0685 "randomized event while complete": an event of 20 seconds starting in 20 seconds with a
  startafter of two minutes, opted in; once it has ended, oadrRequestEvent still lists it,
  ``completed`` (a VEN that randomised its start may still be running it).
- 0710 "application error code": a pending event; the VEN's oadrCreatedEvent carries an
  error code (459) in its eiResponse and no eventResponses: the VTN answers oadrResponse 200.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from common.messages.enums import EventStatus, OptType, ResponseRequired
from common.messages.event import CreatedEvent, DistributeEvent, OadrEvent, RequestEvent
from common.messages.poll import Response
from common.messages.types import EiResponse
from common.xml.lexical import write_datetime, write_duration
from ven.conformance.events import _ids
from ven.conformance.operator import OperatorFailed, OperatorUnavailable, Step
from ven.conformance.ported import _answer, _created
from ven.conformance.scenario import Harness, NeedsOperator

__all__ = ["CASES"]

PENDING = frozenset({EventStatus.FAR, EventStatus.NEAR})
ACTIVE = frozenset({EventStatus.ACTIVE})
CANCELLED = frozenset({EventStatus.CANCELLED})
ALWAYS, NEVER = ResponseRequired.ALWAYS, ResponseRequired.NEVER
RESEND_WAIT_S = 30.0
"""Push: how long 0657 waits at least for the VTN to push the cancellation again [s]."""
COMPLETE_AFTER_S = 20
"""0685: the event starts this long after it is created, and lasts as long [s]."""
COMPLETE_WAIT_LIMIT_S = 240.0
"""0685: the longest the kit waits for the event to end [s]."""


def _iso(when: datetime) -> str:
    return write_datetime(when.astimezone(UTC).replace(microsecond=0))


async def _create(h: Harness, *, start: str, duration: str = "PT5M",
                  response_required: str = "always", value: float = 1,
                  **options: Any) -> str:
    """Have the operator create a SIMPLE event for this VEN; its eventID ("" if not told)."""
    result = await h.operate(Step.CREATE_EVENT, ven_id=h.ven_id, signal_name="SIMPLE",
                             signal_type="level", value=value, start=start, duration=duration,
                             response_required=response_required, **options)
    return str(result.get("event_id") or "")


def _event_of(distribute: DistributeEvent, event_id: str) -> OadrEvent | None:
    return next((e for e in distribute.events
                 if e.event.event_descriptor.event_id == event_id), None)


def _state(event: OadrEvent | None) -> str:
    if event is None:
        return "absent"
    d = event.event.event_descriptor
    return (f"{d.event_status.value}, modificationNumber {d.modification_number}, "
            f"responseRequired {event.response_required.value}")


def _expect_state(h: Harness, distribute: DistributeEvent, event_id: str,
                  statuses: frozenset[EventStatus], response: ResponseRequired | None,
                  number: int, text: str) -> OadrEvent:
    event = _event_of(distribute, event_id)
    d = event.event.event_descriptor if event is not None else None
    h.expect(event is not None and d is not None and d.event_status in statuses
             and d.modification_number == number
             and (response is None or event.response_required is response),
             text, _state(event))
    assert event is not None
    return event


async def _next_distribution(h: Harness, text: str, event_id: str, *, number: int = 0,
                             wait: float | None = None) -> DistributeEvent:
    """Take the VTN's messages until an oadrDistributeEvent lists `event_id` at modification
    `number` or later (other messages are answered, events not)."""
    for _ in range(4):
        message = await h.next_message(wait=wait)
        if isinstance(message, DistributeEvent):
            event = _event_of(message, event_id)
            if event is not None and event.event.event_descriptor.modification_number >= number:
                return message
        if message is None:
            break
        await h.answer(message, answer_events=False)
    h.expect(False, text, f"no oadrDistributeEvent with event {event_id} at modification "
                          f"{number} arrived")
    raise AssertionError("unreachable")


async def _first(h: Harness, *, start: str, statuses: frozenset[EventStatus],
                 **options: Any) -> tuple[str, DistributeEvent]:
    """Bootstrap; the operator's event; its first distribution, in `statuses`, mod 0, always."""
    await h.bootstrap()
    event_id = await _create(h, start=start, **options)
    distribute = await _next_distribution(h, "the event is distributed", event_id)
    what = "pending" if statuses == PENDING else "active"
    _expect_state(h, distribute, event_id, statuses, ALWAYS, 0,
                  f"first distribution: {what}, modificationNumber 0, responseRequired always")
    return event_id, distribute


async def _answered(h: Harness, distribute: DistributeEvent, event_id: str, opt: OptType,
                    text: str) -> None:
    h.expect_reply(await _created(h, distribute, _answer(distribute, event_id, opt)),
                   Response, text)


# ---- 0432, 0527: optional elements -------------------------------------------------------


async def a_e3_0432(h: Harness) -> None:
    """Bootstrap; an event with x-eiRampUp, x-eiRecovery and startafter of one minute each; it
    is distributed with the three; optIn -> oadrResponse 200."""
    minute = timedelta(minutes=1)
    event_id, distribute = await _first(h, start="+5m", statuses=PENDING, duration="PT15M",
                                        ramp_up="PT1M", recovery="PT1M", startafter="PT1M")
    event = _event_of(distribute, event_id)
    assert event is not None
    period = event.event.active_period
    seen = (period.ramp_up, period.recovery, period.tolerance_startafter)
    h.expect(seen == (minute, minute, minute),
             "the event carries x-eiRampUp, x-eiRecovery and startafter (one minute each)",
             ", ".join("absent" if s is None else write_duration(s) for s in seen))
    await _answered(h, distribute, event_id, OptType.OPT_IN, "the VTN acknowledges the optIn")
    await h.drain()


async def a_e3_0527(h: Harness) -> None:
    """Bootstrap; an event starting in three minutes with a ramp-up of four; it is distributed
    with eventStatus near; optIn -> oadrResponse 200."""
    await h.bootstrap()
    start = datetime.now(UTC) + timedelta(minutes=3)
    event_id = await _create(h, start=_iso(start), ramp_up="PT4M")
    distribute = await _next_distribution(h, "the event is distributed", event_id)
    _expect_state(h, distribute, event_id, frozenset({EventStatus.NEAR}), ALWAYS, 0,
                  "the event is near (inside its ramp-up), modificationNumber 0")
    await _answered(h, distribute, event_id, OptType.OPT_IN, "the VTN acknowledges the optIn")
    await h.drain()


# ---- the state sequences ------------------------------------------------------------------


async def _quiet(h: Harness, text: str) -> None:
    """The VEN does not answer; the VTN must have nothing more for it."""
    await h.nothing_waiting(text)


async def _single(h: Harness, *, test_event: bool = False) -> None:
    options: dict[str, Any] = {"test_event": True} if test_event else {}
    event_id, distribute = await _first(h, start="+5m", statuses=PENDING, **options)
    if test_event:
        event = _event_of(distribute, event_id)
        flag = event.event.event_descriptor.test_event if event else None
        h.expect(True, f"(observed) testEvent {flag!r}")
    await _answered(h, distribute, event_id, OptType.OPT_IN, "the VTN acknowledges the optIn")
    await h.drain()


async def a_e3_0452(h: Harness) -> None:
    """P0ANI: bootstrap; a pending event (in 5 minutes, 5 minutes, always) -> distributed
    pending, modificationNumber 0, always; optIn -> oadrResponse 200."""
    await _single(h)


async def a_e3_0454(h: Harness) -> None:
    """P0AYI: as P0ANI with a test event (testEvent true; the kit's reading of Y)."""
    await _single(h, test_event=True)


async def a_e3_0468(h: Harness) -> None:
    """P0NNN: bootstrap; a pending event with responseRequired never -> distributed pending,
    modificationNumber 0, never; the VEN does not answer; nothing more waits."""
    await h.bootstrap()
    event_id = await _create(h, start="+5m", response_required="never")
    distribute = await _next_distribution(h, "the event is distributed", event_id)
    _expect_state(h, distribute, event_id, PENDING, NEVER, 0,
                  "pending, modificationNumber 0, responseRequired never")
    await _quiet(h, "unanswered, the event is not sent again")


async def _modified(h: Harness, *, active: bool, change: Step, expect: frozenset[EventStatus],
                    response: ResponseRequired, answer: OptType | None,
                    **params: Any) -> tuple[str, DistributeEvent]:
    """The first distribution (pending or active), optIn; the operator's `change`; the second
    distribution in `expect`, modificationNumber 1, `response`; then `answer` (or none)."""
    event_id, first = await _first(h, start="now" if active else "+5m",
                                   statuses=ACTIVE if active else PENDING)
    await _answered(h, first, event_id, OptType.OPT_IN, "the VTN acknowledges the optIn")
    event = _event_of(first, event_id)
    assert event is not None
    period = event.event.active_period
    if change is Step.MODIFY_EVENT and "start" in params:
        params["start"] = _iso(period.dtstart + timedelta(minutes=1))
    if change is Step.MODIFY_EVENT and "duration" in params:
        params["duration"] = write_duration(period.duration + timedelta(minutes=1))
    await h.operate(change, ven_id=h.ven_id, event_id=event_id, **params)
    second = await _next_distribution(h, "the change is distributed", event_id, number=1)
    state = {PENDING: "pending", ACTIVE: "active", CANCELLED: "cancelled"}[expect]
    _expect_state(h, second, event_id, expect, response, 1,
                  f"second distribution: {state}, modificationNumber 1, responseRequired "
                  f"{response.value}")
    if answer is None:
        await _quiet(h, "unanswered, the change is not sent again")
    else:
        await _answered(h, second, event_id, answer,
                        f"the VTN acknowledges the {answer.value} to the change")
        await h.drain()
    return event_id, second


async def a_e3_0470(h: Harness) -> None:
    """P1ANI: a pending event, opted in; the operator starts it a minute later -> pending,
    modificationNumber 1, always; optIn -> oadrResponse 200."""
    await _modified(h, active=False, change=Step.MODIFY_EVENT, expect=PENDING,
                    response=ALWAYS, answer=OptType.OPT_IN, start="")


async def a_e3_0474(h: Harness) -> None:
    """P1ANO: as P1ANI, the VEN answers the modification with optOut -> oadrResponse 200."""
    await _modified(h, active=False, change=Step.MODIFY_EVENT, expect=PENDING,
                    response=ALWAYS, answer=OptType.OPT_OUT, start="")


async def a_e3_0480(h: Harness) -> None:
    """P1NNN: a pending event, opted in; the operator starts it a minute later with
    responseRequired never -> pending, modificationNumber 1, never; no answer; nothing more."""
    await _modified(h, active=False, change=Step.MODIFY_EVENT, expect=PENDING,
                    response=NEVER, answer=None, start="", response_required="never")


async def a_e3_0484(h: Harness) -> None:
    """A0ANI: an active event (started now, 5 minutes, always) -> active, modificationNumber
    0; optIn -> 200; the operator lengthens it by a minute -> active, modificationNumber 1;
    optIn -> 200."""
    await _modified(h, active=True, change=Step.MODIFY_EVENT, expect=ACTIVE,
                    response=ALWAYS, answer=OptType.OPT_IN, duration="")


async def a_e3_0490(h: Harness) -> None:
    """A1ANO: an active event, opted in; the operator lengthens it by a minute -> active,
    modificationNumber 1, always; optOut -> oadrResponse 200."""
    await _modified(h, active=True, change=Step.MODIFY_EVENT, expect=ACTIVE,
                    response=ALWAYS, answer=OptType.OPT_OUT, duration="")


async def a_e3_0492(h: Harness) -> None:
    """CP1ANI: a pending event, opted in; the operator cancels it -> cancelled,
    modificationNumber 1, always; optIn -> oadrResponse 200."""
    await _modified(h, active=False, change=Step.CANCEL_EVENT, expect=CANCELLED,
                    response=ALWAYS, answer=OptType.OPT_IN)


async def a_e3_0494(h: Harness) -> None:
    """CA1ANI: an active event, opted in; the operator cancels it -> cancelled,
    modificationNumber 1, always; optIn -> oadrResponse 200."""
    await _modified(h, active=True, change=Step.CANCEL_EVENT, expect=CANCELLED,
                    response=ALWAYS, answer=OptType.OPT_IN)


async def a_e3_0496(h: Harness) -> None:
    """CP1ANO: as CP1ANI, the VEN answers the cancellation with optOut -> oadrResponse 200."""
    await _modified(h, active=False, change=Step.CANCEL_EVENT, expect=CANCELLED,
                    response=ALWAYS, answer=OptType.OPT_OUT)


async def a_e3_0498(h: Harness) -> None:
    """CP1NNN: a pending event, opted in; the operator cancels it with responseRequired never
    -> cancelled, modificationNumber 1, never; no answer; nothing more waits."""
    await _modified(h, active=False, change=Step.CANCEL_EVENT, expect=CANCELLED,
                    response=NEVER, answer=None, response_required="never")


# ---- 0520, 0530: ordering and overlap ------------------------------------------------------


MARKET_1, MARKET_2 = "http://MarketContext1", "http://MarketContext2"


async def a_e3_0520(h: Harness) -> None:
    """Bootstrap; four events in two market contexts (see the module docstring); the
    distribution lists the two active ones first (started earlier first: same priority),
    then the two pending ones by start time; all answered -> 200."""
    await h.bootstrap()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    made = {}
    for name, market, start, minutes, priority in (
            ("mc1-now", MARKET_1, now, 10, 1), ("mc1-later", MARKET_1, now + timedelta(
                minutes=20), 30, 0),
            ("mc2-started", MARKET_2, now - timedelta(minutes=10), 20, 1),
            ("mc2-later", MARKET_2, now + timedelta(minutes=20), 10, 0)):
        made[name] = await _create(h, start=_iso(start), duration=f"PT{minutes}M",
                                   market_context=market, priority=priority)
    distribute = await _next_distribution(h, "the four events are distributed",
                                          made["mc2-later"])
    ids = _ids(distribute)
    h.expect(all(e in ids for e in made.values()), "the distribution lists all four",
             f"{ids} (created {made})")
    h.expect(ids.index(made["mc2-started"]) < ids.index(made["mc1-now"]),
             "of the two active events (priority 1 both), the earlier start comes first",
             f"{ids}")
    active = max(ids.index(made["mc2-started"]), ids.index(made["mc1-now"]))
    pending = min(ids.index(made["mc1-later"]), ids.index(made["mc2-later"]))
    h.expect(active < pending, "the active events come before the pending ones", f"{ids}")
    h.expect_reply(await _created(h, distribute, *(
        _answer(distribute, e, OptType.OPT_IN) for e in made.values())), Response,
        "the VTN acknowledges the four optIns")
    await h.drain()


async def a_e3_0530(h: Harness) -> None:
    """Bootstrap; the operator creates an event (in 5 minutes, 30 minutes) and then another
    of the same market context over the same period: the VTN refuses the second."""
    await h.bootstrap()
    first = await _create(h, start="+5m", duration="PT30M", market_context=MARKET_1)
    h.expect(True, f"the first event {first or '(eventID not told)'} is created")
    try:
        second = await h.operator.perform(Step.CREATE_EVENT, {
            "ven_id": h.ven_id, "signal_name": "SIMPLE", "signal_type": "level", "value": 2,
            "start": "+5m", "duration": "PT30M", "response_required": "always",
            "market_context": MARKET_1})
    except OperatorUnavailable as exc:
        raise NeedsOperator(str(exc)) from exc
    except OperatorFailed as exc:
        h.expect(True, f"the VTN refuses the overlapping event: {str(exc)[:200]}")
        await h.drain()
        return
    h.expect(False, "the VTN refuses a second event over the same period in the same market "
                    "context", f"it created event {second.get('event_id')!r}")


# ---- 0657, 0685: cancel retries, completion ------------------------------------------------


async def a_e3_0657(h: Harness) -> None:
    """Bootstrap; a pending event (in a minute, 3 minutes, always), opted in; the operator
    cancels it -> cancelled, modificationNumber 1, always; not answered; the next poll (push:
    a later push) brings the cancellation again; then optIn -> 200."""
    h.waive("event.answer-before-poll", "the kit leaves the cancellation unanswered on "
                                        "purpose, to see it sent again")
    event_id, first = await _first(h, start="+1m", statuses=PENDING, duration="PT3M")
    await _answered(h, first, event_id, OptType.OPT_IN, "the VTN acknowledges the optIn")
    await h.operate(Step.CANCEL_EVENT, ven_id=h.ven_id, event_id=event_id)
    cancelled = await _next_distribution(h, "the cancellation is distributed", event_id,
                                         number=1)
    _expect_state(h, cancelled, event_id, CANCELLED, ALWAYS, 1,
                  "cancelled, modificationNumber 1, responseRequired always")
    again = await _next_distribution(
        h, "unanswered, the cancellation is sent again", event_id, number=1,
        wait=max(2 * h.push_wait, RESEND_WAIT_S) if h.push else None)
    _expect_state(h, again, event_id, CANCELLED, ALWAYS, 1,
                  "sent again: cancelled, modificationNumber 1, responseRequired always")
    await _answered(h, again, event_id, OptType.OPT_IN,
                    "the VTN acknowledges the answer to the cancellation")
    await h.drain()


async def a_e3_0685(h: Harness) -> None:
    """Bootstrap; an event starting in 20 s for 20 s with startafter two minutes -> pending,
    modificationNumber 0, always; optIn -> 200; after its end, oadrRequestEvent lists it,
    completed, modificationNumber 0."""
    start = datetime.now(UTC) + timedelta(seconds=COMPLETE_AFTER_S)
    event_id, first = await _first(h, start=_iso(start), statuses=PENDING,
                                   duration=f"PT{COMPLETE_AFTER_S}S", startafter="PT2M")
    await _answered(h, first, event_id, OptType.OPT_IN, "the VTN acknowledges the optIn")
    event = _event_of(first, event_id)
    assert event is not None
    end = event.event.active_period.dtstart + event.event.active_period.duration
    wait = (end - datetime.now(UTC)).total_seconds() + 2
    h.expect(wait <= COMPLETE_WAIT_LIMIT_S, "the event ends within the kit's wait",
             f"{wait:.0f} s")
    await asyncio.sleep(max(wait, 0))
    assert h.ven_id is not None
    listed = h.expect_reply(await h.send("EiEvent", RequestEvent(
        request_id=h.request_id(), ven_id=h.ven_id)), DistributeEvent,
        "the VTN answers oadrRequestEvent after the event's end")
    _expect_state(h, listed, event_id, frozenset({EventStatus.COMPLETED}), None, 0,
                  "within its startafter window the ended event is listed, completed")
    await h.drain()


# ---- 0710: the VEN's application error code -----------------------------------------------


async def a_e3_0710(h: Harness) -> None:
    """Bootstrap; a pending event -> pending, modificationNumber 0, always; an
    oadrCreatedEvent with eiResponse 459 and no eventResponses -> oadrResponse 200; then the
    VEN's optIn."""
    event_id, distribute = await _first(h, start="+5m", statuses=PENDING)
    assert h.ven_id is not None
    record = await h.send("EiEvent", CreatedEvent(
        response=EiResponse(response_code=459, request_id=distribute.request_id,
                            response_description="kit: the VEN could not process the event"),
        ven_id=h.ven_id))
    h.expect_reply(record, Response, "the VTN acknowledges the VEN's application error")
    await _answered(h, distribute, event_id, OptType.OPT_IN, "the VTN acknowledges the optIn")
    await h.drain()


CASES = (
    ("A_E3_0432", "Optional elements: ramp-up, recovery, startafter (pull)", a_e3_0432, True),
    ("A_E3_0452", "Event state sequence P0ANI (pull)", a_e3_0452, True),
    ("A_E3_0454", "Event state sequence P0AYI (pull)", a_e3_0454, True),
    ("A_E3_0468", "Event state sequence P0NNN (pull)", a_e3_0468, True),
    ("A_E3_0470", "Event state sequence P1ANI (pull)", a_e3_0470, True),
    ("A_E3_0474", "Event state sequence P1ANO (pull)", a_e3_0474, True),
    ("A_E3_0480", "Event state sequence P1NNN (pull)", a_e3_0480, True),
    ("A_E3_0484", "Event state sequence A0ANI (pull)", a_e3_0484, True),
    ("A_E3_0490", "Event state sequence A1ANO (pull)", a_e3_0490, True),
    ("A_E3_0492", "Event state sequence CP1ANI (pull)", a_e3_0492, True),
    ("A_E3_0494", "Event state sequence CA1ANI (pull)", a_e3_0494, True),
    ("A_E3_0496", "Event state sequence CP1ANO (pull)", a_e3_0496, True),
    ("A_E3_0498", "Event state sequence CP1NNN (pull)", a_e3_0498, True),
    ("A_E3_0520", "Event ordering 2 (pull)", a_e3_0520, True),
    ("A_E3_0527", "Near eventStatus (pull)", a_e3_0527, True),
    ("A_E3_0530", "Overlapping events (pull)", a_e3_0530, True),
    ("A_E3_0657", "VTN cancel retries (pull)", a_e3_0657, True),
    ("A_E3_0685", "Randomized event while complete (pull)", a_e3_0685, True),
    ("A_E3_0710", "Application error code (pull)", a_e3_0710, True),
)
