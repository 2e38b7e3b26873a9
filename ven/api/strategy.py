"""PUT /energy/strategy: choose the always-on energy manager's strategy at run time (kept in
the state file; it wins over the building file's at the next start)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ven.api.auth import ApiError
from ven.api.context import context
from ven.energy.strategy import StrategyError

__all__ = ["set_strategy"]

_KEYS = {"strategy", "weights"}


async def set_strategy(request: web.Request) -> web.Response:
    """PUT /energy/strategy ``{"strategy": "comfort", "weights": {...}}`` (weights optional:
    cost, comfort, carbon for balanced; battery wear and penalties for any): 400 for an
    unknown strategy or bad weights, 404 without a building, 409 when the energy manager is
    off; the manager re-plans with it at its next look (at most 60 s of the clock's time)."""
    ctx = context(request)
    try:
        body: Any = await request.json()
    except ValueError:
        raise ApiError(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    unknown = sorted(set(body) - _KEYS)
    if unknown:
        raise ApiError(400, f"unknown keys: {', '.join(unknown)} (strategy, weights)")
    if ctx.brain is None:
        raise ApiError(404, "this VEN has no building ([ven] building is not set)")
    manager = ctx.energy
    if manager is None:
        raise ApiError(409, "the energy manager is off: the building file has no [energy] "
                            "table")
    try:
        manager.strategy_of(body.get("strategy"), body.get("weights"))  # check before saving
    except StrategyError as exc:
        raise ApiError(400, str(exc)) from None
    await ctx.store.save_energy_strategy({"strategy": body["strategy"],
                                          "weights": dict(body.get("weights") or {})})
    manager.set_strategy(body["strategy"], body.get("weights"))
    return web.json_response({"strategy": manager.strategy_json(), "replan": "at once"})
