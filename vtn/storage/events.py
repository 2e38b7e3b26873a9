"""Events: create, modify (modification number + 1), cancel, look up, and the events of a VEN."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.messages.enums import ResponseRequired
from vtn.domain import Event, EventRequest, EventTargets
from vtn.domain.checks import require_aware
from vtn.domain.event import ENDED_LOOKBACK, listed_until
from vtn.storage.changes import EVENTS, note_change
from vtn.storage.database import Database, in_chunks
from vtn.storage.documents import (
    baseline_from_json,
    baseline_to_json,
    signals_from_json,
    signals_to_json,
)
from vtn.storage.errors import Conflict, NotFound
from vtn.storage.ids import new_id
from vtn.storage.tables import EventRow, EventTargetRow, VenMembershipRow

__all__ = ["CANCELLED_VISIBLE_FOR", "EventStore"]

CANCELLED_VISIBLE_FOR = timedelta(hours=24)
"""How long a cancelled event stays in a VEN's event list after the cancellation [duration].

A VEN that polls within this window sees the event with status ``cancelled``; one away longer
no longer sees it, which a 2.0b VEN treats as removed (oadrDistributeEvent is the full list).
"""

_TARGET_KINDS = (
    ("ven", "ven_ids"),
    ("group", "group_ids"),
    ("resource", "resource_ids"),
    ("party", "party_ids"),
)


class EventStore:
    """The events a VTN issued, at their latest modification."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, request: EventRequest, *, event_id: str | None = None) -> Event:
        """Store a new event (modification number 0); ``Conflict`` if `event_id` is taken."""
        row = EventRow(
            event_id=event_id or new_id(),
            modification_number=0,
            created_at=self._db.clock.now(),
            modified_at=None,
            modification_reason=None,
            cancelled_at=None,
        )
        _apply(row, request)
        async with self._db.write(f"create event {row.event_id}") as session:
            session.add(row)
            session.add_all(_target_rows(row.event_id, request.targets))
            await session.flush()
            note_change(session, EVENTS)
            return _to_event(row, request.targets)

    async def modify(
        self,
        event_id: str,
        request: EventRequest,
        *,
        reason: str | None = None,
        expected_modification_number: int | None = None,
    ) -> Event:
        """Replace the event's content; its modification number grows by one.

        ``NotFound`` if unknown; ``Conflict`` if it is cancelled, or if
        `expected_modification_number` is given and is not the current one (someone else
        modified it first).
        """
        async with self._db.write(f"modify event {event_id}") as session:
            row = await self._current(session, event_id, expected_modification_number)
            _apply(row, request)
            _bump(row, self._db.clock.now(), reason)
            await session.execute(delete(EventTargetRow).where(EventTargetRow.event_id == event_id))
            session.add_all(_target_rows(event_id, request.targets))
            await session.flush()
            note_change(session, EVENTS)
            return _to_event(row, request.targets)

    async def cancel(
        self,
        event_id: str,
        *,
        reason: str | None = None,
        expected_modification_number: int | None = None,
        response_required: ResponseRequired | None = None,
    ) -> Event:
        """Cancel the event: a modification (number + 1) with status cancelled, and with
        `response_required` when given (else the event's own).

        ``NotFound`` if unknown; ``Conflict`` if already cancelled or not at
        `expected_modification_number`.
        """
        async with self._db.write(f"cancel event {event_id}") as session:
            row = await self._current(session, event_id, expected_modification_number)
            now = self._db.clock.now()
            _bump(row, now, reason)
            row.cancelled_at = now
            if response_required is not None:
                row.response_required = response_required.value
            await session.flush()
            note_change(session, EVENTS)
            return (await _load(session, [row]))[0]

    async def get(self, event_id: str) -> Event:
        """The event `event_id` at its latest modification; ``NotFound`` if unknown."""
        async with self._db.read() as session:
            row = await session.get(EventRow, event_id)
            if row is None:
                raise NotFound(f"event {event_id!r} is not known")
            return (await _load(session, [row]))[0]

    async def list(
        self,
        *,
        ending_after: datetime | None = None,
        include_cancelled: bool = True,
        limit: int | None = None,
    ) -> tuple[Event, ...]:
        """Events by start time: those not ended by `ending_after` when given."""
        query = select(EventRow).order_by(EventRow.start_at, EventRow.event_id).limit(limit)
        if ending_after is not None:
            require_aware("ending_after", ending_after)
            query = query.where(or_(EventRow.end_at.is_(None), EventRow.end_at > ending_after))
        if not include_cancelled:
            query = query.where(EventRow.cancelled_at.is_(None))
        async with self._db.read() as session:
            return await _load(session, (await session.scalars(query)).all())

    async def for_ven(
        self,
        ven_id: str,
        now: datetime,
        *,
        cancelled_visible_for: timedelta = CANCELLED_VISIBLE_FOR,
    ) -> tuple[Event, ...]:
        """The events `ven_id` must hear about at `now`, in the oadrDistributeEvent order.

        The order is ``vtn.domain.distribution_order``: the active events first (started, not
        ended, not cancelled) by priority with 1 the highest and 0 (no priority) last, then by
        start time; then every other event by start time; the event id breaks ties.

        An event is for the VEN when it targets all VENs, lists the ven_id, or lists one of the
        VEN's groups, resources or parties. It is included until ``listed_until`` (a while
        after its end, with status completed; for ever if open-ended), except that a cancelled
        one is dropped `cancelled_visible_for` after its cancellation.
        """
        require_aware("now", now)
        member = exists().where(
            VenMembershipRow.ven_id == ven_id,
            VenMembershipRow.kind == EventTargetRow.kind,
            VenMembershipRow.value == EventTargetRow.value,
        )
        targeted = exists().where(
            EventTargetRow.event_id == EventRow.event_id,
            or_(and_(EventTargetRow.kind == "ven", EventTargetRow.value == ven_id), member),
        )
        cancelled_since = now - cancelled_visible_for
        active = and_(
            EventRow.cancelled_at.is_(None),
            EventRow.start_at <= now,
            or_(EventRow.end_at.is_(None), EventRow.end_at > now),
        )
        query = (
            select(EventRow)
            .where(
                or_(EventRow.end_at.is_(None), EventRow.end_at > now - ENDED_LOOKBACK),
                or_(EventRow.cancelled_at.is_(None), EventRow.cancelled_at > cancelled_since),
                or_(EventRow.all_vens, targeted),
            )
            .order_by(
                case((active, 0), else_=1),
                case((and_(active, EventRow.priority == 0), 1), else_=0),
                case((active, EventRow.priority), else_=0),
                EventRow.start_at,
                EventRow.event_id,
            )
        )
        async with self._db.read() as session:
            events = await _load(session, (await session.scalars(query)).all())
        return tuple(e for e in events if (until := listed_until(e)) is None or now < until)

    async def _current(
        self, session: AsyncSession, event_id: str, expected: int | None
    ) -> EventRow:
        row = await session.get(EventRow, event_id, with_for_update=True)
        if row is None:
            raise NotFound(f"event {event_id!r} is not known")
        if row.cancelled_at is not None:
            raise Conflict(f"event {event_id!r} is cancelled")
        if expected is not None and row.modification_number != expected:
            raise Conflict(
                f"event {event_id!r} is at modification {row.modification_number}, not {expected}"
            )
        return row


def _bump(row: EventRow, now: datetime, reason: str | None) -> None:
    row.modification_number += 1
    row.modified_at = now
    row.modification_reason = reason


def _apply(row: EventRow, request: EventRequest) -> None:
    row.market_context = request.market_context
    row.priority = request.priority
    row.test_event = request.test_event
    row.response_required = request.response_required.value
    row.start_at = request.start
    row.duration = request.duration
    row.end_at = request.end
    row.tolerance_startafter = request.tolerance_startafter
    row.notification = request.notification
    row.ramp_up = request.ramp_up
    row.recovery = request.recovery
    row.all_vens = request.targets.all_vens
    row.signals = signals_to_json(request.signals)
    row.baseline = baseline_to_json(request.baseline)
    row.vtn_comment = request.vtn_comment


def _target_rows(event_id: str, targets: EventTargets) -> list[EventTargetRow]:
    return [
        EventTargetRow(event_id=event_id, kind=kind, value=value)
        for kind, field in _TARGET_KINDS
        for value in dict.fromkeys(getattr(targets, field))
    ]


async def _load(session: AsyncSession, rows: Sequence[EventRow]) -> tuple[Event, ...]:
    listed: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for ids in in_chunks([r.event_id for r in rows if not r.all_vens]):
        query = (
            select(EventTargetRow)
            .where(EventTargetRow.event_id.in_(ids))
            .order_by(EventTargetRow.value)
        )
        for t in await session.scalars(query):
            listed[t.event_id][t.kind].append(t.value)
    events = []
    for row in rows:
        if row.all_vens:
            targets = EventTargets.everyone()
        else:
            mine = listed[row.event_id]
            targets = EventTargets(
                ven_ids=tuple(mine["ven"]),
                group_ids=tuple(mine["group"]),
                resource_ids=tuple(mine["resource"]),
                party_ids=tuple(mine["party"]),
            )
        events.append(_to_event(row, targets))
    return tuple(events)


def _to_event(row: EventRow, targets: EventTargets) -> Event:
    request = EventRequest(
        targets=targets,
        market_context=row.market_context,
        signals=signals_from_json(row.signals),
        start=row.start_at,
        duration=row.duration,
        priority=row.priority,
        test_event=row.test_event,
        response_required=ResponseRequired(row.response_required),
        tolerance_startafter=row.tolerance_startafter,
        notification=row.notification,
        ramp_up=row.ramp_up,
        recovery=row.recovery,
        baseline=baseline_from_json(row.baseline),
        vtn_comment=row.vtn_comment,
    )
    return Event(
        event_id=row.event_id,
        modification_number=row.modification_number,
        created_at=row.created_at,
        request=request,
        modified_at=row.modified_at,
        modification_reason=row.modification_reason,
        cancelled_at=row.cancelled_at,
    )
