"""What a VEN reports to the VTN: its report metadata and telemetry updates."""

from __future__ import annotations

from datetime import timedelta

from common.messages.enums import ItemKind, ReadingType, ReportName, ReportType, SiScaleCode
from common.messages.report import (
    RegisterReport,
    Report,
    ReportDescription,
    ReportPayload,
    SamplingRate,
    UpdateReport,
)
from common.messages.types import Interval, ItemBase, Target
from tests.support.vtn_harness import START


def metadata_report(ven_id: str) -> RegisterReport:
    """`ven_id`'s oadrRegisterReport: telemetry usage (r_id load, kW) and history usage."""
    power = ItemBase.power(ItemKind.POWER_REAL, scale=SiScaleCode.KILO)
    rate = SamplingRate(
        min_period=timedelta(seconds=10), max_period=timedelta(minutes=5), on_change=False
    )
    usage = Report(
        report_request_id="0",
        report_specifier_id="spec-usage",
        created_date_time=START,
        report_name=ReportName.METADATA_TELEMETRY_USAGE,
        duration=timedelta(hours=1),
        report_descriptions=(
            ReportDescription(
                r_id="load",
                report_type=ReportType.USAGE,
                reading_type=ReadingType.DIRECT_READ,
                report_data_source=Target(resource_ids=("meter-1",)),
                item_base=power,
                sampling_rate=rate,
            ),
        ),
    )
    history = Report(
        report_request_id="0",
        report_specifier_id="spec-history",
        created_date_time=START,
        report_name=ReportName.METADATA_HISTORY_USAGE,
        report_descriptions=(
            ReportDescription(
                r_id="energy",
                report_type=ReportType.USAGE,
                reading_type=ReadingType.DIRECT_READ,
                item_base=ItemBase.fixed(ItemKind.ENERGY_REAL, scale=SiScaleCode.KILO),
            ),
        ),
    )
    return RegisterReport(request_id="rr", reports=(usage, history), ven_id=ven_id)


def update_report(ven_id: str, report_request_id: str, values: list[float]) -> UpdateReport:
    """`ven_id`'s oadrUpdateReport: one-minute `values` of r_id load from START."""
    intervals = tuple(
        Interval(
            payloads=(ReportPayload(r_id="load", value=v),),
            dtstart=START + timedelta(minutes=i),
            duration=timedelta(minutes=1),
        )
        for i, v in enumerate(values)
    )
    report = Report(
        report_request_id=report_request_id,
        report_specifier_id="spec-usage",
        created_date_time=START,
        report_name=ReportName.TELEMETRY_USAGE,
        dtstart=START,
        intervals=intervals,
    )
    return UpdateReport(request_id="u", reports=(report,), ven_id=ven_id)
