"""DR benefits per device and month: delivered energy x the programme's compensation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from ven.api.context import ApiContext, context
from ven.client.config import ProgrammeSettings
from ven.client.telemetry import Delivery

__all__ = ["benefits", "monthly_benefits", "programme"]


def programme(ctx: ApiContext) -> ProgrammeSettings:
    """The programme's compensation and currency: the building file's ``[programme]``, with
    ven.toml's ``[programme]`` overriding what it sets (defaults 0 and "USD")."""
    terms = ctx.brain.building.programme if ctx.brain is not None else None
    if terms is None:
        return ctx.config.programme.over()
    return ctx.config.programme.over(terms.compensation_per_kwh, terms.currency)


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
    programme = programme.over()
    rate = programme.compensation_per_kwh or 0.0
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
    data = monthly_benefits(await ctx.telemetry.deliveries(), programme(ctx), zone)
    month = request.query.get("month")
    if month:
        data = _with_totals({k: data[k] for k in ("currency", "compensation_per_kwh")},
                            [r for r in data["rows"] if r["month"] == month])
    return web.json_response(data)
