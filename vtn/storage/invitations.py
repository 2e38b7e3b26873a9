"""Invitations: which modification of which event each VEN received, and how it answered."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import (
    Executable,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import ResponseCode
from common.messages.enums import OptType
from vtn.domain import Invitation
from vtn.storage.batches import Batches, GroupCommit
from vtn.storage.changes import note_change
from vtn.storage.database import Database, in_chunks
from vtn.storage.errors import StorageError
from vtn.storage.tables import (
    EventRow,
    EventTargetRow,
    InvitationRow,
    VenMembershipRow,
    VenRow,
)

__all__ = ["InvitationStore"]

_TABLE = InvitationRow.__table__
_DELIVERED = select(
    _TABLE.c.ven_id, _TABLE.c.event_id, _TABLE.c.delivered_modification_number
).where(_TABLE.c.ven_id.in_(bindparam("ven_ids", expanding=True)))


class InvitationStore:
    """Per event and VEN: delivery and answer. Rows appear on the first delivery or answer."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._batches: GroupCommit[list[dict[str, object]]] = GroupCommit(self._write_deliveries)
        self._lookups: Batches[str, dict[str, int]] = Batches(self._delivered_to)

    async def mark_delivered(
        self, event_id: str, ven_id: str, modification_number: int
    ) -> Invitation:
        """Record that `ven_id` received `modification_number` of `event_id` now.

        An older modification never overwrites a newer one. ``NotFound`` if the event or the
        VEN is unknown.
        """
        async with self._db.write(f"deliver event {event_id} to VEN {ven_id}") as session:
            await session.execute(
                self._delivery(), self._deliveries(ven_id, {event_id: modification_number})
            )
            return await _get(session, event_id, ven_id)

    async def mark_all_delivered(self, ven_id: str, deliveries: Mapping[str, int]) -> None:
        """Record several deliveries to one VEN (event_id -> modification number) at once.

        Returns once they are committed. Calls that arrive while an earlier batch is being
        written are committed together in the next transaction (group commit: when an event
        reaches thousands of VENs at once, one transaction per VEN would queue on SQLite's
        one write lock). A failed batch fails every call in it.
        """
        if not deliveries:
            return
        await self._batches.submit(self._deliveries(ven_id, deliveries))

    async def record_deliveries(
        self, session: AsyncSession, deliveries: Mapping[str, Mapping[str, int]]
    ) -> None:
        """Record, in `session`'s write transaction, that each VEN received the events of
        `deliveries` (ven_id -> event_id -> modification number) now, as ``mark_delivered``
        does: one multi-row upsert per ``IN_LIST_CHUNK`` rows."""
        rows = [row for ven_id, numbers in sorted(deliveries.items())
                for row in self._deliveries(ven_id, numbers)]
        for chunk in in_chunks(rows):
            await session.execute(self._delivery(), list(chunk))

    async def _write_deliveries(self, batches: list[list[dict[str, object]]]) -> None:
        rows = [row for batch in batches for row in batch]
        vens = len({row["ven_id"] for row in rows})
        async with self._db.write(f"record deliveries to {vens} VEN(s)") as session:
            await session.execute(self._delivery(), rows)

    def _deliveries(self, ven_id: str, deliveries: Mapping[str, int]) -> list[dict[str, object]]:
        now = self._db.clock.now()
        return [
            {
                "event_id": event_id,
                "ven_id": ven_id,
                "first_delivered_at": now,
                "delivered_at": now,
                "delivered_modification_number": number,
            }
            for event_id, number in deliveries.items()
        ]

    def _delivery(self) -> Executable:
        """Upsert a delivery: ``delivered_at`` is the latest; ``first_delivered_at`` the first
        delivery of the modification held (a re-delivery keeps it, a newer modification
        resets it)."""
        insert = self._db.insert(_TABLE)
        current = _TABLE.c.delivered_modification_number
        first = case(
            (
                and_(
                    current == insert.excluded.delivered_modification_number,
                    _TABLE.c.first_delivered_at.is_not(None),
                ),
                _TABLE.c.first_delivered_at,
            ),
            else_=insert.excluded.first_delivered_at,
        )
        return insert.on_conflict_do_update(
            index_elements=[_TABLE.c.event_id, _TABLE.c.ven_id],
            set_={
                "first_delivered_at": first,
                "delivered_at": insert.excluded.delivered_at,
                "delivered_modification_number": insert.excluded.delivered_modification_number,
            },
            where=or_(current.is_(None), current <= insert.excluded.delivered_modification_number),
        )

    async def record_opt(
        self,
        event_id: str,
        ven_id: str,
        *,
        modification_number: int,
        opt_type: OptType,
        response_code: int = ResponseCode.OK,
    ) -> Invitation:
        """Record the VEN's answer to `modification_number` of `event_id` (oadrCreatedEvent).

        An answer to an older modification than the one already recorded is ignored.
        ``NotFound`` if the event or the VEN is unknown.
        """
        insert = self._db.insert(_TABLE).values(
            event_id=event_id,
            ven_id=ven_id,
            opt_type=opt_type.value,
            opted_at=self._db.clock.now(),
            opt_modification_number=modification_number,
            response_code=int(response_code),
        )
        current = _TABLE.c.opt_modification_number
        statement = insert.on_conflict_do_update(
            index_elements=[_TABLE.c.event_id, _TABLE.c.ven_id],
            set_={
                "opt_type": insert.excluded.opt_type,
                "opted_at": insert.excluded.opted_at,
                "opt_modification_number": insert.excluded.opt_modification_number,
                "response_code": insert.excluded.response_code,
            },
            where=or_(current.is_(None), current <= insert.excluded.opt_modification_number),
        )
        cancelled = select(EventRow.cancelled_at.is_not(None)).where(EventRow.event_id == event_id)
        async with self._db.write(f"record opt of VEN {ven_id} for event {event_id}") as session:
            await session.execute(statement)
            if await session.scalar(cancelled):
                # An answer to a cancellation ends its re-sending to this VEN
                # (``vtn.domain.event.awaits_acknowledgement``): what waits for it changed, so
                # a poll gate that remembers it forgets it.
                note_change(session, ven_id)
            return await _get(session, event_id, ven_id)

    async def get(self, event_id: str, ven_id: str) -> Invitation | None:
        """The invitation of `ven_id` to `event_id`, or ``None`` if nothing happened yet."""
        async with self._db.read() as session:
            row = await session.get(InvitationRow, (event_id, ven_id))
            return None if row is None else _to_invitation(row)

    async def list_for_event(self, event_id: str) -> tuple[Invitation, ...]:
        """Every invitation of `event_id`, by ven_id."""
        query = select(InvitationRow).where(InvitationRow.event_id == event_id)
        async with self._db.read() as session:
            return await _list(session, query.order_by(InvitationRow.ven_id))

    async def list_for_ven(self, ven_id: str) -> tuple[Invitation, ...]:
        """Every invitation of `ven_id`, by event_id."""
        query = select(InvitationRow).where(InvitationRow.ven_id == ven_id)
        async with self._db.read() as session:
            return await _list(session, query.order_by(InvitationRow.event_id))

    async def delivered_numbers(self, ven_id: str) -> dict[str, int]:
        """event_id -> the modification number `ven_id` last received, for the events it
        received. The poll path: lookups that arrive together are answered by one statement
        (without a transaction), as when an event reaches thousands of VENs at once."""
        return await self._lookups.submit(ven_id)

    async def _delivered_to(self, ven_ids: list[str]) -> list[dict[str, int]]:
        found: dict[str, dict[str, int]] = {v: {} for v in ven_ids}
        async with self._db.connect() as connection:
            for chunk in in_chunks(sorted(found)):
                rows = await connection.execute(_DELIVERED, {"ven_ids": list(chunk)})
                for ven_id, event_id, number in rows:
                    if number is not None:
                        found[ven_id][event_id] = number
        return [found[v] for v in ven_ids]

    async def delivery_counts(self, event_id: str, modification_number: int) -> tuple[int, int]:
        """How many VENs have received `modification_number` (or later) of `event_id`, and how
        many registered (not cancelled), not report-only VENs the event targets now.

        Two ``COUNT`` queries in one statement: no VEN or invitation is loaded.
        """
        parameters = {"event_id": event_id, "modification_number": modification_number}
        async with self._db.connect() as connection:
            have, targeted = (await connection.execute(_COUNTS, parameters)).one()
        return int(have), int(targeted)


_VENS = VenRow.__table__
_EVENTS = EventRow.__table__
_TARGETS = EventTargetRow.__table__
_MEMBERS = VenMembershipRow.__table__
_HAVE = (
    select(func.count())
    .select_from(_TABLE)
    .where(
        _TABLE.c.event_id == bindparam("event_id"),
        _TABLE.c.delivered_modification_number >= bindparam("modification_number"),
    )
    .scalar_subquery()
)
_MEMBER = (
    exists()
    .where(
        _MEMBERS.c.ven_id == _VENS.c.ven_id,
        _MEMBERS.c.kind == _TARGETS.c.kind,
        _MEMBERS.c.value == _TARGETS.c.value,
    )
    .correlate_except(_MEMBERS)
)
_LISTED = (
    exists()
    .where(
        _TARGETS.c.event_id == bindparam("event_id"),
        or_(and_(_TARGETS.c.kind == "ven", _TARGETS.c.value == _VENS.c.ven_id), _MEMBER),
    )
    .correlate_except(_TARGETS)
)
_FOR_ALL = (
    exists()
    .where(_EVENTS.c.event_id == bindparam("event_id"), _EVENTS.c.all_vens == true())
    .correlate_except(_EVENTS)
)
_TARGETED = (
    select(func.count())
    .select_from(_VENS)
    .where(
        _VENS.c.cancelled_at.is_(None),
        _VENS.c.report_only == false(),
        or_(_FOR_ALL, _LISTED),
    )
    .scalar_subquery()
)
_COUNTS = select(_HAVE, _TARGETED)
"""Invitations current at a modification, and VENs targeted (as ``targets_ven`` decides)."""


async def _get(session: AsyncSession, event_id: str, ven_id: str) -> Invitation:
    row = await session.get(InvitationRow, (event_id, ven_id))
    if row is None:  # the upsert in this transaction wrote it; only a broken database gets here
        raise StorageError(f"invitation of VEN {ven_id!r} to event {event_id!r} vanished")
    return _to_invitation(row)


async def _list(session: AsyncSession, query: Executable) -> tuple[Invitation, ...]:
    return tuple(_to_invitation(r) for r in await session.scalars(query))


def _to_invitation(row: InvitationRow) -> Invitation:
    return Invitation(
        event_id=row.event_id,
        ven_id=row.ven_id,
        first_delivered_at=row.first_delivered_at,
        delivered_at=row.delivered_at,
        delivered_modification_number=row.delivered_modification_number,
        opt_type=None if row.opt_type is None else OptType(row.opt_type),
        opted_at=row.opted_at,
        opt_modification_number=row.opt_modification_number,
        response_code=row.response_code,
    )
