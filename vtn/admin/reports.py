"""Admin handlers for reports: capabilities, subscriptions, readings (JSON or CSV export)."""

from __future__ import annotations

import csv
import io

from aiohttp import web

from vtn.admin.context import context, query_bool, query_instant, query_int
from vtn.admin.problems import BadRequest
from vtn.admin.render import (
    READING_COLUMNS,
    capability_json,
    reading_json,
    subscription_json,
)
from vtn.domain import Reading
from vtn.storage import ReadingQuery

__all__ = ["capabilities", "readings", "readings_csv", "subscriptions"]

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
