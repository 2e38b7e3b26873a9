"""DR benefits per device and month: delivered energy x the programme's compensation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from ven.api.context import context
from ven.client.config import ProgrammeSettings
from ven.client.telemetry import Delivery

__all__ = ["benefits", "monthly_benefits"]


def monthly_benefits(deliveries: Iterable[Delivery], programme: ProgrammeSettings,
                     zone: ZoneInfo | None = None) -> dict[str, Any]:
    """Delivered energy [kWh] and benefit [currency] per (month, device); a delivery counts in
    the month (in `zone`, default UTC) its event started."""
    per: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for d in deliveries:
        month = d.start.astimezone(zone or UTC).strftime("%Y-%m")
        row = per[(month, d.device_id)]
        row[0] += d.delivered_kwh
        row[1] += 1
    rate = programme.compensation_per_kwh
    rows: list[dict[str, Any]] = [
        {"month": month, "device_id": device, "events": int(n),
         "delivered_kwh": round(kwh, 6), "benefit": round(kwh * rate, 6)}
        for (month, device), (kwh, n) in sorted(per.items())]
    return _with_totals({"currency": programme.currency, "compensation_per_kwh": rate}, rows)


def _with_totals(head: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {**head, "rows": rows,
            "total_delivered_kwh": round(sum(r["delivered_kwh"] for r in rows), 6),
            "total_benefit": round(sum(r["benefit"] for r in rows), 6)}


async def benefits(request: web.Request) -> web.Response:
    """GET /benefits: per device and month (``?month=YYYY-MM`` keeps one month)."""
    ctx = context(request)
    zone = ZoneInfo(ctx.brain.building.timezone) if ctx.brain is not None else None
    data = monthly_benefits(await ctx.telemetry.deliveries(), ctx.config.programme, zone)
    month = request.query.get("month")
    if month:
        data = _with_totals({k: data[k] for k in ("currency", "compensation_per_kwh")},
                            [r for r in data["rows"] if r["month"] == month])
    return web.json_response(data)
