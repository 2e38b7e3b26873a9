"""What the operations endpoints ask the database: is it there, is its schema current, how
many VENs are in which state, how long the outbox queues are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select, text

from vtn.storage import migrate
from vtn.storage.database import Database
from vtn.storage.tables import OutboxRow, VenRow

__all__ = ["StatusStore", "VenCount"]


@dataclass(frozen=True, slots=True)
class VenCount:
    """How many VENs have one combination of states."""

    registered: bool
    """False for a cancelled registration."""
    pull: bool
    """True for a VEN that polls, False for one the VTN pushes to."""
    online: bool
    """Seen (any request) at or after the cutoff given to ``ven_counts``."""
    count: int


class StatusStore:
    """Read-only questions for ``/ready`` and ``/metrics`` (each one cheap query)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def ping(self) -> None:
        """Run ``SELECT 1``; ``StorageError`` if the database does not answer."""
        async with self._db.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def schema_revision(self) -> str | None:
        """The migration the database is at (``None`` before the first); ``StorageError`` if
        the database does not answer."""
        async with self._db.connect() as connection:
            return await connection.run_sync(migrate.current_revision)

    async def ven_counts(self, online_since: datetime) -> tuple[VenCount, ...]:
        """VENs counted by (registered, pull, online: seen at or after `online_since`)."""
        registered = VenRow.cancelled_at.is_(None)
        online = case((and_(VenRow.last_seen_at.is_not(None),
                            VenRow.last_seen_at >= online_since), True), else_=False)
        query = (select(registered, VenRow.http_pull_model, online, func.count())
                 .group_by(registered, VenRow.http_pull_model, online))
        async with self._db.read() as session:
            rows = (await session.execute(query)).all()
        return tuple(VenCount(bool(r[0]), bool(r[1]), bool(r[2]), int(r[3])) for r in rows)

    async def outbox_depth(self) -> dict[bool, int]:
        """Messages queued and neither delivered nor given up, by VEN kind (True: pull VENs,
        taken by their polls; False: push VENs, waiting for the push worker)."""
        query = (select(VenRow.http_pull_model, func.count())
                 .select_from(OutboxRow).join(VenRow, VenRow.ven_id == OutboxRow.ven_id)
                 .where(OutboxRow.delivered_at.is_(None), OutboxRow.given_up_at.is_(None))
                 .group_by(VenRow.http_pull_model))
        async with self._db.read() as session:
            rows = (await session.execute(query)).all()
        depth = {True: 0, False: 0}
        depth.update({bool(r[0]): int(r[1]) for r in rows})
        return depth
