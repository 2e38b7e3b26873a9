"""The Store: one object with a repository per resource, opened from a database URL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from common.clock import Clock
from vtn.config import DatabaseSettings
from vtn.storage import migrate
from vtn.storage.audit import AuditStore
from vtn.storage.changes import ChangeListener, listen, purge_statement, tail
from vtn.storage.database import Database, create_engine_for
from vtn.storage.events import EventStore
from vtn.storage.invitations import InvitationStore
from vtn.storage.nonces import NonceStore
from vtn.storage.opts import OptStore
from vtn.storage.outbox import OutboxStore
from vtn.storage.performance import PerformanceStore
from vtn.storage.polls import PollStore
from vtn.storage.registrations import RegistrationStore
from vtn.storage.reports import ReportStore
from vtn.storage.status import StatusStore
from vtn.storage.tables import rowcount
from vtn.storage.vens import VenStore

__all__ = ["Store", "open_store"]


class Store:
    """The VTN's persistence: ``vens``, ``events``, ``invitations``, ``opts``, ``reports``,
    ``nonces``, ``outbox``, ``performance`` and the operators' ``audit`` log, all on one
    database; ``polls`` answers the questions of an empty oadrPoll (and of a push sweep) in one
    query; ``status`` those of ``/ready`` and ``/metrics``.

    Every method is one transaction (delivery records and registrations arriving together
    share one: group commit); nothing is cached in memory, so several VTN workers may share
    one database.
    Writes that may give VENs new work send change notices (``subscribe``, ``listen``:
    ``vtn.storage.changes``). Use ``open_store`` to make one and ``close`` (or ``async with``)
    to release its connections.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self.vens = VenStore(db)
        self.registrations = RegistrationStore(db)
        """Registrations from the VENs with their first message, by group commit."""
        self.events = EventStore(db)
        self.invitations = InvitationStore(db)
        self.opts = OptStore(db)
        self.reports = ReportStore(db)
        self.nonces = NonceStore(db)
        self.outbox = OutboxStore(db, self.invitations)
        self.performance = PerformanceStore(db)
        self.polls = PollStore(db)
        self.audit = AuditStore(db)
        self.status = StatusStore(db)

    def __repr__(self) -> str:
        return f"Store({self._db!r})"

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._db.dialect

    def subscribe(self, listener: ChangeListener) -> None:
        """Call `listener` with each change notice this process commits (a ven_id or
        ``ALL_VENS``), right after the commit."""
        self._db.subscribe(listener)

    async def listen(
        self, on_change: ChangeListener, on_live: Callable[[bool], None], stop: asyncio.Event
    ) -> None:
        """Relay the change notices the other processes commit to `on_change` until `stop`
        (this store's own reach ``subscribe``'s listeners at commit); ``on_live`` says when
        they can be relied on (``vtn.storage.changes``)."""
        if self._db.dialect == "sqlite":
            await tail(self._db.engine, self._db.origin, on_change, on_live, stop)
        else:
            await listen(self._db.engine, self._db.origin, on_change, on_live, stop)

    async def purge_notices(self, before: datetime) -> int:
        """Delete the SQLite change notices written before `before` (none on PostgreSQL)."""
        if self._db.dialect != "sqlite":
            return 0
        async with self._db.write("delete old change notices") as session:
            result = await session.execute(purge_statement(before))
            return rowcount(result)

    async def migrate(self) -> None:
        """Create or upgrade the schema to the newest revision (idempotent)."""
        await migrate.upgrade(self._db.engine)

    async def close(self) -> None:
        """Close every pooled connection; the store is unusable afterwards."""
        await self._db.engine.dispose()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


async def open_store(
    url: str, *, clock: Clock, migrate: bool = True, pool: DatabaseSettings | None = None
) -> Store:
    """Open the store at `url` and, unless told not to, bring its schema to the newest revision.

    `url` is ``sqlite+aiosqlite:///path/to/vtn.sqlite`` (the embedded default) or
    ``postgresql+asyncpg://user@host/db``. `clock` stamps every time the store records.
    `pool` sizes a PostgreSQL connection pool (``[database]``; defaults when ``None``).
    """
    store = Store(Database(create_engine_for(url, pool), clock=clock))
    if migrate:
        try:
            await store.migrate()
        except BaseException:
            await store.close()
            raise
    return store
