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

Every write method of ``vtn.storage`` that can give a VEN work does this; a listener that loses
its connection must assume it missed some (``on_live(False)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vtn.storage.tables import ChangeNoticeRow, table_of

__all__ = [
    "ALL_VENS",
    "CHANNEL",
    "EVENTS",
    "KEEP_NOTICES",
    "ChangeListener",
    "listen",
    "note_change",
    "notice_rows",
    "notify_statement",
    "purge_statement",
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
KEEPALIVE_TIMEOUT_SECONDS = 2.0
"""How long that check may take before the connection counts as lost [s]."""
RECONNECT_SECONDS = 1.0
"""How long the listener waits before connecting again after a failure [s]."""
TAIL_SECONDS = 0.1
"""How often ``tail`` reads new SQLite notices [s]: what another process wrote reaches this
one's polls within about this long."""
KEEP_NOTICES = timedelta(hours=1)
"""How long SQLite notice rows are kept (``Store.purge_notices``)."""

_NOTICES = table_of(ChangeNoticeRow)
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
    process `origin` (payload: JSON ``{"o": origin, "v": [ven_id, ...]}``)."""
    payload = json.dumps({"o": origin, "v": sorted(changes)})
    if len(payload) > _PAYLOAD_LIMIT:
        payload = json.dumps({"o": origin, "v": [ALL_VENS]})
    return text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}


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
    try:
        while not stop.is_set():
            try:
                async with engine.connect() as connection:
                    newest = (await connection.execute(_LAST)).scalar_one()
                    if last is None or newest < last:  # a start, or the table was rebuilt
                        last = newest
                        on_live(True)
                    rows = (await connection.execute(_AFTER, {"seq": last})).all()
                for seq, row_origin, ven_id in rows:
                    last = seq
                    if row_origin != origin:
                        on_change(ven_id)
            except Exception as exc:  # whatever it is, say so, go deaf, and try again
                LOG.warning("Reading change notices failed (%s); polls read the database until "
                            "it works again", exc)
                if last is not None:
                    on_live(False)
                last = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=TAIL_SECONDS)
    finally:
        on_live(False)


def purge_statement(before: datetime) -> Any:
    """The DELETE of the SQLite notice rows written before `before`."""
    return delete(_NOTICES).where(_NOTICES.c.created_at < before)


async def listen(
    engine: AsyncEngine,
    origin: str,
    on_change: ChangeListener,
    on_live: Callable[[bool], None],
    stop: asyncio.Event,
) -> None:
    """Relay the NOTIFY notices of the PostgreSQL database of `engine` to `on_change` until
    `stop` (except those of `origin`: this process's own reach its listeners at once).

    ``on_live(True)`` once listening (every change committed from then on will be relayed),
    ``on_live(False)`` as soon as the connection is lost or fails its keep-alive (changes may
    have been missed); it connects again after ``RECONNECT_SECONDS``, whatever went wrong.
    The connection is made with the engine's own connect arguments (TLS and all).
    """
    import asyncpg  # PostgreSQL only: SQLite installations need not have it

    _args, options = engine.dialect.create_connect_args(engine.url)
    accepted = inspect.signature(asyncpg.connect).parameters
    options = {k: v for k, v in options.items() if k in accepted}

    def relay(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            notice = json.loads(payload)
            if notice["o"] == origin:
                return
            ven_ids = [str(v) for v in notice["v"]]
        except (ValueError, KeyError, TypeError):
            ven_ids = [ALL_VENS]  # not ours to read: assume the worst
        for ven_id in ven_ids:
            on_change(ven_id)

    def lost(_connection: Any) -> None:
        on_live(False)

    while not stop.is_set():
        connection = None
        try:
            connection = await asyncpg.connect(**{**options, "timeout": 10})
            connection.add_termination_listener(lost)
            await connection.add_listener(CHANNEL, relay)
            on_live(True)
            while not stop.is_set():
                await connection.fetchval("SELECT 1", timeout=KEEPALIVE_TIMEOUT_SECONDS)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=KEEPALIVE_SECONDS)
        except Exception as exc:  # whatever it is, say so, go deaf, and connect again
            LOG.warning("Change notices from PostgreSQL interrupted (%s); polls read the "
                        "database until they resume", exc)
        finally:
            on_live(False)
            if connection is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), timeout=5)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=RECONNECT_SECONDS)
