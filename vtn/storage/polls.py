"""The hot path of oadrPoll: a VEN's registration and whether anything waits for it, in one query.

An empty poll (nothing new for the VEN) used to cost three read transactions: the VEN lookup
(two queries), the VEN's events (``EventStore.for_ven``) and its queue
(``OutboxStore.pending``). ``PollStore.state`` answers all three in one SQLAlchemy Core
``SELECT`` on one connection: the VEN's row joined to its memberships, plus two ``EXISTS``
flags. The statements are built once, here; only their parameters change per poll. When a flag
is set the poll takes the full paths (``for_ven``, ``take_next``), so the flags only have to
be exact about "nothing waits".

The events flag is ``EventStore.for_ven``'s condition (the event is for the VEN at `now`)
combined with the one of ``vtn.services.event.changed_events`` (the VEN has not received the
event's current modification), and is false for cancelled and report-only VENs, which get no
events. The queue flag is ``OutboxStore.pending``'s condition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, false, or_, select, true

from common.messages.enums import ResponseRequired
from vtn.domain import Ven
from vtn.domain.checks import require_aware
from vtn.domain.event import CANCELLATION_RESENT_FOR
from vtn.storage.batches import Batches
from vtn.storage.database import Database
from vtn.storage.events import CANCELLED_VISIBLE_FOR
from vtn.storage.tables import (
    EventRow,
    EventTargetRow,
    InvitationRow,
    OutboxRow,
    VenMembershipRow,
    VenRow,
)
from vtn.storage.vens import Memberships, to_ven

__all__ = ["PollState", "PollStore"]

_VENS = VenRow.__table__
_MEMBERS = VenMembershipRow.__table__


@dataclass(frozen=True, slots=True)
class PollState:
    """What an oadrPoll needs to know first: who polls, and whether anything waits for it.

    ``events_changed``: one of the VEN's current events is new or modified since its last
    delivery (never for a cancelled or report-only VEN). ``queued``: its queue holds an item
    neither delivered nor given up.
    """

    ven: Ven
    events_changed: bool
    queued: bool


def events_changed_for(ven_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """True when an event for the VEN `ven_id` (a column or a bound value) is current at the
    bound ``now`` and the VEN has not received its current modification.

    A cancellation the VEN has not acknowledged counts as not received while it is sent again
    (``vtn.domain.event.awaits_acknowledgement``), once its last delivery is no later than the
    bound ``resent_before`` (``now`` for polls: at each one; earlier for pushes, a gap between
    two re-sends).

    Binds ``now``, ``cancelled_since`` (``now - CANCELLED_VISIBLE_FOR``), ``resend_since``
    (``now - CANCELLATION_RESENT_FOR``) and ``resent_before``. Every table has
    its own alias, and each subquery correlates everything but its own table (auto-correlation
    reaches only the immediately enclosing SELECT, and `ven_id` is three levels up).
    """
    events = EventRow.__table__.alias("poll_e")
    targets = EventTargetRow.__table__.alias("poll_t")
    members = _MEMBERS.alias("poll_m")
    invitations = InvitationRow.__table__.alias("poll_i")
    member = (
        exists()
        .where(
            members.c.ven_id == ven_id,
            members.c.kind == targets.c.kind,
            members.c.value == targets.c.value,
        )
        .correlate_except(members)
    )
    targeted = (
        exists()
        .where(
            targets.c.event_id == events.c.event_id,
            or_(and_(targets.c.kind == "ven", targets.c.value == ven_id), member),
        )
        .correlate_except(targets)
    )
    unacknowledged_cancellation = and_(  # ``vtn.domain.event.awaits_acknowledgement``
        events.c.cancelled_at.is_not(None),
        events.c.cancelled_at > bindparam("resend_since"),
        events.c.response_required == ResponseRequired.ALWAYS.value,
        or_(
            invitations.c.opt_modification_number.is_(None),
            invitations.c.opt_modification_number < events.c.modification_number,
        ),
        invitations.c.delivered_at <= bindparam("resent_before"),
    )
    received = (
        exists()
        .where(
            invitations.c.event_id == events.c.event_id,
            invitations.c.ven_id == ven_id,
            invitations.c.delivered_modification_number >= events.c.modification_number,
            ~unacknowledged_cancellation,
        )
        .correlate_except(invitations)
    )
    return (
        exists()
        .where(
            or_(events.c.end_at.is_(None), events.c.end_at > bindparam("now")),
            or_(
                events.c.cancelled_at.is_(None),
                events.c.cancelled_at > bindparam("cancelled_since"),
            ),
            or_(events.c.all_vens, targeted),
            ~received,
        )
        .correlate_except(events)
    )


def _queued_for(ven_id: ColumnElement[Any]) -> ColumnElement[bool]:
    outbox = OutboxRow.__table__.alias("poll_o")
    return (
        exists()
        .where(
            outbox.c.ven_id == ven_id,
            outbox.c.delivered_at.is_(None),
            outbox.c.given_up_at.is_(None),
        )
        .correlate_except(outbox)
    )


def _state_query(key: ColumnElement[bool]) -> Any:
    gets_events = and_(_VENS.c.cancelled_at.is_(None), _VENS.c.report_only == false())
    return (
        select(
            *_VENS.c,
            _MEMBERS.c.kind.label("member_kind"),
            _MEMBERS.c.value.label("member_value"),
            and_(gets_events, events_changed_for(_VENS.c.ven_id)).label("events_changed"),
            _queued_for(_VENS.c.ven_id).label("queued"),
        )
        .select_from(_VENS.outerjoin(_MEMBERS, _MEMBERS.c.ven_id == _VENS.c.ven_id))
        .where(key)
        .order_by(_MEMBERS.c.value)
    )


_BY_VEN_ID = _state_query(_VENS.c.ven_id == bindparam("key"))
_BY_FINGERPRINT = _state_query(_VENS.c.fingerprint == bindparam("key"))
_EVERY_VEN = _state_query(true()).order_by(None).order_by(_VENS.c.ven_id, _MEMBERS.c.value)
_PUSH_VENS_WITH_CHANGED_EVENTS = (
    select(_VENS.c.ven_id)
    .where(
        _VENS.c.http_pull_model == false(),
        _VENS.c.report_only == false(),
        _VENS.c.cancelled_at.is_(None),
        events_changed_for(_VENS.c.ven_id),
    )
    .order_by(_VENS.c.ven_id)
)


def _state(rows: Sequence[Any]) -> PollState:
    """One VEN's ``PollState`` from its rows (one per membership, at least one)."""
    first = rows[0]
    kinds: dict[str, list[str]] = {}
    for row in rows:
        if row.member_kind is not None:
            kinds.setdefault(row.member_kind, []).append(row.member_value)
    memberships: Memberships = {first.ven_id: {k: tuple(v) for k, v in kinds.items()}}
    return PollState(
        ven=to_ven(first, memberships),
        events_changed=bool(first.events_changed),
        queued=bool(first.queued),
    )


_BY_KEYS = _state_query(
    or_(_VENS.c.ven_id.in_(bindparam("ven_ids", expanding=True)),
        _VENS.c.fingerprint.in_(bindparam("fingerprints", expanding=True)))
).order_by(None).order_by(_VENS.c.ven_id, _MEMBERS.c.value)
STATE_LOOKUPS = 200
"""Most ``state`` lookups answered by one statement."""
STATE_SPREAD = timedelta(seconds=1)
"""Lookups whose instants lie within this of each other are answered at the latest of them."""


@dataclass(frozen=True, slots=True)
class _Lookup:
    by_fingerprint: bool
    key: str
    now: datetime
    cancelled_visible_for: timedelta


class PollStore:
    """Read-only questions asked on every poll and every push sweep, one query each (or fewer).

    ``state`` lookups that arrive while one is being read are answered together by the next
    statement (``Batches``): when an event reaches thousands of VENs at once, their polls read
    their state in a few statements instead of one each. Lookups answered together are read at
    the latest of their instants ``now`` (they differ by the milliseconds they waited; at most
    ``STATE_SPREAD``, else they are read apart).
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lookups: Batches[_Lookup, PollState | None] = Batches(
            self._read_states, limit=STATE_LOOKUPS, parallel=1 if db.dialect == "sqlite" else 2
        )

    async def state(
        self,
        *,
        ven_id: str | None = None,
        fingerprint: str | None = None,
        now: datetime,
        cancelled_visible_for: timedelta = CANCELLED_VISIBLE_FOR,
    ) -> PollState | None:
        """The VEN with `ven_id` (or, when given instead, the certificate `fingerprint`) and
        whether anything waits for it at `now`; ``None`` if no such VEN is registered
        (cancelled registrations count as registered)."""
        require_aware("now", now)
        if (ven_id is None) == (fingerprint is None):
            raise ValueError("give exactly one of ven_id and fingerprint")
        key = ven_id if ven_id is not None else str(fingerprint)
        return await self._lookups.submit(
            _Lookup(fingerprint is not None, key, now, cancelled_visible_for))

    async def _read_states(self, lookups: list[_Lookup]) -> list[PollState | None]:
        """The answers to `lookups`, in order: one statement per group of them whose instants
        lie within ``STATE_SPREAD`` (and that share ``cancelled_visible_for``)."""
        groups: list[list[_Lookup]] = []
        for lookup in sorted(lookups, key=lambda x: (x.cancelled_visible_for, x.now)):
            group = groups[-1] if groups else None
            if (group is None or group[0].cancelled_visible_for != lookup.cancelled_visible_for
                    or lookup.now - group[0].now > STATE_SPREAD):
                groups.append([lookup])
            else:
                group.append(lookup)
        found: dict[_Lookup, PollState | None] = {}
        async with self._db.connect() as connection:
            for group in groups:
                now = group[-1].now
                if len(group) == 1:
                    one = group[0]
                    statement = _BY_FINGERPRINT if one.by_fingerprint else _BY_VEN_ID
                    keys: dict[str, Any] = {"key": one.key}
                else:
                    statement = _BY_KEYS
                    keys = {"ven_ids": sorted({g.key for g in group if not g.by_fingerprint}),
                            "fingerprints": sorted({g.key for g in group if g.by_fingerprint})}
                parameters = {
                    **keys,
                    "now": now,
                    "cancelled_since": now - group[0].cancelled_visible_for,
                    "resend_since": now - CANCELLATION_RESENT_FOR,
                    "resent_before": now,
                }
                rows = (await connection.execute(statement, parameters)).all()
                states = [_state(list(rs)) for _, rs in groupby(rows, key=lambda r: r.ven_id)]
                by_id = {st.ven.ven_id: st for st in states}
                by_print = {st.ven.fingerprint: st for st in states}
                for lookup in group:
                    found[lookup] = (by_print if lookup.by_fingerprint else by_id).get(lookup.key)
        return [found[lookup] for lookup in lookups]

    async def every_state(
        self, now: datetime, *, cancelled_visible_for: timedelta = CANCELLED_VISIBLE_FOR
    ) -> list[PollState]:
        """``state`` of every VEN at `now`, in one query (to warm a poll cache at start)."""
        require_aware("now", now)
        parameters = {"now": now, "cancelled_since": now - cancelled_visible_for,
                      "resend_since": now - CANCELLATION_RESENT_FOR, "resent_before": now}
        async with self._db.connect() as connection:
            rows = (await connection.execute(_EVERY_VEN, parameters)).all()
        return [_state(list(group)) for _, group in groupby(rows, key=lambda r: r.ven_id)]

    async def push_vens_with_changed_events(
        self, now: datetime, *, resend_gap: timedelta = timedelta(0)
    ) -> tuple[str, ...]:
        """The ven_ids of the registered (not cancelled), not report-only push VENs for which
        an event is new or modified since its last delivery at `now`, or that must be sent
        again a cancellation they have not acknowledged, last sent `resend_gap` ago or more;
        by ven_id."""
        statement, parameters = self.push_vens_with_changed_events_query(
            now, resend_gap=resend_gap)
        async with self._db.connect() as connection:
            result = await connection.execute(statement, parameters)
            return tuple(result.scalars())

    def push_vens_with_changed_events_query(
        self, now: datetime, *, resend_gap: timedelta = timedelta(0)
    ) -> tuple[Select[Any], dict[str, Any]]:
        """The query of ``push_vens_with_changed_events`` and its parameters, to be used
        inside another statement (``OutboxStore.enqueue_unless_pending``)."""
        require_aware("now", now)
        parameters = {
            "now": now,
            "cancelled_since": now - CANCELLED_VISIBLE_FOR,
            "resend_since": now - CANCELLATION_RESENT_FOR,
            "resent_before": now - resend_gap,
        }
        return _PUSH_VENS_WITH_CHANGED_EVENTS, parameters
