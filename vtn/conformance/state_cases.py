"""Ported 2.0a event-state sequences where the VEN is tested (A_E1_0082-0104 pull, A_E0_*
push), and two negative cases: an invalid event (A_E1_0330) and an event that vanishes from a
later oadrDistributeEvent (A_E1_0370).

How the case names read (CONFORMANCE.md §2.2): P / A / CP / CA = the event is pending /
active / cancelled while pending / cancelled while active when the sequence ends; the digit
is its modificationNumber then; A / N = its oadrResponseRequired (always / never), which says
whether the VEN must answer. A sequence ending at modification 1 first offers the event at
modification 0 (pending, or active for A1 and CA1) with responseRequired always, which must be
answered optIn 200 (the harness's prerequisite); then the modification.

- "Answered" means an oadrCreatedEvent eventResponse for the eventID at the modificationNumber
  offered, code 200; optIn for a new event (the harness counts optIns), optIn or optOut for a
  modification or a cancellation. An answer naming another modificationNumber fails with what
  it named.
- "Not answered" (N): no eventResponse for that modificationNumber while the VEN polls three
  times (push: ``quiet`` seconds).
- A pending event starts in an hour; an active one started five minutes ago and lasts 30
  minutes (eventStatus active, currentValue its level).
- 0330 "invalid event 2" (the harness's B port has no script for it; our reading): a SIMPLE
  event whose level is 7 (SIMPLE is 0-3) and whose interval durations do not add up to its
  active period. It must not be taken: no optIn 200 (an error code, an optOut or silence
  passes), and the VEN keeps polling. The payload is a deliberate fault of the harness (not
  taught to its exchange).
- 0370 implied cancellation: a pending event starting in a minute, answered optIn; then an
  oadrDistributeEvent without it (deliberate: the all-events rule would flag it). The VEN must
  not answer (nothing in that payload asks for an answer) and, observed through the operator
  (``Operator.observe``), must hold the event as cancelled (or no longer at all): it will not
  start. Without an operator who can read the VEN the case is ``needs-operator``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from common.messages.enums import EventStatus, OptType, ResponseCode, ResponseRequired
from common.messages.event import DistributeEvent, OadrEvent
from common.messages.types import Interval
from vtn.conformance.operator import Observation
from vtn.conformance.records import Outcome
from vtn.conformance.scenarios import PASSED, Context, Verdict, make_event

__all__ = ["STATE_CASES", "answered", "not_answered", "timed"]

ALWAYS, NEVER = ResponseRequired.ALWAYS, ResponseRequired.NEVER


def timed(event_id: str, *, start: datetime, length: timedelta,
          status: EventStatus = EventStatus.FAR, modification: int = 0,
          response: ResponseRequired = ALWAYS, value: float = 1.0,
          startafter: timedelta | None = None, intervals: int = 1) -> OadrEvent:
    """A SIMPLE event of `value` from `start` for `length`, in `intervals` equal intervals,
    with `status` (currentValue `value` when active, else 0) and a startafter window."""
    event = make_event(event_id, modification=modification, value=value, response=response)
    step = length / intervals
    signal = dataclasses.replace(
        event.event.event_signals[0],
        intervals=tuple(Interval(payloads=(value,), duration=step, uid=str(n))
                        for n in range(intervals)),
        current_value=value if status is EventStatus.ACTIVE else 0.0)
    descriptor = dataclasses.replace(event.event.event_descriptor, event_status=status)
    period = dataclasses.replace(event.event.active_period, dtstart=start, duration=length,
                                 tolerance_startafter=startafter)
    return dataclasses.replace(event, event=dataclasses.replace(
        event.event, event_descriptor=descriptor, active_period=period,
        event_signals=(signal,)))


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _pending(event_id: str, **kwargs: object) -> OadrEvent:
    return timed(event_id, start=_now() + timedelta(hours=1), length=timedelta(minutes=30),
                 **kwargs)  # type: ignore[arg-type]


def _active(event_id: str, **kwargs: object) -> OadrEvent:
    return timed(event_id, start=_now() - timedelta(minutes=5), length=timedelta(minutes=30),
                 status=EventStatus.ACTIVE, **kwargs)  # type: ignore[arg-type]


def _cancelled(event: OadrEvent, response: ResponseRequired) -> OadrEvent:
    """`event` cancelled: modificationNumber + 1, eventStatus cancelled, currentValue 0."""
    descriptor = event.event.event_descriptor
    signal = dataclasses.replace(event.event.event_signals[0], current_value=0.0)
    return dataclasses.replace(event, response_required=response, event=dataclasses.replace(
        event.event, event_signals=(signal,), event_descriptor=dataclasses.replace(
            descriptor, event_status=EventStatus.CANCELLED,
            modification_number=descriptor.modification_number + 1)))


def _modified(event: OadrEvent, response: ResponseRequired) -> OadrEvent:
    """`event` at modificationNumber + 1 with level 2 instead of its level."""
    descriptor = event.event.event_descriptor
    signal = event.event.event_signals[0]
    signal = dataclasses.replace(signal, intervals=tuple(
        dataclasses.replace(i, payloads=(2.0,)) for i in signal.intervals),
        current_value=2.0 if descriptor.event_status is EventStatus.ACTIVE else 0.0)
    return dataclasses.replace(event, response_required=response, event=dataclasses.replace(
        event.event, event_signals=(signal,), event_descriptor=dataclasses.replace(
            descriptor, modification_number=descriptor.modification_number + 1)))


def _id(event: OadrEvent) -> str:
    return event.event.event_descriptor.event_id


def _number(event: OadrEvent) -> int:
    return event.event.event_descriptor.modification_number


async def answered(ctx: Context, mark: int, event: OadrEvent, *, opt_in: bool) -> Verdict:
    """`event` answered at its modificationNumber with 200 (and optIn when `opt_in`)."""
    event_id, number = _id(event), _number(event)
    answer = await ctx.answer_of(mark, event_id, number)
    if answer is None:
        named = sorted({a.qualified_event_id.modification_number
                        for a in ctx.answers(mark, event_id)})
        if named:
            return Outcome.FAIL, (f"event {event_id} was answered for modificationNumber "
                                  f"{', '.join(map(str, named))}, expected {number}")
        return Outcome.FAIL, (f"no oadrCreatedEvent answer to event {event_id} "
                              f"(modification {number}, responseRequired always)")
    code = int(answer.response_code)
    if code != ResponseCode.OK:
        return Outcome.FAIL, (f"event {event_id} (modification {number}) was answered with "
                              f"code {code}, expected 200")
    if opt_in and answer.opt_type is not OptType.OPT_IN:
        return Outcome.FAIL, (f"event {event_id} (modification {number}) was answered "
                              f"{answer.opt_type}, expected optIn")
    return PASSED


async def not_answered(ctx: Context, mark: int, event: OadrEvent) -> Verdict:
    """No answer to `event` at its modificationNumber over three polls (push: ``quiet``)."""
    if not await ctx.polls(3):
        return Outcome.FAIL, "the VEN stopped polling"
    event_id, number = _id(event), _number(event)
    if [a for a in ctx.answers(mark, event_id)
            if a.qualified_event_id.modification_number == number]:
        return Outcome.FAIL, (f"the VEN answered event {event_id} (modification {number}), "
                              "whose responseRequired is never")
    return PASSED


async def _sequence(ctx: Context, *steps: OadrEvent) -> Verdict:
    """Offer each of `steps` (one event, in its successive states) in turn: a
    responseRequired=always state must be answered (the first optIn), a never one not."""
    if (problem := await ctx.registered()) is not None:
        return problem
    for index, event in enumerate(steps):
        mark = len(ctx.vtn.records)
        if (missed := await ctx.offer(event)) is not None:
            return missed
        if event.response_required is NEVER:
            verdict = await not_answered(ctx, mark, event)
        else:
            verdict = await answered(ctx, mark, event, opt_in=index == 0)
        if verdict != PASSED:
            return verdict
    return PASSED


async def a_e1_0082(ctx: Context) -> Verdict:
    """P0AN: a pending event, modification 0, responseRequired always: answered optIn 200."""
    return await _sequence(ctx, _pending(ctx.vtn.new_id("p0an")))


async def a_e1_0086(ctx: Context) -> Verdict:
    """P0NN: a pending event, modification 0, responseRequired never: not answered."""
    return await _sequence(ctx, _pending(ctx.vtn.new_id("p0nn"), response=NEVER))


async def a_e1_0090(ctx: Context) -> Verdict:
    """P1AN: a pending event, then its modification 1 (always): both answered."""
    event = _pending(ctx.vtn.new_id("p1an"))
    return await _sequence(ctx, event, _modified(event, ALWAYS))


async def a_e1_0092(ctx: Context) -> Verdict:
    """P1NN: a pending event, then its modification 1 (never): the modification not
    answered."""
    event = _pending(ctx.vtn.new_id("p1nn"))
    return await _sequence(ctx, event, _modified(event, NEVER))


async def a_e1_0094(ctx: Context) -> Verdict:
    """A0AN: an active event, modification 0, responseRequired always: answered optIn 200."""
    return await _sequence(ctx, _active(ctx.vtn.new_id("a0an")))


async def a_e1_0096(ctx: Context) -> Verdict:
    """A0NN: an active event, modification 0, responseRequired never: not answered."""
    return await _sequence(ctx, _active(ctx.vtn.new_id("a0nn"), response=NEVER))


async def a_e1_0098(ctx: Context) -> Verdict:
    """A1AN: an active event, then its modification 1 (always): both answered."""
    event = _active(ctx.vtn.new_id("a1an"))
    return await _sequence(ctx, event, _modified(event, ALWAYS))


async def a_e1_0100(ctx: Context) -> Verdict:
    """CP1AN: a pending event, then cancelled at modification 1 (always): both answered."""
    event = _pending(ctx.vtn.new_id("cp1an"))
    return await _sequence(ctx, event, _cancelled(event, ALWAYS))


async def a_e1_0102(ctx: Context) -> Verdict:
    """CA1AN: an active event, then cancelled at modification 1 (always): both answered."""
    event = _active(ctx.vtn.new_id("ca1an"))
    return await _sequence(ctx, event, _cancelled(event, ALWAYS))


async def a_e1_0104(ctx: Context) -> Verdict:
    """CP1NN: a pending event, then cancelled at modification 1 (never): the cancellation
    not answered."""
    event = _pending(ctx.vtn.new_id("cp1nn"))
    return await _sequence(ctx, event, _cancelled(event, NEVER))


async def a_e1_0330(ctx: Context) -> Verdict:
    """Invalid event 2: SIMPLE level 7 in intervals that do not fill the active period: not
    taken (no optIn 200); polling goes on."""
    if (problem := await ctx.registered()) is not None:
        return problem
    event = _pending(ctx.vtn.new_id("invalid"), value=7.0)
    signal = event.event.event_signals[0]
    signal = dataclasses.replace(signal, intervals=(
        Interval(payloads=(7.0,), duration=timedelta(minutes=10), uid="0"),))
    event = dataclasses.replace(event, event=dataclasses.replace(event.event,
                                                                 event_signals=(signal,)))
    mark = len(ctx.vtn.records)
    if (missed := await ctx.deliver(DistributeEvent(
            request_id=ctx.vtn.new_id("distribute"), vtn_id=ctx.vtn.vtn_id, events=(event,)),
            deliberate=True)) is not None:
        return missed
    await ctx.vtn.until(lambda: bool(ctx.answers(mark, _id(event))), ctx.quiet)
    if not await ctx.polls(2):
        return Outcome.FAIL, "the VEN stopped polling after an invalid event"
    taken = [a for a in ctx.answers(mark, _id(event))
             if int(a.response_code) == 200 and a.opt_type is OptType.OPT_IN]
    if taken:
        return Outcome.FAIL, (f"the VEN opted in (200) to the invalid event {_id(event)} "
                              "(SIMPLE level 7; intervals of 10 of its 30 minutes)")
    codes = sorted({int(a.response_code) for a in ctx.answers(mark, _id(event))})
    return Outcome.PASS, (f"refused with {', '.join(map(str, codes))}" if codes
                          else "not answered")


async def a_e1_0370(ctx: Context) -> Verdict:
    """Inconsistent returned events: a pending event answered, then a payload without it:
    no answer, and the VEN holds the event as cancelled (it will not start)."""
    if (problem := await ctx.registered()) is not None:
        return problem
    event = timed(ctx.vtn.new_id("vanish"), start=_now() + timedelta(minutes=1),
                  length=timedelta(minutes=3))
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(event)) is not None:
        return missed
    if (verdict := await answered(ctx, mark, event, opt_in=True)) != PASSED:
        return verdict
    mark = len(ctx.vtn.records)
    ctx.vtn.events = ()
    if (missed := await ctx.deliver(DistributeEvent(
            request_id=ctx.vtn.new_id("distribute"), vtn_id=ctx.vtn.vtn_id, events=()),
            deliberate=True)) is not None:
        return missed
    if not await ctx.polls(2):
        return Outcome.FAIL, "the VEN stopped polling after the event vanished"
    if again := ctx.answers(mark, _id(event)):
        return Outcome.FAIL, (f"the VEN answered event {_id(event)} (modification "
                              f"{again[0].qualified_event_id.modification_number}) after it "
                              "vanished from the payload")
    seen = await ctx.observe(_id(event), "it must be cancelled: it vanished before its start")
    if not isinstance(seen, Observation):
        return seen
    if seen.status not in ("cancelled", "none"):
        return Outcome.FAIL, (f"the VEN holds the vanished event {_id(event)} as "
                              f"{seen.status}, expected cancelled")
    return Outcome.PASS, f"the VEN holds the vanished event as {seen.status}"


STATE_CASES: tuple[tuple[str, str, Callable[[Context], Awaitable[Verdict]]], ...] = (
    ("A_E1_0082_TH_VTN", "Event state P0AN", a_e1_0082),
    ("A_E1_0086_TH_VTN", "Event state P0NN", a_e1_0086),
    ("A_E1_0090_TH_VTN", "Event state P1AN", a_e1_0090),
    ("A_E1_0092_TH_VTN", "Event state P1NN", a_e1_0092),
    ("A_E1_0094_TH_VTN", "Event state A0AN", a_e1_0094),
    ("A_E1_0096_TH_VTN", "Event state A0NN", a_e1_0096),
    ("A_E1_0098_TH_VTN", "Event state A1AN", a_e1_0098),
    ("A_E1_0100_TH_VTN", "Event state CP1AN", a_e1_0100),
    ("A_E1_0102_TH_VTN", "Event state CA1AN", a_e1_0102),
    ("A_E1_0104_TH_VTN", "Event state CP1NN", a_e1_0104),
    ("A_E1_0330_TH_VTN", "Invalid event 2", a_e1_0330),
    ("A_E1_0370_TH_VTN", "Inconsistent returned events (implied cancellation)", a_e1_0370),
)
"""(ID, title, script) of each case here, in run order."""
