"""The ORM rows: private to vtn.storage, converted to domain types by the repositories."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CursorResult,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vtn.storage.columns import Duration, UtcDateTime

__all__ = [
    "AuditRow",
    "Base",
    "EventRow",
    "EventTargetRow",
    "InvitationRow",
    "NonceRow",
    "OptRow",
    "OutboxRow",
    "PerformanceRow",
    "ReadingRow",
    "ReportCapabilityRow",
    "ReportSubscriptionRow",
    "VenMembershipRow",
    "VenRow",
    "rowcount",
    "table_of",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = String(128)
"""Every protocol ID (venID, eventID, rID, ...): the spec gives no limit; 128 is generous."""
Token = String(64)
"""An enumerated wire token (enum value or ``x-`` extension)."""


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so that migrations name constraints alike."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012
        datetime: UtcDateTime(),
        timedelta: Duration(),
        str: Id,
        float: Double(),
        bool: Boolean(),
        int: Integer(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def table_of(row: type[Base]) -> Table:
    """The ``Table`` of a row class (SQLAlchemy types ``__table__`` as any ``FromClause``)."""
    table = row.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{row.__name__} is not mapped to a Table")
    return table


def rowcount(result: object) -> int:
    """How many rows an UPDATE or DELETE matched.

    ``Session.execute`` returns a ``CursorResult`` for those statements, but is typed as
    returning a plain ``Result``, which has no ``rowcount``.
    """
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} is not the result of a DML statement")
    return result.rowcount


class VenRow(Base):
    """vens: one row per VEN ever registered (cancelled ones are kept)."""

    __tablename__ = "vens"

    ven_id: Mapped[str] = mapped_column(primary_key=True)
    registration_id: Mapped[str] = mapped_column(unique=True)
    fingerprint: Mapped[str] = mapped_column(String(95), unique=True)
    ven_name: Mapped[str | None] = mapped_column(Text)
    profile: Mapped[str] = mapped_column(String(8))
    transport: Mapped[str] = mapped_column(String(16))
    http_pull_model: Mapped[bool]
    transport_address: Mapped[str | None] = mapped_column(Text)
    report_only: Mapped[bool]
    xml_signature: Mapped[bool]
    poll_frequency: Mapped[timedelta]
    registered_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    conflict_at: Mapped[datetime | None]
    conflict_ven_name: Mapped[str | None] = mapped_column(Text)


class VenMembershipRow(Base):
    """ven_memberships: the operator's group, resource and party assignments of a VEN."""

    __tablename__ = "ven_memberships"
    __table_args__ = (Index(None, "kind", "value"),)

    ven_id: Mapped[str] = mapped_column(ForeignKey("vens.ven_id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(primary_key=True)


class EventRow(Base):
    """events: the current version of each event; signals and baseline as JSON documents."""

    __tablename__ = "events"

    event_id: Mapped[str] = mapped_column(primary_key=True)
    modification_number: Mapped[int]
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime | None]
    modification_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None]
    market_context: Mapped[str] = mapped_column(Text)
    priority: Mapped[int]
    test_event: Mapped[bool]
    response_required: Mapped[str] = mapped_column(String(16))
    start_at: Mapped[datetime] = mapped_column(index=True)
    duration: Mapped[timedelta]
    end_at: Mapped[datetime | None] = mapped_column(index=True)
    tolerance_startafter: Mapped[timedelta | None]
    notification: Mapped[timedelta | None]
    ramp_up: Mapped[timedelta | None]
    recovery: Mapped[timedelta | None]
    all_vens: Mapped[bool]
    signals: Mapped[list[Any]]
    baseline: Mapped[dict[str, Any] | None]
    vtn_comment: Mapped[str | None] = mapped_column(Text)


class EventTargetRow(Base):
    """event_targets: the listed targets of an event (kind: ven, group, resource, party)."""

    __tablename__ = "event_targets"
    __table_args__ = (Index(None, "kind", "value"),)

    event_id: Mapped[str] = mapped_column(ForeignKey("events.event_id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(primary_key=True)


class InvitationRow(Base):
    """invitations: per event and VEN, delivery and the VEN's answer."""

    __tablename__ = "invitations"

    event_id: Mapped[str] = mapped_column(ForeignKey("events.event_id"), primary_key=True)
    ven_id: Mapped[str] = mapped_column(ForeignKey("vens.ven_id"), primary_key=True, index=True)
    first_delivered_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    delivered_modification_number: Mapped[int | None]
    opt_type: Mapped[str | None] = mapped_column(Token)
    opted_at: Mapped[datetime | None]
    opt_modification_number: Mapped[int | None]
    response_code: Mapped[int | None]


class OptRow(Base):
    """opts: event opts and availability schedules, keyed by the VEN's optID."""

    __tablename__ = "opts"

    ven_id: Mapped[str] = mapped_column(ForeignKey("vens.ven_id"), primary_key=True)
    opt_id: Mapped[str] = mapped_column(primary_key=True)
    opt_type: Mapped[str] = mapped_column(Token)
    opt_reason: Mapped[str] = mapped_column(Token)
    created_at: Mapped[datetime]
    received_at: Mapped[datetime]
    market_context: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(ForeignKey("events.event_id"), index=True)
    modification_number: Mapped[int | None]
    availability: Mapped[list[Any]]
    resource_ids: Mapped[list[Any]]
    cancelled_at: Mapped[datetime | None]


class ReportCapabilityRow(Base):
    """report_capabilities: the reports a VEN registered; data points as a JSON document."""

    __tablename__ = "report_capabilities"

    ven_id: Mapped[str] = mapped_column(ForeignKey("vens.ven_id"), primary_key=True)
    report_specifier_id: Mapped[str] = mapped_column(primary_key=True)
    report_name: Mapped[str] = mapped_column(Token)
    created_at: Mapped[datetime]
    duration: Mapped[timedelta | None]
    descriptions: Mapped[list[Any]]


class ReportSubscriptionRow(Base):
    """report_subscriptions: the report requests the VTN made."""

    __tablename__ = "report_subscriptions"

    report_request_id: Mapped[str] = mapped_column(primary_key=True)
    ven_id: Mapped[str] = mapped_column(ForeignKey("vens.ven_id"), index=True)
    report_specifier_id: Mapped[str]
    r_ids: Mapped[list[Any]]
    granularity: Mapped[timedelta]
    report_back_duration: Mapped[timedelta]
    requested_at: Mapped[datetime]
    one_shot: Mapped[bool]
    start_at: Mapped[datetime | None]
    duration: Mapped[timedelta | None]
    status: Mapped[str] = mapped_column(String(16))
    cancelled_at: Mapped[datetime | None]


class ReadingRow(Base):
    """readings: one value per (VEN, report request, rID, interval start): the key is the PK."""

    __tablename__ = "readings"
    __table_args__ = (Index(None, "report_request_id", "r_id", "start_at"),)

    ven_id: Mapped[str] = mapped_column(ForeignKey("vens.ven_id"), primary_key=True)
    report_request_id: Mapped[str] = mapped_column(primary_key=True)
    r_id: Mapped[str] = mapped_column(primary_key=True)
    start_at: Mapped[datetime] = mapped_column(primary_key=True)
    duration: Mapped[timedelta]
    value: Mapped[float]
    report_type: Mapped[str] = mapped_column(Token)
    reading_type: Mapped[str] = mapped_column(Token)
    item_units: Mapped[str | None] = mapped_column(String(32))
    scale: Mapped[str | None] = mapped_column(String(8))
    data_quality: Mapped[str | None] = mapped_column(Token)
    received_at: Mapped[datetime]
    confidence: Mapped[int | None]


class PerformanceRow(Base):
    """event_performance: per event and VEN, the performance computed from its readings."""

    __tablename__ = "event_performance"

    event_id: Mapped[str] = mapped_column(ForeignKey("events.event_id"), primary_key=True)
    ven_id: Mapped[str] = mapped_column(ForeignKey("vens.ven_id"), primary_key=True, index=True)
    modification_number: Mapped[int]
    participation: Mapped[str] = mapped_column(String(16))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    requested_kw: Mapped[float | None]
    baseline_kw: Mapped[float | None]
    target_kw: Mapped[float | None]
    actual_kw: Mapped[float | None]
    reduction_kw: Mapped[float | None]
    delivered_kwh: Mapped[float]
    requested_kwh: Mapped[float]
    delivered_pct: Mapped[float | None]
    data_points: Mapped[int]
    baseline_method: Mapped[str | None] = mapped_column(Text)
    baseline_confidence: Mapped[int | None]
    computed_at: Mapped[datetime]
    intervals: Mapped[list[Any]]
    expected_kw: Mapped[float | None]
    expected_requested_kw: Mapped[float | None]
    expected_pct: Mapped[float | None]
    expected_intervals: Mapped[list[Any] | None]


class NonceRow(Base):
    """nonces: ReplayProtect nonces seen, until they expire."""

    __tablename__ = "nonces"

    nonce: Mapped[str] = mapped_column(String(256), primary_key=True)
    signed_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class OutboxRow(Base):
    """push_outbox: every VTN-initiated message, queued per VEN (the name is historical).

    How an item is delivered follows its VEN's registration (``vens.http_pull_model``): push
    workers claim items of push VENs only; a pull VEN's oadrPoll takes its items one by one.
    ``seq`` orders the queue (strictly increasing in insertion order): an identity column on
    PostgreSQL, ``max + 1`` under SQLite's single write lock.
    """

    __tablename__ = "push_outbox"

    item_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True, index=True)
    ven_id: Mapped[str] = mapped_column(ForeignKey("vens.ven_id"), index=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    claimed_by: Mapped[str | None]
    claimed_until: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    given_up_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class ChangeNoticeRow(Base):
    """change_notices: on SQLite, the change notices of every process, for the others to read
    (``vtn.storage.changes``; PostgreSQL uses NOTIFY instead). ``seq`` grows in commit order
    (SQLite has one writer at a time) and is never reused (AUTOINCREMENT: housekeeping deletes
    old rows, and a reused number would be skipped by a reader that saw it before)."""

    __tablename__ = "change_notices"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(32))
    ven_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(index=True)


class AuditRow(Base):
    """audit_log: the operators' changes through the admin API (kept; never purged)."""

    __tablename__ = "audit_log"

    entry_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                          primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    operator: Mapped[str | None] = mapped_column(Text)
    client: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(64), index=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[int]
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(index=True)
    summary: Mapped[str] = mapped_column(Text)
