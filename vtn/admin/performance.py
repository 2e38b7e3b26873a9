"""Admin handlers for event performance, a VEN's reported baseline and its shed capacity.

- ``GET /events/{id}/performance`` (and ``.csv``): the stored rows of ``vtn.performance``, one
  per VEN that reported during the event (VENs the event did not target have requested 0),
  and an empty row (``data_points`` 0) for each VEN the event reached that has not reported.
- ``GET /vens/{id}/baseline?from=&to=``: the baseline the VEN reported [kW], per interval,
  with its confidence [%] and method.
- ``GET /vens/{id}/capacity``: what the VEN has shown it can shed: the largest reduction it
  achieved in an event it opted into [kW] (and in which event, against which baseline), the
  mean over those events, its latest reported baseline [kW] (of the last two days), and
  ``estimated_capacity_kw`` = the largest achieved share of the baseline × the latest
  baseline [kW]. The TELEMETRY_STATUS load control state is not kept by the VTN (status
  readings store only online/offline), so it does not enter here.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from common.baselines.adjustment import adjustment_json, describe
from common.messages.enums import OptType, ReportType
from vtn.admin.context import context, query_instant
from vtn.admin.problems import BadRequest
from vtn.admin.render import span, when
from vtn.baseline_adjustment import (
    SLOT,
    active_period,
    readings_from,
    unadjusted_kw,
    with_adjustment,
)
from vtn.expected import projection_ids
from vtn.performance import (
    BASELINE_METHOD_PREFIX,
    Participation,
    Performance,
    compute,
    reading_kw,
)
from vtn.services.performance import part_usage_rids, participation
from vtn.storage import ReadingQuery, Store

__all__ = [
    "PERFORMANCE_COLUMNS",
    "baseline",
    "capacity",
    "event_performance",
    "event_performance_csv",
    "expected_json",
    "performance_json",
]

Json = dict[str, Any]

PERFORMANCE_COLUMNS = (
    "event_id", "ven_id", "ven_name", "participation", "modification_number", "start", "end",
    "requested_kw", "baseline_kw", "target_kw", "actual_kw", "reduction_kw", "delivered_pct",
    "delivered_kwh", "requested_kwh", "data_points", "baseline_method", "baseline_confidence",
    "computed_at", "expected_kw", "expected_requested_kw", "expected_pct", "expected_at",
    "baseline_adjustment", "unadjusted_baseline_kw",
)
"""The keys of a performance row, in CSV column order (intervals are left out of the CSV)."""

_MAX_BASELINE = 100_000
_RECENT = timedelta(days=2)
"""How far back the latest baseline reading is looked for."""
_CHAIN_LOOKBACK = timedelta(days=1)
"""How far before the day-of window the VEN's earlier events are first looked for (further
back while a chain of events moves the window past that)."""


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def performance_json(p: Performance, *, ven_name: str | None = None,
                     intervals: bool = True) -> Json:
    """One VEN's performance in one event ([kW], [kWh], [%])."""
    body: Json = {
        "event_id": p.event_id, "ven_id": p.ven_id, "ven_name": ven_name,
        "participation": p.participation.value,
        "modification_number": p.modification_number,
        "start": when(p.start), "end": when(p.end),
        "requested_kw": _round(p.requested_kw), "baseline_kw": _round(p.baseline_kw),
        "target_kw": _round(p.target_kw), "actual_kw": _round(p.actual_kw),
        "reduction_kw": _round(p.reduction_kw), "delivered_pct": _round(p.delivered_pct, 1),
        "delivered_kwh": _round(p.delivered_kwh, 4), "requested_kwh": _round(p.requested_kwh, 4),
        "data_points": p.data_points, "baseline_method": p.baseline_method,
        "baseline_confidence": p.baseline_confidence, "computed_at": when(p.computed_at),
        **expected_json(p),
        "baseline_adjustment": None if p.baseline_adjustment is None
        else adjustment_json(p.baseline_adjustment),
        "unadjusted_baseline_kw": _round(unadjusted_kw(p.baseline_kw, p.baseline_adjustment)),
    }
    if intervals:
        body["intervals"] = [{
            "start": when(i.start), "duration": span(i.duration),
            "baseline_kw": _round(i.baseline_kw), "requested_kw": _round(i.requested_kw),
            "target_kw": _round(i.target_kw), "actual_kw": _round(i.actual_kw),
            "reduction_kw": _round(i.reduction_kw), "confidence": i.confidence,
        } for i in p.intervals]
        body["expected_intervals"] = [{
            "start": when(i.start), "duration": span(i.duration),
            "baseline_kw": _round(i.baseline_kw), "requested_kw": _round(i.requested_kw),
            "expected_kw": _round(i.expected_kw), "expected_pct": _round(i.expected_pct, 1),
            "said_at": None if i.said_at is None else when(i.said_at),
        } for i in p.expected_intervals]
    return body


def expected_json(p: Performance | None) -> Json:
    """What the VEN said it expects to deliver in the event, the latest it said: mean expected
    and requested shed [kW], their ratio [%] and when it last changed them (nulls when it sent
    no projection; ``vtn.expected``)."""
    at = p.expected_at if p else None
    return {"expected_kw": _round(p.expected_kw) if p else None,
            "expected_requested_kw": _round(p.expected_requested_kw) if p else None,
            "expected_pct": _round(p.expected_pct, 1) if p else None,
            "expected_at": None if at is None else when(at)}


async def _names(request: web.Request) -> dict[str, str | None]:
    vens = await context(request).store.vens.list(include_cancelled=True)
    return {v.ven_id: v.ven_name for v in vens}


async def _rows(request: web.Request) -> tuple[str, list[Performance]]:
    """The stored rows, plus an empty one (not stored) for each VEN the event reached that
    has reported nothing in its window yet."""
    ctx = context(request)
    store = ctx.store
    event = await store.events.get(request.match_info["event_id"])  # 404 if unknown
    rows = list(await store.performance.for_event(event.event_id))
    have = {p.ven_id for p in rows}
    for invitation in await store.invitations.list_for_event(event.event_id):
        if invitation.ven_id not in have:
            ven = await store.vens.get(invitation.ven_id)
            rows.append(compute(event, ven.ven_id, (), now=ctx.clock.now(),
                                participation=await participation(ctx.vtn, event, ven)))
    rows = [await _adjusted(request, p) for p in rows]
    return event.event_id, sorted(rows, key=lambda p: p.ven_id)


async def _earlier_events(store: Store, p: Performance) -> list[tuple[datetime, datetime]]:
    """The active periods (``active_period``) of the events the VEN opted into other than
    `p`'s, as far back as the day-of window of `p`'s event can be moved by them."""
    opted = {i.event_id for i in await store.invitations.list_for_ven(p.ven_id)
             if i.opt_type is OptType.OPT_IN and i.event_id != p.event_id}
    if not opted:
        return []
    horizon = readings_from(p.start) - _CHAIN_LOOKBACK
    while True:
        events = await store.events.list(ending_after=horizon)
        periods = [period for e in events if e.event_id in opted and e.request.start < p.start
                   and (period := active_period(e, p.start)) is not None]
        first = readings_from(p.start, periods)
        if first > horizon + SLOT:  # events that ended by the horizon cannot reach the window
            return periods
        horizon = first - _CHAIN_LOOKBACK


async def _adjusted(request: web.Request, p: Performance) -> Performance:
    """`p` with the day-of adjustment the VTN computes from the VEN's readings before the
    event (read now: the stored row does not keep it; ``vtn.baseline_adjustment``), its
    window moved back before the VEN's earlier events."""
    store = context(request).store
    earlier = await _earlier_events(store, p)
    readings = await store.reports.readings(ReadingQuery(
        ven_id=p.ven_id, start_from=readings_from(p.start, earlier), start_before=p.start))
    parts = part_usage_rids(await store.reports.capabilities(p.ven_id))
    return with_adjustment(p, [r for r in readings if r.r_id not in parts], earlier)


async def event_performance(request: web.Request) -> web.Response:
    """GET /events/{event_id}/performance: every reporting VEN's row, by VEN id."""
    event_id, rows = await _rows(request)
    names = await _names(request)
    return web.json_response({"event_id": event_id, "performance": [
        performance_json(p, ven_name=names.get(p.ven_id)) for p in rows]})


async def event_performance_csv(request: web.Request) -> web.Response:
    """GET /events/{event_id}/performance.csv: the same rows as CSV (no intervals)."""
    event_id, rows = await _rows(request)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PERFORMANCE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    names = await _names(request)
    for p in rows:
        row = performance_json(p, ven_name=names.get(p.ven_id), intervals=False)
        row["baseline_adjustment"] = (  # its words in the CSV
            None if p.baseline_adjustment is None else describe(p.baseline_adjustment))
        writer.writerow(row)
    name = f"performance-{event_id}.csv".replace('"', "")
    return web.Response(text=buffer.getvalue(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def baseline(request: web.Request) -> web.Response:
    """GET /vens/{ven_id}/baseline?from=&to=: the reported baseline series [kW]."""
    store = context(request).store
    ven = await store.vens.get(request.match_info["ven_id"])
    start_from = query_instant(request, "from")
    start_before = query_instant(request, "to")
    if start_from and start_before and start_before <= start_from:
        raise BadRequest("to: must be later than from", field="to")
    readings = await store.reports.readings(ReadingQuery(
        ven_id=ven.ven_id, start_from=start_from, start_before=start_before,
        limit=_MAX_BASELINE))
    series: dict[Any, Json] = {}
    projected = projection_ids(readings)  # the baseline of a projection is not a reading
    for r in readings:
        kw = reading_kw(r)
        if r.report_type is not ReportType.BASELINE or kw is None \
                or r.report_request_id in projected:
            continue
        kind = r.reading_type.value
        series[r.start] = {  # a value resent under a newer report request wins
            "start": when(r.start), "duration": span(r.duration), "baseline_kw": round(kw, 4),
            "confidence": r.confidence,
            "method": kind.removeprefix(BASELINE_METHOD_PREFIX)
            if kind.startswith(BASELINE_METHOD_PREFIX) else None,
            "reading_type": kind,
        }
    return web.json_response({"ven_id": ven.ven_id, "baseline": list(series.values())})


async def capacity(request: web.Request) -> web.Response:
    """GET /vens/{ven_id}/capacity: the VEN's demonstrated shed capacity (see the module)."""
    store = context(request).store
    ven = await store.vens.get(request.match_info["ven_id"])
    shown = [p for p in await store.performance.for_ven(ven.ven_id)
             if p.participation is Participation.OPTED_IN and p.data_points
             and p.reduction_kw is not None]
    best = max(shown, key=lambda p: p.reduction_kw or 0.0, default=None)
    recent = context(request).clock.now() - _RECENT
    latest = await store.reports.readings(ReadingQuery(ven_id=ven.ven_id, start_from=recent))
    projected = projection_ids(latest)
    baselines = [(r, kw) for r in latest
                 if r.report_type is ReportType.BASELINE and r.report_request_id not in projected
                 and (kw := reading_kw(r)) is not None]
    last = baselines[-1] if baselines else None
    share = (best.reduction_kw / best.baseline_kw
             if best and best.baseline_kw and best.reduction_kw is not None else None)
    return web.json_response({
        "ven_id": ven.ven_id,
        "events": len(shown),
        "largest_reduction_kw": _round(best.reduction_kw) if best else None,
        "largest_reduction_event_id": best.event_id if best else None,
        "largest_reduction_baseline_kw": _round(best.baseline_kw) if best else None,
        "mean_reduction_kw": _round(sum(p.reduction_kw or 0.0 for p in shown) / len(shown))
        if shown else None,
        "latest_baseline_kw": _round(last[1]) if last else None,
        "latest_baseline_at": when(last[0].start) if last else None,
        "estimated_capacity_kw": _round(max(share, 0.0) * last[1])
        if share is not None and last else None,
    })
