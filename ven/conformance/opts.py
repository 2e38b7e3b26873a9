"""P1/P0: opt cases (pull, and the same scenarios as push twins), the harness playing the VEN
against the VTN under test: the kit sends opt schedules (oadrCreateOpt with vavailability) and
cancellations (oadrCancelOpt) and checks the VTN's oadrCreatedOpt / oadrCanceledOpt.

How the kit reads the cases (one line each in CONFORMANCE.md §2.2):

- a schedule is an optOut (reason ``notParticipating``) for windows tomorrow, an hour long;
- P1_2015 "open-ended": one window with duration PT0S (xcal: no end);
- P1_2030 "multiple schedules with targeting": two schedules, each for one resourceID of the
  VEN (eiTarget/resourceID), then the first revised under its optID (EPRI: "revised opt
  schedule");
- P1_2040: two schedules, the first revised under its optID, both cancelled;
- P1_2050 negative: a cancellation of an optID the VTN never saw, and an opt for an eventID
  it never issued, each refused with an error code (not 200); the VTN keeps serving.

No case needs an operator. The VTN has nothing to send about an opt, so each case ends by
checking that nothing is waiting for the VEN.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from common.messages.enums import OptReason, OptType
from common.messages.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt
from common.messages.types import Period, QualifiedEventId, Target
from ven.conformance.scenario import Harness, response_code
from ven.conformance.wire import Record

__all__ = ["CASES"]

_OPT_IDS = itertools.count(1)
HOUR = timedelta(hours=1)


def _windows(*offsets: float, duration: timedelta = HOUR) -> tuple[tuple[datetime,
                                                                          timedelta], ...]:
    """Windows starting tomorrow (whole hour) plus `offsets` [h], each `duration` long."""
    base = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return tuple((base + timedelta(hours=o), duration) for o in offsets)


def _schedule(h: Harness, opt_id: str, windows: tuple[tuple[datetime, timedelta], ...], *,
              resource_id: str | None = None) -> CreateOpt:
    assert h.ven_id is not None
    return CreateOpt(
        opt_id=opt_id, opt_type=OptType.OPT_OUT, opt_reason=OptReason.NOT_PARTICIPATING,
        ven_id=h.ven_id, created_date_time=datetime.now(UTC), request_id=h.request_id(),
        vavailability=tuple(Period(dtstart=s, duration=d) for s, d in windows),
        target=Target(resource_ids=(resource_id,)) if resource_id else Target())


def new_opt_id() -> str:
    return f"kit-opt-{next(_OPT_IDS)}"


async def _create(h: Harness, opt: CreateOpt, text: str) -> CreatedOpt:
    created: CreatedOpt = h.expect_reply(await h.send("EiOpt", opt), CreatedOpt, text)
    h.expect(created.opt_id == opt.opt_id, f"{text}: the oadrCreatedOpt names the optID",
             f"optID {created.opt_id!r} (sent {opt.opt_id!r})")
    return created


async def _cancel(h: Harness, opt_id: str, text: str) -> CanceledOpt:
    assert h.ven_id is not None
    canceled: CanceledOpt = h.expect_reply(await h.send("EiOpt", CancelOpt(
        request_id=h.request_id(), opt_id=opt_id, ven_id=h.ven_id)), CanceledOpt, text)
    h.expect(canceled.opt_id in (None, opt_id), f"{text}: the oadrCanceledOpt names the optID",
             f"optID {canceled.opt_id!r} (cancelled {opt_id!r})")
    return canceled


def _refused(h: Harness, record: Record, text: str) -> None:
    """Expect an error answer: an HTTP error, or a payload with a responseCode other than 200."""
    code = response_code(record.reply)
    h.expect((record.reply is not None and code is not None and code != 200)
             or (record.reply is None and (record.status or 0) >= 400), text,
             f"HTTP {record.status} {record.reply_name} responseCode {code} {record.error or ''}")


async def p1_2010(h: Harness) -> None:
    """Bootstrap; oadrCreateOpt: an opt schedule (optOut, one window tomorrow) ->
    oadrCreatedOpt 200 with the optID; nothing is waiting for the VEN."""
    await h.bootstrap()
    await _create(h, _schedule(h, new_opt_id(), _windows(0)),
                  "the VTN accepts the opt schedule")
    await h.nothing_waiting("nothing is waiting for the VEN")


async def p1_2015(h: Harness) -> None:
    """Bootstrap; oadrCreateOpt: an open-ended opt schedule (one window, duration PT0S) ->
    oadrCreatedOpt 200 with the optID."""
    await h.bootstrap()
    await _create(h, _schedule(h, new_opt_id(), _windows(0, duration=timedelta(0))),
                  "the VTN accepts the open-ended opt schedule")
    await h.nothing_waiting("nothing is waiting for the VEN")


async def p1_2020(h: Harness) -> None:
    """Bootstrap; an opt schedule -> oadrCreatedOpt 200; oadrCancelOpt with its optID ->
    oadrCanceledOpt 200."""
    await h.bootstrap()
    opt_id = new_opt_id()
    await _create(h, _schedule(h, opt_id, _windows(0, 2)), "the VTN accepts the opt schedule")
    await _cancel(h, opt_id, "the VTN cancels the opt schedule")
    await h.nothing_waiting("nothing is waiting for the VEN")


async def p1_2030(h: Harness) -> None:
    """Bootstrap; two opt schedules, each targeting one resource of the VEN (eiTarget
    resourceID) -> oadrCreatedOpt 200 each; the first revised under its optID (new windows)
    -> oadrCreatedOpt 200."""
    await h.bootstrap()
    first, second = new_opt_id(), new_opt_id()
    await _create(h, _schedule(h, first, _windows(0), resource_id="kit-resource-1"),
                  "the VTN accepts the schedule for resource 1")
    await _create(h, _schedule(h, second, _windows(3), resource_id="kit-resource-2"),
                  "the VTN accepts the schedule for resource 2")
    await _create(h, _schedule(h, first, _windows(1, 5), resource_id="kit-resource-1"),
                  "the VTN accepts the revised schedule for resource 1")
    await h.nothing_waiting("nothing is waiting for the VEN")


async def p1_2040(h: Harness) -> None:
    """Bootstrap; two opt schedules -> 200 each; the first revised under its optID -> 200;
    oadrCancelOpt for each -> oadrCanceledOpt 200."""
    await h.bootstrap()
    first, second = new_opt_id(), new_opt_id()
    await _create(h, _schedule(h, first, _windows(0)), "the VTN accepts the first schedule")
    await _create(h, _schedule(h, second, _windows(3)), "the VTN accepts the second schedule")
    await _create(h, _schedule(h, first, _windows(1)),
                  "the VTN accepts the first schedule revised")
    await _cancel(h, first, "the VTN cancels the first schedule")
    await _cancel(h, second, "the VTN cancels the second schedule")
    await h.nothing_waiting("nothing is waiting for the VEN")


async def p1_2050(h: Harness) -> None:
    """Negative. Bootstrap; oadrCancelOpt for an optID the VTN never saw -> an error code;
    oadrCreateOpt (optOut) for an eventID the VTN never issued -> an error code; the VTN
    keeps serving (an opt schedule is still accepted)."""
    await h.bootstrap()
    assert h.ven_id is not None
    _refused(h, await h.send("EiOpt", CancelOpt(
        request_id=h.request_id(), opt_id="kit-opt-never-created", ven_id=h.ven_id)),
        "a cancellation of an unknown optID is refused")
    _refused(h, await h.send("EiOpt", CreateOpt(
        opt_id=new_opt_id(), opt_type=OptType.OPT_OUT, opt_reason=OptReason.ECONOMIC,
        ven_id=h.ven_id, created_date_time=datetime.now(UTC), request_id=h.request_id(),
        qualified_event_id=QualifiedEventId(event_id="kit-event-never-issued",
                                            modification_number=0))),
        "an opt for an unknown eventID is refused")
    await _create(h, _schedule(h, new_opt_id(), _windows(0)),
                  "the VTN still accepts an opt schedule")


CASES = (
    ("P1_2010", "New opt schedule (pull)", p1_2010, False),
    ("P1_2015", "Open-ended opt schedule (pull)", p1_2015, False),
    ("P1_2020", "Cancel opt schedule (pull)", p1_2020, False),
    ("P1_2030", "Multiple opt schedules with targeting (pull)", p1_2030, False),
    ("P1_2040", "Multiple opt schedules with cancel (pull)", p1_2040, False),
    ("P1_2050", "Negative opt scenarios (pull)", p1_2050, False),
)
