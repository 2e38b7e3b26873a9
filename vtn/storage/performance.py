"""Event performance rows: one per (event, VEN), replaced each time it is recomputed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from vtn.expected import ExpectedInterval
from vtn.performance import Participation, Performance, PerformanceInterval
from vtn.storage.database import Database
from vtn.storage.tables import PerformanceRow, table_of

__all__ = ["PerformanceStore"]

_TABLE = table_of(PerformanceRow)


class PerformanceStore:
    """The performance of each VEN in each event (see ``vtn.performance``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, performance: Performance) -> None:
        """Store `performance`, replacing the row of its (event, VEN) in one upsert (so that
        workers recomputing the same row at once do not conflict); the event and the VEN must
        exist."""
        p = performance
        values = {
            "event_id": p.event_id, "ven_id": p.ven_id,
            "modification_number": p.modification_number,
            "participation": p.participation.value, "start_at": p.start, "end_at": p.end,
            "requested_kw": p.requested_kw, "baseline_kw": p.baseline_kw,
            "target_kw": p.target_kw, "actual_kw": p.actual_kw, "reduction_kw": p.reduction_kw,
            "delivered_kwh": p.delivered_kwh, "requested_kwh": p.requested_kwh,
            "delivered_pct": p.delivered_pct, "data_points": p.data_points,
            "baseline_method": p.baseline_method, "baseline_confidence": p.baseline_confidence,
            "computed_at": p.computed_at, "intervals": [_interval_json(i) for i in p.intervals],
            "expected_kw": p.expected_kw, "expected_requested_kw": p.expected_requested_kw,
            "expected_pct": p.expected_pct,
            "expected_intervals": [_expected_json(i) for i in p.expected_intervals],
        }
        insert = self._db.insert(_TABLE).values(**values)
        statement = insert.on_conflict_do_update(
            index_elements=[c.name for c in _TABLE.primary_key.columns],
            set_={name: insert.excluded[name] for name in values
                  if name not in ("event_id", "ven_id")},
        )
        async with self._db.write(f"store the performance of {p.ven_id} in {p.event_id}") \
                as session:
            await session.execute(statement)

    async def get(self, event_id: str, ven_id: str) -> Performance | None:
        """The stored performance of `ven_id` in `event_id`, or ``None``."""
        async with self._db.read() as session:
            row = await session.get(PerformanceRow, (event_id, ven_id))
            return None if row is None else _to_performance(row)

    async def for_event(self, event_id: str) -> tuple[Performance, ...]:
        """Every VEN's performance in `event_id`, by VEN id."""
        query = (select(PerformanceRow).where(PerformanceRow.event_id == event_id)
                 .order_by(PerformanceRow.ven_id))
        async with self._db.read() as session:
            return tuple(_to_performance(r) for r in await session.scalars(query))

    async def for_ven(self, ven_id: str) -> tuple[Performance, ...]:
        """`ven_id`'s performance in every event, by event start."""
        query = (select(PerformanceRow).where(PerformanceRow.ven_id == ven_id)
                 .order_by(PerformanceRow.start_at, PerformanceRow.event_id))
        async with self._db.read() as session:
            return tuple(_to_performance(r) for r in await session.scalars(query))


def _interval_json(i: PerformanceInterval) -> dict[str, Any]:
    return {"start": i.start.isoformat(), "duration_s": i.duration.total_seconds(),
            "baseline_kw": i.baseline_kw, "actual_kw": i.actual_kw,
            "requested_kw": i.requested_kw, "confidence": i.confidence}


def _expected_json(i: ExpectedInterval) -> dict[str, Any]:
    return {"start": i.start.isoformat(), "duration_s": i.duration.total_seconds(),
            "baseline_kw": i.baseline_kw, "requested_kw": i.requested_kw,
            "expected_kw": i.expected_kw,
            "said_at": None if i.said_at is None else i.said_at.isoformat()}


def _expected(data: dict[str, Any]) -> ExpectedInterval:
    return ExpectedInterval(
        start=datetime.fromisoformat(data["start"]),
        duration=timedelta(seconds=data["duration_s"]), baseline_kw=data["baseline_kw"],
        requested_kw=data["requested_kw"], expected_kw=data["expected_kw"],
        said_at=datetime.fromisoformat(data["said_at"]) if data.get("said_at") else None)


def _interval(data: dict[str, Any]) -> PerformanceInterval:
    return PerformanceInterval(
        start=datetime.fromisoformat(data["start"]),
        duration=timedelta(seconds=data["duration_s"]),
        baseline_kw=data["baseline_kw"], actual_kw=data["actual_kw"],
        requested_kw=data["requested_kw"], confidence=data.get("confidence"))


def _to_performance(row: PerformanceRow) -> Performance:
    return Performance(
        event_id=row.event_id, ven_id=row.ven_id, modification_number=row.modification_number,
        participation=Participation(row.participation), start=row.start_at, end=row.end_at,
        requested_kw=row.requested_kw, baseline_kw=row.baseline_kw, target_kw=row.target_kw,
        actual_kw=row.actual_kw, reduction_kw=row.reduction_kw,
        delivered_kwh=row.delivered_kwh, requested_kwh=row.requested_kwh,
        delivered_pct=row.delivered_pct, data_points=row.data_points,
        baseline_method=row.baseline_method, baseline_confidence=row.baseline_confidence,
        computed_at=row.computed_at, intervals=tuple(_interval(d) for d in row.intervals),
        expected_kw=row.expected_kw, expected_requested_kw=row.expected_requested_kw,
        expected_pct=row.expected_pct,
        expected_intervals=tuple(_expected(d) for d in row.expected_intervals or ()),
    )
