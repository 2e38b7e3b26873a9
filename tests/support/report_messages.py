"""EiReport messages of every kind, filled as a real VEN and VTN fill them (``MESSAGES``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from common.errors import ResponseCode
from common.messages.enums import (
    DataQuality,
    ExtensionValue,
    ItemKind,
    ReadingType,
    ReportName,
    ReportType,
    SiScaleCode,
    TemperatureUnit,
)
from common.messages.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    LoadControlState,
    LoadControlStateValue,
    RegisteredReport,
    RegisterReport,
    Report,
    ReportDescription,
    ReportPayload,
    ReportRequest,
    ReportSpecifier,
    ResourceStatus,
    SamplingRate,
    SpecifierPayload,
    UpdatedReport,
    UpdateReport,
)
from common.messages.types import EiResponse, Interval, ItemBase, Message, Period, Target

T0 = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)
CREATED = datetime(2026, 7, 1, 18, 0, 5, 125000, tzinfo=UTC)
MARKET = "http://market.example.com/dr/summer"
QUARTER = timedelta(minutes=15)
CEST = timezone(timedelta(hours=2))
KW = ItemBase.power(scale=SiScaleCode.KILO)
KWH = ItemBase.fixed(ItemKind.ENERGY_REAL, scale=SiScaleCode.KILO)
FAST = SamplingRate(min_period=timedelta(minutes=1), max_period=QUARTER, on_change=False)


def ok(request_id: str = "req-1", description: str | None = "OK") -> EiResponse:
    return EiResponse(
        response_code=ResponseCode.OK, request_id=request_id, response_description=description
    )


# ---- example messages -----------------------------------------------------------------------


def usage_descriptions() -> tuple[ReportDescription, ...]:
    """TELEMETRY_USAGE metadata: metered usage [kW] and the VEN's baseline [kW]."""
    return (
        ReportDescription(
            r_id="usage",
            report_data_source=Target(resource_ids=("meter-1",)),
            report_type=ReportType.USAGE,
            item_base=KW,
            reading_type=ReadingType.DIRECT_READ,
            market_context=MARKET,
            sampling_rate=FAST,
        ),
        ReportDescription(
            r_id="baseline",
            report_data_source=Target(resource_ids=("meter-1",)),
            report_type=ReportType.BASELINE,
            item_base=KW,
            reading_type=ReadingType.PROJECTED,
            market_context=MARKET,
            sampling_rate=SamplingRate(min_period=QUARTER, max_period=QUARTER, on_change=False),
        ),
    )


def history_descriptions() -> tuple[ReportDescription, ...]:
    """HISTORY_USAGE-style metadata with one data point of each other unit kind."""
    units = (
        ItemBase.power(ItemKind.POWER_APPARENT, scale=SiScaleCode.MEGA, hertz=50, voltage=230),
        ItemBase.power(ItemKind.POWER_REACTIVE, ac=False),
        KWH,
        ItemBase.fixed(ItemKind.ENERGY_APPARENT),
        ItemBase.fixed(ItemKind.ENERGY_REACTIVE),
        ItemBase.fixed(ItemKind.VOLTAGE),
        ItemBase.fixed(ItemKind.CURRENT, scale=SiScaleCode.MILLI),
        ItemBase.fixed(ItemKind.FREQUENCY),
        ItemBase.fixed(ItemKind.THERM),
        ItemBase.currency("USD", kind=ItemKind.CURRENCY),
        ItemBase.currency("EUR", kind=ItemKind.CURRENCY_PER_KW),
        ItemBase.currency("USD", kind=ItemKind.CURRENCY_PER_KWH),
        ItemBase.currency("CAD", kind=ItemKind.CURRENCY_PER_THM),
        ItemBase.temperature(TemperatureUnit.FAHRENHEIT),
        ItemBase.pulse_count(0.25),
        ItemBase.custom("Irradiance", "W/m2", scale=SiScaleCode.NONE),
    )
    return tuple(
        ReportDescription(
            r_id=f"point-{index}",
            report_subject=Target(end_device_assets=("Smart_Energy_Module",)),
            report_data_source=Target(meter_assets=("METER-0001",), resource_ids=(f"r{index}",)),
            report_type=ReportType.READING if index % 2 else ReportType.USAGE,
            item_base=unit,
            reading_type=ReadingType.SUMMED if index % 2 else ReadingType.NET,
        )
        for index, unit in enumerate(units)
    )


def status_descriptions() -> tuple[ReportDescription, ...]:
    """TELEMETRY_STATUS metadata: one resource status point per resource (no unit)."""
    return tuple(
        ReportDescription(
            r_id=f"status-{name}",
            report_data_source=Target(resource_ids=(name,)),
            report_type=ReportType.X_RESOURCE_STATUS,
            reading_type=ReadingType.X_NOT_APPLICABLE,
            market_context=MARKET,
            sampling_rate=SamplingRate(
                min_period=timedelta(seconds=30), max_period=timedelta(hours=1), on_change=True
            ),
        )
        for name in ("hvac-1", "battery-1")
    )


def register_report() -> RegisterReport:
    return RegisterReport(
        request_id="reg-req-7",
        reports=(
            Report(
                report_request_id="0",
                report_specifier_id="telemetry-usage",
                report_name=ReportName.METADATA_TELEMETRY_USAGE,
                created_date_time=CREATED,
                duration=timedelta(hours=2),
                report_descriptions=usage_descriptions(),
            ),
            Report(
                report_request_id="0",
                report_specifier_id="telemetry-status",
                report_name=ReportName.METADATA_TELEMETRY_STATUS,
                created_date_time=CREATED,
                report_descriptions=status_descriptions(),
            ),
            Report(
                report_request_id="0",
                report_specifier_id="history",
                report_name=ReportName.METADATA_HISTORY_USAGE,
                created_date_time=CREATED,
                report_descriptions=history_descriptions(),
            ),
            Report(
                report_id="private-1",
                report_request_id="0",
                report_specifier_id="private",
                report_name=ExtensionValue("x-buildingComfort"),
                created_date_time=CREATED,
                report_descriptions=(
                    ReportDescription(
                        r_id="comfort",
                        report_type=ExtensionValue("x-comfortIndex"),
                        reading_type=ExtensionValue("x-computed"),
                    ),
                ),
            ),
        ),
        ven_id="ven-123",
        report_request_id="metadata-request-1",
    )


def report_requests() -> tuple[ReportRequest, ...]:
    return (
        ReportRequest(
            report_request_id="rr-usage",
            report_specifier=ReportSpecifier(
                report_specifier_id="telemetry-usage",
                granularity=QUARTER,
                report_back_duration=timedelta(hours=1),
                report_interval=Period(dtstart=T0, duration=timedelta(hours=24)),
                specifier_payloads=(
                    SpecifierPayload(
                        r_id="usage", reading_type=ReadingType.DIRECT_READ, item_base=KW
                    ),
                    SpecifierPayload(r_id="baseline", reading_type=ReadingType.PROJECTED),
                ),
            ),
        ),
        ReportRequest(
            report_request_id="rr-status",
            report_specifier=ReportSpecifier(
                report_specifier_id="telemetry-status",
                granularity=timedelta(0),
                report_back_duration=timedelta(minutes=5),
                specifier_payloads=(
                    SpecifierPayload(
                        r_id="status-hvac-1", reading_type=ReadingType.X_NOT_APPLICABLE
                    ),
                    SpecifierPayload(
                        r_id="status-battery-1", reading_type=ReadingType.X_NOT_APPLICABLE
                    ),
                ),
            ),
        ),
        ReportRequest(
            report_request_id="rr-history",
            report_specifier=ReportSpecifier(
                report_specifier_id="history",
                granularity=timedelta(hours=1),
                report_back_duration=timedelta(0),
                report_interval=Period(
                    dtstart=T0 - timedelta(days=7),
                    duration=timedelta(days=7),
                    tolerance_startafter=timedelta(minutes=5),
                ),
                specifier_payloads=(
                    SpecifierPayload(r_id="point-2", reading_type=ReadingType.NET, item_base=KWH),
                    SpecifierPayload(
                        r_id="point-11",
                        reading_type=ReadingType.SUMMED,
                        item_base=ItemBase.currency("USD", kind=ItemKind.CURRENCY_PER_KWH),
                    ),
                ),
            ),
        ),
    )


def usage_intervals(count: int = 96) -> tuple[Interval[ReportPayload], ...]:
    """`count` quarter-hours from T0, each with usage and baseline [kW]."""
    intervals = []
    for index in range(count):
        usage = 40.0 + (index % 24) * 0.75
        baseline = 55.5 - (index % 12) * 0.125
        quality = DataQuality.QUALITY_GOOD_NON_SPECIFIC if index % 10 else None
        intervals.append(
            Interval(
                dtstart=T0 + index * QUARTER,
                duration=QUARTER,
                uid=str(index),
                payloads=(
                    ReportPayload(r_id="usage", value=usage, data_quality=quality),
                    ReportPayload(r_id="baseline", value=baseline, confidence=90, accuracy=1.5),
                ),
            )
        )
    return tuple(intervals)


def update_report_usage() -> UpdateReport:
    """A day of TELEMETRY_USAGE at 15 min granularity: 96 intervals, usage + baseline."""
    return UpdateReport(
        request_id="upd-1",
        reports=(
            Report(
                report_id="report-usage-1",
                report_request_id="rr-usage",
                report_specifier_id="telemetry-usage",
                report_name=ReportName.TELEMETRY_USAGE,
                created_date_time=CREATED,
                dtstart=T0,
                duration=96 * QUARTER,
                intervals=usage_intervals(96),
            ),
        ),
        ven_id="ven-123",
    )


def full_status() -> ResourceStatus:
    return ResourceStatus(
        online=True,
        manual_override=False,
        load_control_state=LoadControlState(
            capacity=LoadControlStateValue(current=0.6, min=0.0, max=1.0, normal=1.0),
            level_offset=LoadControlStateValue(current=1.0, min=-2.0, max=3.0, normal=0.0),
            percent_offset=LoadControlStateValue(current=-12.5),
            set_point=LoadControlStateValue(current=24.5, min=18.0, max=28.0, normal=22.0),
        ),
    )


def update_report_status() -> UpdateReport:
    """TELEMETRY_STATUS: one interval with the status of two resources."""
    return UpdateReport(
        request_id="upd-2",
        reports=(
            Report(
                report_id="report-status-1",
                report_request_id="rr-status",
                report_specifier_id="telemetry-status",
                report_name=ReportName.TELEMETRY_STATUS,
                created_date_time=CREATED,
                dtstart=T0,
                duration=timedelta(minutes=5),
                intervals=(
                    Interval(
                        dtstart=T0,
                        duration=timedelta(minutes=5),
                        payloads=(
                            ReportPayload(r_id="status-hvac-1", value=full_status()),
                            ReportPayload(
                                r_id="status-battery-1",
                                value=ResourceStatus(
                                    online=False,
                                    manual_override=True,
                                    load_control_state=LoadControlState(
                                        set_point=LoadControlStateValue(current=50.0)
                                    ),
                                ),
                                data_quality=DataQuality.QUALITY_BAD_COMM_FAILURE,
                            ),
                        ),
                    ),
                    Interval(
                        payloads=(
                            ReportPayload(
                                r_id="status-hvac-1",
                                value=ResourceStatus(online=True, manual_override=False),
                                confidence=100,
                                data_quality=ExtensionValue("x-simulated"),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    )


def cancel_report() -> CancelReport:
    return CancelReport(
        request_id="cancel-1",
        report_request_ids=("rr-usage", "rr-status"),
        report_to_follow=True,
        ven_id="ven-123",
    )


def all_messages() -> dict[str, Message]:
    """One or more example of every report payload type, keyed by a test id."""
    return {
        "register": register_report(),
        "register-empty": RegisterReport(request_id="reg-0"),
        "registered": RegisteredReport(
            response=ok("reg-req-7"), report_requests=report_requests(), ven_id="ven-123"
        ),
        "registered-bare": RegisteredReport(response=ok("reg-req-7", None)),
        "create": CreateReport(request_id="create-1", report_requests=report_requests()),
        "create-ven": CreateReport(
            request_id="create-2", report_requests=report_requests()[:1], ven_id="ven-123"
        ),
        "created": CreatedReport(
            response=ok("create-1"), pending_reports=("rr-usage", "rr-status"), ven_id="ven-123"
        ),
        "created-none-pending": CreatedReport(response=ok("create-1")),
        "update-96": update_report_usage(),
        "update-status": update_report_status(),
        "update-empty": UpdateReport(request_id="upd-0", ven_id="ven-123"),
        "updated": UpdatedReport(response=ok("upd-1"), ven_id="ven-123"),
        "updated-cancel": UpdatedReport(
            response=EiResponse(response_code=ResponseCode.OK, request_id="upd-1"),
            cancel_report=CancelReport(
                request_id="cancel-2", report_request_ids=("rr-history",), report_to_follow=False
            ),
        ),
        "cancel": cancel_report(),
        "canceled": CanceledReport(response=ok("cancel-1"), pending_reports=("rr-history",)),
        "canceled-none-pending": CanceledReport(response=ok("cancel-1"), ven_id="ven-123"),
    }


MESSAGES = all_messages()
