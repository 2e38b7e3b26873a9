"""Admin handlers for reports: capabilities, subscriptions (list, request, cancel), readings
(JSON or CSV export)."""

from __future__ import annotations

import csv
import io

from aiohttp import web

from vtn.admin.context import context, json_body, query_bool, query_instant, query_int
from vtn.admin.problems import BadRequest, ConflictError
from vtn.admin.render import (
    READING_COLUMNS,
    capability_json,
    reading_json,
    subscription_json,
)
from vtn.admin.timeinput import parse_duration, parse_start
from vtn.domain import Reading
from vtn.services.report import cancel_report, request_report
from vtn.storage import ReadingQuery

__all__ = ["cancel", "capabilities", "readings", "readings_csv", "request", "subscriptions"]

_REQUEST_FIELDS = frozenset({"ven_id", "report_specifier_id", "r_ids", "granularity",
                             "report_back_duration", "one_shot", "start", "duration"})

MAX_READINGS = 100_000
"""The most readings one request returns."""


async def capabilities(request: web.Request) -> web.Response:
    """GET /reports/capabilities: the reports VENs offer (of one VEN with ``ven_id``)."""
    store = context(request).store
    ven_id = request.query.get("ven_id")
    if ven_id is not None:
        await store.vens.get(ven_id)
        ven_ids = [ven_id]
    else:
        ven_ids = [v.ven_id for v in await store.vens.list(include_cancelled=True)]
    found = [c for v in ven_ids for c in await store.reports.capabilities(v)]
    return web.json_response({"capabilities": [capability_json(c) for c in found]})


async def subscriptions(request: web.Request) -> web.Response:
    """GET /reports/subscriptions: report requests made to VENs (filters: ven_id, ...)."""
    found = await context(request).store.reports.subscriptions(
        ven_id=request.query.get("ven_id"),
        include_cancelled=query_bool(request, "include_cancelled", False),
    )
    return web.json_response({"subscriptions": [subscription_json(s) for s in found]})


async def request(request: web.Request) -> web.Response:
    """POST /reports/subscriptions: ask a VEN for a report it offers; oadrCreateReport is
    queued for it (pushed, or answered to its next poll). 201 with the subscription; 400 if
    the VEN offers no such report or the choices break the report-request rules, 404 if the VEN
    is unknown, 409 if its registration is cancelled."""
    ctx = context(request)
    body = await json_body(request)
    unknown = sorted(set(body) - _REQUEST_FIELDS)
    if unknown:
        raise BadRequest(f"{unknown[0]}: not a field of a report request (fields: "
                         f"{', '.join(sorted(_REQUEST_FIELDS))})", field=unknown[0])
    ven_id = _text(body, "ven_id")
    specifier = _text(body, "report_specifier_id")
    r_ids = body.get("r_ids", [])
    if not isinstance(r_ids, list) or not all(isinstance(r, str) and r for r in r_ids):
        raise BadRequest("r_ids: expected a list of rIDs", field="r_ids")
    one_shot = body.get("one_shot", False)
    if not isinstance(one_shot, bool):
        raise BadRequest("one_shot: expected true or false", field="one_shot")
    ven = await ctx.store.vens.get(ven_id)
    if ven.cancelled:
        raise ConflictError(f"the registration of VEN {ven_id!r} is cancelled")
    durations = {name: parse_duration(body[name], name) if body.get(name) is not None else None
                 for name in ("granularity", "report_back_duration", "duration")}
    start = body.get("start")
    try:
        subscription = await request_report(
            ctx.vtn, ven_id, specifier, r_ids=tuple(r_ids), one_shot=one_shot,
            granularity=durations["granularity"],
            report_back_duration=durations["report_back_duration"],
            start=None if start is None else parse_start(start, ctx.clock.now()),
            duration=durations["duration"],
        )
    except ValueError as exc:
        message = str(exc)
        field = message.split(":", 1)[0] if ":" in message.split(" ", 1)[0] else None
        raise BadRequest(message, field=field if field in _REQUEST_FIELDS else None) from exc
    return web.json_response({"subscription": subscription_json(subscription),
                              "queued": "oadrCreateReport"}, status=201)


async def cancel(request: web.Request) -> web.Response:
    """POST /reports/subscriptions/{report_request_id}/cancel: end a report request; the VEN is
    sent oadrCancelReport (``report_to_follow``: whether it sends what it has first). 404 if
    unknown, 409 if already cancelled."""
    ctx = context(request)
    body = await json_body(request)
    follow = body.get("report_to_follow", False)
    if not isinstance(follow, bool):
        raise BadRequest("report_to_follow: expected true or false", field="report_to_follow")
    report_request_id = request.match_info["report_request_id"]
    existing = await ctx.store.reports.subscription(report_request_id)
    if existing.cancelled:
        raise ConflictError(f"report request {report_request_id!r} is already cancelled")
    cancelled = await cancel_report(ctx.vtn, report_request_id, report_to_follow=follow)
    return web.json_response({"subscription": subscription_json(cancelled),
                              "queued": "oadrCancelReport"})


def _text(body: dict[str, object], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name}: required (a non-empty string)", field=name)
    return value.strip()


async def readings(request: web.Request) -> web.Response:
    """GET /reports/readings: readings by start then rID, as JSON."""
    found = await _query(request)
    return web.json_response({"readings": [reading_json(r) for r in found]})


async def readings_csv(request: web.Request) -> web.Response:
    """GET /reports/readings.csv: the same readings as CSV with a header row."""
    found = await _query(request)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=READING_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(reading_json(r) for r in found)
    return web.Response(text=buffer.getvalue(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": 'attachment; filename="readings.csv"'})


async def _query(request: web.Request) -> tuple[Reading, ...]:
    start_from = query_instant(request, "from")
    start_before = query_instant(request, "to")
    if start_from and start_before and start_before <= start_from:
        raise BadRequest("to: must be later than from", field="to")
    limit = query_int(request, "limit") or MAX_READINGS
    query = ReadingQuery(
        ven_id=request.query.get("ven_id"),
        report_request_id=request.query.get("report_request_id"),
        r_ids=tuple(request.query.getall("r_id", [])),
        start_from=start_from,
        start_before=start_before,
        limit=min(limit, MAX_READINGS),
    )
    return await context(request).store.reports.readings(query)
