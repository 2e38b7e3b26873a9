"""Telemetry kept on the VEN: measured samples per device and for the building meter, and the
energy each device delivered in each event, in the VEN's state file (SQLite).

The tables live in the same file as ``ven.client.store`` (its approach: ``CREATE ... IF NOT
EXISTS`` at every open, so an existing state file gains them without a version change). This
store has its own connection: the running VEN writes samples while the CLI exports them (WAL).

A sample is (time, device, quantity, value, unit); the building's meter is the device
``BUILDING_METER``. Samples older than the retention are deleted by ``purge(before)``.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

__all__ = ["BUILDING_METER", "CSV_COLUMNS", "Delivery", "Expected", "Sample", "TelemetryStore",
           "to_csv"]

BUILDING_METER = "building"
"""The device ID of the building's own meter in the telemetry."""

CSV_COLUMNS = ("time", "device_id", "quantity", "value", "unit")
"""The columns of a telemetry CSV export (time in ISO 8601, UTC)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS telemetry (
    time TEXT NOT NULL,
    device_id TEXT NOT NULL,
    quantity TEXT NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL,
    PRIMARY KEY (device_id, quantity, time)
);
CREATE INDEX IF NOT EXISTS telemetry_by_time ON telemetry (time);
CREATE TABLE IF NOT EXISTS deliveries (
    event_id TEXT NOT NULL,
    modification_number INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    start TEXT NOT NULL,
    end_time TEXT NOT NULL,
    delivered_kwh REAL NOT NULL,
    PRIMARY KEY (event_id, device_id)
);
CREATE TABLE IF NOT EXISTS expectations (
    event_id TEXT NOT NULL,
    modification_number INTEGER NOT NULL,
    start TEXT NOT NULL,
    duration_s REAL NOT NULL,
    baseline_kw REAL NOT NULL,
    requested_kw REAL NOT NULL,
    expected_kw REAL NOT NULL,
    reasons TEXT NOT NULL,
    planned_at TEXT NOT NULL,
    PRIMARY KEY (event_id, start)
);
"""


def _instant(moment: datetime) -> str:
    """`moment` in UTC, fixed width: compares as text."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    """One measured value: ``time`` (start of the measured step, UTC), ``device_id``
    (``BUILDING_METER`` for the building), ``quantity`` (``power``...), ``value`` in ``unit``
    (``kW``...)."""

    time: datetime
    device_id: str
    quantity: str
    value: float
    unit: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """What one device delivered in one event: shed against its planned baseline over the
    event's intervals [kWh] (negative: it used more than its baseline)."""

    event_id: str
    modification_number: int
    device_id: str
    start: datetime
    end: datetime
    delivered_kwh: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Expected:
    """What the plan of an event expects in one event interval: its baseline, the shed asked
    and the shed expected [kW], with the reasons of a shortfall; `planned_at` when the plan
    was made (``ven.brain.expectation``)."""

    event_id: str
    modification_number: int
    start: datetime
    duration_s: float
    baseline_kw: float
    requested_kw: float
    expected_kw: float
    reasons: tuple[str, ...]
    planned_at: datetime

    @property
    def expected_pct(self) -> float | None:
        """Expected / requested shed [%]; None when nothing is asked."""
        return 100.0 * self.expected_kw / self.requested_kw if self.requested_kw > 1e-9 \
            else None


class TelemetryStore:
    """The telemetry tables of a VEN state file; every write is one transaction."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self._path = path
        self._writing = asyncio.Lock()

    def __repr__(self) -> str:
        return f"TelemetryStore({str(self._path)!r})"

    @classmethod
    async def open(cls, path: str | Path) -> TelemetryStore:
        """Open (creating if needed) the telemetry tables of the state file at `path`."""
        file = Path(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(file, isolation_level=None, timeout=10.0)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA busy_timeout=10000")
        await db.executescript(_SCHEMA)
        return cls(db, file)

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

    async def _write(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        async with self._writing:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = await self._db.executemany(sql, list(rows))
                count = cursor.rowcount
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")
        return max(count, 0)

    async def add(self, samples: Iterable[Sample]) -> int:
        """Store `samples` (a sample already stored for its device, quantity and time is
        replaced); returns how many were written."""
        return await self._write(
            "INSERT OR REPLACE INTO telemetry (time, device_id, quantity, value, unit) "
            "VALUES (?, ?, ?, ?, ?)",
            ((_instant(s.time), s.device_id, s.quantity, float(s.value), s.unit)
             for s in samples))

    async def samples(
        self,
        *,
        device_id: str | None = None,
        quantity: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[Sample]:
        """Samples with ``start <= time < end``, of one device and/or quantity if given, in
        time order (then device, quantity); at most `limit` of them."""
        where, params = _filters(device_id, quantity, start, end)
        sql = f"SELECT * FROM telemetry{where} ORDER BY time, device_id, quantity"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        async with self._db.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        return [Sample(time=datetime.fromisoformat(r["time"]), device_id=r["device_id"],
                       quantity=r["quantity"], value=float(r["value"]), unit=r["unit"])
                for r in rows]

    async def devices(self) -> list[str]:
        """The device IDs that have samples."""
        async with self._db.execute(
                "SELECT DISTINCT device_id FROM telemetry ORDER BY device_id") as cursor:
            return [r["device_id"] for r in await cursor.fetchall()]

    async def purge(self, before: datetime) -> int:
        """Delete the samples older than `before`; returns how many."""
        return await self._write("DELETE FROM telemetry WHERE time < ?", [(_instant(before),)])

    # ---- deliveries ---------------------------------------------------------------------------

    async def add_deliveries(self, deliveries: Iterable[Delivery]) -> int:
        """Store what each device delivered in an event (replacing an earlier figure)."""
        return await self._write(
            "INSERT OR REPLACE INTO deliveries (event_id, modification_number, device_id, start, "
            "end_time, delivered_kwh) VALUES (?, ?, ?, ?, ?, ?)",
            ((d.event_id, d.modification_number, d.device_id, _instant(d.start),
              _instant(d.end), float(d.delivered_kwh)) for d in deliveries))

    async def deliveries(self) -> list[Delivery]:
        """Every stored delivery, by event start then device."""
        async with self._db.execute(
                "SELECT * FROM deliveries ORDER BY start, event_id, device_id") as cursor:
            rows = await cursor.fetchall()
        return [Delivery(event_id=r["event_id"], modification_number=r["modification_number"],
                         device_id=r["device_id"], start=datetime.fromisoformat(r["start"]),
                         end=datetime.fromisoformat(r["end_time"]),
                         delivered_kwh=float(r["delivered_kwh"])) for r in rows]

    async def delivered_events(self) -> set[str]:
        """The IDs of the events whose deliveries are stored."""
        async with self._db.execute("SELECT DISTINCT event_id FROM deliveries") as cursor:
            return {r["event_id"] for r in await cursor.fetchall()}


    # ---- expectations -------------------------------------------------------------------------

    async def put_expectations(self, event_id: str, rows: Sequence[Expected]) -> None:
        """Replace what is stored of `event_id`'s expectation by `rows`, in one transaction."""
        async with self._writing:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.execute("DELETE FROM expectations WHERE event_id = ?",
                                       (event_id,))
                await self._db.executemany(
                    "INSERT INTO expectations (event_id, modification_number, start, "
                    "duration_s, baseline_kw, requested_kw, expected_kw, reasons, planned_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(e.event_id, e.modification_number, _instant(e.start), e.duration_s,
                      e.baseline_kw, e.requested_kw, e.expected_kw, "\n".join(e.reasons),
                      _instant(e.planned_at)) for e in rows])
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def expectations(self, event_ids: Iterable[str] | None = None) -> list[Expected]:
        """The stored expectations (of `event_ids` only, if given), by event then start."""
        async with self._db.execute(
                "SELECT * FROM expectations ORDER BY event_id, start") as cursor:
            rows = await cursor.fetchall()
        wanted = None if event_ids is None else set(event_ids)
        return [Expected(event_id=r["event_id"], modification_number=r["modification_number"],
                         start=datetime.fromisoformat(r["start"]),
                         duration_s=float(r["duration_s"]), baseline_kw=float(r["baseline_kw"]),
                         requested_kw=float(r["requested_kw"]),
                         expected_kw=float(r["expected_kw"]),
                         reasons=tuple(x for x in r["reasons"].split("\n") if x),
                         planned_at=datetime.fromisoformat(r["planned_at"]))
                for r in rows if wanted is None or r["event_id"] in wanted]


def _filters(device_id: str | None, quantity: str | None, start: datetime | None,
             end: datetime | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for clause, value in (("device_id = ?", device_id), ("quantity = ?", quantity),
                          ("time >= ?", None if start is None else _instant(start)),
                          ("time < ?", None if end is None else _instant(end))):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def to_csv(samples: Iterable[Sample]) -> str:
    """`samples` as CSV text with a header row (``CSV_COLUMNS``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in samples:
        writer.writerow((s.time.astimezone(UTC).isoformat(), s.device_id, s.quantity,
                         repr(s.value), s.unit))
    return out.getvalue()
