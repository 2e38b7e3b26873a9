"""E1/E0: B-profile event cases (pull, and the same scenarios as push twins), the harness
playing the VEN against the VTN under test.

Events are created by the operator (``Step.CREATE_EVENT``, for this VEN only); without one
these cases are ``needs-operator``. Each function's docstring lists its steps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.messages.enums import OptReason, OptType, ResponseRequired
from common.messages.event import DistributeEvent, OadrEvent, RequestEvent
from common.messages.opt import CreatedOpt, CreateOpt
from common.messages.poll import Poll, Response
from common.messages.types import QualifiedEventId, Target
from common.xml import encode
from ven.conformance.operator import Step
from ven.conformance.opts import new_opt_id
from ven.conformance.scenario import Harness, response_code
from ven.conformance.wire import Record

__all__ = ["CASES"]


def _ids(distribute: DistributeEvent) -> list[str]:
    return [e.event.event_descriptor.event_id for e in distribute.events]


async def _event(h: Harness, signal: str = "SIMPLE", *, value: float = 1,
                 signal_type: str | None = None, response_required: str = "always",
                 start: str = "+1h") -> str:
    """Have the operator create an event for this VEN, an hour long from `start` (events of one
    case never overlap); its eventID ("" if not told)."""
    result = await h.operate(Step.CREATE_EVENT, ven_id=h.ven_id, signal_name=signal,
                             signal_type=signal_type, value=value, start=start,
                             duration="PT1H", response_required=response_required)
    return str(result.get("event_id") or "")


async def _distribution(h: Harness, text: str, *, event_id: str = "",
                        count: int = 1) -> DistributeEvent:
    """Take the VTN's messages (pull: polls; push: pushes) until an oadrDistributeEvent with
    `event_id` (or `count` events) arrives."""
    for _ in range(4):
        reply = await h.next_message()
        if isinstance(reply, DistributeEvent) and (
                event_id in _ids(reply) if event_id else len(reply.events) >= count):
            return reply
        if reply is not None:
            await h.answer(reply, answer_events=False)
            continue
        break
    h.expect(False, text, f"the polls brought no oadrDistributeEvent with "
                          f"{event_id or f'{count} event(s)'}")
    raise AssertionError("unreachable")


def _signal_names(event: OadrEvent) -> set[str]:
    return {str(s.signal_name) for s in event.event.event_signals}


def _acknowledged(h: Harness, record: Record | None, text: str) -> None:
    h.expect(record is not None, text, "no event needed an answer")
    assert record is not None
    h.expect_reply(record, Response, text)


async def e1_1010(h: Harness) -> None:
    """Bootstrap; oadrRequestEvent -> oadrDistributeEvent 200 from the VTN that registered the
    VEN, with no events; oadrPoll -> oadrResponse."""
    await h.bootstrap()
    assert h.ven_id is not None
    distribute = h.expect_reply(await h.send("EiEvent", RequestEvent(
        request_id=h.request_id(), ven_id=h.ven_id)), DistributeEvent,
        "the VTN answers oadrRequestEvent")
    h.expect(distribute.vtn_id == h.vtn_id, "the vtnID is the one that registered the VEN",
             f"{distribute.vtn_id!r} (registered by {h.vtn_id!r})")
    h.expect(not distribute.events, "no events", f"events {_ids(distribute)}")
    await h.nothing_waiting("nothing is waiting for the VEN")


async def _one_signal(h: Harness, signal: str, signal_type: str | None, value: float) -> None:
    await h.bootstrap()
    event_id = await _event(h, signal, signal_type=signal_type, value=value)
    distribute = await _distribution(h, f"the next polls distribute the {signal} event",
                                     event_id=event_id)
    ours = [e for e in distribute.events if not event_id
            or e.event.event_descriptor.event_id == event_id]
    h.expect(any(signal in _signal_names(e) for e in ours), f"the event has a {signal} signal",
             f"signals {[sorted(_signal_names(e)) for e in ours]}")
    _acknowledged(h, await h.opt(distribute, OptType.OPT_IN),
                  "the VTN acknowledges the oadrCreatedEvent (optIn)")
    await h.drain()


async def e1_1020(h: Harness) -> None:
    """Bootstrap; the operator creates an ELECTRICITY_PRICE event; the next poll distributes
    it; the VEN opts in (oadrCreatedEvent) -> oadrResponse 200."""
    await _one_signal(h, "ELECTRICITY_PRICE", "price", 0.25)


async def e1_1025(h: Harness) -> None:
    """As E1_1020 with a LOAD_DISPATCH event (setpoint [kW])."""
    await _one_signal(h, "LOAD_DISPATCH", "setpoint", 50)


async def e1_1027(h: Harness) -> None:
    """Bootstrap; the operator creates a SIMPLE event with a baseline (eiEventBaseline, 100 kW
    over the event, 7 h ahead so that it overlaps no other case's event); the next poll
    distributes it with the baseline: its intervals add up to its duration, it has a
    baselineID and a baselineName (and, by the rule checks, no dtstart in its intervals); the
    VEN opts in -> oadrResponse 200."""
    await h.bootstrap()
    result = await h.operate(Step.CREATE_EVENT, ven_id=h.ven_id, signal_name="SIMPLE",
                             value=1, start="+7h", duration="PT1H", response_required="always",
                             baseline={"kw": 100})
    event_id = str(result.get("event_id") or "")
    distribute = await _distribution(h, "the event with a baseline is distributed",
                                     event_id=event_id)
    ours = next((e for e in distribute.events
                 if not event_id or e.event.event_descriptor.event_id == event_id), None)
    baseline = ours.event.event_baseline if ours is not None else None
    h.expect(baseline is not None, "the event carries an eiEventBaseline",
             "no eiEventBaseline" if ours is not None else "the event is not listed")
    if baseline is not None:
        total = sum((i.duration or timedelta(0) for i in baseline.intervals), timedelta(0))
        h.expect(bool(baseline.intervals) and total == baseline.duration,
                 "the baseline's intervals add up to its duration",
                 f"{len(baseline.intervals)} interval(s) of {total} in {baseline.duration}")
        h.expect(bool(baseline.baseline_id) and bool(baseline.baseline_name),
                 "the baseline has a baselineID and a baselineName",
                 f"{baseline.baseline_id!r}, {baseline.baseline_name!r}")
    _acknowledged(h, await h.opt(distribute, OptType.OPT_IN),
                  "the VTN acknowledges the oadrCreatedEvent (optIn)")
    await h.drain()


async def e1_1030(h: Harness) -> None:
    """Bootstrap; event A -> distributed, opted in; event B -> the next distribution lists A
    and B; the VEN opts into B -> oadrResponse 200."""
    await h.bootstrap()
    first = await _event(h)
    distribute = await _distribution(h, "the first event is distributed", event_id=first)
    _acknowledged(h, await h.opt(distribute, OptType.OPT_IN), "the VTN acknowledges optIn")
    second = await _event(h, value=2, start="+3h")
    distribute = await _distribution(h, "the second event is distributed", event_id=second,
                                     count=2)
    h.expect(not first or first in _ids(distribute),
             "the second distribution still lists the first event", f"{_ids(distribute)}")
    only = {second} if second else None
    _acknowledged(h, await h.opt(distribute, OptType.OPT_IN, only=only),
                  "the VTN acknowledges optIn to the second event")
    await h.drain()


async def e1_1040(h: Harness) -> None:
    """Bootstrap; two events; one oadrCreatedEvent answering both (optIn, optOut) ->
    oadrResponse 200."""
    await h.bootstrap()
    first = await _event(h)
    second = await _event(h, value=2, start="+3h")
    distribute = await _distribution(h, "both events are distributed", event_id=second,
                                     count=2)
    h.expect(len(distribute.events) >= 2, "the distribution lists both events",
             f"{_ids(distribute)}")
    record = await h.opt(distribute, OptType.OPT_IN, only={first} if first else None)
    _acknowledged(h, record, "the VTN acknowledges the optIn")
    record = await h.opt(distribute, OptType.OPT_OUT, only={second} if second else None)
    _acknowledged(h, record, "the VTN acknowledges the optOut")
    await h.drain()


async def e1_1050(h: Harness) -> None:
    """Bootstrap; the operator creates an event; oadrRequestEvent -> oadrDistributeEvent with
    the event."""
    await h.bootstrap()
    event_id = await _event(h)
    assert h.ven_id is not None
    distribute = h.expect_reply(await h.send("EiEvent", RequestEvent(
        request_id=h.request_id(), ven_id=h.ven_id)), DistributeEvent,
        "the VTN answers oadrRequestEvent")
    h.expect(bool(distribute.events) and (not event_id or event_id in _ids(distribute)),
             "the answer lists the event", f"{_ids(distribute)}")
    _acknowledged(h, await h.opt(distribute, OptType.OPT_IN), "the VTN acknowledges optIn")
    await h.drain()


async def e1_1065(h: Harness) -> None:
    """Bootstrap; an event with responseRequired=never; the VEN sends an oadrCreatedEvent
    anyway: the VTN answers it with an oadrResponse (any code) and keeps serving polls."""
    await h.bootstrap()
    event_id = await _event(h, response_required="never")
    distribute = await _distribution(h, "the event is distributed", event_id=event_id)
    ours = [e for e in distribute.events
            if not event_id or e.event.event_descriptor.event_id == event_id]
    h.expect(all(e.response_required is ResponseRequired.NEVER for e in ours),
             "the event says responseRequired=never")
    record = await h.opt(distribute, OptType.OPT_IN,
                         only={e.event.event_descriptor.event_id for e in ours})
    h.expect(record is not None and isinstance(record.reply, Response),
             "the VTN answers the unneeded oadrCreatedEvent with oadrResponse",
             f"{record.reply_name if record else None}")
    await h.nothing_waiting("the VTN keeps serving")


async def e1_1080(h: Harness) -> None:
    """Negative: an oadrPoll (push: oadrRequestEvent) with its element name in the wrong case
    (``oadrpoll``) is refused (an HTTP error or an error responseCode); a correct payload then
    still works."""
    await h.bootstrap()
    assert h.ven_id is not None
    if h.push:
        body = encode(RequestEvent(request_id=h.request_id(), ven_id=h.ven_id)).replace(
            b"oadrRequestEvent", b"oadrrequestevent")
        record = await h.send("EiEvent", body, name="oadrrequestevent (wrong case)")
    else:
        body = encode(Poll(ven_id=h.ven_id)).replace(b"oadrPoll", b"oadrpoll")
        record = await h.send("OadrPoll", body, name="oadrpoll (wrong case)")
    code = response_code(record.reply)
    h.expect(record.error is not None or (record.status or 0) >= 400
             or (code is not None and code != 200),
             "the wrong-case payload is refused",
             f"HTTP {record.status} {record.reply_name} responseCode {code}")
    if h.push:
        h.expect_reply(await h.probe(), DistributeEvent,
                       "a correct oadrRequestEvent still brings oadrDistributeEvent")
    else:
        h.expect_reply(await h.poll(), Response, "a correct oadrPoll still brings oadrResponse")


async def e1_1060(h: Harness) -> None:
    """Bootstrap; the operator creates an ELECTRICITY_PRICE event; the VEN opts in
    (oadrCreatedEvent -> oadrResponse 200); later the VEN opts out of it with oadrCreateOpt
    naming the event (qualifiedEventID, no marketContext, no vavailability; targeting the
    first resourceID of the event's eiTarget when it lists one) -> oadrCreatedOpt 200."""
    await h.bootstrap()
    event_id = await _event(h, "ELECTRICITY_PRICE", signal_type="price", value=3.13,
                            start="+10m")
    distribute = await _distribution(h, "the ELECTRICITY_PRICE event is distributed",
                                     event_id=event_id)
    ours = next((e for e in distribute.events
                 if not event_id or e.event.event_descriptor.event_id == event_id), None)
    h.expect(ours is not None and "ELECTRICITY_PRICE" in _signal_names(ours),
             "the event has an ELECTRICITY_PRICE signal",
             f"signals {sorted(_signal_names(ours)) if ours else None}")
    assert ours is not None and h.ven_id is not None
    descriptor = ours.event.event_descriptor
    _acknowledged(h, await h.opt(distribute, OptType.OPT_IN, only={descriptor.event_id}),
                  "the VTN acknowledges the optIn")
    resources = ours.event.target.resource_ids[:1]
    record = await h.send("EiOpt", CreateOpt(
        opt_id=new_opt_id(), opt_type=OptType.OPT_OUT, opt_reason=OptReason.OVERRIDE_STATUS,
        ven_id=h.ven_id, created_date_time=datetime.now(UTC), request_id=h.request_id(),
        qualified_event_id=QualifiedEventId(
            event_id=descriptor.event_id,
            modification_number=descriptor.modification_number),
        target=Target(resource_ids=resources)))
    h.expect_reply(record, CreatedOpt, "the VTN accepts the oadrCreateOpt for the event")
    await h.drain()


CASES = (
    ("E1_1010", "Empty distributeEvent (pull)", e1_1010, False),
    ("E1_1020", "ELECTRICITY_PRICE event (pull)", e1_1020, True),
    ("E1_1025", "LOAD_DISPATCH event (pull)", e1_1025, True),
    ("E1_1027", "Event with baseline (pull)", e1_1027, True),
    ("E1_1030", "Two distributeEvent sequences (pull)", e1_1030, True),
    ("E1_1040", "Several createdEvents, mixed optIn/optOut (pull)", e1_1040, True),
    ("E1_1050", "VEN use of oadrRequestEvent (pull)", e1_1050, True),
    ("E1_1060", "VEN createOpt qualification (pull)", e1_1060, True),
    ("E1_1065", "Unneeded oadrCreatedEvent (pull)", e1_1065, True),
    ("E1_1080", "Negative: case sensitivity (pull)", e1_1080, False),
)
