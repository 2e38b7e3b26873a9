"""EiEvent: oadrRequestEvent -> oadrDistributeEvent, oadrCreatedEvent -> the VEN's opt on record.

What a VEN receives (docs/vtn.md, "What a VEN receives"):

- every event for it, in ``vtn.domain.distribution_order``: the active events first, by
  ei:priority (1 the highest, 0 "no priority" last) then start time, then all the others (far,
  near, cancelled, completed) by start time: the order of the 2.0b conformance checks
  (A_E3_0510/0520/0525), as storage's ``EventStore.for_ven`` returns them;
- each event as it stands when the payload is built: eventStatus, currentValue and
  createdDateTime all come from that one instant (certification checks eventStatus and
  currentValue against createdDateTime);
- an eiTarget naming only that VEN (when it is listed) and the groups, resources and parties of
  the event that are its own: never another VEN's venID.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from common.errors import InvalidId
from common.messages.event import (
    CreatedEvent,
    DistributeEvent,
    EiEvent,
    EventBaseline,
    EventDescriptor,
    EventSignal,
    OadrEvent,
    RequestEvent,
)
from common.messages.poll import Response
from common.messages.types import Interval, Period, Target
from common.xml import encode
from vtn.domain import Event, EventTargets, Ven, event_status
from vtn.logs import PROTOCOL, ven_label
from vtn.services.context import Caller, Vtn, new_request_id, ok
from vtn.services.queue import payload_marker
from vtn.storage import NotFound

__all__ = [
    "changed_events",
    "current_events",
    "deliver_events",
    "handle_created_event",
    "handle_request_event",
    "queue_changed_events",
    "target_for",
    "to_oadr_event",
]


def _intervals(values: Sequence[tuple[timedelta, float]]) -> tuple[Interval[float], ...]:
    return tuple(
        Interval(payloads=(value,), duration=duration, uid=str(index))
        for index, (duration, value) in enumerate(values)
    )


def _current_value(event: Event, values: Sequence[tuple[timedelta, float]], now: datetime) -> float:
    """The value in force at `now` (0 outside the active period, as 2.0b VTNs send)."""
    offset = now - event.request.start
    if event.cancelled or offset < timedelta(0):
        return 0.0
    elapsed = timedelta(0)
    for duration, value in values:
        elapsed += duration
        if offset < elapsed:
            return value
    return 0.0


def target_for(targets: EventTargets, ven: Ven) -> Target:
    """The eiTarget `ven` is shown: its own venID if the event lists it, and the listed groups,
    resources and parties that are its own (an event for all VENs lists nothing). Other
    customers' venIDs and assignments stay private."""
    return Target(
        ven_ids=tuple(v for v in targets.ven_ids if v == ven.ven_id),
        group_ids=tuple(g for g in targets.group_ids if g in ven.group_ids),
        resource_ids=tuple(r for r in targets.resource_ids if r in ven.resource_ids),
        party_ids=tuple(p for p in targets.party_ids if p in ven.party_ids),
    )


def to_oadr_event(
    event: Event, now: datetime, near_window: timedelta | None, ven: Ven
) -> OadrEvent:
    """The wire form of `event` for `ven` as it stands at `now` (also its createdDateTime: the
    instant its eventStatus and currentValue were computed at)."""
    request = event.request
    descriptor = EventDescriptor(
        event_id=event.event_id,
        modification_number=event.modification_number,
        market_context=request.market_context,
        created_date_time=now,
        event_status=event_status(event, now, near_window=near_window),
        modification_date_time=event.modified_at,
        modification_reason=event.modification_reason,
        priority=request.priority,
        test_event="true" if request.test_event else "false",
        vtn_comment=request.vtn_comment,
    )
    signals = []
    for signal in request.signals:
        values = [(i.duration, i.value) for i in signal.intervals]
        signals.append(
            EventSignal(
                intervals=_intervals(values),
                signal_name=signal.signal_name,
                signal_type=signal.signal_type,
                signal_id=signal.signal_id,
                item_base=signal.item_base,
                current_value=_current_value(event, values, now),
            )
        )
    baseline = None
    if request.baseline is not None:
        b = request.baseline
        baseline = EventBaseline(
            dtstart=b.start,
            duration=b.duration,
            intervals=_intervals([(i.duration, i.value) for i in b.intervals]),
            baseline_id=b.baseline_id,
            baseline_name=b.baseline_name,
            resource_ids=b.resource_ids,
            item_base=b.item_base,
        )
    target = target_for(request.targets, ven)
    period = Period(
        dtstart=request.start,
        duration=request.duration,
        tolerance_startafter=request.tolerance_startafter,
        notification=request.notification,
        ramp_up=request.ramp_up,
        recovery=request.recovery,
    )
    return OadrEvent(
        event=EiEvent(
            event_descriptor=descriptor,
            active_period=period,
            event_signals=tuple(signals),
            target=target,
            event_baseline=baseline,
        ),
        response_required=request.response_required,
    )


async def current_events(vtn: Vtn, ven: Ven) -> list[Event]:
    """The events `ven` must hear about now, in the 2.0b order (none for report-only VENs)."""
    return await vtn.polls.events(ven)


async def changed_events(vtn: Vtn, ven: Ven) -> list[Event] | None:
    """The VEN's current events if one of them changed since its last delivery, else ``None``."""
    return await vtn.polls.new_events(ven)


def distribute(
    vtn: Vtn, ven: Ven, events: Sequence[Event], request_id: str | None = None
) -> DistributeEvent:
    """oadrDistributeEvent for `ven` with `events`, built now: its createdDateTime,
    eventStatus and currentValue all come from one instant, the current whole second. The VENs
    served in that second are shown the same form of each event (``Vtn.forms``: built once,
    and written once by the encoder), unless their eiTargets differ; with an eiResponse when it
    answers `request_id`."""
    now = vtn.clock.now().replace(microsecond=0)
    near = vtn.config.events.near_window

    def form(event: Event) -> OadrEvent:
        target = target_for(event.request.targets, ven)
        key = (event.event_id, event.modification_number, now, near, target)
        return vtn.forms.form(key, lambda: to_oadr_event(event, now, near, ven))

    return DistributeEvent(
        request_id=new_request_id(),
        vtn_id=vtn.config.vtn_id,
        events=tuple(form(e) for e in events),
        response=None if request_id is None else ok(request_id),
    )


async def queue_changed_events(vtn: Vtn) -> tuple[str, ...]:
    """Queue an oadrDistributeEvent for every push VEN whose events changed since its last
    delivery (or that must be sent a cancellation again, not sooner than ``polls.frequency``
    after its last push) and that has none waiting; the ven_ids queued for.

    One transaction for all of them (``OutboxStore.enqueue_unless_pending``), at most one
    waiting oadrDistributeEvent per VEN. What is queued is an empty placeholder: its events
    are those of the VEN when it leaves (``vtn.push``, or a poll if the VEN turned to pull).
    """
    store = vtn.store
    now, gap = vtn.clock.now(), vtn.config.polls.frequency
    if not await store.polls.push_vens_with_changed_events(now, resend_gap=gap):
        return ()  # the usual answer, from one read: no write transaction, no lock
    query, parameters = store.polls.push_vens_with_changed_events_query(now, resend_gap=gap)
    placeholder = DistributeEvent(request_id=new_request_id(), vtn_id=vtn.config.vtn_id,
                                  events=())
    return await store.outbox.enqueue_unless_pending(
        query, parameters, encode(placeholder), marker=payload_marker("oadrDistributeEvent"))


async def deliver_events(vtn: Vtn, ven: Ven, events: Sequence[Event]) -> None:
    """Record that `ven` now has `events` (their current modifications), and say so in the log
    (``vtn.services.deliverylog``: progress at INFO, each delivery at DEBUG)."""
    await vtn.store.invitations.mark_all_delivered(
        ven.ven_id, {e.event_id: e.modification_number for e in events}
    )
    await vtn.deliveries.delivered(vtn.store, vtn.clock.now(), ven, events)


async def handle_request_event(vtn: Vtn, caller: Caller, message: RequestEvent) -> DistributeEvent:
    """oadrRequestEvent: every current event of the VEN (up to its replyLimit)."""
    ven = caller.registered()
    events = await current_events(vtn, ven)
    if message.reply_limit:
        events = events[: message.reply_limit]
    reply = distribute(vtn, ven, events, message.request_id)
    await deliver_events(vtn, ven, events)
    return reply


async def handle_created_event(vtn: Vtn, caller: Caller, message: CreatedEvent) -> Response:
    """oadrCreatedEvent: record each optIn/optOut on the VEN's invitation."""
    ven = caller.registered()
    unknown = []
    for answer in message.event_responses:
        qualified = answer.qualified_event_id
        try:
            event = await vtn.store.events.get(qualified.event_id)
        except NotFound:
            unknown.append(qualified.event_id)
            continue
        if qualified.modification_number > event.modification_number:
            unknown.append(f"{qualified.event_id} modification {qualified.modification_number}")
            continue
        await vtn.store.invitations.record_opt(
            event.event_id,
            ven.ven_id,
            modification_number=qualified.modification_number,
            opt_type=answer.opt_type,
            response_code=int(answer.response_code),
        )
        PROTOCOL.info(
            "VEN %s answered event %s (modification %d): %s",
            ven_label(ven),
            event.event_id,
            qualified.modification_number,
            answer.opt_type.value,
        )
    if unknown:
        raise InvalidId(f"unknown event(s): {', '.join(unknown)}")
    return Response(response=ok(message.response.request_id), ven_id=ven.ven_id)
