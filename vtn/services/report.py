"""EiReport: VEN report registration, requests, data and cancellation; the VTN's own reports.

The VTN consumes reports: it stores what a VEN offers (METADATA), asks for the telemetry the
configuration names in its oadrRegisteredReport (``[reports] request``: by default
TELEMETRY_USAGE, TELEMETRY_STATUS and the baseline report ``x-TELEMETRY_BASELINE`` of VENs that
keep TELEMETRY_USAGE for directly read usage; a baseline point inside TELEMETRY_USAGE comes with
that report), and stores every reading (idempotently: a reading is keyed by VEN, report
request, rID and interval start). Event performance takes usage and baseline readings by their
reportType, whichever report carried them.

As a report producer it offers no reports of its own yet: its METADATA is an oadrRegisterReport
without reports. It is queued after every registration (also an unchanged one, N1_0060) and
whenever a VEN asks for it with an oadrCreateReport whose reportSpecifierID is ``METADATA``
(answered 200, R1_3070-3120); a request for any other report is 461.

Every report request the VTN makes (``_request``) follows the profile's rules: a fresh
reportRequestID (never ``0``), readingType ``x-notApplicable`` in each specifierPayload, a
granularity no finer than the metadata's minPeriod, and a reportInterval. HISTORY reports are
asked for once with granularity and reportBackDuration 0 over the reportInterval's window; a
one-shot telemetry request has reportBackDuration 0.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.errors import InvalidData, InvalidId
from common.messages.enums import ReadingType, ReportName, ResponseCode
from common.messages.poll import Response
from common.messages.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    RegisteredReport,
    RegisterReport,
    Report,
    ReportRequest,
    ReportSpecifier,
    ResourceStatus,
    SpecifierPayload,
    UpdatedReport,
    UpdateReport,
)
from common.messages.types import EiResponse, Period
from common.xml import encode
from common.xml.templates import TextTemplate
from vtn.domain import (
    Reading,
    ReportCapability,
    ReportDescription,
    ReportSubscription,
    SubscriptionStatus,
    Ven,
)
from vtn.logs import PROTOCOL, ven_label
from vtn.services.context import Caller, Vtn, new_request_id, ok
from vtn.services.performance import refresh_after_readings
from vtn.services.queue import payload_marker
from vtn.storage import NotFound
from vtn.storage.registrations import Welcome

__all__ = [
    "HISTORY_WINDOW",
    "METADATA_SPECIFIER",
    "cancel_report",
    "handle_cancel_report",
    "handle_canceled_report",
    "handle_create_report",
    "handle_created_report",
    "handle_register_report",
    "handle_registered_report",
    "handle_update_report",
    "metadata_welcome",
    "queue_vtn_metadata",
    "request_report",
]

METADATA_SPECIFIER = "METADATA"
"""The reportSpecifierID with which a party asks for the other's METADATA (oadrCreateReport)."""

HISTORY_WINDOW = timedelta(days=1)
"""The window a HISTORY report request covers unless told otherwise: the last day."""

_HISTORY = frozenset({ReportName.METADATA_HISTORY_USAGE, ReportName.METADATA_HISTORY_GREENBUTTON})


def _capability(ven: Ven, report: Report) -> ReportCapability:
    if report.report_name is None:
        raise InvalidData(f"report {report.report_specifier_id!r} has no reportName")
    descriptions = []
    for d in report.report_descriptions:
        source = d.report_data_source
        rate = d.sampling_rate
        descriptions.append(
            ReportDescription(
                r_id=d.r_id,
                report_type=d.report_type,
                reading_type=d.reading_type,
                item_base=d.item_base,
                resource_id=source.resource_ids[0] if source and source.resource_ids else None,
                market_context=d.market_context,
                min_period=rate.min_period if rate else None,
                max_period=rate.max_period if rate else None,
                on_change=rate.on_change if rate else False,
            )
        )
    try:
        return ReportCapability(
            ven_id=ven.ven_id,
            report_specifier_id=report.report_specifier_id,
            report_name=report.report_name,
            descriptions=tuple(descriptions),
            created_at=report.created_date_time,
            duration=report.duration,
        )
    except ValueError as exc:
        raise InvalidData(f"report {report.report_specifier_id!r}: {exc}") from exc


def _granularity(wanted: timedelta, capability: ReportCapability) -> timedelta:
    """`wanted` brought inside the sampling range every data point of the report offers."""
    lows = [d.min_period for d in capability.descriptions if d.min_period is not None]
    highs = [d.max_period for d in capability.descriptions if d.max_period is not None]
    if highs:
        wanted = min(wanted, min(highs))
    if lows:
        wanted = max(wanted, max(lows))
    return wanted


def _min_period(capability: ReportCapability) -> timedelta:
    lows = [d.min_period for d in capability.descriptions if d.min_period is not None]
    return max(lows, default=timedelta(0))


def is_history(capability: ReportCapability) -> bool:
    """True for a HISTORY_USAGE or HISTORY_GREENBUTTON report (asked for once, over a window)."""
    return capability.report_name in _HISTORY


def _floor(instant: datetime, step: timedelta) -> datetime:
    """`instant` aligned down to a whole multiple of `step` since the epoch."""
    if step <= timedelta(0):
        return instant
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return instant - (instant - epoch) % step


def _metadata_name(name: str) -> str:
    """The METADATA reportName of report `name`: ``TELEMETRY_USAGE`` ->
    ``METADATA_TELEMETRY_USAGE``; an extension keeps its ``x-`` in front
    (``x-TELEMETRY_BASELINE`` -> ``x-METADATA_TELEMETRY_BASELINE``)."""
    if name.startswith("x-"):
        return f"x-METADATA_{name.removeprefix('x-')}"
    return f"METADATA_{name}"


def _wanted_names(vtn: Vtn) -> set[str]:
    return {_metadata_name(name) for name in vtn.config.reports.request}


def _plan(
    vtn: Vtn,
    capability: ReportCapability,
    *,
    r_ids: tuple[str, ...] = (),
    granularity: timedelta | None = None,
    report_back_duration: timedelta | None = None,
    one_shot: bool = False,
    start: datetime | None = None,
    duration: timedelta | None = None,
) -> ReportSubscription:
    """The subscription to `capability` a request with these choices makes (not stored yet).

    ``ValueError`` (a sentence) when the choices break the report-request rules.
    """
    offered = tuple(d.r_id for d in capability.descriptions)
    missing = sorted(set(r_ids) - set(offered))
    if missing:
        raise ValueError(
            f"report {capability.report_specifier_id!r} has no rIDs {missing} (it offers "
            f"{', '.join(offered)})"
        )
    now = vtn.clock.now()
    if duration is not None and duration < timedelta(0):
        raise ValueError("duration: must not be negative")
    if is_history(capability):
        # HISTORY: once, granularity and reportBackDuration 0, over the window asked for.
        if granularity or report_back_duration:
            raise ValueError(
                f"report {capability.report_specifier_id!r} is {capability.report_name.value}: "
                "a HISTORY request has granularity and reportBackDuration 0 (give start and "
                "duration for its window)"
            )
        window = duration if duration is not None else HISTORY_WINDOW
        step = back = timedelta(0)
        start = start if start is not None else now - window
        duration, one_shot = window, True
    else:
        low = _min_period(capability)
        if granularity is not None and granularity < low:
            raise ValueError(
                f"granularity: {granularity} is finer than the report's minPeriod {low}"
            )
        step = granularity if granularity is not None else _granularity(
            vtn.config.reports.granularity, capability
        )
        if step <= timedelta(0):
            raise ValueError("granularity: must be longer than 0 for a telemetry report")
        if one_shot:
            if report_back_duration:
                raise ValueError("report_back_duration: a one-shot request has 0")
            back = timedelta(0)
            if start is None:  # the last complete interval, as the VEN would pick
                start = _floor(now, step) - step
                duration = step if duration is None else duration
        else:
            back = report_back_duration or max(vtn.config.reports.back_duration, step)
            if back < step:
                raise ValueError(
                    f"report_back_duration: {back} is shorter than the granularity {step}"
                )
            start = start if start is not None else _floor(now, step)
    return ReportSubscription(
        report_request_id=new_request_id(),
        ven_id=capability.ven_id,
        report_specifier_id=capability.report_specifier_id,
        r_ids=r_ids or offered,
        granularity=step,
        report_back_duration=back,
        requested_at=now,
        one_shot=one_shot,
        start=start,
        duration=duration if duration is not None else timedelta(0),
    )


async def _subscribe(vtn: Vtn, capability: ReportCapability) -> ReportRequest:
    """Store a subscription to `capability` and return the request that asks for it."""
    subscription = await vtn.store.reports.subscribe(_plan(vtn, capability))
    return _request(subscription, capability)


def _request(subscription: ReportSubscription, capability: ReportCapability) -> ReportRequest:
    """The ei:reportRequest of `subscription`: readingType x-notApplicable in every payload, the
    stored granularity and reportBackDuration, and its reportInterval (duration 0: until
    cancelled)."""
    payloads = tuple(
        SpecifierPayload(r_id=d.r_id, reading_type=ReadingType.X_NOT_APPLICABLE)
        for d in capability.descriptions
        if d.r_id in subscription.r_ids
    )
    start = subscription.start or _floor(subscription.requested_at, subscription.granularity)
    return ReportRequest(
        report_request_id=subscription.report_request_id,
        report_specifier=ReportSpecifier(
            report_specifier_id=subscription.report_specifier_id,
            granularity=subscription.granularity,
            report_back_duration=subscription.report_back_duration,
            specifier_payloads=payloads,
            report_interval=Period(
                dtstart=start, duration=subscription.duration or timedelta(0)
            ),
        ),
    )


async def handle_register_report(
    vtn: Vtn, caller: Caller, message: RegisterReport
) -> RegisteredReport:
    """oadrRegisterReport: store what the VEN offers; ask for the configured telemetry."""
    ven = caller.registered()
    capabilities = [_capability(ven, r) for r in message.reports]
    specifiers = [c.report_specifier_id for c in capabilities]
    if len(set(specifiers)) != len(specifiers):
        raise InvalidData(f"reportSpecifierIDs repeat: {specifiers}")
    await vtn.store.reports.add_capabilities(ven.ven_id, capabilities, replace=True)
    # A new registration replaces the old one: subscriptions to its reports start over.
    for old in await vtn.store.reports.subscriptions(ven_id=ven.ven_id):
        await vtn.store.reports.cancel(old.report_request_id)
    wanted = _wanted_names(vtn)
    requests = [
        await _subscribe(vtn, c)
        for c in capabilities
        if c.report_name.value in wanted and c.descriptions
    ]
    PROTOCOL.info(
        "VEN %s registered %d report(s) (%s); requesting %d",
        ven_label(ven),
        len(capabilities),
        ", ".join(c.report_name.value for c in capabilities) or "none",
        len(requests),
    )
    return RegisteredReport(
        response=ok(message.request_id), report_requests=tuple(requests), ven_id=ven.ven_id
    )


async def handle_registered_report(vtn: Vtn, caller: Caller, message: RegisteredReport) -> Response:
    """oadrRegisteredReport: the VEN acknowledges the VTN's (empty) METADATA registration."""
    ven = caller.registered()
    if message.report_requests:
        PROTOCOL.warning(
            "VEN %s asked the VTN for %d report(s); the VTN offers none",
            ven_label(ven),
            len(message.report_requests),
        )
    return Response(response=ok(message.response.request_id), ven_id=ven.ven_id)


_METADATA = TextTemplate(lambda r, v: RegisterReport(request_id=r, ven_id=v), 2)
_REGISTER_REPORT = payload_marker("oadrRegisterReport")


def metadata_welcome(ven_id: str) -> Welcome:
    """The VTN's METADATA oadrRegisterReport for `ven_id`, to queue with its registration
    unless one is already waiting for it (``queue_vtn_metadata`` in the registration's
    transaction)."""
    request_id = new_request_id()
    payload = _METADATA.render(request_id, ven_id)
    if payload is None:
        payload = encode(RegisterReport(request_id=request_id, ven_id=ven_id))
    return Welcome(payload, _REGISTER_REPORT)


async def queue_vtn_metadata(vtn: Vtn, ven: Ven, report_request_id: str | None = None) -> bool:
    """Queue the VTN's METADATA (an oadrRegisterReport without reports) for `ven`, unless one
    is already waiting for it; True if queued. `report_request_id` names the VEN's METADATA
    request it answers."""
    if await vtn.queue.has_pending(ven.ven_id, "oadrRegisterReport"):
        return False
    await vtn.queue.put(
        ven,
        RegisterReport(
            request_id=new_request_id(), ven_id=ven.ven_id, report_request_id=report_request_id
        ),
    )
    return True


async def handle_create_report(vtn: Vtn, caller: Caller, message: CreateReport) -> CreatedReport:
    """oadrCreateReport from a VEN: a request for the VTN's ``METADATA`` queues its
    oadrRegisterReport (200); the VTN offers no other report, so any other request is 461."""
    ven = caller.registered()
    metadata = [
        r.report_request_id
        for r in message.report_requests
        if r.report_specifier.report_specifier_id == METADATA_SPECIFIER
    ]
    others = [
        f"{r.report_request_id} ({r.report_specifier.report_specifier_id})"
        for r in message.report_requests
        if r.report_specifier.report_specifier_id != METADATA_SPECIFIER
    ]
    if metadata:
        await queue_vtn_metadata(vtn, ven, metadata[0])
        PROTOCOL.info("VEN %s asked for the VTN's METADATA; queued it", ven_label(ven))
    if others:
        PROTOCOL.warning(
            "VEN %s asked for report(s) the VTN does not offer: %s", ven_label(ven),
            ", ".join(others),
        )
        response = EiResponse(
            response_code=ResponseCode.REPORT_NOT_SUPPORTED,
            request_id=message.request_id,
            response_description=f"the VTN offers no such report: {', '.join(others)}",
        )
    else:
        response = ok(message.request_id)
    return CreatedReport(response=response, pending_reports=(), ven_id=ven.ven_id)


async def handle_cancel_report(vtn: Vtn, caller: Caller, message: CancelReport) -> CanceledReport:
    """oadrCancelReport from a VEN: the VTN produces no reports, so the IDs are unknown (452)."""
    caller.registered()
    raise InvalidId(f"no such VTN report: {', '.join(message.report_request_ids)}")


async def _own_subscription(vtn: Vtn, ven: Ven, report_request_id: str) -> ReportSubscription:
    try:
        subscription = await vtn.store.reports.subscription(report_request_id)
    except NotFound as exc:
        raise InvalidId(f"reportRequestID {report_request_id!r} is not known") from exc
    if subscription.ven_id != ven.ven_id:
        raise InvalidId(f"reportRequestID {report_request_id!r} is not known")
    return subscription


async def handle_created_report(vtn: Vtn, caller: Caller, message: CreatedReport) -> Response:
    """oadrCreatedReport: the VEN accepted report requests; its pending ones become active."""
    ven = caller.registered()
    if message.response.ok:
        for report_request_id in message.pending_reports:
            try:
                subscription = await vtn.store.reports.subscription(report_request_id)
            except NotFound:
                continue
            if subscription.ven_id == ven.ven_id and subscription.status in (
                SubscriptionStatus.REQUESTED,
            ):
                await vtn.store.reports.set_status(report_request_id, SubscriptionStatus.ACTIVE)
    else:
        PROTOCOL.warning(
            "VEN %s refused a report request: %s %s",
            ven_label(ven),
            int(message.response.response_code),
            message.response.response_description or "",
        )
    return Response(response=ok(message.response.request_id), ven_id=ven.ven_id)


def _readings(
    ven: Ven,
    report: Report,
    subscription: ReportSubscription | None,
    capability: ReportCapability | None,
) -> list[Reading]:
    report_request_id = report.report_request_id
    readings = []
    for interval in report.intervals:
        start: datetime | None = interval.dtstart or report.dtstart
        if start is None:
            raise InvalidData(f"report {report_request_id!r} has an interval without dtstart")
        duration = interval.duration
        if duration is None:
            duration = subscription.granularity if subscription is not None else timedelta(0)
        for payload in interval.payloads:
            description = capability.description(payload.r_id) if capability else None
            if description is None:
                raise InvalidId(
                    f"rID {payload.r_id!r} is not in report {report.report_specifier_id!r}"
                )
            value = payload.value
            if isinstance(value, ResourceStatus):
                value = 1.0 if value.online else 0.0
            unit = description.item_base
            readings.append(
                Reading(
                    ven_id=ven.ven_id,
                    report_request_id=report_request_id,
                    r_id=payload.r_id,
                    start=start,
                    duration=duration,
                    value=float(value),
                    report_type=description.report_type,
                    reading_type=description.reading_type,
                    item_units=unit.item_units if unit else None,
                    scale=unit.scale.value if unit and unit.scale else None,
                    data_quality=payload.data_quality,
                    confidence=payload.confidence,
                )
            )
    return readings


async def handle_update_report(vtn: Vtn, caller: Caller, message: UpdateReport) -> UpdatedReport:
    """oadrUpdateReport: store every reading (resending one is harmless), then recompute the
    VEN's performance in the events the readings overlap. Data for a request the VTN has
    cancelled is answered with the cancellation piggy-backed on the oadrUpdatedReport (its
    oadrCancelReport stays queued too; R1_3050)."""
    ven = caller.registered()
    cancelled: list[str] = []
    capabilities = {
        c.report_specifier_id: c for c in await vtn.store.reports.capabilities(ven.ven_id)
    }
    stored = 0
    received: list[Reading] = []
    for report in message.reports:
        subscription = await _own_subscription(vtn, ven, report.report_request_id)
        if subscription.cancelled and subscription.report_request_id not in cancelled:
            cancelled.append(subscription.report_request_id)
        capability = capabilities.get(subscription.report_specifier_id)
        readings = _readings(ven, report, subscription, capability)
        stored += await vtn.store.reports.add_readings(readings)
        received.extend(readings)
        if subscription.one_shot and subscription.status is not SubscriptionStatus.COMPLETED:
            await vtn.store.reports.set_status(
                subscription.report_request_id, SubscriptionStatus.COMPLETED
            )
        elif subscription.status is SubscriptionStatus.REQUESTED:
            await vtn.store.reports.set_status(
                subscription.report_request_id, SubscriptionStatus.ACTIVE
            )
    PROTOCOL.info("Stored %d reading(s) from VEN %s", stored, ven_label(ven))
    await refresh_after_readings(vtn, ven, received)
    piggyback = CancelReport(request_id=new_request_id(), report_request_ids=tuple(cancelled),
                             report_to_follow=False, ven_id=ven.ven_id) if cancelled else None
    return UpdatedReport(response=ok(message.request_id), cancel_report=piggyback,
                         ven_id=ven.ven_id)


async def handle_canceled_report(vtn: Vtn, caller: Caller, message: CanceledReport) -> Response:
    """oadrCanceledReport: the VEN confirms a cancellation the VTN asked for."""
    ven = caller.registered()
    PROTOCOL.info(
        "VEN %s confirmed a report cancellation (still pending: %s)",
        ven_label(ven),
        ", ".join(message.pending_reports) or "none",
    )
    return Response(response=ok(message.response.request_id), ven_id=ven.ven_id)


# ---- VTN-initiated (called by the admin API) --------------------------------------------------


async def request_report(
    vtn: Vtn,
    ven_id: str,
    report_specifier_id: str,
    *,
    r_ids: tuple[str, ...] = (),
    granularity: timedelta | None = None,
    report_back_duration: timedelta | None = None,
    one_shot: bool = False,
    start: datetime | None = None,
    duration: timedelta | None = None,
) -> ReportSubscription:
    """Ask `ven_id` for a report it offers (oadrCreateReport, queued); all rIDs by default.

    `granularity` [duration] defaults to the configured one inside the report's sampling range
    and may not be finer than its minPeriod; `report_back_duration` [duration] to the configured
    one (0 for `one_shot`); `start` and `duration` [duration] bound the reportInterval (0:
    until cancelled). A HISTORY report is asked for once over `start` + `duration` (default:
    the last day) with granularity and reportBackDuration 0.

    ``vtn.storage.NotFound`` if the VEN is unknown; ``ValueError`` if it offers no such report
    or rIDs, or the choices break the report-request rules.
    """
    ven = await vtn.store.vens.get(ven_id)
    capabilities = {c.report_specifier_id: c for c in await vtn.store.reports.capabilities(ven_id)}
    capability = capabilities.get(report_specifier_id)
    if capability is None:
        offered = ", ".join(capabilities) or "none"
        raise ValueError(
            f"VEN {ven_id} offers no report {report_specifier_id!r} (it offers: {offered})"
        )
    planned = _plan(
        vtn,
        capability,
        r_ids=r_ids,
        granularity=granularity,
        report_back_duration=report_back_duration,
        one_shot=one_shot,
        start=start,
        duration=duration,
    )
    subscription = await vtn.store.reports.subscribe(planned)
    await vtn.queue.put(
        ven,
        CreateReport(
            request_id=new_request_id(),
            report_requests=(_request(subscription, capability),),
            ven_id=ven_id,
        ),
    )
    PROTOCOL.info(
        "Requested report %s (%s) from VEN %s",
        subscription.report_request_id,
        capability.report_name.value,
        ven_label(ven),
    )
    return subscription


async def cancel_report(
    vtn: Vtn, report_request_id: str, *, report_to_follow: bool = False
) -> ReportSubscription:
    """Cancel a report subscription and queue oadrCancelReport for its VEN.

    ``vtn.storage.NotFound`` if unknown.
    """
    subscription = await vtn.store.reports.cancel(report_request_id)
    ven = await vtn.store.vens.get(subscription.ven_id)
    await vtn.queue.put(
        ven,
        CancelReport(
            request_id=new_request_id(),
            report_request_ids=(report_request_id,),
            report_to_follow=report_to_follow,
            ven_id=ven.ven_id,
        ),
    )
    PROTOCOL.info("Cancelled report %s of VEN %s", report_request_id, ven_label(ven))
    return subscription
