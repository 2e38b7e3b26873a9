"""The P cases (opt schedules; P1_20xx pull, P0_70xx push): the operator makes the VEN send
opt schedules (``opt-schedule``, ``cancel-opt-schedule`` steps) and the harness judges its
oadrCreateOpt / oadrCancelOpt and how it takes the oadrCreatedOpt / oadrCanceledOpt answers.
The automatic oadrCreateOpt rules (optID, plain vavailability, device classes) run on all of
them.

Interpretations (the harness's texts are not copied, only its case names):

- The harness names each schedule's optID in the step; a VEN whose operator cannot choose it
  may use its own: the harness then follows the optID of the VEN's next schedule opt (an
  oadrCreateOpt without an eventID).
- 2010 new schedule: optOut for two hours from an hour ahead: one window, its dtstart and
  duration as asked, the opt type as asked.
- 2015 open-ended: a window without an end: duration 0 (PT0S) in vavailability.
- 2020 cancel: a schedule, then its oadrCancelOpt naming its optID.
- 2030 multiple with targeting: two schedules for two resources: two oadrCreateOpts with
  distinct optIDs, each targeting its resource (eiTarget resourceID).
- 2040 multiple with cancel: two schedules, the first cancelled: an oadrCancelOpt for the
  first only.
- 2050 negative: the harness refuses the schedule (oadrCreatedOpt 454 invalid data): the
  VEN does not send it again as if nothing happened (at most once more) and keeps working
  (polls go on); the operator step may report the refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from common.messages.enums import OptType, ResponseCode
from common.messages.opt import CancelOpt, CreatedOpt, CreateOpt
from common.messages.types import Message
from vtn.conformance.operator import OptWindow, Step, StepOutcome
from vtn.conformance.records import Outcome
from vtn.conformance.scenarios import PASSED, Context, Verdict
from vtn.conformance.server import ok

__all__ = ["OPT_CASES"]

RESOURCES = ("conformance-resource-1", "conformance-resource-2")


def _schedules(ctx: Context, after: int) -> list[CreateOpt]:
    """The VEN's schedule opts (no eventID) since record `after`."""
    return [m for m in ctx.vtn.received(after, CreateOpt)
            if isinstance(m, CreateOpt) and m.qualified_event_id is None]


def _window(duration: timedelta | None, resource: str | None = None,
            opt: str = "out") -> OptWindow:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    return OptWindow(opt, start, duration, resource)


async def _schedule(ctx: Context, window: OptWindow) -> CreateOpt | Verdict:
    """Have the operator send a schedule of `window`; the VEN's oadrCreateOpt."""
    opt_id = ctx.vtn.new_id("th-opt")
    mark = len(ctx.vtn.records)
    asked = await ctx.ask(Step(ctx.case_id, "opt-schedule",
                               f"make the VEN send opt schedule {opt_id}: opt {window.opt} "
                               f"from {window.start.isoformat()} for "
                               f"{window.duration or 'ever (open-ended)'}"
                               + (f" for resource {window.resource_id}"
                                  if window.resource_id else ""),
                               opt_id=opt_id, window=window))
    if asked is not None:
        return asked
    if not await ctx.vtn.until(lambda: bool(_schedules(ctx, mark)), ctx.timeout):
        return Outcome.FAIL, f"the VEN sent no oadrCreateOpt for opt schedule {opt_id}"
    return _schedules(ctx, mark)[0]


def _judge_window(opt: CreateOpt, window: OptWindow) -> Verdict:
    wanted = OptType.OPT_IN if window.opt == "in" else OptType.OPT_OUT
    if opt.opt_type is not wanted:
        return Outcome.FAIL, f"opt schedule {opt.opt_id} is {opt.opt_type}, asked {wanted}"
    windows = opt.vavailability or ()
    if len(windows) != 1:
        return Outcome.FAIL, (f"opt schedule {opt.opt_id} carries {len(windows)} windows, "
                              "asked one")
    sent = windows[0]
    if sent.dtstart != window.start:
        return Outcome.FAIL, (f"opt schedule {opt.opt_id} starts {sent.dtstart.isoformat()}, "
                              f"asked {window.start.isoformat()}")
    duration = window.duration or timedelta(0)
    if sent.duration != duration:
        return Outcome.FAIL, (f"opt schedule {opt.opt_id} lasts {sent.duration}, asked "
                              f"{duration}" + (" (open-ended)" if not window.duration else ""))
    if window.resource_id is not None and window.resource_id not in opt.target.resource_ids:
        return Outcome.FAIL, (f"opt schedule {opt.opt_id} does not target resource "
                              f"{window.resource_id}")
    return PASSED


async def _one(ctx: Context, window: OptWindow) -> CreateOpt | Verdict:
    if (problem := await ctx.registered()) is not None:
        return problem
    opt = await _schedule(ctx, window)
    if not isinstance(opt, CreateOpt):
        return opt
    verdict = _judge_window(opt, window)
    return opt if verdict == PASSED else verdict


async def _cancel(ctx: Context, opt_id: str) -> Verdict | None:
    """Have the operator cancel `opt_id`; ``None`` once the VEN's oadrCancelOpt arrived."""
    mark = len(ctx.vtn.records)
    asked = await ctx.ask(Step(ctx.case_id, "cancel-opt-schedule",
                               f"make the VEN cancel opt schedule {opt_id}", opt_id=opt_id))
    if asked is not None:
        return asked

    def cancelled() -> bool:
        return any(c.opt_id == opt_id  # type: ignore[attr-defined]
                   for c in ctx.vtn.received(mark, CancelOpt))

    if not await ctx.vtn.until(cancelled, ctx.timeout):
        return Outcome.FAIL, f"the VEN sent no oadrCancelOpt for {opt_id}"
    return None


async def p1_2010(ctx: Context) -> Verdict:
    """New opt schedule: the operator's optOut window for two hours from an hour ahead comes
    as one oadrCreateOpt window with that start, duration and type."""
    opt = await _one(ctx, _window(timedelta(hours=2)))
    return opt if not isinstance(opt, CreateOpt) else PASSED


async def p1_2015(ctx: Context) -> Verdict:
    """Open-ended schedule: an optIn window without an end comes with duration 0 (PT0S)."""
    opt = await _one(ctx, _window(None, opt="in"))
    return opt if not isinstance(opt, CreateOpt) else PASSED


async def p1_2020(ctx: Context) -> Verdict:
    """Cancel schedule: a schedule, then an oadrCancelOpt naming its optID."""
    opt = await _one(ctx, _window(timedelta(hours=2)))
    if not isinstance(opt, CreateOpt):
        return opt
    return await _cancel(ctx, opt.opt_id) or PASSED


async def _two(ctx: Context) -> tuple[CreateOpt, CreateOpt] | Verdict:
    opts = []
    for resource in RESOURCES:
        opt = await _one(ctx, _window(timedelta(hours=2), resource))
        if not isinstance(opt, CreateOpt):
            return opt
        opts.append(opt)
    if opts[0].opt_id == opts[1].opt_id:
        return Outcome.FAIL, f"both schedules carry optID {opts[0].opt_id}"
    return opts[0], opts[1]


async def p1_2030(ctx: Context) -> Verdict:
    """Multiple schedules with targeting: two schedules for two resources: distinct optIDs,
    each targeting its resourceID."""
    opts = await _two(ctx)
    return PASSED if isinstance(opts[0], CreateOpt) else opts


async def p1_2040(ctx: Context) -> Verdict:
    """Multiple schedules with cancel: two schedules, the first cancelled: an oadrCancelOpt
    for the first only."""
    opts = await _two(ctx)
    first, second = opts
    if not isinstance(first, CreateOpt) or not isinstance(second, CreateOpt):
        return opts  # type: ignore[return-value]
    mark = len(ctx.vtn.records)
    if (problem := await _cancel(ctx, first.opt_id)) is not None:
        return problem
    if any(isinstance(c, CancelOpt) and c.opt_id == second.opt_id
           for c in ctx.vtn.received(mark, CancelOpt)):
        return Outcome.FAIL, f"the VEN cancelled {second.opt_id} too"
    return PASSED


async def p1_2050(ctx: Context) -> Verdict:
    """Negative: the harness answers the schedule oadrCreatedOpt 454; the VEN sends it at
    most once more and keeps polling."""
    if (problem := await ctx.registered()) is not None:
        return problem
    vtn = ctx.vtn
    refused: list[str] = []

    def refuse(message: Message) -> Message | None:
        if not isinstance(message, CreateOpt) or message.qualified_event_id is not None:
            return None
        refused.append(message.opt_id)
        return CreatedOpt(response=ok(message.request_id, ResponseCode.INVALID_DATA),
                          opt_id=message.opt_id)

    vtn.answer = refuse
    mark = len(vtn.records)
    try:
        opt_id = vtn.new_id("th-opt")
        outcome, reason = await ctx.operator.perform(Step(
            ctx.case_id, "opt-schedule", f"make the VEN send opt schedule {opt_id} (the "
            "harness will refuse it)", opt_id=opt_id, window=_window(timedelta(hours=1))))
        if outcome is StepOutcome.UNSUPPORTED:
            return Outcome.NEEDS_OPERATOR, f"make the VEN send an opt schedule: {reason}"
        if not await vtn.until(lambda: bool(refused), ctx.timeout):
            return Outcome.FAIL, "the VEN sent no oadrCreateOpt for the schedule"
        if not await ctx.polls(2):
            return Outcome.FAIL, "the VEN stopped polling after its schedule was refused"
    finally:
        vtn.answer = None
    again = [o for o in _schedules(ctx, mark) if o.opt_id == refused[0]]
    if len(again) > 2:
        return Outcome.FAIL, (f"the VEN sent the refused schedule {refused[0]} "
                              f"{len(again)} times")
    return PASSED


OPT_CASES: tuple[tuple[str, str, Callable[[Context], Awaitable[Verdict]]], ...] = (
    ("P1_2010_TH_VTN", "New opt schedule", p1_2010),
    ("P1_2015_TH_VTN", "Open-ended opt schedule", p1_2015),
    ("P1_2020_TH_VTN", "Cancel an opt schedule", p1_2020),
    ("P1_2030_TH_VTN", "Multiple opt schedules with targeting", p1_2030),
    ("P1_2040_TH_VTN", "Multiple opt schedules with a cancel", p1_2040),
    ("P1_2050_TH_VTN", "Negative: refused opt schedule", p1_2050),
)
"""(ID, title, script) of each P case, in run order."""
