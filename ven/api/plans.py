"""The current event's plan, the building's flexibility for the next hours and its shed
capacity by circuit now."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from common.baselines.adjustment import adjustment_json
from ven.api.auth import ApiError
from ven.api.context import ApiContext, context
from ven.api.flexibility import flexibility as forecast_flexibility
from ven.devices.capacity import shed_capacity
from ven.devices.gateway import CircuitMeters

if TYPE_CHECKING:  # the brain (scipy, Pyomo) is imported by the VEN only when it has a building
    from ven.brain.planning import EventPlan

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
    there is none; with the shed requested and the shed the plan expects to deliver [kW],
    their ratio [%] and, in an interval that falls short, the reasons the plan knows
    (``ven.brain.expectation``)."""
    ctx = context(request)
    plan = _current(ctx)
    if plan is None:
        return web.json_response({"plan": None})
    table = ctx.brain.outcome(plan).table  # type: ignore[union-attr]
    expectation = ctx.brain.expectation(plan.event_id)  # type: ignore[union-attr]
    foreseen = {i.start: i for i in expectation.intervals} if expectation else {}
    intervals = []
    for start, row in table.iterrows():
        item = foreseen.get(start.to_pydatetime())
        intervals.append({
            "start": start.isoformat(), "duration_h": float(row["duration_h"]),
            "in_event": bool(row["in_event"]), "baseline_kw": _number(row["baseline_kw"]),
            "target_kw": _number(row["target_kw"]), "planned_kw": _number(row["planned_kw"]),
            "measured_kw": _number(row["measured_kw"]),
            "requested_shed_kw": _number(item.requested_kw) if item else None,
            "expected_shed_kw": _number(item.expected_kw) if item else None,
            "expected_pct": _pct(item.expected_pct) if item else None,
            "shortfall_reasons": list(item.reasons) if item else []})
    return web.json_response({"plan": {
        "event_id": plan.event_id, "modification_number": plan.modification_number,
        "start": plan.start.isoformat(), "end": plan.end.isoformat(),
        "until": plan.until.isoformat(),
        "requested_shed_kw": _number(expectation.requested_kw) if expectation else None,
        "expected_shed_kw": _number(expectation.expected_kw) if expectation else None,
        "expected_pct": _pct(expectation.expected_pct) if expectation else None,
        "falls_short": bool(expectation and expectation.short),
        "intervals": intervals,
        "baseline": {"preset": plan.baseline.config_name, "method": plan.baseline.method.value,
                     "confidence": plan.baseline.confidence.value,
                     "adjustment": adjustment_json(plan.baseline.adjustment)}}})


async def energy_plan(request: web.Request) -> web.Response:
    """GET /energy/plan: the always-on energy manager's plan in force (time made, strategy,
    horizon, totals, the commands sent and the next intervals), ``{"plan": null}`` before the
    first plan or without an ``[energy]`` table (then ``enabled`` is false and ``strategy``
    null); ``strategy``: the one the next re-plan uses, its weights and source."""
    ctx = context(request)
    _brain(ctx)
    manager = ctx.energy
    return web.json_response({
        "enabled": manager is not None,
        "strategy": None if manager is None else manager.strategy_json(),
        "plan": None if manager is None else manager.summary()})


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


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
    (``ven.devices.capacity.shed_capacity``). A device's current draw is its own fresh
    telemetry (MQTT devices), else its newest stored ``power`` sample of the last ``RECENT``,
    else the device model's forecast for now; a circuit with a fresh meter reading (``[mqtt]
    circuit_meters``) has that reading as its current kW."""
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
    meters: dict[str, float] = {}
    if brain.gateway is not brain.meter.simulation:  # devices of their own: what they say
        for device_id, status in brain.device_status(now).items():
            if status.online and status.power_kw is not None:
                draw[device_id] = status.power_kw
        if isinstance(brain.gateway, CircuitMeters):
            for circuit_id in brain.gateway.metered_circuits:
                kw = brain.gateway.circuit_kw_now(circuit_id, now)
                if kw is not None:
                    meters[circuit_id] = kw
    entries = shed_capacity(brain.building, draw, now, include_essential=essential == "true",
                            circuit_kw=meters)
    return web.json_response({
        "building_id": brain.building.id, "at": now.isoformat(),
        "sheddable_kw": round(sum(e.sheddable_kw for e in entries), 3),
        "circuits": [e.as_json() for e in entries]})
