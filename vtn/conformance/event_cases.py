"""Ported 2.0a event cases where the VEN is tested (A_E1_* pull, A_E0_* push), besides the
few in ``scenarios``: what the VEN answers to event payloads the harness builds.

Interpretations (the harness's texts are not copied, only its case names):

- "Not accepted" (0300 non-matching eiTarget, 0325 non-matching marketContext, the invalid
  event of 0360): no oadrCreatedEvent answer ``optIn`` with code 200 for it; an optOut, an
  error code or no answer passes. The harness's market context is
  ``http://conformance.example/market``: the VEN under test must be configured to take part
  in it only (our VEN: ``[events] market_contexts``).
- 0040: an ELECTRICITY_PRICE event of 24 one-hour intervals, answered 200.
- 0060: an event with every optional element (priority, vtnComment, modification date and
  reason, startafter, ramp-up, recovery, notification), answered 200.
- 0070: an eiTarget naming the VEN by its venID among other sub-elements (a group and a
  party): answered 200.
- 0180: events A and B, then one payload with A modified, B cancelled and a new C: each of
  the three answered 200.
- 0185: once the harness acknowledges the VEN's oadrCreatedEvent (oadrResponse), the VEN
  does not answer the same event again over the next three polls.
- 0200 limit values: a SIMPLE event whose intervals hold the limits 0 and 3, priority
  2^31-1: answered 200.
- 0270 multiple event execution: two events back to back (the second starts when the first
  ends) in one payload: both answered 200.
- 0190: two oadrDistributeEvents under the same requestID, the second adding an event: the
  new event is answered.
- 0340: a completed event (ended an hour ago) next to a far one: the far one answered 200,
  the completed one not refused with an error.
- 0345: a cancelled event the VEN never saw: not answered with an error code, and the VEN
  keeps polling.
- 0392: event A at modification 2, then A at modification 1: the lower one is not accepted
  (no 200 answer for modification 1).
- 0295 (two VTNs) is n/a: the harness plays one VTN.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from common.messages.enums import EventStatus, OptType, SignalName, SignalType
from common.messages.event import DistributeEvent, EventResponse, OadrEvent
from common.messages.types import Interval, ItemBase, Target
from vtn.conformance.records import Outcome
from vtn.conformance.scenarios import (
    PASSED,
    Context,
    Verdict,
    _answered_ok,
    e1_1010,
    make_event,
)

__all__ = ["EVENT_CASES"]

OTHER_MARKET = "http://conformance.example/other-market"


def _id(event: OadrEvent) -> str:
    return event.event.event_descriptor.event_id


def _changed(event: OadrEvent, **descriptor: object) -> OadrEvent:
    """`event` with its descriptor's fields replaced."""
    new = dataclasses.replace(event.event.event_descriptor, **descriptor)  # type: ignore[arg-type]
    return dataclasses.replace(event, event=dataclasses.replace(event.event,
                                                                 event_descriptor=new))


def _accepted(answers: list[EventResponse]) -> list[EventResponse]:
    return [a for a in answers if int(a.response_code) == 200 and a.opt_type is OptType.OPT_IN]


async def _answered(ctx: Context, *events: OadrEvent) -> Verdict:
    """Offer `events` in one payload; each must be answered 200."""
    if (problem := await ctx.registered()) is not None:
        return problem
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(*events)) is not None:
        return missed
    for event in events:
        modification = event.event.event_descriptor.modification_number
        answer = await ctx.answer_of(mark, _id(event), modification)
        if (verdict := _answered_ok(answer, _id(event), modification)) != PASSED:
            return verdict
    return PASSED


async def _not_accepted(ctx: Context, bad: OadrEvent, *good: OadrEvent,
                        what: str) -> Verdict:
    """Offer `good` and `bad` together: `good` answered 200, `bad` not accepted."""
    if (problem := await ctx.registered()) is not None:
        return problem
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(*good, bad)) is not None:
        return missed
    for event in good:
        answer = await ctx.answer_of(mark, _id(event), 0)
        if (verdict := _answered_ok(answer, _id(event), 0)) != PASSED:
            return verdict
    if not good and not await ctx.polls(3):
        return Outcome.FAIL, "the VEN stopped polling"
    await ctx.vtn.until(lambda: bool(ctx.answers(mark, _id(bad))), ctx.quiet)
    if accepted := _accepted(ctx.answers(mark, _id(bad))):
        return Outcome.FAIL, (f"the VEN opted in (200) to event {_id(bad)} with {what}; "
                              f"answered {accepted[0].opt_type}")
    return PASSED


async def a_e1_0020(ctx: Context) -> Verdict:
    """No events: an oadrDistributeEvent without events is accepted and polling goes on."""
    return await e1_1010(ctx)  # a payload without events: accepted, polling goes on


async def a_e1_0040(ctx: Context) -> Verdict:
    """24 prices: an ELECTRICITY_PRICE event of 24 one-hour intervals is answered 200."""
    event = make_event(ctx.vtn.new_id("prices"), signal=SignalName.ELECTRICITY_PRICE,
                       signal_type=SignalType.PRICE, item_base=ItemBase.currency("USD"))
    hour = timedelta(hours=1)
    signal = event.event.event_signals[0]
    signal = dataclasses.replace(signal, intervals=tuple(
        Interval(payloads=(0.10 + 0.01 * n,), duration=hour, uid=str(n)) for n in range(24)))
    period = dataclasses.replace(event.event.active_period, duration=24 * hour)
    event = dataclasses.replace(event, event=dataclasses.replace(
        event.event, event_signals=(signal,), active_period=period))
    return await _answered(ctx, event)


async def a_e1_0060(ctx: Context) -> Verdict:
    """Optional elements: an event with priority, vtnComment, modification date and reason,
    startafter, ramp-up, recovery and notification is answered 200."""
    event = make_event(ctx.vtn.new_id("optional"))
    now = datetime.now(UTC).replace(microsecond=0)
    event = _changed(event, priority=1, vtn_comment="conformance: optional elements",
                     modification_date_time=now, modification_reason="none")
    period = dataclasses.replace(
        event.event.active_period, tolerance_startafter=timedelta(minutes=5),
        notification=timedelta(minutes=30), ramp_up=timedelta(minutes=5),
        recovery=timedelta(minutes=5))
    event = dataclasses.replace(event, event=dataclasses.replace(event.event,
                                                                 active_period=period))
    return await _answered(ctx, event)


async def a_e1_0070(ctx: Context) -> Verdict:
    """eiTarget sub-elements: a target naming a group and the VEN's venID is answered 200."""
    if (problem := await ctx.registered()) is not None:
        return problem
    registration = ctx.vtn.registration
    assert registration is not None  # registered() said so
    event = make_event(ctx.vtn.new_id("target"))
    target = Target(group_ids=("conformance-group",), ven_ids=(registration.ven_id,))
    event = dataclasses.replace(event, event=dataclasses.replace(event.event, target=target))
    return await _answered(ctx, event)


async def a_e1_0180(ctx: Context) -> Verdict:
    """New, modified and cancelled in one payload: A and B, then A modified, B cancelled and
    a new C together: each of the three answered 200."""
    if (problem := await ctx.registered()) is not None:
        return problem
    first, second = make_event(ctx.vtn.new_id("mix")), make_event(ctx.vtn.new_id("mix"))
    if (verdict := await _answered(ctx, first, second)) != PASSED:
        return verdict
    modified = make_event(_id(first), modification=1, value=2.0)
    cancelled = _changed(make_event(_id(second), modification=1),
                         event_status=EventStatus.CANCELLED)
    third = make_event(ctx.vtn.new_id("mix"))
    return await _answered(ctx, modified, cancelled, third)


async def a_e1_0185(ctx: Context) -> Verdict:
    """oadrCreatedEvent acknowledged: the VEN does not answer the same event again over the
    next three polls."""
    if (problem := await ctx.registered()) is not None:
        return problem
    event = make_event(ctx.vtn.new_id("acked"))
    if (verdict := await _answered(ctx, event)) != PASSED:
        return verdict
    mark = len(ctx.vtn.records)
    if not await ctx.polls(3):
        return Outcome.FAIL, "the VEN stopped polling after its answer was acknowledged"
    if again := ctx.answers(mark, _id(event)):
        return Outcome.FAIL, (f"the VEN answered event {_id(event)} {len(again)} more time(s) "
                              "after the harness acknowledged its oadrCreatedEvent")
    return PASSED


async def a_e1_0200(ctx: Context) -> Verdict:
    """Limit values: SIMPLE intervals at 0 and 3 and priority 2^31-1: answered 200."""
    event = make_event(ctx.vtn.new_id("limits"), value=0.0)
    signal = event.event.event_signals[0]
    length = timedelta(minutes=15)
    signal = dataclasses.replace(signal, intervals=(
        Interval(payloads=(0.0,), duration=length, uid="0"),
        Interval(payloads=(3.0,), duration=length, uid="1")))
    event = dataclasses.replace(event, event=dataclasses.replace(
        _changed(event, modification_number=0, priority=2**31 - 1).event,
        event_signals=(signal,)))
    return await _answered(ctx, event)


async def a_e1_0270(ctx: Context) -> Verdict:
    """Multiple event execution: two events back to back in one payload: both answered 200."""
    first = make_event(ctx.vtn.new_id("series"))
    second = make_event(ctx.vtn.new_id("series"))
    period = first.event.active_period
    later = dataclasses.replace(period, dtstart=period.dtstart + period.duration)
    second = dataclasses.replace(second, event=dataclasses.replace(second.event,
                                                                   active_period=later))
    return await _answered(ctx, first, second)


async def a_e1_0190(ctx: Context) -> Verdict:
    """Static requestID: two payloads under one requestID; the event the second adds is
    answered 200."""
    if (problem := await ctx.registered()) is not None:
        return problem
    vtn = ctx.vtn
    request_id = vtn.new_id("static")
    first = make_event(vtn.new_id("static"))
    second = make_event(vtn.new_id("static"))
    for events in ((first,), (first, second)):
        mark = len(vtn.records)
        vtn.events = events
        if (missed := await ctx.deliver(DistributeEvent(
                request_id=request_id, vtn_id=vtn.vtn_id, events=events))) is not None:
            return missed
        newest = events[-1]
        if (verdict := _answered_ok(await ctx.answer_of(mark, _id(newest), 0), _id(newest),
                                    0)) != PASSED:
            return verdict
    return PASSED


async def a_e1_0300(ctx: Context) -> Verdict:
    """Non-matching eiTarget: an event for another venID is not opted into (no optIn 200)."""
    event = make_event(ctx.vtn.new_id("elsewhere"))
    event = dataclasses.replace(event, event=dataclasses.replace(
        event.event, target=Target(ven_ids=("some-other-ven",))))
    return await _not_accepted(ctx, event, what="an eiTarget naming another VEN")


async def a_e1_0325(ctx: Context) -> Verdict:
    """Non-matching marketContext: an event of another program is not opted into."""
    event = _changed(make_event(ctx.vtn.new_id("market")), market_context=OTHER_MARKET)
    return await _not_accepted(ctx, event, what=f"market context {OTHER_MARKET}")


async def a_e1_0360(ctx: Context) -> Verdict:
    """Mixed valid and invalid: the valid event answered 200, the other market's not opted
    into."""
    good = make_event(ctx.vtn.new_id("valid"))
    bad = _changed(make_event(ctx.vtn.new_id("invalid")), market_context=OTHER_MARKET)
    return await _not_accepted(ctx, bad, good, what=f"market context {OTHER_MARKET}")


async def a_e1_0340(ctx: Context) -> Verdict:
    """Mixed current and expired: the far event answered 200; the completed one not refused
    with an error code."""
    if (problem := await ctx.registered()) is not None:
        return problem
    current = make_event(ctx.vtn.new_id("current"))
    expired = make_event(ctx.vtn.new_id("expired"))
    period = dataclasses.replace(expired.event.active_period,
                                 dtstart=datetime.now(UTC).replace(microsecond=0)
                                 - timedelta(hours=2))
    expired = dataclasses.replace(expired, event=dataclasses.replace(
        _changed(expired, event_status=EventStatus.COMPLETED).event, active_period=period))
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(expired, current)) is not None:
        return missed
    if (verdict := _answered_ok(await ctx.answer_of(mark, _id(current), 0), _id(current),
                                0)) != PASSED:
        return verdict
    refused = [a for a in ctx.answers(mark, _id(expired)) if int(a.response_code) >= 400]
    if refused:
        return Outcome.FAIL, (f"the completed event {_id(expired)} was refused with "
                              f"{int(refused[0].response_code)}")
    return PASSED


async def a_e1_0345(ctx: Context) -> Verdict:
    """Unknown cancelled event: not refused with an error code; polling goes on."""
    if (problem := await ctx.registered()) is not None:
        return problem
    unknown = _changed(make_event(ctx.vtn.new_id("ghost"), modification=1),
                       event_status=EventStatus.CANCELLED)
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(unknown)) is not None:
        return missed
    if not await ctx.polls(3):
        return Outcome.FAIL, "the VEN stopped polling after an unknown cancelled event"
    refused = [a for a in ctx.answers(mark, _id(unknown)) if int(a.response_code) >= 400]
    if refused:
        return Outcome.FAIL, (f"the unknown cancelled event was refused with "
                              f"{int(refused[0].response_code)}")
    return PASSED


async def a_e1_0392(ctx: Context) -> Verdict:
    """Lower modificationNumber: after modification 2, modification 1 of the same event is
    not accepted (no 200 for it)."""
    if (problem := await ctx.registered()) is not None:
        return problem
    newer = make_event(ctx.vtn.new_id("lower"), modification=2)
    if (verdict := await _answered(ctx, newer)) != PASSED:
        return verdict
    older = make_event(_id(newer), modification=1)
    mark = len(ctx.vtn.records)
    if (missed := await ctx.deliver(DistributeEvent(
            request_id=ctx.vtn.new_id("distribute"), vtn_id=ctx.vtn.vtn_id, events=(older,)),
            deliberate=True)) is not None:
        return missed
    if not await ctx.polls(3):
        return Outcome.FAIL, "the VEN stopped polling after a lower modificationNumber"
    taken = [a for a in ctx.answers(mark, _id(older))
             if a.qualified_event_id.modification_number == 1 and int(a.response_code) == 200]
    if taken:
        return Outcome.FAIL, (f"the VEN accepted modification 1 of {_id(older)} after "
                              "modification 2 (answered 200)")
    return PASSED


async def a_e1_0295(ctx: Context) -> Verdict:
    """Two VTNs: n/a, the harness plays one VTN."""
    del ctx
    return Outcome.NOT_APPLICABLE, "the harness plays one VTN: two VTNs cannot be tested here"


EVENT_CASES: tuple[tuple[str, str, Callable[[Context], Awaitable[Verdict]]], ...] = (
    ("A_E1_0020_TH_VTN", "No events", a_e1_0020),
    ("A_E1_0040_TH_VTN", "24-prices event", a_e1_0040),
    ("A_E1_0060_TH_VTN", "Optional elements", a_e1_0060),
    ("A_E1_0070_TH_VTN", "eiTarget sub-elements", a_e1_0070),
    ("A_E1_0180_TH_VTN", "New, modified and cancelled events in one payload", a_e1_0180),
    ("A_E1_0185_TH_VTN", "oadrCreatedEvent acknowledged", a_e1_0185),
    ("A_E1_0190_TH_VTN", "Static requestID", a_e1_0190),
    ("A_E1_0200_TH_VTN", "Limit values", a_e1_0200),
    ("A_E1_0270_TH_VTN", "Multiple event execution", a_e1_0270),
    ("A_E1_0295_TH_VTN", "Two VTNs", a_e1_0295),
    ("A_E1_0300_TH_VTN", "Non-matching eiTarget", a_e1_0300),
    ("A_E1_0325_TH_VTN", "Non-matching marketContext", a_e1_0325),
    ("A_E1_0340_TH_VTN", "Mixed current and expired events", a_e1_0340),
    ("A_E1_0345_TH_VTN", "Unknown cancelled event", a_e1_0345),
    ("A_E1_0360_TH_VTN", "Mixed valid and invalid events", a_e1_0360),
    ("A_E1_0392_TH_VTN", "Lower modificationNumber", a_e1_0392),
)
"""(ID, title, script) of each ported case here, in run order."""
