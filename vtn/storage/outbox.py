"""The outbox: each VEN's queue of VTN-initiated messages, pushed or taken by its polls.

One table for both delivery modes; the mode is not stored per item but read from the VEN's
registration (``vens.http_pull_model``) when an item is delivered, so a VEN that re-registers
from pull to push (or back) has its waiting items delivered the new way, with no rewrite and no
window in which an item carries a stale mode. ``seq`` orders each queue (insertion order).

- Push: workers ``claim`` due items of push VENs only, under a lease, and record the outcome
  (``mark_delivered`` / ``mark_failed``, or ``release`` when the VEN turned to pull meanwhile).
- Pull: the VEN's oadrPoll calls ``take_next(ven_id)``, which marks the VEN's oldest waiting
  item delivered and returns it, in one statement: two concurrent polls never take the same
  item, and an item a push worker holds under a live lease is skipped.

Claiming (and taking) is a ``SELECT ... FOR UPDATE SKIP LOCKED`` then an ``UPDATE ...
RETURNING`` of the rows it locked, in one transaction (two statements: PostgreSQL may re-run a
``LIMIT ... FOR UPDATE SKIP LOCKED`` subquery inside an UPDATE and then update more rows than
the limit): on PostgreSQL concurrent workers skip each other's rows and re-check the lease of
any row they lock, so no item is claimed twice while its lease runs; on SQLite the transaction
runs under the single write lock (``BEGIN IMMEDIATE``), which gives the same guarantee.
Delivery is at least once: a worker that dies holding a claim loses it when the lease ends,
and another worker sends the payload again.

A fan-out to many push VENs is done in bulk: ``enqueue_unless_pending`` queues one payload for
every VEN a query names that has no such message waiting yet (one transaction, one INSERT of
many rows, which SQLAlchemy sends in pages of 1,000; on PostgreSQL under a transaction-level
advisory lock, so two workers sweeping at once cannot both queue for one VEN), and
``finish_pushes`` marks a whole batch of pushed items delivered and records the events each VEN
received in one transaction: an item is never seen delivered without its VEN's delivery record,
or the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from vtn.domain import PushOutboxItem
from vtn.domain.checks import require_aware
from vtn.storage.changes import note_change
from vtn.storage.database import Database, in_chunks
from vtn.storage.errors import NotFound
from vtn.storage.ids import new_id
from vtn.storage.invitations import InvitationStore
from vtn.storage.lists import one_of
from vtn.storage.tables import OutboxRow, VenRow, rowcount, table_of

__all__ = ["DEFAULT_LEASE", "OutboxStore"]

DEFAULT_LEASE = timedelta(seconds=60)
"""How long a claim holds an item before another worker may take it [duration]."""

_OUTBOX = table_of(OutboxRow)
_C = _OUTBOX.c
_VENS = table_of(VenRow)
_PUSH_VEN = exists().where(
    _VENS.c.ven_id == _C.ven_id, _VENS.c.http_pull_model.is_(False)
)
"""True for items whose VEN is registered for push (httpPullModel=false)."""
_SWEEP_LOCK = 0x6F616472_7377
"""The PostgreSQL advisory lock key that serializes ``enqueue_unless_pending`` transactions."""


class OutboxStore:
    """Payloads waiting to be pushed to VENs."""

    def __init__(self, db: Database, invitations: InvitationStore | None = None) -> None:
        self._db = db
        self._invitations = invitations or InvitationStore(db)

    async def enqueue(
        self, ven_id: str, payload: bytes, *, not_before: datetime | None = None
    ) -> PushOutboxItem:
        """Queue `payload` for `ven_id` (pushed not before `not_before`, default now), at the end
        of its queue.

        ``NotFound`` if the VEN is unknown.
        """
        require_aware("not_before", not_before)
        now = self._db.clock.now()
        values: dict[str, Any] = {
            "item_id": new_id(),
            "ven_id": ven_id,
            "payload": payload,
            "created_at": now,
            "attempts": 0,
            "next_attempt_at": not_before or now,
        }
        if self._db.dialect == "sqlite":  # PostgreSQL: the identity column; SQLite: max + 1
            values["seq"] = (
                select(func.coalesce(func.max(_C.seq), 0) + 1).scalar_subquery()
            )
        statement = insert(_OUTBOX).values(**values).returning(*_C)
        async with self._db.write(f"queue a message to VEN {ven_id}") as session:
            row = (await session.execute(statement)).mappings().one()
            note_change(session, ven_id)
        return _to_item(row)

    async def enqueue_unless_pending(
        self,
        ven_ids: Select[Any],
        parameters: Mapping[str, Any],
        payload: bytes,
        *,
        marker: bytes,
    ) -> tuple[str, ...]:
        """Queue `payload` for each VEN that the query `ven_ids` (with its bound `parameters`)
        names and whose queue holds no waiting item containing `marker`; the ven_ids queued
        for, in the query's order.

        One transaction: the query, the check and one INSERT of many rows (PostgreSQL: one
        ``INSERT ... SELECT``, the rows made by the server, item_ids as ``new_id`` writes them;
        a fan-out to 10,000 VENs sends no row over the connection). Transactions of this
        method run one at a time (PostgreSQL: an advisory lock; SQLite: its write lock), so a
        VEN gets at most one such item however many workers sweep at once.
        """
        waiting = (
            exists()
            .where(
                _C.ven_id == ven_ids.selected_columns[0],
                _C.delivered_at.is_(None),
                _C.given_up_at.is_(None),
                self._contains(marker),
            )
            .correlate_except(_OUTBOX)
        )
        now = self._db.clock.now()
        async with self._db.write("queue a message for many VENs") as session:
            if self._db.dialect == "postgresql":
                await session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                      {"key": _SWEEP_LOCK})
                queued = await self._insert_selected(session, ven_ids.where(~waiting),
                                                     parameters, payload, now)
                for ven_id in queued:
                    note_change(session, ven_id)
                return queued
            result = await session.execute(ven_ids.where(~waiting), parameters)
            chosen: tuple[str, ...] = tuple(str(v) for v in result.scalars())
            if not chosen:
                return ()
            first = 1
            if self._db.dialect == "sqlite":  # PostgreSQL: the identity column
                last = await session.scalar(select(func.coalesce(func.max(_C.seq), 0)))
                first = int(last or 0) + 1
            rows: list[dict[str, Any]] = []
            for n, ven_id in enumerate(chosen):
                row = {"item_id": new_id(), "ven_id": ven_id, "payload": payload,
                       "created_at": now, "attempts": 0, "next_attempt_at": now}
                if self._db.dialect == "sqlite":
                    row["seq"] = first + n
                rows.append(row)
            await session.execute(insert(_OUTBOX), rows)  # SQLAlchemy's "insertmanyvalues"
            for ven_id in chosen:
                note_change(session, ven_id)
        return chosen

    @staticmethod
    async def _insert_selected(
        session: Any, ven_ids: Select[Any], parameters: Mapping[str, Any], payload: bytes,
        now: datetime,
    ) -> tuple[str, ...]:
        """PostgreSQL: queue `payload` for each VEN `ven_ids` names, in one ``INSERT ...
        SELECT`` (seq in the query's order); the ven_ids, in queue order."""
        chosen = ven_ids.subquery("chosen")
        rows = select(
            func.replace(cast(func.gen_random_uuid(), String), "-", ""),  # as new_id writes
            chosen.c[0],
            bindparam("sweep_payload", payload, type_=_C.payload.type),
            bindparam("sweep_now", now, type_=_C.created_at.type),
            bindparam("sweep_attempts", 0, type_=_C.attempts.type),
            bindparam("sweep_due", now, type_=_C.next_attempt_at.type),
        )
        statement = (
            insert(_OUTBOX)
            .from_select(["item_id", "ven_id", "payload", "created_at", "attempts",
                          "next_attempt_at"], rows)
            .returning(_C.seq, _C.ven_id)
        )
        result = await session.execute(statement, parameters)
        return tuple(str(ven_id) for _, ven_id in sorted(result.all()))

    def _contains(self, marker: bytes) -> ColumnElement[bool]:
        """True for items whose payload contains `marker` (``instr`` on SQLite, whose LIKE
        does not match blobs; ``LIKE`` on PostgreSQL's bytea)."""
        if self._db.dialect == "sqlite":
            return func.instr(_C.payload, marker) > 0
        escaped = marker.replace(b"\\", b"\\\\").replace(b"%", b"\\%").replace(b"_", b"\\_")
        return _C.payload.op("LIKE", is_comparison=True)(b"%" + escaped + b"%")

    async def take_next(self, ven_id: str, *, worker: str) -> PushOutboxItem | None:
        """The oldest waiting item of `ven_id`, now marked delivered by `worker`; ``None`` if
        its queue is empty.

        Waiting: neither delivered nor given up, and not held by a push worker's live lease.
        ``next_attempt_at`` (a push retry time) does not matter: the VEN is asking now.
        """
        now = self._db.clock.now()
        oldest = (
            select(_C.item_id)
            .where(
                _C.ven_id == ven_id,
                _C.delivered_at.is_(None),
                _C.given_up_at.is_(None),
                or_(_C.claimed_until.is_(None), _C.claimed_until <= now),
            )
            .order_by(_C.seq)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        take = (
            update(_OUTBOX)
            .values(delivered_at=now, claimed_by=worker, claimed_until=None)
            .returning(*_C)
        )
        async with self._db.write(f"take the next message for VEN {ven_id}") as session:
            item_id = (await session.scalars(oldest)).first()
            if item_id is None:
                return None
            row = (await session.execute(take.where(_C.item_id == item_id))).mappings().one()
        return _to_item(row)

    async def claim(
        self,
        worker: str,
        now: datetime | None = None,
        limit: int = 10,
        *,
        lease: timedelta = DEFAULT_LEASE,
    ) -> tuple[PushOutboxItem, ...]:
        """Claim up to `limit` due items of push VENs for `worker` until ``now + lease``.

        Items of pull VENs wait for their polls and are never claimed. Due: not delivered, not
        given up, ``next_attempt_at <= now``, and not claimed (or the
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
                _PUSH_VEN,
            )
            .order_by(_C.next_attempt_at, _C.seq)
            .limit(limit)
            .with_for_update(skip_locked=True, of=_OUTBOX)
        )
        claim = (
            update(_OUTBOX)
            .values(claimed_by=worker, claimed_until=now + lease, attempts=_C.attempts + 1)
            .returning(*_C)
        )
        async with self._db.write(f"claim pushes for {worker}") as session:
            ids = (await session.scalars(due)).all()
            if not ids:
                return ()
            chosen = one_of(self._db.dialect, _C.item_id, ids)  # PostgreSQL: one array
            rows = (await session.execute(claim.where(chosen))).mappings().all()
        items = [_to_item(r) for r in rows]
        return tuple(sorted(items, key=lambda i: (i.next_attempt_at, i.seq)))

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

    async def finish_pushes(
        self, item_ids: Sequence[str], *, worker: str,
        deliveries: Mapping[str, Mapping[str, int]],
    ) -> frozenset[str]:
        """Mark the pushed items `item_ids` delivered by `worker` and record `deliveries`
        (ven_id -> event_id -> the modification number it received; as
        ``InvitationStore.mark_all_delivered``), all in one transaction; the item_ids that
        were still waiting (the others were finished already).
        """
        if not item_ids and not deliveries:
            return frozenset()
        now = self._db.clock.now()
        done: set[str] = set()
        what = f"record {len(item_ids)} push(es) delivered"
        async with self._db.write(what) as session:
            for chunk in in_chunks(sorted(set(item_ids))):
                statement = (
                    update(_OUTBOX)
                    .where(one_of(self._db.dialect, _C.item_id, chunk),
                           _C.delivered_at.is_(None))
                    .values(delivered_at=now, claimed_by=worker, claimed_until=None)
                    .returning(_C.item_id)
                )
                done.update((await session.execute(statement)).scalars())
            await self._invitations.record_deliveries(session, deliveries)
        return frozenset(done)

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

    async def release(self, item_id: str, *, worker: str) -> bool:
        """Give back an item `worker` claimed but did not try to send (its VEN turned to pull):
        the claim ends and does not count as an attempt. ``False`` if `worker` no longer holds
        it or it is finished.
        """
        statement = (
            update(_OUTBOX)
            .where(
                _C.item_id == item_id,
                _C.claimed_by == worker,
                _C.delivered_at.is_(None),
                _C.given_up_at.is_(None),
            )
            .values(claimed_by=None, claimed_until=None, attempts=_C.attempts - 1)
        )
        return await self._finish(item_id, statement, f"release push {item_id}")

    async def get(self, item_id: str) -> PushOutboxItem:
        """The item `item_id`; ``NotFound`` if unknown."""
        async with self._db.read() as session:
            row = (await session.execute(select(_OUTBOX).where(_C.item_id == item_id))).first()
        if row is None:
            raise NotFound(f"push {item_id!r} is not known")
        return _to_item(row._mapping)

    async def pending(self, *, ven_id: str | None = None) -> tuple[PushOutboxItem, ...]:
        """Items neither delivered nor given up (claimed or not), in queue order."""
        query = (
            select(_OUTBOX)
            .where(_C.delivered_at.is_(None), _C.given_up_at.is_(None))
            .order_by(_C.seq)
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
            return rowcount(await session.execute(statement))

    async def _finish(self, item_id: str, statement: Any, what: str) -> bool:
        async with self._db.write(what) as session:
            if rowcount(await session.execute(statement)):
                return True
            known = (await session.execute(select(_C.item_id).where(_C.item_id == item_id))).first()
        if known is None:
            raise NotFound(f"push {item_id!r} is not known")
        return False


def _to_item(row: Any) -> PushOutboxItem:
    return PushOutboxItem(
        item_id=row["item_id"],
        seq=row["seq"],
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
