"""The engine and transactions under every repository: SQLite (aiosqlite) or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from asyncpg.exceptions import InterfaceError as PostgresInterfaceError
from asyncpg.exceptions import PostgresError
from sqlalchemy import event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from common.clock import Clock
from common.errors import ConfigError
from vtn.config import DatabaseSettings, is_loopback, safe_url
from vtn.storage.changes import ChangeListener, notice_rows, notify_statement, taken_changes
from vtn.storage.errors import driver_failure, translate_integrity_error
from vtn.storage.tables import ChangeNoticeRow

__all__ = ["WRITE_OPTIONS", "Database", "create_engine_for", "in_chunks"]

LOG = logging.getLogger("oadr.vtn.storage")

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another connection's write lock [ms]."""

IN_LIST_CHUNK = 1000
"""Most values bound in one ``IN (...)`` (both drivers cap the parameters of a statement)."""

_IMMEDIATE = "oadr_sqlite_immediate"
WRITE_OPTIONS = {_IMMEDIATE: True}
"""Execution options of a connection whose transactions write (``BEGIN IMMEDIATE`` on SQLite)."""
_NO_BEGIN = "oadr_sqlite_no_begin"
SINGLE_READ_OPTIONS = {_NO_BEGIN: True}
"""Execution options of a connection that runs one read-only statement: SQLite gives a single
statement a consistent snapshot by itself, so no ``BEGIN`` is sent (each statement sent through
aiosqlite is a trip to its thread: a fifth of the cost of a one-query poll)."""
_POSTGRES_SINGLE_READ_OPTIONS = {"isolation_level": "AUTOCOMMIT"}
"""The same on PostgreSQL: no ``BEGIN`` before the statement and no ``ROLLBACK`` when the
connection goes back to the pool (a statement is its own snapshot there too): one round trip
instead of three."""


def create_engine_for(url: str, pool: DatabaseSettings | None = None) -> AsyncEngine:
    """An async engine for `url`: ``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``.

    SQLite connections run in WAL mode with foreign keys on and a busy timeout; transactions
    that write begin with ``BEGIN IMMEDIATE`` (they take the write lock up front, so two
    writers queue on the busy timeout instead of failing on a lock upgrade).

    PostgreSQL connections come from a pool of `pool`'s size (``[database]``, defaults when
    ``None``), without a ping at each checkout: a connection the server dropped fails the one
    request that uses it (``driver_failure``: 503), and SQLAlchemy then invalidates the whole
    pool, so the next requests connect anew. A database on loopback or a Unix socket is
    reached without TLS unless the URL (``ssl=...``) or ``PGSSLMODE`` asks for it (asyncpg
    would otherwise try TLS first on every new connection).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database url is not a URL: {exc}") from exc
    if parsed.drivername == "sqlite+aiosqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ConfigError("the VTN database must be a SQLite file, not in memory")
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    if parsed.drivername == "postgresql+asyncpg":
        settings = pool or DatabaseSettings()
        return create_async_engine(
            url,
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout.total_seconds(),
            connect_args=postgres_connect_args(parsed.host, parsed.query, os.environ),
        )
    raise ConfigError(
        f"database url must start with sqlite+aiosqlite:// or postgresql+asyncpg://, "
        f"got {parsed.drivername}://"
    )


def postgres_connect_args(
    host: str | None, query: Mapping[str, Any], environ: Mapping[str, str]
) -> dict[str, Any]:
    """asyncpg's extra connect arguments for a database on `host` (``None``: the default, a
    Unix socket or localhost): ``ssl=False`` when it is on this machine and neither the URL's
    `query` (``ssl``, ``sslmode``) nor ``PGSSLMODE``/``PGHOST`` in `environ` says otherwise."""
    if any(key in query for key in ("ssl", "sslmode", "host")):
        return {}
    if "PGSSLMODE" in environ or (host is None and "PGHOST" in environ):
        return {}
    local = host is None or host.startswith("/") or is_loopback(host)
    return {"ssl": False} if local else {}


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver; "begin" below emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0].lower() != "wal":
            _switch_to_wal(cursor)
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(_NO_BEGIN, False):
            return
        immediate = options.get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def in_chunks(values: Sequence[T], size: int = IN_LIST_CHUNK) -> Iterator[Sequence[T]]:
    """`values` in slices of at most `size` (none for an empty sequence)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _switch_to_wal(cursor: Any) -> None:
    """Put the database file in WAL mode (a persistent property of the file).

    Two connections opening a new file at once may both try; SQLite refuses the second at
    once (busy, without waiting, to avoid a deadlock). The mode is the file's, so the winner's
    switch covers the loser, and every later connection checks again.
    """
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise


_DRIVER_FAILURES = (DBAPIError, OSError, PoolTimeout, PostgresError, PostgresInterfaceError)
"""What the driver, the socket or the connection pool raise when the database fails
(``vtn.storage.errors.driver_failure`` tells which of them mean "unavailable now"). asyncpg's
own errors are listed too: SQLAlchemy releases before 2.1 let those raised while connecting
(e.g. ``CannotConnectNowError`` while the server shuts down) through unwrapped."""

_TELL = "oadr_tell"


class _NoticeSession(Session):
    """A session that gives its write's change notices to the process's listeners right after
    the COMMIT, before anything else can run on the event loop (``Database.write``)."""


@event.listens_for(_NoticeSession, "after_commit")
def _tell_after_commit(session: Session) -> None:
    told = session.info.pop(_TELL, None)
    if told is not None:
        database, changes = told
        database.tell(changes)


class Database:
    """An engine, a clock and transactions; shared by the repositories of one ``Store``.

    On SQLite the write transactions of this process take turns on an ``asyncio.Lock``: the
    database has one writer at a time anyway, and a connection that finds the write lock taken
    waits in SQLite's busy handler, which sleeps in steps of up to 100 ms.
    """

    def __init__(self, engine: AsyncEngine, *, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self.dialect = engine.dialect.name
        self._sessions = async_sessionmaker(
            engine, expire_on_commit=False, autoflush=False, sync_session_class=_NoticeSession
        )
        self._listeners: list[ChangeListener] = []
        self.origin = secrets.token_hex(8)
        """This ``Database``'s name in the change notices it writes."""
        self._write_turn = asyncio.Lock() if self.dialect == "sqlite" else None
        self._single_read: dict[str, Any] = (
            SINGLE_READ_OPTIONS if self.dialect == "sqlite" else _POSTGRES_SINGLE_READ_OPTIONS
        )

    def subscribe(self, listener: ChangeListener) -> None:
        """Call `listener` after every committed change notice (``vtn.storage.changes``)."""
        self._listeners.append(listener)

    def __repr__(self) -> str:
        return f"Database({safe_url(self.engine.url.render_as_string(hide_password=True))!r})"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction for reading; driver errors become ``StorageError``."""
        try:
            async with self._sessions() as session, session.begin():
                yield session
        except _DRIVER_FAILURES as exc:
            raise driver_failure(exc, "reading from the database failed") from exc

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A bare connection (no ORM session) for ONE read-only Core statement on a hot path
        (on SQLite without ``BEGIN``: the statement is its own snapshot). Driver errors become
        ``StorageError``."""
        try:
            async with self.engine.connect() as connection:
                await connection.execution_options(**self._single_read)
                yield connection
        except _DRIVER_FAILURES as exc:
            raise driver_failure(exc, "reading from the database failed") from exc

    @asynccontextmanager
    async def write(self, what: str) -> AsyncIterator[AsyncSession]:
        """A session in a write transaction, committed at the end.

        `what` names the operation in errors: a unique violation becomes ``Conflict``, a
        missing foreign-key target ``NotFound``, any other driver error ``StorageError``.
        """
        async with contextlib.AsyncExitStack() as turn:
            if self._write_turn is not None:
                await turn.enter_async_context(self._write_turn)
            async with self._sessions() as session:
                try:
                    async with session.begin():
                        await session.connection(execution_options=WRITE_OPTIONS)
                        yield session
                        changes = taken_changes(session)
                        if changes and self.dialect == "sqlite":
                            rows = notice_rows(changes, self.origin, self.clock.now())
                            await session.execute(insert(ChangeNoticeRow), rows)
                        elif changes:
                            await session.execute(*notify_statement(changes, self.origin))
                        if changes:  # told by _NoticeSession right after the COMMIT
                            session.info[_TELL] = (self, changes)
                except IntegrityError as exc:
                    raise translate_integrity_error(exc, what) from exc
                except _DRIVER_FAILURES as exc:
                    raise driver_failure(exc, f"{what}: the database failed") from exc

    def tell(self, changes: set[str]) -> None:
        """Give committed change notices to this process's listeners (a failing listener is
        logged; it does not make the committed write look failed)."""
        for ven_id in changes:
            for listener in self._listeners:
                try:
                    listener(ven_id)
                except Exception:
                    LOG.exception("A change-notice listener failed on %r", ven_id)

    def insert(self, table: Any) -> Any:
        """The dialect's INSERT construct (it has ``on_conflict_do_update/do_nothing``)."""
        return (sqlite.insert if self.dialect == "sqlite" else postgresql.insert)(table)
