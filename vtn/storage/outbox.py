"""The push outbox: enqueue payloads, let workers claim them under a lease, record outcomes.

Claiming is one ``UPDATE ... WHERE item_id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``:
on PostgreSQL concurrent workers skip each other's rows and re-check the lease of any row they
lock, so no item is claimed twice while its lease runs; on SQLite the statement runs under the
single write lock (``BEGIN IMMEDIATE``), which gives the same guarantee.
Delivery is at least once: a worker that dies holding a claim loses it when the lease ends,
and another worker sends the payload again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update

from vtn.domain import PushOutboxItem
from vtn.domain.checks import require_aware
from vtn.storage.database import Database
from vtn.storage.errors import NotFound
from vtn.storage.ids import new_id
from vtn.storage.tables import OutboxRow

__all__ = ["DEFAULT_LEASE", "OutboxStore"]

DEFAULT_LEASE = timedelta(seconds=60)
"""How long a claim holds an item before another worker may take it [duration]."""

_OUTBOX = OutboxRow.__table__
_C = _OUTBOX.c


class OutboxStore:
    """Payloads waiting to be pushed to VENs."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(
        self, ven_id: str, payload: bytes, *, not_before: datetime | None = None
    ) -> PushOutboxItem:
        """Queue `payload` for `ven_id`, due now or at `not_before`.

        ``NotFound`` if the VEN is unknown.
        """
        require_aware("not_before", not_before)
        now = self._db.clock.now()
        row = OutboxRow(
            item_id=new_id(),
            ven_id=ven_id,
            payload=payload,
            created_at=now,
            attempts=0,
            next_attempt_at=not_before or now,
            claimed_by=None,
            claimed_until=None,
            delivered_at=None,
            given_up_at=None,
            last_error=None,
        )
        async with self._db.write(f"queue a push to VEN {ven_id}") as session:
            session.add(row)
            await session.flush()
            return _to_item({c.name: getattr(row, c.name) for c in _C})

    async def claim(
        self,
        worker: str,
        now: datetime | None = None,
        limit: int = 10,
        *,
        lease: timedelta = DEFAULT_LEASE,
    ) -> tuple[PushOutboxItem, ...]:
        """Claim up to `limit` due items for `worker` until ``now + lease``.

        Due: not delivered, not given up, ``next_attempt_at <= now``, and not claimed (or the
        claim's lease is over). Each claim counts as an attempt. Oldest due first. `now`
        defaults to the store's clock.
        """
        now = now or self._db.clock.now()
        require_aware("now", now)
        if limit < 1:
            return ()
        due = (
            select(_C.item_id)
            .where(
                _C.delivered_at.is_(None),
                _C.given_up_at.is_(None),
                _C.next_attempt_at <= now,
                or_(_C.claimed_until.is_(None), _C.claimed_until <= now),
            )
            .order_by(_C.next_attempt_at, _C.created_at, _C.item_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(_OUTBOX)
            .where(_C.item_id.in_(due.scalar_subquery()))
            .values(claimed_by=worker, claimed_until=now + lease, attempts=_C.attempts + 1)
            .returning(*_C)
        )
        async with self._db.write(f"claim pushes for {worker}") as session:
            rows = (await session.execute(statement)).mappings().all()
        items = [_to_item(r) for r in rows]
        return tuple(sorted(items, key=lambda i: (i.next_attempt_at, i.created_at, i.item_id)))

    async def mark_delivered(self, item_id: str, *, worker: str) -> bool:
        """Record the delivery of `item_id`; ``False`` if it was already finished.

        Accepted even when `worker`'s lease has run out: the VEN has the payload.
        """
        statement = (
            update(_OUTBOX)
            .where(_C.item_id == item_id, _C.delivered_at.is_(None))
            .values(delivered_at=self._db.clock.now(), claimed_by=worker, claimed_until=None)
        )
        return await self._finish(item_id, statement, f"mark push {item_id} delivered")

    async def mark_failed(
        self, item_id: str, *, worker: str, backoff: timedelta | None, error: str = ""
    ) -> bool:
        """Record a failed attempt by `worker`: retry after `backoff`, or give up when ``None``.

        ``False`` (and nothing changes) when `worker` no longer holds the claim (its lease
        ran out and another worker claimed the item) or the item is finished.
        """
        now = self._db.clock.now()
        values: dict[str, Any] = {"claimed_by": None, "claimed_until": None, "last_error": error}
        if backoff is None:
            values["given_up_at"] = now
        else:
            values["next_attempt_at"] = now + backoff
        statement = (
            update(_OUTBOX)
            .where(
                _C.item_id == item_id,
                _C.claimed_by == worker,
                _C.delivered_at.is_(None),
                _C.given_up_at.is_(None),
            )
            .values(**values)
        )
        return await self._finish(item_id, statement, f"mark push {item_id} failed")

    async def get(self, item_id: str) -> PushOutboxItem:
        """The item `item_id`; ``NotFound`` if unknown."""
        async with self._db.read() as session:
            row = (await session.execute(select(_OUTBOX).where(_C.item_id == item_id))).first()
        if row is None:
            raise NotFound(f"push {item_id!r} is not known")
        return _to_item(row._mapping)

    async def pending(self, *, ven_id: str | None = None) -> tuple[PushOutboxItem, ...]:
        """Items neither delivered nor given up (claimed or not), oldest first."""
        query = (
            select(_OUTBOX)
            .where(_C.delivered_at.is_(None), _C.given_up_at.is_(None))
            .order_by(_C.created_at, _C.item_id)
        )
        if ven_id is not None:
            query = query.where(_C.ven_id == ven_id)
        async with self._db.read() as session:
            return tuple(_to_item(r) for r in (await session.execute(query)).mappings())

    async def purge_finished(self, before: datetime) -> int:
        """Delete items delivered or given up before `before`; returns how many."""
        require_aware("before", before)
        statement = delete(OutboxRow).where(
            or_(OutboxRow.delivered_at < before, OutboxRow.given_up_at < before)
        )
        async with self._db.write("purge finished pushes") as session:
            return (await session.execute(statement)).rowcount  # type: ignore[attr-defined]

    async def _finish(self, item_id: str, statement: Any, what: str) -> bool:
        async with self._db.write(what) as session:
            if (await session.execute(statement)).rowcount:  # type: ignore[attr-defined]
                return True
            known = (await session.execute(select(_C.item_id).where(_C.item_id == item_id))).first()
        if known is None:
            raise NotFound(f"push {item_id!r} is not known")
        return False


def _to_item(row: Any) -> PushOutboxItem:
    return PushOutboxItem(
        item_id=row["item_id"],
        ven_id=row["ven_id"],
        payload=bytes(row["payload"]),
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"],
        attempts=row["attempts"],
        claimed_by=row["claimed_by"],
        claimed_until=row["claimed_until"],
        delivered_at=row["delivered_at"],
        given_up_at=row["given_up_at"],
        last_error=row["last_error"],
    )
