"""The VEN's local state in one SQLite file (aiosqlite): registration, events, answers,
report subscriptions and the outbox of messages the VTN has not yet acknowledged.

Why SQLite through aiosqlite: one file, no server, transactions that survive SIGKILL (WAL
journal, ``synchronous=FULL``), and the event loop never blocks on disk I/O. Every public method
is one transaction, so a state change and the outgoing message it implies are written together
or not at all. Other processes (the ``oadr-ven`` CLI) may read and answer invitations while the
VEN runs (WAL lets readers and one writer work side by side; writers wait up to 10 s).

The schema is created with ``CREATE ... IF NOT EXISTS`` at every open, so a table added later
(``nonces``) appears in an existing file without a version change; ``schema_version`` changes
only when an existing table changes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

__all__ = [
    "Answer",
    "OperatorRequest",
    "OutboxItem",
    "Outgoing",
    "Registration",
    "Store",
    "StoredEvent",
    "Subscription",
]

Outgoing = tuple[str, str, str, bytes]
"""A message to queue: (service, kind, label for people, unsigned XML)."""

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    modification_number INTEGER NOT NULL,
    phase TEXT NOT NULL,
    event_xml BLOB NOT NULL,
    effective_start TEXT NOT NULL,
    end_time TEXT,
    received_at TEXT NOT NULL,
    summary TEXT NOT NULL,
    response_code INTEGER NOT NULL DEFAULT 200,
    request_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS answers (
    event_id TEXT NOT NULL,
    modification_number INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    opt TEXT NOT NULL,
    source TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, modification_number, device_id)
);
CREATE TABLE IF NOT EXISTS subscriptions (
    report_request_id TEXT PRIMARY KEY,
    specifier_id TEXT NOT NULL,
    report_name TEXT NOT NULL,
    r_ids TEXT NOT NULL,
    granularity_s REAL NOT NULL,
    report_back_s REAL NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT,
    covered_until TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service TEXT NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    message_xml BLOB NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'queued',
    last_error TEXT,
    retry_at TEXT
);
CREATE TABLE IF NOT EXISTS opt_schedules_sent (opt_id TEXT PRIMARY KEY, sent_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (
    nonce TEXT PRIMARY KEY,
    signed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS nonces_by_expiry ON nonces (expires_at);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    result TEXT,
    error TEXT,
    finished_at TEXT
);
"""


def _ts(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _instant(moment: datetime) -> str:
    """`moment` in UTC, fixed width (microseconds always written): compares as text."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    """What the VTN gave us at registration. ``poll_freq`` is its oadrRequestedOadrPollFreq."""

    vtn_id: str
    ven_id: str
    registration_id: str
    poll_freq: timedelta | None
    registered_at: datetime
    reports_registered: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredEvent:
    """An event as last received: ``phase`` is one of ``active``, ``cancelled``,
    ``implied_cancelled``, ``completed``; ``response_code`` is 200 or 460 (no signal we
    support). ``event_xml`` is the event inside an oadrDistributeEvent (see ``events.py``);
    ``request_id`` that of the oadrDistributeEvent that brought this modification."""

    event_id: str
    modification_number: int
    phase: str
    event_xml: bytes
    effective_start: datetime
    end: datetime | None
    received_at: datetime
    summary: str
    response_code: int = 200
    request_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """An opt answer for one modification of an event; ``device_id`` "" is the whole VEN.
    ``source`` is ``auto``, ``operator``, ``default`` (deadline passed), ``provisional`` (the
    default given at once, a person may still answer) or ``unsupported``."""

    event_id: str
    modification_number: int
    device_id: str
    opt: str
    source: str
    answered_at: datetime
    sent: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """A report the VTN asked for. ``covered_until``: data up to here has been queued.
    ``state``: ``active``, ``complete`` or ``cancelled``. Durations in seconds [s]."""

    report_request_id: str
    specifier_id: str
    report_name: str
    r_ids: tuple[str, ...]
    granularity_s: float
    report_back_s: float
    start: datetime
    end: datetime | None
    covered_until: datetime
    state: str = "active"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxItem:
    """A message waiting for the VTN's acknowledgement (kept unsigned; signed when sent)."""

    id: int
    service: str
    kind: str
    label: str
    message_xml: bytes
    created_at: datetime
    attempts: int
    state: str
    last_error: str | None
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorRequest:
    """An operator's action for the running VEN (``oadr-ven registration cancel``, ...):
    ``state`` is ``queued``, ``done`` (``result`` says what came of it) or ``failed``
    (``error`` says why)."""

    id: int
    action: str
    requested_at: datetime
    state: str = "queued"
    result: dict[str, Any] | None = None
    error: str | None = None
    finished_at: datetime | None = None


class Store:
    """The SQLite state file. ``await Store.open(path)``; ``await store.close()``."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self._path = path
        self._writing = asyncio.Lock()  # one connection: writes of concurrent tasks take turns

    def __repr__(self) -> str:
        return f"Store({str(self._path)!r})"

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        """Open (creating if needed) the state file at `path`."""
        file = Path(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(file, isolation_level=None, timeout=10.0)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute("PRAGMA busy_timeout=10000")
        await db.executescript(_SCHEMA)
        store = cls(db, file)
        version = await store._meta("schema_version")
        if version is None:
            await store._set_meta({"schema_version": str(_SCHEMA_VERSION)})
        elif int(version) != _SCHEMA_VERSION:
            await db.close()
            raise RuntimeError(f"{file}: state schema {version} is not {_SCHEMA_VERSION}")
        return store

    async def close(self) -> None:
        """Close the file."""
        await self._db.close()

    async def _write(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        """Run `statements` in one IMMEDIATE transaction (one at a time on this connection:
        a task's statement never lands in another task's open transaction)."""
        async with self._writing:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in statements:
                    await self._db.execute(sql, params)
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    # ---- meta / registration -----------------------------------------------------------------

    async def _meta(self, key: str) -> str | None:
        rows = await self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    async def _set_meta(self, values: dict[str, str]) -> None:
        await self._write(
            ("INSERT INTO meta (key, value) VALUES (?, ?) "
             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (k, v))
            for k, v in values.items()
        )

    async def auto_answer(self) -> bool | None:
        """The auto-answer setting an operator chose at run time (the building API), or None
        when none was chosen (then ``[events] auto_answer`` holds)."""
        value = await self._meta("auto_answer")
        return None if value is None else value == "true"

    async def set_auto_answer(self, value: bool) -> None:
        """Record the operator's auto-answer setting (it outlives restarts)."""
        await self._set_meta({"auto_answer": "true" if value else "false"})

    async def energy_plan(self) -> dict[str, Any] | None:
        """The energy manager's plan in force as the running VEN saved it (None: none yet)."""
        value = await self._meta("energy_plan")
        return None if value is None else dict(json.loads(value))

    async def save_energy_plan(self, summary: dict[str, Any] | None) -> None:
        """Record the energy manager's plan in force (a JSON summary, for ``oadr-ven status``);
        None forgets it (the energy manager is off)."""
        if summary is None:
            await self._write([("DELETE FROM meta WHERE key = ?", ("energy_plan",))])
            return
        await self._set_meta({"energy_plan": json.dumps(summary)})

    async def energy_strategy(self) -> dict[str, Any] | None:
        """The energy manager's strategy chosen at run time (``{"strategy", "weights"}``), None
        when none was (the building file's applies)."""
        value = await self._meta("energy_strategy")
        return None if value is None else dict(json.loads(value))

    async def save_energy_strategy(self, choice: dict[str, Any] | None) -> None:
        """Record the strategy chosen at run time (it wins over the building file's at the
        next start); None forgets it."""
        if choice is None:
            await self._write([("DELETE FROM meta WHERE key = ?", ("energy_strategy",))])
            return
        await self._set_meta({"energy_strategy": json.dumps(choice)})

    async def registration(self) -> Registration | None:
        """The current registration, or ``None``."""
        raw = await self._meta("registration")
        if raw is None:
            return None
        data = json.loads(raw)
        return Registration(
            vtn_id=data["vtn_id"],
            ven_id=data["ven_id"],
            registration_id=data["registration_id"],
            poll_freq=None if data["poll_s"] is None else timedelta(seconds=data["poll_s"]),
            registered_at=datetime.fromisoformat(data["registered_at"]),
            reports_registered=data["reports_registered"],
        )

    async def save_registration(self, registration: Registration | None) -> None:
        """Store (or with ``None`` forget) the registration."""
        if registration is None:
            await self._write([("DELETE FROM meta WHERE key = 'registration'", ())])
            return
        poll = registration.poll_freq
        await self._set_meta({"registration": json.dumps({
            "vtn_id": registration.vtn_id,
            "ven_id": registration.ven_id,
            "registration_id": registration.registration_id,
            "poll_s": None if poll is None else poll.total_seconds(),
            "registered_at": _ts(registration.registered_at),
            "reports_registered": registration.reports_registered,
        })})

    # ---- events and answers ------------------------------------------------------------------

    async def events(self, *, phases: Sequence[str] | None = None) -> list[StoredEvent]:
        """Known events (optionally only those in `phases`), by effective start."""
        sql = "SELECT * FROM events"
        params: list[Any] = []
        if phases:
            sql += f" WHERE phase IN ({','.join('?' * len(phases))})"
            params.extend(phases)
        rows = await self._rows(sql + " ORDER BY effective_start, event_id", params)
        return [_event(row) for row in rows]

    async def event(self, event_id: str) -> StoredEvent | None:
        """One event by ID."""
        rows = await self._rows("SELECT * FROM events WHERE event_id = ?", (event_id,))
        return _event(rows[0]) if rows else None

    async def save_events(
        self, events: Sequence[StoredEvent], answers: Sequence[Answer] = ()
    ) -> None:
        """Insert or replace `events` and record `answers`, in one transaction."""
        statements: list[tuple[str, Sequence[Any]]] = [
            ("INSERT OR REPLACE INTO events (event_id, modification_number, phase, event_xml, "
             "effective_start, end_time, received_at, summary, response_code, request_id) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             (e.event_id, e.modification_number, e.phase, e.event_xml, _ts(e.effective_start),
              _ts(e.end), _ts(e.received_at), e.summary, e.response_code, e.request_id))
            for e in events
        ]
        statements.extend(_answer_statement(a) for a in answers)
        await self._write(statements)

    async def answers(
        self, event_id: str | None = None, *, unsent_only: bool = False
    ) -> list[Answer]:
        """Recorded answers (of one event, or all), oldest first."""
        sql, params = "SELECT * FROM answers WHERE 1=1", []
        if event_id is not None:
            sql += " AND event_id = ?"
            params.append(event_id)
        if unsent_only:
            sql += " AND sent = 0"
        rows = await self._rows(sql + " ORDER BY answered_at, event_id, device_id", params)
        return [
            Answer(event_id=r["event_id"], modification_number=r["modification_number"],
                   device_id=r["device_id"], opt=r["opt"], source=r["source"],
                   answered_at=datetime.fromisoformat(r["answered_at"]), sent=bool(r["sent"]))
            for r in rows
        ]

    async def record_answer(self, answer: Answer) -> None:
        """Record (or replace) one answer, unsent."""
        await self._write([_answer_statement(answer)])

    # ---- subscriptions -----------------------------------------------------------------------

    async def subscriptions(self, *, states: Sequence[str] = ("active",)) -> list[Subscription]:
        """Report subscriptions in `states`."""
        rows = await self._rows(
            f"SELECT * FROM subscriptions WHERE state IN ({','.join('?' * len(states))}) "
            "ORDER BY report_request_id", list(states))
        return [_subscription(r) for r in rows]

    async def subscription(self, report_request_id: str) -> Subscription | None:
        """One subscription by reportRequestID."""
        rows = await self._rows(
            "SELECT * FROM subscriptions WHERE report_request_id = ?", (report_request_id,))
        return _subscription(rows[0]) if rows else None

    # ---- ReplayProtect nonces (ven.client.nonces) --------------------------------------------

    async def remember_nonce(
        self, nonce: str, signed_at: datetime, expires_at: datetime, *, now: datetime
    ) -> bool:
        """Record `nonce` until `expires_at`; ``False`` if it is held and not expired at `now`.

        One statement decides (INSERT, or on a conflict overwrite only an expired entry), and
        it is committed before this returns ``True``; failures raise.
        """
        sql = ("INSERT INTO nonces (nonce, signed_at, expires_at) VALUES (?, ?, ?) "
               "ON CONFLICT(nonce) DO UPDATE SET signed_at = excluded.signed_at, "
               "expires_at = excluded.expires_at WHERE nonces.expires_at <= ? RETURNING nonce")
        params = (nonce, _instant(signed_at), _instant(expires_at), _instant(now))
        async with self._writing, self._db.execute(sql, params) as cursor:
            return bool(await cursor.fetchall())

    async def purge_nonces(self, now: datetime) -> int:
        """Forget the nonces expired at `now`; returns how many."""
        async with self._writing, self._db.execute(
            "DELETE FROM nonces WHERE expires_at <= ?", (_instant(now),)
        ) as cursor:
            return cursor.rowcount

    # ---- operator requests (carried out by the running VEN) ----------------------------------

    async def queue_request(self, action: str, now: datetime) -> int:
        """Queue `action` for the running VEN; its request ID."""
        async with self._writing, self._db.execute(
            "INSERT INTO requests (action, requested_at) VALUES (?, ?) RETURNING id",
            (action, _ts(now)),
        ) as cursor:
            (row,) = await cursor.fetchall()  # RETURNING yields the new row
        return int(row["id"])

    async def requests(self, *, states: Sequence[str] = ("queued",)) -> list[OperatorRequest]:
        """Operator requests in `states`, oldest first."""
        rows = await self._rows(
            f"SELECT * FROM requests WHERE state IN ({','.join('?' * len(states))}) "
            "ORDER BY id", list(states))
        return [_request(r) for r in rows]

    async def request(self, request_id: int) -> OperatorRequest | None:
        """One operator request by ID."""
        rows = await self._rows("SELECT * FROM requests WHERE id = ?", (request_id,))
        return _request(rows[0]) if rows else None

    async def finish_request(self, request_id: int, *, now: datetime,
                             result: dict[str, Any] | None = None,
                             error: str | None = None) -> None:
        """Record what came of a request: `result` (done) or `error` (failed)."""
        await self._write([(
            "UPDATE requests SET state = ?, result = ?, error = ?, finished_at = ? WHERE id = ?",
            ("failed" if error is not None else "done",
             None if result is None else json.dumps(result), error, _ts(now), request_id))])

    # ---- outbox and the combined writes ------------------------------------------------------

    async def commit(
        self,
        *,
        subscriptions: Sequence[Subscription] = (),
        outbox: Sequence[Outgoing] = (),
        sent_answers: Sequence[Answer] = (),
        sent_opt_schedules: Sequence[str] = (),
        now: datetime,
    ) -> None:
        """Atomically: upsert `subscriptions`, queue `outbox` items (service, kind, label,
        unsigned XML) in order, mark `sent_answers` and `sent_opt_schedules` as sent."""
        statements: list[tuple[str, Sequence[Any]]] = [
            ("INSERT OR REPLACE INTO subscriptions (report_request_id, specifier_id, report_name, "
             "r_ids, granularity_s, report_back_s, start_time, end_time, covered_until, state) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             (s.report_request_id, s.specifier_id, s.report_name, json.dumps(list(s.r_ids)),
              s.granularity_s, s.report_back_s, _ts(s.start), _ts(s.end), _ts(s.covered_until),
              s.state))
            for s in subscriptions
        ]
        statements.extend(
            ("INSERT INTO outbox (service, kind, label, message_xml, created_at) "
             "VALUES (?, ?, ?, ?, ?)", (service, kind, label, xml, _ts(now)))
            for service, kind, label, xml in outbox
        )
        statements.extend(
            ("UPDATE answers SET sent = 1 WHERE event_id = ? AND modification_number = ? "
             "AND device_id = ? AND opt = ?", (a.event_id, a.modification_number, a.device_id,
                                               a.opt))
            for a in sent_answers
        )
        statements.extend(
            ("INSERT OR REPLACE INTO opt_schedules_sent (opt_id, sent_at) VALUES (?, ?)",
             (opt_id, _ts(now)))
            for opt_id in sent_opt_schedules
        )
        await self._write(statements)

    async def sent_opt_schedules(self) -> set[str]:
        """IDs of the opt schedules already queued for the VTN."""
        return {r["opt_id"] for r in await self._rows("SELECT opt_id FROM opt_schedules_sent")}

    async def outbox(
        self, *, states: Sequence[str] = ("queued",), due_at: datetime | None = None
    ) -> list[OutboxItem]:
        """Outbox items in `states`, oldest first (with `due_at`: only those whose retry time
        has come)."""
        sql = f"SELECT * FROM outbox WHERE state IN ({','.join('?' * len(states))})"
        params: list[Any] = list(states)
        if due_at is not None:
            sql += " AND (retry_at IS NULL OR retry_at <= ?)"
            params.append(_ts(due_at))
        rows = await self._rows(sql + " ORDER BY id", params)
        return [
            OutboxItem(id=r["id"], service=r["service"], kind=r["kind"], label=r["label"],
                       message_xml=r["message_xml"],
                       created_at=datetime.fromisoformat(r["created_at"]),
                       attempts=r["attempts"], state=r["state"], last_error=r["last_error"],
                       retry_at=_dt(r["retry_at"]))
            for r in rows
        ]

    async def outbox_attempt(
        self, item_id: int, error: str, *, retry_at: datetime | None = None
    ) -> None:
        """Count a failed delivery attempt; with `retry_at`, hold the item back until then."""
        await self._write([("UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                            "retry_at = ? WHERE id = ?", (error, _ts(retry_at), item_id))])

    async def purge(self, before: datetime) -> None:
        """Forget events, answers and report subscriptions that ended before `before`, and
        refused outbox items queued before it (a VEN runs for months; the file stays small).
        Nothing still active or still queued is touched."""
        await self._write(_purge_statements(_ts(before) or ""))

    async def outbox_done(self, item_id: int, *, rejected_reason: str | None = None) -> None:
        """The VTN acknowledged the item (delete it), or refused it (keep it as ``rejected``)."""
        if rejected_reason is None:
            await self._write([("DELETE FROM outbox WHERE id = ?", (item_id,))])
        else:
            await self._write([("UPDATE outbox SET state = 'rejected', last_error = ?, "
                                "attempts = attempts + 1 WHERE id = ?",
                                (rejected_reason, item_id))])


def _purge_statements(cutoff: str) -> list[tuple[str, Sequence[Any]]]:
    """Statements forgetting what ended before `cutoff` (an ISO timestamp)."""
    old_events = ("SELECT event_id FROM events WHERE phase != 'active' "
                  "AND COALESCE(end_time, received_at) < ?")
    return [
        (f"DELETE FROM answers WHERE event_id IN ({old_events})", (cutoff,)),
        ("DELETE FROM events WHERE phase != 'active' AND COALESCE(end_time, received_at) < ?",
         (cutoff,)),
        ("DELETE FROM subscriptions WHERE state != 'active' AND covered_until < ?", (cutoff,)),
        ("DELETE FROM outbox WHERE state = 'rejected' AND created_at < ?", (cutoff,)),
        ("DELETE FROM requests WHERE state != 'queued' AND finished_at < ?", (cutoff,)),
    ]


def _answer_statement(a: Answer) -> tuple[str, Sequence[Any]]:
    return (
        "INSERT OR REPLACE INTO answers (event_id, modification_number, device_id, opt, source, "
        "answered_at, sent) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (a.event_id, a.modification_number, a.device_id, a.opt, a.source, _ts(a.answered_at),
         int(a.sent)),
    )


def _event(row: aiosqlite.Row) -> StoredEvent:
    return StoredEvent(
        event_id=row["event_id"],
        modification_number=row["modification_number"],
        phase=row["phase"],
        event_xml=bytes(row["event_xml"]),
        effective_start=datetime.fromisoformat(row["effective_start"]),
        end=_dt(row["end_time"]),
        received_at=datetime.fromisoformat(row["received_at"]),
        summary=row["summary"],
        response_code=row["response_code"],
        request_id=row["request_id"],
    )


def _request(row: aiosqlite.Row) -> OperatorRequest:
    return OperatorRequest(
        id=row["id"], action=row["action"],
        requested_at=datetime.fromisoformat(row["requested_at"]), state=row["state"],
        result=None if row["result"] is None else json.loads(row["result"]),
        error=row["error"], finished_at=_dt(row["finished_at"]),
    )


def _subscription(row: aiosqlite.Row) -> Subscription:
    return Subscription(
        report_request_id=row["report_request_id"],
        specifier_id=row["specifier_id"],
        report_name=row["report_name"],
        r_ids=tuple(json.loads(row["r_ids"])),
        granularity_s=row["granularity_s"],
        report_back_s=row["report_back_s"],
        start=datetime.fromisoformat(row["start_time"]),
        end=_dt(row["end_time"]),
        covered_until=datetime.fromisoformat(row["covered_until"]),
        state=row["state"],
    )
