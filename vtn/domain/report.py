"""Reports: what a VEN offers (capabilities), what the VTN asked for (subscriptions), readings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from common.messages.enums import (
    DataQuality,
    ExtensionValue,
    ReadingType,
    ReportName,
    ReportType,
)
from common.messages.types import ItemBase
from vtn.domain.checks import require_aware, require_non_negative

__all__ = [
    "Reading",
    "ReportCapability",
    "ReportDescription",
    "ReportSubscription",
    "SubscriptionStatus",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportDescription:
    """One data point (rID) of a report a VEN offers.

    ``item_base`` is its unit (``None`` for unit-less points such as resource status);
    ``min_period`` and ``max_period`` [duration] bound the sampling rate the VEN supports;
    ``resource_id`` names the resource it measures (reportDataSource), if the VEN says.
    """

    r_id: str
    report_type: ReportType | ExtensionValue
    reading_type: ReadingType | ExtensionValue
    item_base: ItemBase | None = None
    resource_id: str | None = None
    market_context: str | None = None
    min_period: timedelta | None = None
    max_period: timedelta | None = None
    on_change: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportCapability:
    """A report the VEN registered (one oadrReport of its METADATA oadrRegisterReport).

    ``duration`` [duration] is how much history the VEN keeps for a history report (``None``
    when it does not say); ``created_at`` is the VEN's createdDateTime.
    """

    ven_id: str
    report_specifier_id: str
    report_name: ReportName | ExtensionValue
    descriptions: tuple[ReportDescription, ...]
    created_at: datetime
    duration: timedelta | None = None

    def __post_init__(self) -> None:
        require_aware("created_at", self.created_at)
        r_ids = [d.r_id for d in self.descriptions]
        if len(set(r_ids)) != len(r_ids):
            raise ValueError(f"rIDs must be unique within a report: {r_ids}")

    def description(self, r_id: str) -> ReportDescription | None:
        """The description of data point `r_id`, or ``None``."""
        return next((d for d in self.descriptions if d.r_id == r_id), None)


class SubscriptionStatus(StrEnum):
    """Where a report request is in its life."""

    REQUESTED = "requested"
    """Sent (or queued) to the VEN, not yet acknowledged."""
    ACTIVE = "active"
    """Acknowledged by the VEN (oadrCreatedReport); readings are expected."""
    COMPLETED = "completed"
    """A one-shot report arrived, or the report interval is over."""
    CANCELLED = "cancelled"
    """Cancelled by either party."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportSubscription:
    """A report request the VTN made to a VEN (oadrCreateReport / oadrRegisteredReport).

    ``granularity`` [duration] is the sampling interval, ``report_back_duration`` [duration]
    how often the VEN sends. ``start`` and ``duration`` [duration] bound the report interval
    (``None`` = from now on, until cancelled). ``one_shot`` asks for a single report.
    """

    report_request_id: str
    ven_id: str
    report_specifier_id: str
    r_ids: tuple[str, ...]
    granularity: timedelta
    report_back_duration: timedelta
    requested_at: datetime
    one_shot: bool = False
    start: datetime | None = None
    duration: timedelta | None = None
    status: SubscriptionStatus = SubscriptionStatus.REQUESTED
    cancelled_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("requested_at", "start", "cancelled_at"):
            require_aware(name, getattr(self, name))
        for name in ("granularity", "report_back_duration", "duration"):
            require_non_negative(name, getattr(self, name))
        if not self.r_ids:
            raise ValueError("a report subscription names at least one rID")

    @property
    def cancelled(self) -> bool:
        """True once the subscription was cancelled."""
        return self.cancelled_at is not None

    @property
    def periodic(self) -> bool:
        """True for a report sent again every ``report_back_duration``."""
        return not self.one_shot


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """One value a VEN reported for one data point over one interval.

    ``value`` is in ``item_units`` scaled by ``scale`` (e.g. ``W`` with scale ``k`` = kW);
    ``start`` and ``duration`` [duration] are the interval it covers; ``confidence`` [%] is
    the VEN's oadrReportPayload/confidence, if it sent one. Readings are keyed by
    (ven_id, report_request_id, r_id, start): see ``ReportStore.add_readings`` (a value sent
    again replaces the one before). ``received_at``: when the VTN stored this value (None on a
    reading not read back from storage).
    """

    ven_id: str
    report_request_id: str
    r_id: str
    start: datetime
    duration: timedelta
    value: float
    report_type: ReportType | ExtensionValue
    reading_type: ReadingType | ExtensionValue
    item_units: str | None = None
    scale: str | None = None
    data_quality: DataQuality | ExtensionValue | None = None
    confidence: int | None = None
    received_at: datetime | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        require_aware("start", self.start)
        require_non_negative("duration", self.duration)
