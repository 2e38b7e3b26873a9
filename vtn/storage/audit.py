"""The audit log: append the operators' changes, list them back (oldest first)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from vtn.domain import AuditEntry, OperatorAction
from vtn.storage.database import Database
from vtn.storage.tables import AuditRow

__all__ = ["AuditStore"]


class AuditStore:
    """Operator actions, numbered in the order they were recorded; never changed or purged."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, action: OperatorAction) -> AuditEntry:
        """Record `action` now (the store's clock); the entry with its number and time."""
        row = AuditRow(
            at=self._db.clock.now(),
            actor=action.actor,
            operator=action.operator,
            client=action.client,
            action=action.action,
            method=action.method,
            path=action.path,
            status=action.status,
            object_type=action.object_type,
            object_id=action.object_id,
            summary=action.summary,
        )
        async with self._db.write(f"record {action.action} in the audit log") as session:
            session.add(row)
            await session.flush()
            return _to_entry(row)

    async def list(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        action: str | None = None,
        object_id: str | None = None,
        operator: str | None = None,
        limit: int | None = None,
    ) -> tuple[AuditEntry, ...]:
        """Entries recorded at or after `since` and before `until`, oldest first; `action`
        matches exactly or as a prefix ending in a dot (``event.`` for every event action).
        With `limit`, the newest `limit` of them (still oldest first)."""
        query = select(AuditRow)
        if since is not None:
            query = query.where(AuditRow.at >= since)
        if until is not None:
            query = query.where(AuditRow.at < until)
        if action is not None:
            query = query.where(AuditRow.action.startswith(action, autoescape=True)
                                if action.endswith(".") else AuditRow.action == action)
        if object_id is not None:
            query = query.where(AuditRow.object_id == object_id)
        if operator is not None:
            query = query.where(AuditRow.operator == operator)
        query = query.order_by(AuditRow.entry_id.desc())
        if limit is not None:
            query = query.limit(limit)
        async with self._db.read() as session:
            rows = list(await session.scalars(query))
        return tuple(_to_entry(r) for r in reversed(rows))


def _to_entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        entry_id=row.entry_id,
        at=row.at,
        action=OperatorAction(
            actor=row.actor,
            operator=row.operator,
            client=row.client,
            action=row.action,
            method=row.method,
            path=row.path,
            status=row.status,
            object_type=row.object_type,
            object_id=row.object_id,
            summary=row.summary,
        ),
    )
