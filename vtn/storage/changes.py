"""Change notices: which VENs may have new work, told to this process and to the other workers.

A write that can give a VEN something to receive (an event created, modified or cancelled:
``EVENTS``; a message queued for a VEN, its registration created, changed or cancelled: that
VEN's id) records a notice in its transaction with ``note_change``. After the commit the notices
go to the listeners of this process (``Database.subscribe``). For the other processes using
the database they are also written in the same transaction:

- PostgreSQL: ``pg_notify`` on ``CHANNEL``, relayed by ``listen`` (NOTIFY is delivered at
  commit, in commit order, and only if the transaction commits);
- SQLite: rows of ``change_notices``, read by ``tail`` every ``TAIL_SECONDS`` (``seq`` grows
  in commit order: SQLite has one writer at a time).

Every write through ``vtn.storage`` does this; a listener that loses its connection must
assume it missed some (``on_live(False)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vtn.storage.tables import ChangeNoticeRow

__all__ = [
    "ALL_VENS",
    "CHANNEL",
    "EVENTS",
    "ChangeListener",
    "listen",
    "note_change",
    "notice_rows",
    "notify_statement",
    "purge_notices",
    "tail",
    "taken_changes",
]

LOG = logging.getLogger("oadr.vtn.storage")

CHANNEL = "oadr_vtn_changes"
"""The PostgreSQL NOTIFY channel of change notices."""
ALL_VENS = "*"
"""The notice that anything may have changed for every VEN (notices may have been lost)."""
EVENTS = "#events"
"""The notice that the event set changed (an event created, modified or cancelled): it may
concern every VEN that an event targets."""
_KEY = "oadr_changes"
_PAYLOAD_LIMIT = 7000
"""PostgreSQL caps a NOTIFY payload below 8000 bytes; a longer list becomes ``ALL_VENS``."""
KEEPALIVE_SECONDS = 1.0
"""How often the listener checks that its connection is alive [s]."""
RECONNECT_SECONDS = 1.0
"""How long the listener waits before connecting again after a failure [s]."""
TAIL_SECONDS = 0.1
"""How often ``tail`` reads new SQLite notices [s]: what another process wrote reaches this
one's polls within about this long."""
KEEP_NOTICES = timedelta(hours=1)
"""How long SQLite notice rows are kept (``purge_notices``)."""

_NOTICES = ChangeNoticeRow.__table__
_LAST = select(func.coalesce(func.max(_NOTICES.c.seq), 0))
_AFTER = (
    select(_NOTICES.c.seq, _NOTICES.c.origin, _NOTICES.c.ven_id)
    .where(_NOTICES.c.seq > bindparam("seq"))
    .order_by(_NOTICES.c.seq)
)

ChangeListener = Callable[[str], None]
"""Called with a ven_id, ``EVENTS`` or ``ALL_VENS`` after a change that may concern it
committed."""


def note_change(session: AsyncSession, ven_id: str) -> None:
    """Record in `session`'s transaction that `ven_id` (or, for ``EVENTS``, every VEN an event
    targets) may have new work."""
    session.info.setdefault(_KEY, set()).add(ven_id)


def taken_changes(session: AsyncSession) -> set[str]:
    """The notices recorded in `session` (removed from it)."""
    changes: set[str] = session.info.pop(_KEY, set())
    return {ALL_VENS} if ALL_VENS in changes else changes


def notify_statement(changes: Iterable[str], origin: str) -> tuple[Any, dict[str, str]]:
    """The ``pg_notify`` call that tells the other workers about `changes`, written by the
    process `origin` (payload ``origin:ven_id,ven_id...``)."""
    payload = ",".join(sorted(changes))
    if len(payload) > _PAYLOAD_LIMIT:
        payload = ALL_VENS
    return text("SELECT pg_notify(:channel, :payload)"), {
        "channel": CHANNEL, "payload": f"{origin}:{payload}",
    }


def notice_rows(changes: Iterable[str], origin: str, now: datetime) -> list[dict[str, Any]]:
    """The ``change_notices`` rows of `changes` written by the process `origin` (SQLite)."""
    return [{"origin": origin, "ven_id": v, "created_at": now} for v in sorted(changes)]


async def tail(
    engine: AsyncEngine,
    origin: str,
    on_change: ChangeListener,
    on_live: Callable[[bool], None],
    stop: asyncio.Event,
) -> None:
    """Relay the notices other processes (not `origin`: this one's reach its listeners at
    once) write to the SQLite database of `engine` to `on_change` until `stop`."""
    last: int | None = None
    while not stop.is_set():
        try:
            async with engine.connect() as connection:
                if last is None:
                    last = (await connection.execute(_LAST)).scalar_one()
                    on_live(True)
                rows = (await connection.execute(_AFTER, {"seq": last})).all()
            for seq, row_origin, ven_id in rows:
                last = seq
                if row_origin != origin:
                    on_change(ven_id)
        except (OSError, DBAPIError) as exc:
            LOG.warning("Reading change notices failed (%s); polls read the database until it "
                        "works again", exc)
            on_live(False)
            last = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=TAIL_SECONDS)
    on_live(False)


async def purge_notices(engine: AsyncEngine, before: datetime) -> int:
    """Delete SQLite notice rows written before `before`; how many."""
    async with engine.begin() as connection:
        result = await connection.execute(
            delete(_NOTICES).where(_NOTICES.c.created_at < before)
        )
        return int(result.rowcount or 0)


async def listen(
    url: URL,
    origin: str,
    on_change: ChangeListener,
    on_live: Callable[[bool], None],
    stop: asyncio.Event,
) -> None:
    """Relay the NOTIFY notices of the PostgreSQL database at `url` to `on_change` until `stop`
    (except those of `origin`: this process's own reach its listeners at once).

    ``on_live(True)`` once listening (every change committed from then on will be relayed),
    ``on_live(False)`` when the connection is lost (changes may have been missed); it connects
    again after ``RECONNECT_SECONDS``.
    """
    import asyncpg  # PostgreSQL only: SQLite installations need not have it

    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)

    def relay(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        sender, _, ven_ids = payload.partition(":")
        if sender == origin:
            return
        for ven_id in ven_ids.split(","):
            on_change(ven_id)

    while not stop.is_set():
        connection = None
        try:
            connection = await asyncpg.connect(dsn, timeout=10)
            await connection.add_listener(CHANNEL, relay)
            on_live(True)
            while not stop.is_set():
                await connection.fetchval("SELECT 1", timeout=10)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=KEEPALIVE_SECONDS)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            LOG.warning("Change notices from PostgreSQL interrupted (%s); polls read the "
                        "database until they resume", exc)
        finally:
            on_live(False)
            if connection is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), timeout=5)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=RECONNECT_SECONDS)
