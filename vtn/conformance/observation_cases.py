"""Ported 2.0a observation and randomisation cases where the VEN is tested (A_E1_0210-0268
pull, A_E0_* push): what the VEN does with an event in time, read through the operator
(``Context.observe``: the VEN's own "active event indicator", its state of the event and the
start and end it executes).

The certification harness has a person watch the VEN for minutes (an event starting in two
minutes and lasting three, a randomised start within four). The kit does not wait for time to
pass: it offers events whose timing it knows, reads at once the schedule the VEN says it will
execute, and judges that schedule against the event (times compared within ``SLACK``). Whether
the building's load follows the schedule is not read (that needs a meter and stays with a
person); an operator who cannot read the VEN makes every case here ``needs-operator``.

- 0210 simple: an event starting in two minutes, three minutes long (two intervals): answered
  optIn 200; the VEN holds it pending (far or near) from dtstart to dtstart + 3 min.
- 0220 modify pending: that event moved to start in one minute (modification 1): answered;
  the VEN now holds dtstart' to dtstart' + 3 min.
- 0230 modify active: an event active since a minute ago (three minutes long) is lengthened
  to six (modification 1): answered; the VEN holds it active until the new end.
- 0240 cancel / 0250 dispatch: an active event (0250: SIMPLE level 2, the harness's dispatch
  payload) cancelled at modification 1: answered; the VEN no longer executes it, or stops
  within a minute of the cancellation (no startafter window: the harness's one minute).
- 0260 randomisation: three pending events with a 20-minute startafter window: each
  executed from a start within [dtstart, dtstart + window] for its whole duration, and the
  three offsets not all the same (the harness asks a person to run the case several times and
  see the start change).
- 0262 modified-event randomisation: those three events moved 10 minutes later
  (modification 1): each start within its new window, the offsets not all the same.
- 0267 explicit / 0268 implicit cancellation randomisation, three rounds: an event active for
  30 minutes already (so its own randomised start is past), with a 20-minute startafter
  window, is cancelled (0267: eventStatus cancelled at modification 1, answered; 0268: a
  payload without it, not answered); the VEN must stop at a moment within the window from the
  cancellation (still active until then, or cancelled at once when its draw is 0), and the
  three stops must not all come at the same offset (stopping at once every time is the
  failure this catches).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from common.messages.enums import EventStatus
from common.messages.event import DistributeEvent, OadrEvent
from vtn.conformance.operator import Observation
from vtn.conformance.records import Outcome
from vtn.conformance.scenarios import PASSED, Context, Verdict
from vtn.conformance.state_cases import answered, timed

__all__ = ["OBSERVATION_CASES", "SLACK", "judge_spread"]

SLACK = timedelta(seconds=2)
"""How far a reported time may be from the expected one (the VEN may round to the second,
and the harness's "now" is read a moment before the VEN's)."""
WINDOW = timedelta(minutes=20)
"""The startafter window of the randomisation cases."""
PENDING = (EventStatus.FAR.value, EventStatus.NEAR.value)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _id(event: OadrEvent) -> str:
    return event.event.event_descriptor.event_id


def _start(event: OadrEvent) -> datetime:
    return event.event.active_period.dtstart


def _length(event: OadrEvent) -> timedelta:
    return event.event.active_period.duration


def _untimed(seen: Observation, event: OadrEvent, *, end: bool = True) -> Verdict | None:
    """``needs-operator`` when the observation gave no start (or `end`) time to judge (a
    person at a prompt reports the state only); else ``None``."""
    if seen.start is None or (end and seen.end is None):
        return Outcome.NEEDS_OPERATOR, (f"the observation of event {_id(event)} reported its "
                                        f"state ({seen.status}) but not the start and end the "
                                        "VEN executes, which this case judges")
    return None


def _near(seen: datetime | None, expected: datetime) -> bool:
    return seen is not None and abs(seen - expected) <= SLACK


def _show(moment: datetime | None) -> str:
    return "not reported" if moment is None else moment.astimezone(UTC).strftime("%H:%M:%S")


async def _offer_answered(ctx: Context, *events: OadrEvent, opt_in: bool = True
                          ) -> Verdict:
    """Offer `events` in one payload; each answered 200 (optIn when `opt_in`)."""
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(*events)) is not None:
        return missed
    for event in events:
        if (verdict := await answered(ctx, mark, event, opt_in=opt_in)) != PASSED:
            return verdict
    return PASSED


async def _schedule(ctx: Context, event: OadrEvent, states: tuple[str, ...], what: str
                    ) -> Verdict:
    """The VEN holds `event` in one of `states`, executing dtstart to dtstart + duration."""
    seen = await ctx.observe(_id(event), what)
    if not isinstance(seen, Observation):
        return seen
    start, end = _start(event), _start(event) + _length(event)
    if seen.status not in states:
        return Outcome.FAIL, (f"the VEN holds event {_id(event)} as {seen.status}, expected "
                              f"{' or '.join(states)}")
    if (untimed := _untimed(seen, event)) is not None:
        return untimed
    if not _near(seen.start, start) or not _near(seen.end, end):
        return Outcome.FAIL, (f"the VEN executes event {_id(event)} from {_show(seen.start)} "
                              f"to {_show(seen.end)}, expected {_show(start)} to {_show(end)}")
    return PASSED


def _changed(event: OadrEvent, *, start: datetime | None = None,
             length: timedelta | None = None) -> OadrEvent:
    """`event` at the next modificationNumber with a new start or length."""
    descriptor = event.event.event_descriptor
    period = event.event.active_period
    return timed(descriptor.event_id, start=start or period.dtstart,
                 length=length or period.duration, status=descriptor.event_status,
                 modification=descriptor.modification_number + 1,
                 value=event.event.event_signals[0].intervals[0].payloads[0],
                 startafter=period.tolerance_startafter,
                 intervals=len(event.event.event_signals[0].intervals))


async def a_e1_0210(ctx: Context) -> Verdict:
    """Observation, simple: an event in two minutes for three: held pending, with its
    window."""
    if (problem := await ctx.registered()) is not None:
        return problem
    event = timed(ctx.vtn.new_id("observe"), start=_now() + timedelta(minutes=2),
                  length=timedelta(minutes=3), intervals=2)
    if (verdict := await _offer_answered(ctx, event)) != PASSED:
        return verdict
    return await _schedule(ctx, event, PENDING, "pending: it starts in 2 minutes, for 3")


async def a_e1_0220(ctx: Context) -> Verdict:
    """Observation, modify pending: the event moved to start in one minute is held with its
    new window."""
    if (problem := await ctx.registered()) is not None:
        return problem
    event = timed(ctx.vtn.new_id("observe"), start=_now() + timedelta(minutes=2),
                  length=timedelta(minutes=3))
    if (verdict := await _offer_answered(ctx, event)) != PASSED:
        return verdict
    moved = _changed(event, start=_now() + timedelta(minutes=1))
    if (verdict := await _offer_answered(ctx, moved, opt_in=False)) != PASSED:
        return verdict
    return await _schedule(ctx, moved, PENDING, "pending: moved to start in 1 minute, for 3")


async def a_e1_0230(ctx: Context) -> Verdict:
    """Observation, modify active: an active event lengthened from three to six minutes is
    held active until its new end."""
    if (problem := await ctx.registered()) is not None:
        return problem
    event = timed(ctx.vtn.new_id("observe"), start=_now() - timedelta(minutes=1),
                  length=timedelta(minutes=3), status=EventStatus.ACTIVE)
    if (verdict := await _offer_answered(ctx, event)) != PASSED:
        return verdict
    if (verdict := await _schedule(ctx, event, ("active",), "active, for 2 more minutes")
            ) != PASSED:
        return verdict
    longer = _changed(event, length=timedelta(minutes=6))
    if (verdict := await _offer_answered(ctx, longer, opt_in=False)) != PASSED:
        return verdict
    return await _schedule(ctx, longer, ("active",), "active, lengthened to 5 more minutes")


async def _cancel_active(ctx: Context, value: float) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    event = timed(ctx.vtn.new_id("observe"), start=_now() - timedelta(minutes=1),
                  length=timedelta(minutes=3), status=EventStatus.ACTIVE, value=value)
    if (verdict := await _offer_answered(ctx, event)) != PASSED:
        return verdict
    if (verdict := await _schedule(ctx, event, ("active",), "active")) != PASSED:
        return verdict
    cancelled = timed(_id(event), start=_start(event), length=_length(event),
                      status=EventStatus.CANCELLED, modification=1, value=value)
    cancelled_at = datetime.now(UTC)
    if (verdict := await _offer_answered(ctx, cancelled, opt_in=False)) != PASSED:
        return verdict
    seen = await ctx.observe(_id(event), "cancelled: it must stop within a minute")
    if not isinstance(seen, Observation):
        return seen
    if seen.status == "active" and seen.end is None:
        return Outcome.NEEDS_OPERATOR, (f"the observation of the cancelled event {_id(event)} "
                                        "reported it active but not when it stops")
    if seen.status == "active" and seen.end is not None and (
            seen.end > cancelled_at + timedelta(minutes=1) + SLACK):
        return Outcome.FAIL, (f"the VEN still executes the cancelled event {_id(event)} until "
                              f"{_show(seen.end)}, more than a minute after the cancellation")
    if seen.status in PENDING:
        return Outcome.FAIL, f"the VEN holds the cancelled event {_id(event)} as {seen.status}"
    return Outcome.PASS, f"after the cancellation the VEN holds the event as {seen.status}"


async def a_e1_0240(ctx: Context) -> Verdict:
    """Observation, cancel: an active event cancelled stops within a minute."""
    return await _cancel_active(ctx, 1.0)


async def a_e1_0250(ctx: Context) -> Verdict:
    """Observation, dispatch: an active SIMPLE level 2 event, then cancelled: it stops
    within a minute."""
    return await _cancel_active(ctx, 2.0)


def judge_spread(offsets: list[timedelta]) -> Verdict:
    """Randomised: the offsets must not all be the same (within ``SLACK``)."""
    if max(offsets) - min(offsets) <= SLACK:
        shown = ", ".join(f"{o.total_seconds():g} s" for o in offsets)
        return Outcome.FAIL, (f"not randomised: the {len(offsets)} events came at the same "
                              f"offset ({shown}) within a {WINDOW.total_seconds():g} s "
                              "startafter window")
    return PASSED


async def _randomised_starts(ctx: Context, events: tuple[OadrEvent, ...]) -> Verdict:
    """Each event executed from within [dtstart, dtstart + WINDOW] for its duration; the
    offsets spread."""
    offsets = []
    for event in events:
        seen = await ctx.observe(_id(event), "its randomised start and end")
        if not isinstance(seen, Observation):
            return seen
        start = _start(event)
        if seen.status not in PENDING:
            return Outcome.FAIL, (f"the VEN holds event {_id(event)} as {seen.status}, "
                                  "expected pending")
        if (untimed := _untimed(seen, event)) is not None:
            return untimed
        assert seen.start is not None  # _untimed said so
        if not start - SLACK <= seen.start <= start + WINDOW + SLACK:
            return Outcome.FAIL, (f"event {_id(event)} starts at {_show(seen.start)}, outside "
                                  f"its startafter window {_show(start)} to "
                                  f"{_show(start + WINDOW)}")
        if not _near(seen.end, seen.start + _length(event)):
            return Outcome.FAIL, (f"event {_id(event)} runs {_show(seen.start)} to "
                                  f"{_show(seen.end)}: not its duration "
                                  f"({_length(event).total_seconds():g} s)")
        offsets.append(seen.start - start)
    if (verdict := judge_spread(offsets)) != PASSED:
        return verdict
    shown = ", ".join(f"{o.total_seconds():g} s" for o in offsets)
    return Outcome.PASS, f"randomised starts at {shown} after dtstart"


def _three_pending(ctx: Context) -> tuple[OadrEvent, ...]:
    now = _now()
    return tuple(timed(ctx.vtn.new_id("random"), start=now + timedelta(hours=n),
                       length=timedelta(minutes=30), startafter=WINDOW) for n in (1, 2, 3))


async def a_e1_0260(ctx: Context) -> Verdict:
    """Randomization: three events with a startafter window start within it, at offsets
    that are not all the same."""
    if (problem := await ctx.registered()) is not None:
        return problem
    events = _three_pending(ctx)
    if (verdict := await _offer_answered(ctx, *events)) != PASSED:
        return verdict
    return await _randomised_starts(ctx, events)


async def a_e1_0262(ctx: Context) -> Verdict:
    """Modified-event randomization: the three events moved 10 minutes later start within
    their new windows."""
    if (problem := await ctx.registered()) is not None:
        return problem
    events = _three_pending(ctx)
    if (verdict := await _offer_answered(ctx, *events)) != PASSED:
        return verdict
    moved = tuple(_changed(e, start=_start(e) + timedelta(minutes=10)) for e in events)
    if (verdict := await _offer_answered(ctx, *moved, opt_in=False)) != PASSED:
        return verdict
    return await _randomised_starts(ctx, moved)


async def _cancel_randomised(ctx: Context, *, explicit: bool) -> Verdict:
    """Three rounds: an active event with a startafter window cancelled (explicitly or by
    leaving it out); the VEN stops within the window, at offsets not all the same."""
    if (problem := await ctx.registered()) is not None:
        return problem
    offsets = []
    for _ in range(3):
        event = timed(ctx.vtn.new_id("stop"), start=_now() - timedelta(minutes=30),
                      length=timedelta(hours=3), status=EventStatus.ACTIVE,
                      startafter=WINDOW)
        if (verdict := await _offer_answered(ctx, event)) != PASSED:
            return verdict
        seen = await ctx.observe(_id(event), "active, before its cancellation")
        if not isinstance(seen, Observation):
            return seen
        if seen.status != "active":
            return Outcome.FAIL, (f"the VEN holds event {_id(event)} (active for 30 minutes, "
                                  f"startafter 20) as {seen.status}, expected active")
        before = datetime.now(UTC)
        if explicit:
            cancelled = timed(_id(event), start=_start(event), length=_length(event),
                              status=EventStatus.CANCELLED, modification=1, startafter=WINDOW)
            if (verdict := await _offer_answered(ctx, cancelled, opt_in=False)) != PASSED:
                return verdict
        else:
            mark = len(ctx.vtn.records)
            ctx.vtn.events = ()
            if (missed := await ctx.deliver(DistributeEvent(
                    request_id=ctx.vtn.new_id("distribute"), vtn_id=ctx.vtn.vtn_id,
                    events=()), deliberate=True)) is not None:
                return missed
            await ctx.polls(1)
            if ctx.answers(mark, _id(event)):
                return Outcome.FAIL, (f"the VEN answered event {_id(event)} after it "
                                      "vanished from the payload")
        after = datetime.now(UTC)
        seen = await ctx.observe(_id(event), "cancelled: it stops at a random moment within "
                                 "its startafter window")
        if not isinstance(seen, Observation):
            return seen
        if seen.status == "active":
            if seen.end is None:
                return Outcome.NEEDS_OPERATOR, (
                    f"the observation of the cancelled event {_id(event)} reported it active "
                    "but not when it stops, which this case judges")
            if not before - SLACK <= seen.end <= after + WINDOW + SLACK:
                return Outcome.FAIL, (f"the cancelled event {_id(event)} runs until "
                                      f"{_show(seen.end)}, outside the startafter window from "
                                      f"the cancellation ({_show(before)} to "
                                      f"{_show(after + WINDOW)})")
            offsets.append(seen.end - before)
        elif seen.status in ("cancelled", "completed", "none"):
            offsets.append(timedelta(0))
        else:
            return Outcome.FAIL, (f"the VEN holds the cancelled event {_id(event)} as "
                                  f"{seen.status}")
    if (verdict := judge_spread(offsets)) != PASSED:
        return verdict
    shown = ", ".join(f"{o.total_seconds():.0f} s" for o in offsets)
    return Outcome.PASS, f"stops randomised at {shown} after the cancellation"


async def a_e1_0267(ctx: Context) -> Verdict:
    """Explicit-cancel randomization: an active event cancelled stops within startafter."""
    return await _cancel_randomised(ctx, explicit=True)


async def a_e1_0268(ctx: Context) -> Verdict:
    """Implicit-cancel randomization: an active event left out stops within startafter."""
    return await _cancel_randomised(ctx, explicit=False)


OBSERVATION_CASES: tuple[tuple[str, str, Callable[[Context], Awaitable[Verdict]]], ...] = (
    ("A_E1_0210_TH_VTN", "Observation: simple event", a_e1_0210),
    ("A_E1_0220_TH_VTN", "Observation: modified pending event", a_e1_0220),
    ("A_E1_0230_TH_VTN", "Observation: modified active event", a_e1_0230),
    ("A_E1_0240_TH_VTN", "Observation: cancelled event", a_e1_0240),
    ("A_E1_0250_TH_VTN", "Observation: dispatch event cancelled", a_e1_0250),
    ("A_E1_0260_TH_VTN", "Randomization", a_e1_0260),
    ("A_E1_0262_TH_VTN", "Modified-event randomization", a_e1_0262),
    ("A_E1_0267_TH_VTN", "Explicit-cancel randomization", a_e1_0267),
    ("A_E1_0268_TH_VTN", "Implicit-cancel randomization", a_e1_0268),
)
"""(ID, title, script) of each case here, in run order."""
