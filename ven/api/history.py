"""Telemetry history per device (``/telemetry``, ``/telemetry.csv``) from the telemetry store."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from ven.api.auth import ApiError
from ven.api.context import context
from ven.client.telemetry import Sample, to_csv

__all__ = ["csv_export", "instant", "list_devices", "list_samples"]

_LIMIT = 100_000


def instant(text: str | None, name: str) -> datetime | None:
    """An ISO 8601 time with its offset from the query (``from``/``to``), or None."""
    if text is None or text == "":
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise ApiError(400, f"{name} must be an ISO 8601 time, got {text!r}") from None
    if moment.tzinfo is None:
        raise ApiError(400, f"{name} needs a time zone offset (e.g. 2026-07-15T14:00:00Z)")
    return moment


async def _query(request: web.Request) -> list[Sample]:
    query = request.query
    limit_text = query.get("limit", str(_LIMIT))
    if not limit_text.isdigit() or not 0 < int(limit_text) <= _LIMIT:
        raise ApiError(400, f"limit must be 1..{_LIMIT}")
    return await context(request).telemetry.samples(
        device_id=query.get("device") or None, quantity=query.get("quantity") or None,
        start=instant(query.get("from"), "from"), end=instant(query.get("to"), "to"),
        limit=int(limit_text))


async def list_samples(request: web.Request) -> web.Response:
    """GET /telemetry?device=&quantity=&from=&to=&limit=: samples in time order."""
    return web.json_response([{"time": s.time.isoformat(), "device_id": s.device_id,
                               "quantity": s.quantity, "value": s.value, "unit": s.unit}
                              for s in await _query(request)])


async def csv_export(request: web.Request) -> web.Response:
    """GET /telemetry.csv: the same samples as CSV (``time,device_id,quantity,value,unit``)."""
    return web.Response(text=to_csv(await _query(request)), content_type="text/csv")


async def list_devices(request: web.Request) -> web.Response:
    """GET /devices: the building's devices and those that have telemetry."""
    ctx = context(request)
    return web.json_response({"building": ctx.device_ids(),
                              "with_telemetry": await ctx.telemetry.devices()})
