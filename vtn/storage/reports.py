"""Reports: VEN capabilities (METADATA), the VTN's subscriptions, and the readings received.

Readings are idempotent: their key is (ven_id, report_request_id, r_id, start). A reading that
arrives again for the same key *replaces* the stored one (last write wins), so a VEN that
resends a report after a lost acknowledgement never double-counts, and one that sends a
corrected value (better data quality, a late meter read) has the correction kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from common.messages.enums import DataQuality, ReadingType, ReportName, ReportType
from vtn.domain import Reading, ReportCapability, ReportSubscription, SubscriptionStatus
from vtn.domain.checks import require_aware
from vtn.storage.database import Database
from vtn.storage.documents import descriptions_from_json, descriptions_to_json
from vtn.storage.errors import NotFound
from vtn.storage.tables import (
    ReadingRow,
    ReportCapabilityRow,
    ReportSubscriptionRow,
    table_of,
)

__all__ = ["ReadingQuery", "ReportStore"]

_READINGS = table_of(ReadingRow)
_REPLACED = (
    "duration",
    "value",
    "report_type",
    "reading_type",
    "item_units",
    "scale",
    "data_quality",
    "received_at",
    "confidence",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadingQuery:
    """Which readings to fetch: every given condition must hold.

    ``start_from`` is inclusive, ``start_before`` exclusive (both on the interval start);
    ``r_ids`` empty means every data point. Results are ordered by start, then rID.
    """

    ven_id: str | None = None
    report_request_id: str | None = None
    r_ids: tuple[str, ...] = ()
    start_from: datetime | None = None
    start_before: datetime | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        require_aware("start_from", self.start_from)
        require_aware("start_before", self.start_before)


class ReportStore:
    """Report capabilities, subscriptions and readings."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- capabilities ---------------------------------------------------------------------

    async def add_capabilities(
        self, ven_id: str, capabilities: Sequence[ReportCapability], *, replace: bool = False
    ) -> None:
        """Store the reports `ven_id` offers; a report with a known specifier id replaces it.

        With `replace` (a full oadrRegisterReport), reports not listed are dropped.
        ``NotFound`` if the VEN is unknown.
        """
        if any(c.ven_id != ven_id for c in capabilities):
            raise ValueError(f"every capability must belong to VEN {ven_id!r}")
        specifiers = [c.report_specifier_id for c in capabilities]
        if len(set(specifiers)) != len(specifiers):
            raise ValueError(f"report specifier ids repeat: {specifiers}")
        stale = delete(ReportCapabilityRow).where(ReportCapabilityRow.ven_id == ven_id)
        if not replace:
            stale = stale.where(ReportCapabilityRow.report_specifier_id.in_(specifiers))
        async with self._db.write(f"register reports of VEN {ven_id}") as session:
            await session.execute(stale)
            session.add_all(
                ReportCapabilityRow(
                    ven_id=ven_id,
                    report_specifier_id=c.report_specifier_id,
                    report_name=c.report_name.value,
                    created_at=c.created_at,
                    duration=c.duration,
                    descriptions=descriptions_to_json(c.descriptions),
                )
                for c in capabilities
            )

    async def capabilities(self, ven_id: str) -> tuple[ReportCapability, ...]:
        """The reports `ven_id` offers, by specifier id."""
        query = (
            select(ReportCapabilityRow)
            .where(ReportCapabilityRow.ven_id == ven_id)
            .order_by(ReportCapabilityRow.report_specifier_id)
        )
        async with self._db.read() as session:
            return tuple(_to_capability(r) for r in await session.scalars(query))

    # ---- subscriptions --------------------------------------------------------------------

    async def subscribe(self, subscription: ReportSubscription) -> ReportSubscription:
        """Store a report request.

        ``Conflict`` if its report_request_id is taken; ``NotFound`` if the VEN is unknown.
        """
        s = subscription
        row = ReportSubscriptionRow(
            report_request_id=s.report_request_id,
            ven_id=s.ven_id,
            report_specifier_id=s.report_specifier_id,
            r_ids=list(s.r_ids),
            granularity=s.granularity,
            report_back_duration=s.report_back_duration,
            requested_at=s.requested_at,
            one_shot=s.one_shot,
            start_at=s.start,
            duration=s.duration,
            status=s.status.value,
            cancelled_at=s.cancelled_at,
        )
        async with self._db.write(f"subscribe to report {s.report_request_id}") as session:
            session.add(row)
            await session.flush()
            return _to_subscription(row)

    async def set_status(
        self, report_request_id: str, status: SubscriptionStatus
    ) -> ReportSubscription:
        """Move a subscription to `status` (CANCELLED = ``cancel``); ``NotFound`` if unknown."""
        if status is SubscriptionStatus.CANCELLED:
            return await self.cancel(report_request_id)
        async with self._db.write(f"update report {report_request_id}") as session:
            row = await session.get(ReportSubscriptionRow, report_request_id, with_for_update=True)
            if row is None:
                raise NotFound(f"report request {report_request_id!r} is not known")
            row.status = status.value
            await session.flush()
            return _to_subscription(row)

    async def cancel(self, report_request_id: str) -> ReportSubscription:
        """Cancel a subscription (idempotent: the first cancellation time is kept)."""
        async with self._db.write(f"cancel report {report_request_id}") as session:
            row = await session.get(ReportSubscriptionRow, report_request_id, with_for_update=True)
            if row is None:
                raise NotFound(f"report request {report_request_id!r} is not known")
            if row.cancelled_at is None:
                row.cancelled_at = self._db.clock.now()
                row.status = SubscriptionStatus.CANCELLED.value
            await session.flush()
            return _to_subscription(row)

    async def subscription(self, report_request_id: str) -> ReportSubscription:
        """The subscription `report_request_id`; ``NotFound`` if unknown."""
        async with self._db.read() as session:
            row = await session.get(ReportSubscriptionRow, report_request_id)
            if row is None:
                raise NotFound(f"report request {report_request_id!r} is not known")
            return _to_subscription(row)

    async def subscriptions(
        self, *, ven_id: str | None = None, include_cancelled: bool = False
    ) -> tuple[ReportSubscription, ...]:
        """Subscriptions, optionally of one VEN, in the order they were requested."""
        query = select(ReportSubscriptionRow).order_by(
            ReportSubscriptionRow.requested_at, ReportSubscriptionRow.report_request_id
        )
        if ven_id is not None:
            query = query.where(ReportSubscriptionRow.ven_id == ven_id)
        if not include_cancelled:
            query = query.where(ReportSubscriptionRow.cancelled_at.is_(None))
        async with self._db.read() as session:
            return tuple(_to_subscription(r) for r in await session.scalars(query))

    # ---- readings -------------------------------------------------------------------------

    async def add_readings(self, readings: Iterable[Reading]) -> int:
        """Store readings in bulk, in one transaction; returns how many distinct keys were written.

        A reading whose key (ven_id, report_request_id, r_id, start) is already stored, or
        repeats within `readings`, replaces the earlier one (the last one wins). ``NotFound``
        if a VEN is unknown (then nothing is stored).
        """
        now = self._db.clock.now()
        rows: dict[tuple[str, str, str, datetime], dict[str, object]] = {}
        for r in readings:
            rows[(r.ven_id, r.report_request_id, r.r_id, r.start)] = {
                "ven_id": r.ven_id,
                "report_request_id": r.report_request_id,
                "r_id": r.r_id,
                "start_at": r.start,
                "duration": r.duration,
                "value": r.value,
                "report_type": r.report_type.value,
                "reading_type": r.reading_type.value,
                "item_units": r.item_units,
                "scale": r.scale,
                "data_quality": None if r.data_quality is None else r.data_quality.value,
                "received_at": now,
                "confidence": r.confidence,
            }
        if not rows:
            return 0
        insert = self._db.insert(_READINGS)
        statement = insert.on_conflict_do_update(
            index_elements=[c.name for c in _READINGS.primary_key.columns],
            set_={name: insert.excluded[name] for name in _REPLACED},
        )
        async with self._db.write(f"store {len(rows)} readings") as session:
            await session.execute(statement, list(rows.values()))
        return len(rows)

    async def readings(self, query: ReadingQuery) -> tuple[Reading, ...]:
        """The readings matching `query`, by start then rID."""
        q = query
        statement = select(ReadingRow).order_by(
            ReadingRow.start_at, ReadingRow.r_id, ReadingRow.ven_id, ReadingRow.report_request_id
        )
        if q.ven_id is not None:
            statement = statement.where(ReadingRow.ven_id == q.ven_id)
        if q.report_request_id is not None:
            statement = statement.where(ReadingRow.report_request_id == q.report_request_id)
        if q.r_ids:
            statement = statement.where(ReadingRow.r_id.in_(q.r_ids))
        if q.start_from is not None:
            statement = statement.where(ReadingRow.start_at >= q.start_from)
        if q.start_before is not None:
            statement = statement.where(ReadingRow.start_at < q.start_before)
        statement = statement.limit(q.limit)
        async with self._db.read() as session:
            return tuple(_to_reading(r) for r in await session.scalars(statement))


def _to_capability(row: ReportCapabilityRow) -> ReportCapability:
    return ReportCapability(
        ven_id=row.ven_id,
        report_specifier_id=row.report_specifier_id,
        report_name=ReportName.parse(row.report_name),
        descriptions=descriptions_from_json(row.descriptions),
        created_at=row.created_at,
        duration=row.duration,
    )


def _to_subscription(row: ReportSubscriptionRow) -> ReportSubscription:
    return ReportSubscription(
        report_request_id=row.report_request_id,
        ven_id=row.ven_id,
        report_specifier_id=row.report_specifier_id,
        r_ids=tuple(row.r_ids),
        granularity=row.granularity,
        report_back_duration=row.report_back_duration,
        requested_at=row.requested_at,
        one_shot=row.one_shot,
        start=row.start_at,
        duration=row.duration,
        status=SubscriptionStatus(row.status),
        cancelled_at=row.cancelled_at,
    )


def _to_reading(row: ReadingRow) -> Reading:
    return Reading(
        ven_id=row.ven_id,
        report_request_id=row.report_request_id,
        r_id=row.r_id,
        start=row.start_at,
        duration=row.duration,
        value=row.value,
        report_type=ReportType.parse(row.report_type),
        reading_type=ReadingType.parse(row.reading_type),
        item_units=row.item_units,
        scale=row.scale,
        data_quality=None if row.data_quality is None else DataQuality.parse(row.data_quality),
        confidence=row.confidence,
        received_at=row.received_at,
    )
