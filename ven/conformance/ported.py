"""A_E3/A_E2: the 2.0a event cases of a VTN ported into 2.0b (pull, and the same scenarios as
push twins), the harness playing the VEN against the VTN under test.

Events are created by the operator (``create_event``, for this VEN only). How the kit reads
the one-line descriptions (CONFORMANCE.md §2.2):

- 0420 "confirm eventStatus active": an event starting now is distributed ``active``;
- 0430 "optIn with optional elements": the oadrCreatedEvent carries responseDescription;
- 0435 "eiTarget configuration": the distributed event names no venID but this VEN's;
- 0440 / 0450: optOut and optIn to two events in one oadrCreatedEvent / in two;
- 0500 "asynchronous opt-out": after opting in, an oadrCreateOpt (optOut) naming the event;
- 0510 "event ordering": two events created latest-first are distributed earliest-first;
- 0525 "event order after cancellation": an active event and a pending one, both answered;
  the operator cancels the active one; the next distribution still lists both, the cancelled
  one first with modificationNumber 1, the pending one unchanged; both answered -> 200;
- 0655 "replyLimit": oadrRequestEvent with replyLimit 1 while two events exist brings one;
- 0680 "return all events": oadrRequestEvent brings every event of the VEN (three);
- 0720 / 0730: an oadrCreatedEvent naming an unknown eventID / a wrong modificationNumber
  gets an error code (not 200);
- 0750 "eventResponse 4xx error": an oadrCreatedEvent whose eventResponse carries 460 (the
  VEN cannot take the event) is acknowledged with 200;
- 0780 "unrecognized venID": an oadrCreatedEvent from a venID the VTN never registered gets
  no payload or an error code.
"""

from __future__ import annotations

from datetime import UTC, datetime

from common.messages.enums import EventStatus, OptReason, OptType, ResponseCode
from common.messages.event import CreatedEvent, DistributeEvent, EventResponse, RequestEvent
from common.messages.opt import CreatedOpt, CreateOpt
from common.messages.poll import Response
from common.messages.types import QualifiedEventId
from ven.conformance.events import _distribution, _event, _ids
from ven.conformance.operator import Step
from ven.conformance.opts import new_opt_id
from ven.conformance.scenario import Harness, response_code, snippet
from ven.conformance.wire import Record

__all__ = ["CASES"]


def _answer(distribute: DistributeEvent, event_id: str, opt: OptType, *,
            code: int = 200, modification: int | None = None,
            description: str | None = None) -> EventResponse:
    number = next((e.event.event_descriptor.modification_number for e in distribute.events
                   if e.event.event_descriptor.event_id == event_id), 0)
    return EventResponse(
        response_code=code, request_id=distribute.request_id, opt_type=opt,
        qualified_event_id=QualifiedEventId(
            event_id=event_id, modification_number=number if modification is None
            else modification), response_description=description)


async def _created(h: Harness, distribute: DistributeEvent, *answers: EventResponse,
                   ven_id: str | None = None) -> Record:
    return await h.send("EiEvent", CreatedEvent(
        response=h.ok(distribute.request_id), ven_id=ven_id or h.ven_id or "",
        event_responses=answers))


def _error(h: Harness, record: Record, text: str) -> None:
    code = response_code(record.reply)
    h.expect((record.reply is not None and code is not None and code != 200)
             or (record.reply is None and ((record.status or 0) >= 400
                                           or record.error is not None)), text,
             f"HTTP {record.status} {record.reply_name or snippet(record.response_body)} "
             f"responseCode {code}")


async def _one_event(h: Harness, **params: object) -> tuple[str, DistributeEvent]:
    await h.bootstrap()
    event_id = await _event(h, **params)  # type: ignore[arg-type]
    distribute = await _distribution(h, "the event is distributed", event_id=event_id)
    return event_id, distribute


async def a_e3_0420(h: Harness) -> None:
    """Bootstrap; an event starting now; it is distributed with eventStatus active; optIn ->
    oadrResponse 200."""
    event_id, distribute = await _one_event(h, start="now")
    status = [e.event.event_descriptor.event_status for e in distribute.events
              if e.event.event_descriptor.event_id == event_id]
    h.expect(status == [EventStatus.ACTIVE], "the event's eventStatus is active", f"{status}")
    h.expect_reply(await _created(h, distribute, _answer(distribute, event_id, OptType.OPT_IN)),
                   Response, "the VTN acknowledges the optIn")
    await h.drain()


async def a_e3_0430(h: Harness) -> None:
    """Bootstrap; an event; optIn with the optional responseDescription -> oadrResponse 200."""
    event_id, distribute = await _one_event(h)
    h.expect_reply(await _created(h, distribute, _answer(
        distribute, event_id, OptType.OPT_IN, description="kit: opting in")), Response,
        "the VTN acknowledges the optIn with optional elements")
    await h.drain()


async def a_e3_0435(h: Harness) -> None:
    """Bootstrap; an event for this VEN; its eiTarget names no venID but this VEN's."""
    event_id, distribute = await _one_event(h)
    event = next(e for e in distribute.events if e.event.event_descriptor.event_id == event_id)
    ven_ids = set(event.event.target.ven_ids)
    h.expect(ven_ids <= {h.ven_id}, "the eiTarget names no other VEN", f"venIDs {ven_ids}")
    await h.opt(distribute, OptType.OPT_IN)
    await h.drain()


async def _two_events(h: Harness) -> tuple[str, str, DistributeEvent]:
    await h.bootstrap()
    first = await _event(h)
    second = await _event(h, value=2, start="+3h")
    distribute = await _distribution(h, "both events are distributed", event_id=second,
                                     count=2)
    h.expect(first in _ids(distribute) and second in _ids(distribute),
             "the distribution lists both events", f"{_ids(distribute)}")
    return first, second, distribute


async def a_e3_0440(h: Harness) -> None:
    """Bootstrap; two events; one oadrCreatedEvent: optOut to the first, optIn to the second
    -> oadrResponse 200."""
    first, second, distribute = await _two_events(h)
    h.expect_reply(await _created(h, distribute, _answer(distribute, first, OptType.OPT_OUT),
                                  _answer(distribute, second, OptType.OPT_IN)),
                   Response, "the VTN acknowledges both answers in one oadrCreatedEvent")
    await h.drain()


async def a_e3_0450(h: Harness) -> None:
    """Bootstrap; two events; an oadrCreatedEvent each (optOut, then optIn) -> 200 each."""
    first, second, distribute = await _two_events(h)
    h.expect_reply(await _created(h, distribute, _answer(distribute, first, OptType.OPT_OUT)),
                   Response, "the VTN acknowledges the optOut")
    h.expect_reply(await _created(h, distribute, _answer(distribute, second, OptType.OPT_IN)),
                   Response, "the VTN acknowledges the optIn")
    await h.drain()


async def a_e3_0500(h: Harness) -> None:
    """Bootstrap; an event, opted in (200); later oadrCreateOpt optOut naming the event ->
    oadrCreatedOpt 200."""
    event_id, distribute = await _one_event(h)
    h.expect_reply(await _created(h, distribute, _answer(distribute, event_id, OptType.OPT_IN)),
                   Response, "the VTN acknowledges the optIn")
    assert h.ven_id is not None
    number = next(e.event.event_descriptor.modification_number for e in distribute.events
                  if e.event.event_descriptor.event_id == event_id)
    h.expect_reply(await h.send("EiOpt", CreateOpt(
        opt_id=new_opt_id(), opt_type=OptType.OPT_OUT, opt_reason=OptReason.OVERRIDE_STATUS,
        ven_id=h.ven_id, created_date_time=datetime.now(UTC), request_id=h.request_id(),
        qualified_event_id=QualifiedEventId(event_id=event_id, modification_number=number))),
        CreatedOpt, "the VTN accepts the asynchronous optOut")
    await h.drain()


async def a_e3_0510(h: Harness) -> None:
    """Bootstrap; the operator creates an event in three hours, then one in one hour; the
    distribution lists the earlier first."""
    await h.bootstrap()
    later = await _event(h, start="+3h")
    earlier = await _event(h, value=2, start="+1h")
    distribute = await _distribution(h, "both events are distributed", event_id=earlier,
                                     count=2)
    ids = _ids(distribute)
    h.expect(earlier in ids and later in ids and ids.index(earlier) < ids.index(later),
             "the earlier event comes first", f"{ids} (earlier {earlier}, later {later})")
    await h.opt(distribute, OptType.OPT_IN)
    await h.drain()


def _descriptor(distribute: DistributeEvent, event_id: str) -> tuple[EventStatus, int] | None:
    for e in distribute.events:
        if e.event.event_descriptor.event_id == event_id:
            descriptor = e.event.event_descriptor
            return descriptor.event_status, descriptor.modification_number
    return None


async def a_e3_0525(h: Harness) -> None:
    """Bootstrap; an event starting now and one in three hours -> distributed active and
    pending (mod 0), both opted in; the operator cancels the active one; the next
    distribution lists both: the first cancelled with modificationNumber 1, the second pending
    with 0; both answered -> oadrResponse 200."""
    await h.bootstrap()
    active = await _event(h, start="now")
    pending = await _event(h, value=2, start="+3h")
    first = await _distribution(h, "both events are distributed", event_id=pending, count=2)
    h.expect(_ids(first)[:2] == [active, pending], "the active event comes first",
             f"{_ids(first)}")
    h.expect(_descriptor(first, active) == (EventStatus.ACTIVE, 0)
             and _descriptor(first, pending) in ((EventStatus.FAR, 0), (EventStatus.NEAR, 0)),
             "active (mod 0) and pending, far or near (mod 0)",
             f"{_descriptor(first, active)}, {_descriptor(first, pending)}")
    h.expect_reply(await _created(h, first, _answer(first, active, OptType.OPT_IN),
                                  _answer(first, pending, OptType.OPT_IN)),
                   Response, "the VTN acknowledges both optIns")
    await h.operate(Step.CANCEL_EVENT, ven_id=h.ven_id, event_id=active)
    second = await _distribution(h, "the cancellation is distributed", event_id=active)
    h.expect(_ids(second)[:2] == [active, pending],
             "the next distribution lists both, the cancelled event first", f"{_ids(second)}")
    h.expect(_descriptor(second, active) == (EventStatus.CANCELLED, 1),
             "the first event is cancelled with modificationNumber 1",
             f"{_descriptor(second, active)}")
    h.expect(_descriptor(second, pending) == _descriptor(first, pending),
             "the second event is unchanged", f"{_descriptor(second, pending)}")
    h.expect_reply(await _created(h, second, _answer(second, active, OptType.OPT_IN),
                                  _answer(second, pending, OptType.OPT_IN)),
                   Response, "the VTN acknowledges both answers")
    await h.drain()


async def a_e3_0655(h: Harness) -> None:
    """Bootstrap; two events; oadrRequestEvent with replyLimit 1 -> an oadrDistributeEvent
    with at most one event."""
    await _two_events(h)
    assert h.ven_id is not None
    distribute = h.expect_reply(await h.send("EiEvent", RequestEvent(
        request_id=h.request_id(), ven_id=h.ven_id, reply_limit=1)), DistributeEvent,
        "the VTN answers oadrRequestEvent with replyLimit 1")
    h.expect(len(distribute.events) <= 1, "at most one event", f"{_ids(distribute)}")


async def a_e3_0680(h: Harness) -> None:
    """Bootstrap; three events; oadrRequestEvent -> all three."""
    await h.bootstrap()
    made = [await _event(h, value=v, start=s) for v, s in ((1, "+1h"), (2, "+3h"), (3, "+5h"))]
    assert h.ven_id is not None
    distribute = h.expect_reply(await h.send("EiEvent", RequestEvent(
        request_id=h.request_id(), ven_id=h.ven_id)), DistributeEvent,
        "the VTN answers oadrRequestEvent")
    h.expect(all(e in _ids(distribute) for e in made), "the answer lists all three events",
             f"{_ids(distribute)} (created {made})")
    await h.opt(distribute, OptType.OPT_IN)
    await h.drain()


async def a_e3_0720(h: Harness) -> None:
    """Bootstrap; an event; an oadrCreatedEvent naming an eventID the VTN never issued -> an
    error code."""
    _, distribute = await _one_event(h)
    _error(h, await _created(h, distribute, _answer(distribute, "kit-unknown-event",
                                                    OptType.OPT_IN)),
           "an answer to an unknown eventID is refused")
    await h.opt(distribute, OptType.OPT_IN)  # the VEN still owes the event its answer
    await h.drain()


async def a_e3_0730(h: Harness) -> None:
    """Bootstrap; an event; an oadrCreatedEvent naming it with a modificationNumber it never
    had -> an error code."""
    event_id, distribute = await _one_event(h)
    _error(h, await _created(h, distribute, _answer(distribute, event_id, OptType.OPT_IN,
                                                    modification=7)),
           "an answer with a wrong modificationNumber is refused")
    await h.opt(distribute, OptType.OPT_IN)  # the VEN still owes the event its answer
    await h.drain()


async def a_e3_0750(h: Harness) -> None:
    """Bootstrap; an event; an oadrCreatedEvent whose eventResponse carries 460 (optOut) ->
    oadrResponse 200 (the VTN takes the VEN's error)."""
    event_id, distribute = await _one_event(h)
    h.expect_reply(await _created(h, distribute, _answer(
        distribute, event_id, OptType.OPT_OUT, code=int(ResponseCode.SIGNAL_NOT_SUPPORTED),
        description="kit: cannot take this event")), Response,
        "the VTN acknowledges an eventResponse with a 4xx code")
    await h.drain()


async def a_e3_0780(h: Harness) -> None:
    """Bootstrap; an event; an oadrCreatedEvent from a venID the VTN never registered -> no
    payload or an error code."""
    event_id, distribute = await _one_event(h)
    _error(h, await _created(h, distribute, _answer(distribute, event_id, OptType.OPT_IN),
                             ven_id="kit-never-registered-ven"),
           "an answer from an unknown venID is refused")
    await h.opt(distribute, OptType.OPT_IN)
    await h.drain()


CASES = (
    ("A_E3_0420", "Confirm eventStatus active (pull)", a_e3_0420, True),
    ("A_E3_0430", "OptIn with optional elements (pull)", a_e3_0430, True),
    ("A_E3_0435", "eiTarget configuration (pull)", a_e3_0435, True),
    ("A_E3_0440", "OptOut and optIn in one oadrCreatedEvent (pull)", a_e3_0440, True),
    ("A_E3_0450", "OptOut and optIn in two oadrCreatedEvents (pull)", a_e3_0450, True),
    ("A_E3_0500", "Asynchronous opt-out (pull)", a_e3_0500, True),
    ("A_E3_0510", "Event ordering (pull)", a_e3_0510, True),
    ("A_E3_0525", "Event order after cancellation (pull)", a_e3_0525, True),
    ("A_E3_0655", "replyLimit (pull)", a_e3_0655, True),
    ("A_E3_0680", "Return all events (pull)", a_e3_0680, True),
    ("A_E3_0720", "Mismatched eventID (pull)", a_e3_0720, True),
    ("A_E3_0730", "Mismatched modificationNumber (pull)", a_e3_0730, True),
    ("A_E3_0750", "eventResponse 4xx error (pull)", a_e3_0750, True),
    ("A_E3_0780", "Unrecognized venID (pull)", a_e3_0780, True),
)
