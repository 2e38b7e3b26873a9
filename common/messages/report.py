"""EiReport service messages: register, request, deliver and cancel reports (oadr*Report)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from common.messages.enums import DataQuality, ExtensionValue, ReadingType, ReportName, ReportType
from common.messages.types import EiResponse, Interval, ItemBase, Message, Period, Target

__all__ = [
    "CancelReport",
    "CanceledReport",
    "CreateReport",
    "CreatedReport",
    "LoadControlState",
    "LoadControlStateValue",
    "RegisterReport",
    "RegisteredReport",
    "Report",
    "ReportDescription",
    "ReportPayload",
    "ReportRequest",
    "ReportSpecifier",
    "ResourceStatus",
    "SamplingRate",
    "SpecifierPayload",
    "UpdateReport",
    "UpdatedReport",
]


# ---- metadata: what a party can report ------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SamplingRate:
    """oadr:oadrSamplingRate: how often a data point can be sampled.

    ``min_period`` and ``max_period`` bound the sampling period; with ``on_change`` the value is
    recorded when it changes, but no more often than ``min_period``.
    """

    min_period: timedelta
    max_period: timedelta
    on_change: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportDescription:
    """oadr:oadrReportDescription: one data point a party offers in a metadata report.

    ``r_id`` names the data point (interval payloads and specifier payloads refer to it);
    ``item_base`` is its unit (absent for unitless points such as a resource status);
    ``market_context`` is a program URI (emix:marketContext). ``report_subject`` and
    ``report_data_source`` are targets (the device class, and the meter/resource measured).
    """

    r_id: str
    report_type: ReportType | ExtensionValue
    reading_type: ReadingType | ExtensionValue
    report_subject: Target | None = None
    report_data_source: Target | None = None
    item_base: ItemBase | None = None
    market_context: str | None = None
    sampling_rate: SamplingRate | None = None


# ---- data: interval payloads ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadControlStateValue:
    """oadrLoadControlStateTypeType: a load control quantity now, its range and its normal value.

    All four values are in the quantity's own unit (capacity [0-1], level offset [levels],
    percent offset [%], setpoint [the device's unit, e.g. °C]).
    """

    current: float
    min: float | None = None
    max: float | None = None
    normal: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadControlState:
    """oadr:oadrLoadControlState: the state of the load controls the VTN can act on."""

    capacity: LoadControlStateValue | None = None
    level_offset: LoadControlStateValue | None = None
    percent_offset: LoadControlStateValue | None = None
    set_point: LoadControlStateValue | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceStatus:
    """oadr:oadrPayloadResourceStatus: the TELEMETRY_STATUS payload of a resource."""

    online: bool
    manual_override: bool
    load_control_state: LoadControlState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportPayload:
    """oadr:oadrReportPayload: one data point's value in one interval.

    ``value`` is the ei:payloadBase: a ``float`` (ei:payloadFloat/value) in the data point's unit
    (its ReportDescription's ``item_base``, e.g. [kW]), or a ``ResourceStatus``.
    ``confidence`` is 0-100 [%]; ``accuracy`` is in the same unit as the value.
    """

    r_id: str
    value: float | ResourceStatus
    confidence: int | None = None
    accuracy: float | None = None
    data_quality: DataQuality | ExtensionValue | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """oadr:oadrReport: a metadata report (descriptions) or a data report (intervals).

    ``report_id`` is ei:eiReportID. ``report_request_id`` refers to the oadrCreateReport request
    it answers (``"0"`` for metadata reports, by convention); ``report_specifier_id`` to the
    metadata report it derives from. ``dtstart`` and ``duration`` bound the reported period;
    ``intervals`` (empty: no strm:intervals element) carry the values.
    """

    report_request_id: str
    report_specifier_id: str
    created_date_time: datetime
    report_id: str | None = None
    report_name: ReportName | ExtensionValue | None = None
    report_descriptions: tuple[ReportDescription, ...] = ()
    dtstart: datetime | None = None
    duration: timedelta | None = None
    intervals: tuple[Interval[ReportPayload], ...] = ()


# ---- requests -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecifierPayload:
    """ei:specifierPayload: one requested data point (by its ``r_id``)."""

    r_id: str
    reading_type: ReadingType | ExtensionValue
    item_base: ItemBase | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportSpecifier:
    """ei:reportSpecifier: which data points, how often, and for how long.

    ``granularity`` is the sampling period of the data points (one interval per period);
    ``report_back_duration`` the period between two oadrUpdateReports; ``report_interval``
    the overall window of the report, when the requester bounds it.
    """

    report_specifier_id: str
    granularity: timedelta
    report_back_duration: timedelta
    specifier_payloads: tuple[SpecifierPayload, ...]
    report_interval: Period | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportRequest:
    """oadr:oadrReportRequest: a request for one report, named by ``report_request_id``."""

    report_request_id: str
    report_specifier: ReportSpecifier


# ---- payloads -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterReport(Message):
    """oadrRegisterReport: a party announces its metadata reports (what it can report).

    ``report_request_id`` is set when it answers a VTN's request for METADATA reports.
    """

    request_id: str
    reports: tuple[Report, ...] = ()
    ven_id: str | None = None
    report_request_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisteredReport(Message):
    """oadrRegisteredReport: the acknowledgement, optionally with report requests."""

    response: EiResponse
    report_requests: tuple[ReportRequest, ...] = ()
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateReport(Message):
    """oadrCreateReport: a party requests one or more reports from the other."""

    request_id: str
    report_requests: tuple[ReportRequest, ...]
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedReport(Message):
    """oadrCreatedReport: acknowledges a request; ``pending_reports`` lists the reportRequestIDs
    of the periodic reports not yet complete (oadrPendingReports)."""

    response: EiResponse
    pending_reports: tuple[str, ...] = ()
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateReport(Message):
    """oadrUpdateReport: delivers report data."""

    request_id: str
    reports: tuple[Report, ...] = ()
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelReport(Message):
    """oadrCancelReport: stops the reports named by ``report_request_ids`` (at least one).

    With ``report_to_follow`` the reporting party sends one last report with the data so far.
    """

    request_id: str
    report_request_ids: tuple[str, ...]
    report_to_follow: bool
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdatedReport(Message):
    """oadrUpdatedReport: acknowledges report data; may piggy-back a cancellation."""

    response: EiResponse
    cancel_report: CancelReport | None = None
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CanceledReport(Message):
    """oadrCanceledReport: acknowledges a cancellation; ``pending_reports`` lists the
    reportRequestIDs still active."""

    response: EiResponse
    pending_reports: tuple[str, ...] = ()
    ven_id: str | None = None
