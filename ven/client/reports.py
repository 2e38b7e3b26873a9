"""Reports: the metadata we offer, report requests -> subscriptions, and building the data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from common.errors import InvalidId
from common.messages.enums import (
    ExtensionValue,
    ItemKind,
    ReadingType,
    ReportName,
    ReportType,
    SiScaleCode,
)
from common.messages.report import (
    Report,
    ReportDescription,
    ReportPayload,
    ReportRequest,
    SamplingRate,
)
from common.messages.types import Interval, ItemBase, Target
from ven.client.config import ReportPoints
from ven.client.readings import PointKind, ReadingSource
from ven.client.store import Subscription

__all__ = [
    "BASELINE_METHOD_PREFIX",
    "BASELINE_REPORT",
    "EXPECTED_BASELINE_RID",
    "EXPECTED_DELTA_RID",
    "EXPECTED_REPORT",
    "EXPECTED_SPECIFIER",
    "METADATA_SPECIFIER",
    "Offer",
    "baseline_reading_type",
    "build_report",
    "due_window",
    "floor_time",
    "is_projection",
    "metadata_reports",
    "offers",
    "point_kind",
    "subscribe",
]

METADATA_SPECIFIER = "METADATA"
"""The reportSpecifierID a VTN uses to ask for our metadata again (we answer with
oadrRegisterReport)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    """One metadata report we offer: its specifier ID, name and data points (rID -> kind)."""

    specifier_id: str
    name: ReportName | ExtensionValue
    points: dict[str, PointKind]


BASELINE_REPORT = ExtensionValue("x-TELEMETRY_BASELINE")
"""The name of the baseline report. TELEMETRY_USAGE may only hold "usage" points read
directly ("Direct Read"), so the baseline (reportType ``baseline``, readingType ``Projected``
or ``x-baseline-<method>``) travels in a report of its own, named by an ``x-`` extension
(its METADATA form is ``x-METADATA_TELEMETRY_BASELINE``)."""


EXPECTED_REPORT = ExtensionValue("x-EXPECTED_DELIVERY")
"""The name of the report of what the VEN's plan expects to deliver in each event interval
(METADATA form ``x-METADATA_EXPECTED_DELIVERY``, reportSpecifierID ``EXPECTED_DELIVERY``).
Its points are projections (readingType ``Projected``): ``EXPECTED_DELTA_RID`` of reportType
``deltaUsage`` (planned demand - baseline [kW], negative for a shed) and
``EXPECTED_BASELINE_RID`` of reportType ``baseline`` (the event baseline that change is counted
from [kW]), one interval per event interval of every planned event. Its sampling rate is
``oadrOnChange``: the VEN sends it when a plan is made or changes, whatever the granularity."""
EXPECTED_SPECIFIER = "EXPECTED_DELIVERY"
EXPECTED_DELTA_RID = "expected_delta"
EXPECTED_BASELINE_RID = "expected_baseline"


def offers(points: ReportPoints) -> tuple[Offer, ...]:
    """The four reports this VEN offers, from the configured rIDs: the building's point first in
    each, then those of its parts (``ReportPoints.usage_parts`` / ``status_parts``)."""
    return (
        Offer(specifier_id="TELEMETRY_USAGE", name=ReportName.TELEMETRY_USAGE,
              points={points.usage: PointKind.USAGE,
                      **{p.r_id: PointKind.USAGE for p in points.usage_parts}}),
        Offer(specifier_id="TELEMETRY_BASELINE", name=BASELINE_REPORT,
              points={points.baseline: PointKind.BASELINE}),
        Offer(specifier_id="TELEMETRY_STATUS", name=ReportName.TELEMETRY_STATUS,
              points={points.status: PointKind.STATUS,
                      **{p.r_id: PointKind.STATUS for p in points.status_parts}}),
        Offer(specifier_id="HISTORY_USAGE", name=ReportName.HISTORY_USAGE,
              points={points.history: PointKind.HISTORY}),
        Offer(specifier_id=EXPECTED_SPECIFIER, name=EXPECTED_REPORT,
              points={EXPECTED_DELTA_RID: PointKind.EXPECTED_DELTA,
                      EXPECTED_BASELINE_RID: PointKind.EXPECTED_BASELINE}),
    )


def is_projection(sub: Subscription) -> bool:
    """True for a subscription to the expected-delivery report (sent on change)."""
    return sub.specifier_id == EXPECTED_SPECIFIER


_KW = ItemBase.power(scale=SiScaleCode.KILO)
_KWH = ItemBase.fixed(ItemKind.ENERGY_REAL, scale=SiScaleCode.KILO)
_DESCRIPTIONS = {
    PointKind.USAGE: (ReportType.USAGE, ReadingType.DIRECT_READ, _KW),
    PointKind.BASELINE: (ReportType.BASELINE, ReadingType.PROJECTED, _KW),
    PointKind.STATUS: (ReportType.X_RESOURCE_STATUS, ReadingType.X_NOT_APPLICABLE, None),
    PointKind.HISTORY: (ReportType.USAGE, ReadingType.DIRECT_READ, _KWH),
    PointKind.EXPECTED_DELTA: (ReportType.DELTA_USAGE, ReadingType.PROJECTED, _KW),
    PointKind.EXPECTED_BASELINE: (ReportType.BASELINE, ReadingType.PROJECTED, _KW),
}
BASELINE_METHOD_PREFIX = "x-baseline-"
"""readingType of the baseline rID when the VEN names its baseline method (an ``x-``
extension of ReadingTypeEnumeratedType): ``x-baseline-`` + the method's slug."""


def baseline_reading_type(method: str | None) -> ReadingType | ExtensionValue:
    """The baseline rID's readingType: ``Projected``, or ``x-baseline-<slug>`` of `method`."""
    if not method:
        return ReadingType.PROJECTED
    slug = "-".join("".join(c if c.isalnum() else " " for c in method.lower()).split())
    return ReadingType.parse(BASELINE_METHOD_PREFIX + slug)


_METADATA_NAMES: dict[ReportName | ExtensionValue, ReportName | ExtensionValue] = {
    ReportName.TELEMETRY_USAGE: ReportName.METADATA_TELEMETRY_USAGE,
    BASELINE_REPORT: ExtensionValue("x-METADATA_TELEMETRY_BASELINE"),
    ReportName.TELEMETRY_STATUS: ReportName.METADATA_TELEMETRY_STATUS,
    ReportName.HISTORY_USAGE: ReportName.METADATA_HISTORY_USAGE,
    EXPECTED_REPORT: ExtensionValue("x-METADATA_EXPECTED_DELIVERY"),
}


def metadata_reports(points: ReportPoints, now: datetime) -> tuple[Report, ...]:
    """The METADATA reports of our oadrRegisterReport (usage [kW], baseline [kW], status,
    history [kWh per interval], expected delivery [kW] sent on change) with the configured
    sampling rates. A part's point (a metered
    circuit's usage, a device's status) names its resource in its reportDataSource; the
    building's points name ``resource_id`` (or nothing).

    As certification checks them: reportRequestID ``0``, no eiReportID, no dtstart or
    intervals, and a duration of the longest sampling period (never shorter than oadrMaxPeriod).
    """
    building = Target(resource_ids=(points.resource_id,)) if points.resource_id else None
    parts = {p.r_id: Target(resource_ids=(p.resource_id,))
             for p in (*points.usage_parts, *points.status_parts)}
    reports = []
    for offer in offers(points):
        rate = SamplingRate(min_period=points.min_sampling, max_period=points.max_sampling,
                            on_change=offer.name == EXPECTED_REPORT)
        descriptions = []
        for r_id, kind in offer.points.items():
            source = parts.get(r_id, building)
            report_type, reading_type, unit = _DESCRIPTIONS[kind]
            reading: ReadingType | ExtensionValue = reading_type
            if kind is PointKind.BASELINE:
                reading = baseline_reading_type(points.baseline_method)
            descriptions.append(ReportDescription(
                r_id=r_id, report_type=report_type, reading_type=reading,
                report_data_source=source, item_base=unit, sampling_rate=rate,
            ))
        reports.append(Report(
            report_request_id="0",
            report_specifier_id=offer.specifier_id,
            report_name=_METADATA_NAMES[offer.name],
            created_date_time=now,
            duration=points.max_sampling,
            report_descriptions=tuple(descriptions),
        ))
    return tuple(reports)


def floor_time(moment: datetime, step: timedelta) -> datetime:
    """`moment` rounded down to a whole multiple of `step` since the Unix epoch."""
    seconds = step.total_seconds()
    elapsed = (moment - _EPOCH).total_seconds()
    return _EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


def point_kind(points: ReportPoints, r_id: str) -> PointKind | None:
    """What the rID `r_id` measures (any offered report), or ``None`` if we offer no such rID."""
    return next((o.points[r_id] for o in offers(points) if r_id in o.points), None)


def subscribe(request: ReportRequest, points: ReportPoints, now: datetime) -> Subscription:
    """A subscription for a VTN's report request, or ``InvalidId`` (452) when it names a
    reportSpecifierID we never offered or an rID that is not in that report.

    Granularity zero or below our minimum sampling period uses the minimum; above the maximum
    uses the maximum. reportBackDuration zero is a one-shot report: of its reportInterval (a
    history window) or, without one, of the last interval up to now. Without a reportInterval
    a periodic report runs from now (aligned down to the granularity) until cancelled.
    """
    specifier = request.report_specifier
    offer = next((o for o in offers(points) if o.specifier_id == specifier.report_specifier_id),
                 None)
    if offer is None:
        raise InvalidId(
            f"no report with reportSpecifierID {specifier.report_specifier_id!r} is offered")
    requested = tuple(p.r_id for p in specifier.specifier_payloads)
    unknown = [r_id for r_id in requested if r_id not in offer.points]
    if unknown or not requested:
        raise InvalidId(
            f"rIDs {unknown or 'none'} are not in report {offer.specifier_id!r}")
    r_ids = tuple(dict.fromkeys(requested))
    granularity = min(max(specifier.granularity, points.min_sampling), points.max_sampling)
    back = specifier.report_back_duration
    interval = specifier.report_interval
    if interval is not None:
        start = interval.dtstart
        end = start + interval.duration if interval.duration > timedelta(0) else None
    elif back <= timedelta(0):
        end = floor_time(now, granularity)
        start = end - granularity
    else:
        start, end = floor_time(now, granularity), None
    if back > timedelta(0):
        back = max(back, granularity)
    return Subscription(
        report_request_id=request.report_request_id,
        specifier_id=offer.specifier_id,
        report_name=offer.name.value,
        r_ids=r_ids,
        granularity_s=granularity.total_seconds(),
        report_back_s=back.total_seconds(),
        start=start,
        end=end,
        covered_until=start,
    )


def due_window(sub: Subscription, now: datetime) -> tuple[datetime, datetime] | None:
    """The next complete period [from, to) to report, or ``None`` when nothing is due yet."""
    if sub.state != "active":
        return None
    if sub.report_back_s <= 0:  # one-shot: the whole window once it is over
        end = sub.end if sub.end is not None else floor_time(
            now, timedelta(seconds=sub.granularity_s))
        return (sub.covered_until, end) if now >= end and sub.covered_until < end else None
    until = sub.covered_until + timedelta(seconds=sub.report_back_s)
    if sub.end is not None:
        until = min(until, sub.end)
    if until <= sub.covered_until or now < until:
        return None
    return sub.covered_until, until


def after_window(sub: Subscription, window_end: datetime) -> Subscription:
    """`sub` once data up to `window_end` is queued (``complete`` when nothing remains)."""
    done = sub.report_back_s <= 0 or (sub.end is not None and window_end >= sub.end)
    return replace(sub, covered_until=window_end, state="complete" if done else sub.state)


async def build_report(
    sub: Subscription,
    window: tuple[datetime, datetime],
    points: ReportPoints,
    source: ReadingSource,
    now: datetime,
) -> Report:
    """The data report of `sub` for `window`: one interval per (interval start, rID), each of
    length granularity, values from `source` (history in [kWh] per interval, others [kW])."""
    granularity = timedelta(seconds=sub.granularity_s)
    start, end = window
    intervals: list[Interval[ReportPayload]] = []
    for r_id in sub.r_ids:
        kind = point_kind(points, r_id)  # a state file from before the baseline report moved
        if kind is None:
            continue
        for reading in await source.read(kind, r_id, start, end, granularity):
            value = reading.value
            if kind is PointKind.HISTORY and isinstance(value, float | int):
                value = float(value) * granularity.total_seconds() / 3600.0
            intervals.append(Interval(
                dtstart=reading.start, duration=reading.duration or granularity,
                payloads=(ReportPayload(r_id=r_id, value=value, confidence=reading.confidence),),
            ))
    intervals.sort(key=lambda i: (i.dtstart or start))
    return Report(
        report_request_id=sub.report_request_id,
        report_specifier_id=sub.specifier_id,
        report_id=f"{sub.report_request_id}-{start.strftime('%Y%m%dT%H%M%SZ')}",
        report_name=ReportName.parse(sub.report_name),
        created_date_time=now,
        dtstart=start,
        duration=end - start,
        intervals=tuple(intervals),
    )


def pending_ids(subscriptions: Sequence[Subscription]) -> tuple[str, ...]:
    """reportRequestIDs of the reports still running (for oadrPendingReports)."""
    return tuple(s.report_request_id for s in subscriptions if s.state == "active")
