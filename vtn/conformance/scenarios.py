"""The scripted registration and event cases, named by their certification IDs
(CONFORMANCE.md §2.2), and what every case works with (``Context``, ``Case``, ``push_id``);
the whole table, with the P, R, G and ported A_E cases, is ``catalog``.

Each case is an ``async`` function of a ``Context`` returning ``(Outcome, reason)``. It
drives the VEN only through the protocol: what the harness queues for its polls and how it
answers; steps that need a person on the VEN's side go through the ``Operator``. The rule
findings on the VEN's messages are added by the runner (any finding fails a case).

Interpretations (the harness's own texts are not copied, only its case names):

- N1_0010 passes on an oadrQueryRegistration seen at any time in the run (our VEN queries
  before it registers); without one, the operator is asked to cause it.
- N1_0050: the VEN must re-register with its current registrationID; an oadrResponse
  acknowledging the request is recorded but not required.
- E1_1065 "VEN ignores oadrCreatedEvent": an event with responseRequired=never must get no
  oadrCreatedEvent.
- E1_1080 and A_E1_0390: a payload with a case-swapped (or unknown) vtnID must not be
  accepted: no 2xx answer for its event; an error answer or silence passes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from common.messages.enums import (
    EventStatus,
    ExtensionValue,
    OptType,
    ResponseCode,
    ResponseRequired,
    SignalName,
    SignalType,
)
from common.messages.event import (
    CreatedEvent,
    DistributeEvent,
    EiEvent,
    EventDescriptor,
    EventResponse,
    EventSignal,
    OadrEvent,
)
from common.messages.opt import CreateOpt
from common.messages.poll import Poll
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatePartyRegistration,
    QueryRegistration,
    RequestReregistration,
)
from common.messages.report import RegisteredReport, RegisterReport
from common.messages.types import Interval, ItemBase, Message, Period, Target
from vtn.conformance.operator import Observation, Operator, Step, StepOutcome
from vtn.conformance.records import Outcome
from vtn.conformance.server import ScriptedVtn

__all__ = ["BASE_CASES", "PASSED", "Case", "Context", "Verdict", "make_event", "push_id"]

MARKET_CONTEXT = "http://conformance.example/market"

Verdict = tuple[Outcome, str]
PASSED: Verdict = (Outcome.PASS, "")


@dataclass
class Context:
    """What a case works with: the fake VTN, the operator, its time limits [s], and the index
    of the first record it is judged on (``start``; a bootstrap case moves it to 0)."""

    case_id: str
    vtn: ScriptedVtn
    operator: Operator
    timeout: float
    quiet: float
    start: int = 0

    async def polls(self, count: int, after: int | None = None) -> bool:
        """Whether the VEN polled `count` times after record `after` (default: now). Push
        variants: a push VEN does not poll; this waits ``quiet`` seconds (so what the VEN
        would send by then is judged) and says True."""
        if self.vtn.push:
            await self.vtn.until(lambda: False, self.quiet)
            return True
        index = len(self.vtn.records) if after is None else after
        return await self.vtn.until(
            lambda: len(self.vtn.received(index, Poll)) >= count, self.timeout)

    async def registered(self) -> Verdict | None:
        """``None`` once the VEN is registered and polls; else the failing verdict."""
        vtn = self.vtn
        if not await vtn.until(lambda: vtn.registration is not None, self.timeout):
            return Outcome.FAIL, "the VEN is not registered with the harness"
        pushed = vtn.registration is not None and vtn.registration.push_address is not None
        if pushed != vtn.push:
            return Outcome.FAIL, (f"the VEN registered for {'push' if pushed else 'pull'}; "
                                  f"these are the {'push' if vtn.push else 'pull'} variants")
        if not await self.polls(1):
            return Outcome.FAIL, "the registered VEN does not poll"
        return None

    async def deliver(self, message: Message, *, deliberate: bool = False,
                      on_delivery: Callable[[], None] | None = None) -> Verdict | None:
        """Queue `message` and wait until a poll takes it; ``None`` once taken."""
        item = self.vtn.queue(message, deliberate=deliberate, on_delivery=on_delivery)
        if not await self.vtn.until(lambda: self.vtn.delivered(item), self.timeout):
            return Outcome.FAIL, f"the VEN did not poll for {type(message).__name__}"
        return None

    async def offer(self, *events: OadrEvent, vtn_id: str | None = None) -> Verdict | None:
        """Deliver an oadrDistributeEvent of `events` (with `vtn_id`, a deliberate fault when
        it is not the harness's)."""
        deliberate = vtn_id is not None and vtn_id != self.vtn.vtn_id
        if not deliberate:
            self.vtn.events = events
        return await self.deliver(DistributeEvent(
            request_id=self.vtn.new_id("distribute"), vtn_id=vtn_id or self.vtn.vtn_id,
            events=events), deliberate=deliberate)

    def answers(self, after: int, event_id: str) -> list[EventResponse]:
        """The VEN's eventResponses for `event_id` since record `after`."""
        return [answer for created in self.vtn.received(after, CreatedEvent)
                for answer in created.event_responses  # type: ignore[attr-defined]
                if answer.qualified_event_id.event_id == event_id]

    async def answer_of(self, after: int, event_id: str, modification: int
                        ) -> EventResponse | None:
        """Wait for the VEN's answer to (`event_id`, `modification`), then for one more poll
        (so the answer-before-poll rule is judged); the answer or ``None``."""
        def found() -> EventResponse | None:
            return next((a for a in self.answers(after, event_id)
                         if a.qualified_event_id.modification_number == modification), None)
        if not await self.vtn.until(lambda: found() is not None, self.timeout):
            return None
        await self.polls(1)
        return found()

    async def observe(self, event_id: str, what: str) -> Observation | Verdict:
        """The VEN's state of `event_id` as the operator reads it (`what` says what the case
        looks for); or the verdict when nobody can read it."""
        outcome, reason, seen = await self.operator.observe(Step(
            self.case_id, "observe-event",
            f"report the VEN's state of event {event_id} ({what})", event_id))
        if outcome is StepOutcome.DONE and seen is not None:
            return seen
        if outcome is StepOutcome.UNSUPPORTED:
            return Outcome.NEEDS_OPERATOR, f"needs an operator who can read the VEN: {reason}"
        return Outcome.FAIL, f"the observation of event {event_id} failed: {reason}"

    async def ask(self, step: Step) -> Verdict | None:
        """Have the operator take `step`; ``None`` when done, else the verdict."""
        outcome, reason = await self.operator.perform(step)
        if outcome is StepOutcome.DONE:
            return None
        if outcome is StepOutcome.UNSUPPORTED:
            return Outcome.NEEDS_OPERATOR, f"{step.text}: {reason}"
        return Outcome.FAIL, f"the operator step failed ({step.text}): {reason}"


def make_event(event_id: str, *, modification: int = 0,
               signal: SignalName | ExtensionValue = SignalName.SIMPLE,
               signal_type: SignalType = SignalType.LEVEL, value: float = 1.0,
               item_base: ItemBase | None = None,
               response: ResponseRequired = ResponseRequired.ALWAYS,
               test_event: str | None = None) -> OadrEvent:
    """A far event starting in an hour, 30 minutes long, one interval of `value`."""
    now = datetime.now(UTC).replace(microsecond=0)
    descriptor = EventDescriptor(
        event_id=event_id, modification_number=modification, market_context=MARKET_CONTEXT,
        created_date_time=now, event_status=EventStatus.FAR, test_event=test_event)
    length = timedelta(minutes=30)
    signal_element = EventSignal(
        intervals=(Interval(payloads=(value,), duration=length, uid="0"),),
        signal_name=signal, signal_type=signal_type, signal_id=f"{event_id}-signal",
        item_base=item_base, current_value=0.0)
    event = EiEvent(event_descriptor=descriptor,
                    active_period=Period(dtstart=now + timedelta(hours=1), duration=length),
                    event_signals=(signal_element,), target=Target())
    return OadrEvent(event=event, response_required=response)


def _answered_ok(answer: EventResponse | None, event_id: str, modification: int) -> Verdict:
    if answer is None:
        return Outcome.FAIL, (f"no oadrCreatedEvent answer to event {event_id} "
                              f"(modification {modification})")
    if int(answer.response_code) != ResponseCode.OK:
        return Outcome.FAIL, (f"event {event_id} was answered with code "
                              f"{int(answer.response_code)}, expected 200")
    return PASSED


# ---- registration ---------------------------------------------------------------------------


async def n1_0010(ctx: Context) -> Verdict:
    ctx.start = 0
    vtn = ctx.vtn

    def bootstrapped() -> bool:
        return bool(vtn.received(0, QueryRegistration) or vtn.received(0, CreatePartyRegistration))

    await vtn.until(bootstrapped, ctx.timeout)
    if vtn.received(0, QueryRegistration):
        return PASSED
    mark = len(vtn.records)
    asked = await ctx.ask(Step(ctx.case_id, "query-registration",
                               "make the VEN send oadrQueryRegistration"))
    if asked is not None:
        return asked
    if not await vtn.until(lambda: bool(vtn.received(mark, QueryRegistration)), ctx.timeout):
        return Outcome.FAIL, "no oadrQueryRegistration arrived"
    return PASSED


async def n1_0020(ctx: Context) -> Verdict:
    ctx.start = 0
    vtn = ctx.vtn

    def seen(kind: type) -> bool:
        return bool(vtn.received(0, kind))

    if not await vtn.until(lambda: seen(CreatePartyRegistration), ctx.timeout):
        return Outcome.FAIL, "the VEN sent no oadrCreatePartyRegistration"
    registration = vtn.received(0, CreatePartyRegistration)[0]
    if (registration.http_pull_model is False) != vtn.push:  # type: ignore[attr-defined]
        return Outcome.FAIL, (f"the VEN registered for "
                              f"{'pull' if vtn.push else 'push'}; these are the "
                              f"{'push' if vtn.push else 'pull'} variants")
    if not await vtn.until(lambda: seen(RegisterReport), ctx.timeout):
        return Outcome.FAIL, "the VEN sent no oadrRegisterReport after registering"
    if not await vtn.until(lambda: seen(RegisteredReport), ctx.timeout):
        return Outcome.FAIL, ("the VEN did not answer the VTN's oadrRegisterReport with "
                              "oadrRegisteredReport")
    answered = max(i for i, r in enumerate(vtn.records) if isinstance(r.message,
                                                                         RegisteredReport))
    if not await ctx.polls(1, after=answered):
        return Outcome.FAIL, "the VEN did not poll after the registration sequence"
    return PASSED


async def n1_0030(ctx: Context) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    vtn = ctx.vtn
    current = vtn.registration
    assert current is not None  # registered() said so
    mark = len(vtn.records)
    asked = await ctx.ask(Step(ctx.case_id, "cancel-registration",
                               "make the VEN cancel its registration"))
    if asked is not None:
        return asked
    if not await vtn.until(lambda: bool(vtn.received(mark, CancelPartyRegistration)),
                           ctx.timeout):
        return Outcome.FAIL, "no oadrCancelPartyRegistration arrived"
    cancel = vtn.received(mark, CancelPartyRegistration)[0]
    if cancel.registration_id != current.registration_id:  # type: ignore[attr-defined]
        return Outcome.FAIL, (f"the VEN cancelled registrationID {cancel.registration_id!r}, "  # type: ignore[attr-defined]
                              f"its own is {current.registration_id!r}")
    verdict = await _stays_unregistered(ctx, len(vtn.records))
    # Best effort, judged by no case: the VEN registers again for the cases after this one.
    await ctx.operator.perform(Step(ctx.case_id, "register", "make the VEN register again"))
    return verdict


async def n1_0040(ctx: Context) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    vtn = ctx.vtn
    current = vtn.registration
    assert current is not None  # registered() said so
    mark = len(vtn.records)

    def forget() -> None:
        vtn.registration = None

    missed = await ctx.deliver(CancelPartyRegistration(
        request_id=vtn.new_id("cancel"), registration_id=current.registration_id,
        ven_id=current.ven_id), on_delivery=forget)
    if missed is not None:
        return missed
    if not await vtn.until(lambda: bool(vtn.received(mark, CanceledPartyRegistration)),
                           ctx.timeout):
        return Outcome.FAIL, "the VEN did not answer with oadrCanceledPartyRegistration"
    answer = vtn.received(mark, CanceledPartyRegistration)[0]
    code = int(answer.response.response_code)  # type: ignore[attr-defined]
    if code != ResponseCode.OK:
        return Outcome.FAIL, f"oadrCanceledPartyRegistration carries code {code}, expected 200"
    return await _stays_unregistered(ctx, len(vtn.records))


async def _stays_unregistered(ctx: Context, after: int) -> Verdict:
    """Watch the VEN for ``quiet`` seconds: it must neither poll nor register again."""
    vtn = ctx.vtn

    def relapsed() -> bool:
        return bool(vtn.received(after, Poll) or vtn.received(after, CreatePartyRegistration))

    if await vtn.until(relapsed, ctx.quiet):
        sent = "polled" if vtn.received(after, Poll) else "registered again"
        return Outcome.FAIL, f"the VEN {sent} after its registration was cancelled"
    return PASSED


async def n1_0050(ctx: Context) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    vtn = ctx.vtn
    current = vtn.registration
    assert current is not None  # registered() said so
    mark = len(vtn.records)
    missed = await ctx.deliver(RequestReregistration(ven_id=current.ven_id))
    if missed is not None:
        return missed
    if not await vtn.until(lambda: bool(vtn.received(mark, CreatePartyRegistration)),
                           ctx.timeout):
        return Outcome.FAIL, "the VEN did not re-register after oadrRequestReregistration"
    again = vtn.received(mark, CreatePartyRegistration)[0]
    if again.registration_id != current.registration_id:  # type: ignore[attr-defined]
        return Outcome.FAIL, (f"the re-registration carries registrationID "
                              f"{again.registration_id!r}, expected "  # type: ignore[attr-defined]
                              f"{current.registration_id!r}")
    if not await ctx.polls(1):
        return Outcome.FAIL, "the VEN did not poll after re-registering"
    return PASSED


async def n1_0070(ctx: Context) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    vtn = ctx.vtn
    current = vtn.registration
    assert current is not None  # registered() said so
    mark = len(vtn.records)
    missed = await ctx.deliver(CancelPartyRegistration(
        request_id=vtn.new_id("cancel"), registration_id="foreign-registration",
        ven_id=current.ven_id), deliberate=True)
    if missed is not None:
        return missed
    if not await vtn.until(lambda: bool(vtn.received(mark, CanceledPartyRegistration)),
                           ctx.timeout):
        return Outcome.FAIL, ("the VEN did not answer a cancellation of a foreign "
                              "registrationID with oadrCanceledPartyRegistration")
    answer = vtn.received(mark, CanceledPartyRegistration)[0]
    code = int(answer.response.response_code)  # type: ignore[attr-defined]
    if code != ResponseCode.INVALID_ID:
        return Outcome.FAIL, f"the VEN answered the foreign cancellation with {code}, expected 452"
    if not await ctx.polls(1):
        return Outcome.FAIL, "the VEN stopped polling after a foreign cancellation"
    if vtn.received(mark, CreatePartyRegistration):
        return Outcome.FAIL, "the VEN registered again after a foreign cancellation"
    return PASSED


# ---- events ---------------------------------------------------------------------------------


async def e1_1010(ctx: Context) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer()) is not None:
        return missed
    if not await ctx.polls(2):
        return Outcome.FAIL, "the VEN stopped polling after an empty oadrDistributeEvent"
    refused = [a for a in ctx.vtn.received(mark, CreatedEvent)
               if not a.response.ok]  # type: ignore[attr-defined]
    if refused:
        return Outcome.FAIL, "the VEN refused an empty oadrDistributeEvent"
    return PASSED


async def _one_event(ctx: Context, event: OadrEvent) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(event)) is not None:
        return missed
    descriptor = event.event.event_descriptor
    answer = await ctx.answer_of(mark, descriptor.event_id, descriptor.modification_number)
    return _answered_ok(answer, descriptor.event_id, descriptor.modification_number)


async def e1_1020(ctx: Context) -> Verdict:
    return await _one_event(ctx, make_event(
        ctx.vtn.new_id("price"), signal=SignalName.ELECTRICITY_PRICE,
        signal_type=SignalType.PRICE, value=0.25, item_base=ItemBase.currency("USD")))


async def e1_1025(ctx: Context) -> Verdict:
    return await _one_event(ctx, make_event(
        ctx.vtn.new_id("dispatch"), signal=SignalName.LOAD_DISPATCH,
        signal_type=SignalType.SETPOINT, value=50.0, item_base=ItemBase.power()))


async def a_e1_0110(ctx: Context) -> Verdict:
    return await _one_event(ctx, make_event(ctx.vtn.new_id("late"), modification=3))


async def a_e1_0130(ctx: Context) -> Verdict:
    return await _one_event(ctx, make_event(ctx.vtn.new_id("test"), test_event="true"))


async def e1_1030(ctx: Context) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    first = make_event(ctx.vtn.new_id("seq"))
    first_id = first.event.event_descriptor.event_id
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(first)) is not None:
        return missed
    if (verdict := _answered_ok(await ctx.answer_of(mark, first_id, 0), first_id, 0)) != PASSED:
        return verdict
    modified = make_event(first_id, modification=1, value=2.0)
    second = make_event(ctx.vtn.new_id("seq"))
    second_id = second.event.event_descriptor.event_id
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(modified, second)) is not None:
        return missed
    for event_id, modification in ((first_id, 1), (second_id, 0)):
        answer = await ctx.answer_of(mark, event_id, modification)
        if (verdict := _answered_ok(answer, event_id, modification)) != PASSED:
            return verdict
    return PASSED


async def e1_1065(ctx: Context) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    event = make_event(ctx.vtn.new_id("silent"), response=ResponseRequired.NEVER)
    event_id = event.event.event_descriptor.event_id
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(event)) is not None:
        return missed
    if not await ctx.polls(3):
        return Outcome.FAIL, "the VEN stopped polling"
    if ctx.answers(mark, event_id):
        return Outcome.FAIL, (f"the VEN sent oadrCreatedEvent for {event_id}, whose "
                              "responseRequired is never")
    return PASSED


async def e1_1070(ctx: Context) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    event = make_event(ctx.vtn.new_id("custom"), signal=ExtensionValue("x-conformanceCustom"))
    event_id = event.event.event_descriptor.event_id
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(event)) is not None:
        return missed
    answer = await ctx.answer_of(mark, event_id, 0)
    if answer is None:
        return Outcome.FAIL, f"no oadrCreatedEvent answer to the custom-signal event {event_id}"
    code = int(answer.response_code)
    if code != ResponseCode.SIGNAL_NOT_SUPPORTED and answer.opt_type is not OptType.OPT_OUT:
        return Outcome.FAIL, (f"the custom-signal event was answered {code} "
                              f"{answer.opt_type}, expected 460 or optOut")
    return PASSED


async def _refuses_vtn_id(ctx: Context, vtn_id: str) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    event = make_event(ctx.vtn.new_id("foreign"))
    event_id = event.event.event_descriptor.event_id
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(event, vtn_id=vtn_id)) is not None:
        return missed
    if not await ctx.polls(3):
        return Outcome.FAIL, "the VEN stopped polling"
    accepted = [a for a in ctx.answers(mark, event_id) if 200 <= int(a.response_code) < 300]
    if accepted:
        return Outcome.FAIL, (f"the VEN accepted event {event_id} from vtnID {vtn_id!r} "
                              f"(answered {accepted[0].opt_type} 200); the harness is "
                              f"{ctx.vtn.vtn_id!r}")
    return PASSED


async def e1_1080(ctx: Context) -> Verdict:
    return await _refuses_vtn_id(ctx, ctx.vtn.vtn_id.swapcase())


async def a_e1_0390(ctx: Context) -> Verdict:
    return await _refuses_vtn_id(ctx, "UNKNOWN-VTN-9")


async def a_e1_0280(ctx: Context) -> Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    event = make_event(ctx.vtn.new_id("optout"))
    event_id = event.event.event_descriptor.event_id
    mark = len(ctx.vtn.records)
    if (missed := await ctx.offer(event)) is not None:
        return missed
    if (verdict := _answered_ok(await ctx.answer_of(mark, event_id, 0), event_id, 0)) != PASSED:
        return verdict
    mark = len(ctx.vtn.records)
    asked = await ctx.ask(Step(ctx.case_id, "opt-out", f"opt the VEN out of event {event_id}",
                               event_id))
    if asked is not None:
        return asked

    def opted_out() -> bool:
        return (any(a.opt_type is OptType.OPT_OUT for a in ctx.answers(mark, event_id))
                or any(o.event_id == event_id for o in ctx.vtn.received(mark, CreateOpt)))  # type: ignore[attr-defined]

    if not await ctx.vtn.until(opted_out, ctx.timeout):
        return Outcome.FAIL, f"the VEN sent no optOut for {event_id} after the operator's opt-out"
    return PASSED


# ---- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One case: its ID, title and script."""

    id: str
    title: str
    run: Callable[[Context], Awaitable[Verdict]]


BASE_CASES: tuple[Case, ...] = (
    Case("N1_0010_TH_VTN", "VEN query registration", n1_0010),
    Case("N1_0020_TH_VTN", "Bootstrap sequence", n1_0020),
    Case("E1_1010_TH_VTN", "Empty oadrDistributeEvent", e1_1010),
    Case("E1_1020_TH_VTN", "ELECTRICITY_PRICE event answered", e1_1020),
    Case("E1_1025_TH_VTN", "LOAD_DISPATCH setpoint event", e1_1025),
    Case("E1_1030_TH_VTN", "Two oadrDistributeEvent sequences", e1_1030),
    Case("E1_1065_TH_VTN", "No oadrCreatedEvent when responseRequired is never", e1_1065),
    Case("E1_1070_TH_VTN", "Negative: custom event signal", e1_1070),
    Case("E1_1080_TH_VTN", "Negative: case-swapped vtnID", e1_1080),
    Case("A_E1_0110_TH_VTN", "New event with modificationNumber > 0", a_e1_0110),
    Case("A_E1_0130_TH_VTN", "Test event", a_e1_0130),
    Case("A_E1_0280_TH_VTN", "Asynchronous opt-out", a_e1_0280),
    Case("A_E1_0390_TH_VTN", "Unrecognized vtnID", a_e1_0390),
    Case("N1_0050_TH_VTN", "VTN requests re-registration", n1_0050),
    Case("N1_0070_TH_VTN", "Negative: cancellation of a foreign registrationID", n1_0070),
    Case("N1_0030_TH_VTN", "VEN cancels its registration", n1_0030),
    Case("N1_0040_TH_VTN", "VTN cancels the registration", n1_0040),
)
"""The cases written here, in run order (the cancellations last: they end the registration);
``catalog.CASES`` is every case."""


def push_id(case_id: str) -> str:
    """The push twin of a pull case ID: N1_0010 -> N0_5010, E1_1020 -> E0_6020,
    A_E1_0110 -> A_E0_0110 (the ``_TH_VTN`` suffix kept)."""
    if case_id.startswith("A_E1_"):
        return "A_E0_" + case_id[5:]
    series, number, rest = case_id[0], int(case_id[3:7]), case_id[7:]
    return f"{series}0_{number + 5000:04d}{rest}"
