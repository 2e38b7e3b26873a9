"""Domain objects -> the admin API's JSON (UTC times with ``Z``, ISO 8601 durations)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from common.messages.types import ItemBase
from common.xml.lexical import write_datetime, write_duration
from vtn.domain import (
    Event,
    Invitation,
    Opt,
    Reading,
    ReportCapability,
    ReportSubscription,
    Ven,
)

__all__ = [
    "capability_json",
    "event_json",
    "invitation_json",
    "opt_json",
    "reading_json",
    "subscription_json",
    "ven_json",
]

Json = dict[str, Any]


def when(value: datetime | None) -> str | None:
    """An instant as ISO 8601 UTC (``2026-07-01T14:00:00Z``), or ``None``."""
    return None if value is None else write_datetime(value)


def span(value: timedelta | None) -> str | None:
    """A duration as ISO 8601 (``PT15M``), or ``None``; sub-second parts are dropped."""
    if value is None:
        return None
    return write_duration(timedelta(seconds=int(value.total_seconds())))


def unit_json(item: ItemBase | None) -> Json | None:
    """A unit as ``{kind, units, scale}``, or ``None`` for unit-less values."""
    if item is None:
        return None
    return {"kind": item.kind.value, "units": item.item_units,
            "scale": None if item.scale is None else item.scale.value}


def ven_json(ven: Ven) -> Json:
    """A VEN registration."""
    return {
        "ven_id": ven.ven_id,
        "ven_name": ven.ven_name,
        "status": "cancelled" if ven.cancelled else "registered",
        "registration_id": ven.registration_id,
        "fingerprint": ven.fingerprint,
        "profile": ven.profile.value,
        "transport": ven.transport.value,
        "http_pull_model": ven.http_pull_model,
        "transport_address": ven.transport_address,
        "report_only": ven.report_only,
        "xml_signature": ven.xml_signature,
        "poll_frequency": span(ven.poll_frequency),
        "registered_at": when(ven.registered_at),
        "updated_at": when(ven.updated_at),
        "last_seen_at": when(ven.last_seen_at),
        "cancelled_at": when(ven.cancelled_at),
        "identity_conflict": None if ven.conflict_at is None else {
            "ven_name": ven.conflict_ven_name, "at": when(ven.conflict_at)},
        "group_ids": list(ven.group_ids),
        "resource_ids": list(ven.resource_ids),
        "party_ids": list(ven.party_ids),
    }


def event_json(event: Event, now: datetime, near_window: timedelta | None = None) -> Json:
    """An event at its latest modification, with its status at `now` (``near`` from
    `near_window` [duration] before its start when it has no ramp-up)."""
    request = event.request
    targets = request.targets
    return {
        "event_id": event.event_id,
        "modification_number": event.modification_number,
        "status": event.status(now, near_window=near_window).value,
        "created_at": when(event.created_at),
        "modified_at": when(event.modified_at),
        "modification_reason": event.modification_reason,
        "cancelled_at": when(event.cancelled_at),
        "targets": {
            "all": targets.all_vens,
            "ven_ids": list(targets.ven_ids),
            "group_ids": list(targets.group_ids),
            "resource_ids": list(targets.resource_ids),
            "party_ids": list(targets.party_ids),
        },
        "market_context": request.market_context,
        "priority": request.priority,
        "test_event": request.test_event,
        "response_required": request.response_required.value,
        "start": when(request.start),
        "end": when(request.end),
        "duration": span(request.duration),
        "startafter": span(request.tolerance_startafter),
        "notification": span(request.notification),
        "ramp_up": span(request.ramp_up),
        "recovery": span(request.recovery),
        "vtn_comment": request.vtn_comment,
        "signals": [
            {
                "signal_id": s.signal_id,
                "signal_name": s.signal_name.value,
                "signal_type": s.signal_type.value,
                "unit": unit_json(s.item_base),
                "intervals": _intervals(request.start, s.intervals),
            }
            for s in request.signals
        ],
        "baseline": None if request.baseline is None else {
            "baseline_id": request.baseline.baseline_id,
            "name": request.baseline.baseline_name,
            "unit": unit_json(request.baseline.item_base),
            "resource_ids": list(request.baseline.resource_ids),
            "intervals": _intervals(request.baseline.start, request.baseline.intervals),
        },
    }


def _intervals(start: datetime, intervals: tuple[Any, ...]) -> list[Json]:
    out = []
    for interval in intervals:
        out.append({"start": when(start), "duration": span(interval.duration),
                    "value": interval.value})
        start += interval.duration
    return out


def invitation_json(ven_id: str, ven: Ven | None, invitation: Invitation | None,
                    modification_number: int) -> Json:
    """One VEN's response to an event: what it received and how it answered."""
    i = invitation
    delivered = None if i is None else i.delivered_modification_number
    return {
        "ven_id": ven_id,
        "ven_name": None if ven is None else ven.ven_name,
        "delivered": delivered is not None,
        "first_delivered_at": None if i is None else when(i.first_delivered_at),
        "delivered_at": None if i is None else when(i.delivered_at),
        "delivered_modification_number": delivered,
        "current": i is not None and i.is_current(modification_number),
        "opt": None if i is None or i.opt_type is None else i.opt_type.value,
        "opted_at": None if i is None else when(i.opted_at),
        "opt_modification_number": None if i is None else i.opt_modification_number,
        "response_code": None if i is None else i.response_code,
    }


def opt_json(opt: Opt) -> Json:
    """An event opt or an availability schedule from a VEN."""
    return {
        "opt_id": opt.opt_id,
        "ven_id": opt.ven_id,
        "opt_type": opt.opt_type.value,
        "opt_reason": opt.opt_reason.value,
        "event_id": opt.event_id,
        "modification_number": opt.modification_number,
        "market_context": opt.market_context,
        "resource_ids": list(opt.resource_ids),
        "availability": [{"start": when(p.start), "duration": span(p.duration)}
                         for p in opt.availability],
        "created_at": when(opt.created_at),
        "received_at": when(opt.received_at),
        "cancelled_at": when(opt.cancelled_at),
    }


def capability_json(capability: ReportCapability) -> Json:
    """A report a VEN offers, with its data points."""
    return {
        "ven_id": capability.ven_id,
        "report_specifier_id": capability.report_specifier_id,
        "report_name": capability.report_name.value,
        "duration": span(capability.duration),
        "created_at": when(capability.created_at),
        "data_points": [
            {
                "r_id": d.r_id,
                "report_type": d.report_type.value,
                "reading_type": d.reading_type.value,
                "unit": unit_json(d.item_base),
                "resource_id": d.resource_id,
                "min_period": span(d.min_period),
                "max_period": span(d.max_period),
                "on_change": d.on_change,
            }
            for d in capability.descriptions
        ],
    }


def subscription_json(subscription: ReportSubscription) -> Json:
    """A report request the VTN made to a VEN."""
    s = subscription
    return {
        "report_request_id": s.report_request_id,
        "ven_id": s.ven_id,
        "report_specifier_id": s.report_specifier_id,
        "r_ids": list(s.r_ids),
        "granularity": span(s.granularity),
        "report_back_duration": span(s.report_back_duration),
        "one_shot": s.one_shot,
        "start": when(s.start),
        "duration": span(s.duration),
        "status": s.status.value,
        "requested_at": when(s.requested_at),
        "cancelled_at": when(s.cancelled_at),
    }


READING_COLUMNS = (
    "ven_id", "report_request_id", "r_id", "start", "duration", "value", "item_units", "scale",
    "report_type", "reading_type", "data_quality",
)
"""The keys of a reading, in CSV column order."""


def reading_json(reading: Reading) -> Json:
    """One reported value (``value`` in ``item_units`` with SI prefix ``scale``)."""
    r = reading
    return {
        "ven_id": r.ven_id,
        "report_request_id": r.report_request_id,
        "r_id": r.r_id,
        "start": when(r.start),
        "duration": span(r.duration),
        "value": r.value,
        "item_units": r.item_units,
        "scale": r.scale,
        "report_type": r.report_type.value,
        "reading_type": r.reading_type.value,
        "data_quality": None if r.data_quality is None else r.data_quality.value,
    }
