"""The current event's plan, the building's flexibility for the next hours and its shed
capacity by circuit now."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from aiohttp import web

from ven.api.auth import ApiError
from ven.api.context import ApiContext, context
from ven.api.flexibility import flexibility as forecast_flexibility
from ven.brain.outcome import measure
from ven.brain.planning import EventPlan
from ven.devices.capacity import shed_capacity

__all__ = ["capacity", "current_plan", "flexibility"]

RECENT = timedelta(minutes=15)
"""Stored power samples at most this old count as a device's current draw."""


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else round(number, 4)


def _brain(ctx: ApiContext) -> Any:
    if ctx.brain is None:
        raise ApiError(404, "this VEN has no building ([ven] building is not set)")
    return ctx.brain


def _current(ctx: ApiContext) -> EventPlan | None:
    """The plan in control now, else the next one to start, else None."""
    plans = sorted(_brain(ctx).plans.values(), key=lambda p: p.start)
    now = ctx.clock.now()
    running = [p for p in plans if p.start <= now < p.until]
    later = [p for p in plans if p.start > now]
    return (running or later or [None])[0]


async def current_plan(request: web.Request) -> web.Response:
    """GET /plan: the current (or next) event's plan per interval, ``{"plan": null}`` when
    there is none."""
    ctx = context(request)
    plan = _current(ctx)
    if plan is None:
        return web.json_response({"plan": None})
    table = measure(plan, ctx.brain.meter).table  # type: ignore[union-attr]
    intervals = [{
        "start": start.isoformat(), "duration_h": float(row["duration_h"]),
        "in_event": bool(row["in_event"]), "baseline_kw": _number(row["baseline_kw"]),
        "target_kw": _number(row["target_kw"]), "planned_kw": _number(row["planned_kw"]),
        "measured_kw": _number(row["measured_kw"]),
    } for start, row in table.iterrows()]
    return web.json_response({"plan": {
        "event_id": plan.event_id, "modification_number": plan.modification_number,
        "start": plan.start.isoformat(), "end": plan.end.isoformat(),
        "until": plan.until.isoformat(), "intervals": intervals}})


async def flexibility(request: web.Request) -> web.Response:
    """GET /flexibility?hours=24: sheddable power per device and hour (see
    ``ven.api.flexibility``); ``current`` is the hour now."""
    ctx = context(request)
    brain = _brain(ctx)
    text = request.query.get("hours", "24")
    if not text.isdigit() or not 1 <= int(text) <= 48:
        raise ApiError(400, "hours must be 1..48")
    rows = forecast_flexibility(brain.building, brain.meter.simulation, ctx.clock.now(),
                                int(text))
    hours: dict[str, dict[str, Any]] = {}
    for r in rows:
        hour = hours.setdefault(r.start.isoformat(), {"start": r.start.isoformat(),
                                                      "sheddable_kw": 0.0, "devices": []})
        hour["devices"].append({"device_id": r.device_id, "rule": r.rule,
                                "forecast_kw": r.forecast_kw, "sheddable_kw": r.sheddable_kw})
        hour["sheddable_kw"] = round(hour["sheddable_kw"] + r.sheddable_kw, 4)
    ordered = list(hours.values())
    return web.json_response({"generated_at": ctx.clock.now().isoformat(),
                              "current": ordered[0] if ordered else None, "hours": ordered})


async def capacity(request: web.Request) -> web.Response:
    """GET /capacity (``?essential=true`` lists essential circuits too): the circuits the
    dispatch may shed now, in the order it sheds them, with their current and sheddable kW
    (``ven.devices.capacity.shed_capacity``). A device's current draw is its newest stored
    ``power`` sample of the last ``RECENT``, else the device model's forecast for now."""
    ctx = context(request)
    brain = _brain(ctx)
    essential = request.query.get("essential", "false").lower()
    if essential not in ("true", "false"):
        raise ApiError(400, "essential must be true or false")
    now = ctx.clock.now()
    forecast = brain.meter.simulation.forecast(now, 1).device_kw.iloc[0]
    draw = {str(k): float(v) for k, v in forecast.items()}
    for sample in await ctx.telemetry.samples(quantity="power", start=now - RECENT,
                                              end=now + timedelta(seconds=1)):
        if sample.device_id in draw:
            draw[sample.device_id] = sample.value  # time order: the newest wins
    entries = shed_capacity(brain.building, draw, now, include_essential=essential == "true")
    return web.json_response({
        "building_id": brain.building.id, "at": now.isoformat(),
        "sheddable_kw": round(sum(e.sheddable_kw for e in entries), 3),
        "circuits": [e.as_json() for e in entries]})
