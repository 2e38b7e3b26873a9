"""Opts: store what VENs send in oadrCreateOpt, cancel on oadrCancelOpt, list them."""

from __future__ import annotations

from sqlalchemy import select

from common.messages.enums import OptReason, OptType
from vtn.domain import Opt
from vtn.storage.database import Database
from vtn.storage.documents import availability_from_json, availability_to_json
from vtn.storage.errors import NotFound
from vtn.storage.tables import OptRow

__all__ = ["OptStore"]


class OptStore:
    """Event opts and opt schedules, keyed by (ven_id, opt_id)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, opt: Opt) -> Opt:
        """Store `opt` as received.

        ``Conflict`` if the VEN already used its opt_id; ``NotFound`` if the VEN or the event
        it names is unknown.
        """
        row = OptRow(
            ven_id=opt.ven_id,
            opt_id=opt.opt_id,
            opt_type=opt.opt_type.value,
            opt_reason=opt.opt_reason.value,
            created_at=opt.created_at,
            received_at=opt.received_at,
            market_context=opt.market_context,
            event_id=opt.event_id,
            modification_number=opt.modification_number,
            availability=availability_to_json(opt.availability),
            resource_ids=list(opt.resource_ids),
            cancelled_at=opt.cancelled_at,
        )
        async with self._db.write(f"add opt {opt.opt_id} of VEN {opt.ven_id}") as session:
            session.add(row)
            await session.flush()
            return _to_opt(row)

    async def revise(self, opt: Opt) -> Opt:
        """Replace the VEN's opt `opt.opt_id` with `opt` (a revised schedule keeps its optID);
        a cancelled one is live again. ``NotFound`` if the VEN has no such opt."""
        async with self._db.write(f"revise opt {opt.opt_id} of VEN {opt.ven_id}") as session:
            row = await session.get(OptRow, (opt.ven_id, opt.opt_id), with_for_update=True)
            if row is None:
                raise NotFound(f"VEN {opt.ven_id!r} has no opt {opt.opt_id!r}")
            row.opt_type = opt.opt_type.value
            row.opt_reason = opt.opt_reason.value
            row.created_at = opt.created_at
            row.received_at = opt.received_at
            row.market_context = opt.market_context
            row.event_id = opt.event_id
            row.modification_number = opt.modification_number
            row.availability = availability_to_json(opt.availability)
            row.resource_ids = list(opt.resource_ids)
            row.cancelled_at = None
            await session.flush()
            return _to_opt(row)

    async def cancel(self, ven_id: str, opt_id: str) -> Opt:
        """Cancel the VEN's opt `opt_id` (idempotent); ``NotFound`` if unknown."""
        async with self._db.write(f"cancel opt {opt_id} of VEN {ven_id}") as session:
            row = await session.get(OptRow, (ven_id, opt_id), with_for_update=True)
            if row is None:
                raise NotFound(f"VEN {ven_id!r} has no opt {opt_id!r}")
            if row.cancelled_at is None:
                row.cancelled_at = self._db.clock.now()
            await session.flush()
            return _to_opt(row)

    async def get(self, ven_id: str, opt_id: str) -> Opt:
        """The VEN's opt `opt_id`; ``NotFound`` if unknown."""
        async with self._db.read() as session:
            row = await session.get(OptRow, (ven_id, opt_id))
            if row is None:
                raise NotFound(f"VEN {ven_id!r} has no opt {opt_id!r}")
            return _to_opt(row)

    async def list(
        self,
        *,
        ven_id: str | None = None,
        event_id: str | None = None,
        include_cancelled: bool = False,
    ) -> tuple[Opt, ...]:
        """Opts, optionally of one VEN and/or one event, in the order they were received."""
        query = select(OptRow).order_by(OptRow.received_at, OptRow.ven_id, OptRow.opt_id)
        if ven_id is not None:
            query = query.where(OptRow.ven_id == ven_id)
        if event_id is not None:
            query = query.where(OptRow.event_id == event_id)
        if not include_cancelled:
            query = query.where(OptRow.cancelled_at.is_(None))
        async with self._db.read() as session:
            return tuple(_to_opt(r) for r in await session.scalars(query))


def _to_opt(row: OptRow) -> Opt:
    return Opt(
        opt_id=row.opt_id,
        ven_id=row.ven_id,
        opt_type=OptType(row.opt_type),
        opt_reason=OptReason.parse(row.opt_reason),
        created_at=row.created_at,
        received_at=row.received_at,
        market_context=row.market_context,
        event_id=row.event_id,
        modification_number=row.modification_number,
        availability=availability_from_json(row.availability),
        resource_ids=tuple(row.resource_ids),
        cancelled_at=row.cancelled_at,
    )
