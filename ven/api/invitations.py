"""Invitations: list the events waiting for an answer, answer them (building or device), and
the auto-answer setting. The same calls as ``oadr-ven invitations`` / ``answer``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from common.messages.enums import OptType
from ven.api.auth import ApiError
from ven.api.context import context
from ven.client.events import EventState
from ven.client.invitations import is_pending, record_operator_answer, states

__all__ = ["answer", "get_auto_answer", "list_invitations", "set_auto_answer", "state_json"]

_OPTS = {"in": OptType.OPT_IN, "out": OptType.OPT_OUT}


def state_json(state: EventState) -> dict[str, Any]:
    """An event's state as the API shows it."""
    return {
        "event_id": state.event_id,
        "modification_number": state.modification_number,
        "status": state.status.value,
        "summary": state.summary,
        "effective_start": state.effective_start.isoformat(),
        "end": state.end.isoformat() if state.end else None,
        "response_required": state.response_required.value,
        "opt": state.opt.value if state.opt else None,
        "provisional": state.provisional,
        "device_opts": {k: v.value for k, v in state.device_opts.items()},
    }


async def list_invitations(request: web.Request) -> web.Response:
    """GET /invitations: events waiting for an answer (``?all=true``: every event)."""
    ctx = context(request)
    found = await states(ctx.store, ctx.clock.now())
    if request.query.get("all", "false").lower() != "true":
        found = [s for s in found if is_pending(s)]
    return web.json_response([state_json(s) for s in found])


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


async def answer(request: web.Request) -> web.Response:
    """POST /invitations/{event_id}/answer ``{"opt": "in"|"out", "device_id": optional}``."""
    ctx = context(request)
    body = await _body(request)
    opt = _OPTS.get(body.get("opt"))  # type: ignore[arg-type]
    if opt is None:
        raise ApiError(400, "opt must be \"in\" or \"out\"")
    device_id = body.get("device_id")
    if device_id is not None and (not isinstance(device_id, str) or not device_id):
        raise ApiError(400, "device_id must be a device ID of the building, or left out")
    event_id = request.match_info["event_id"]
    recorded = await record_operator_answer(
        ctx.store, event_id, opt, now=ctx.clock.now(), device_id=device_id,
        known_devices=ctx.device_ids())
    return web.json_response({"event_id": recorded.event_id,
                              "modification_number": recorded.modification_number,
                              "device_id": device_id, "opt": opt.value}, status=201)


async def get_auto_answer(request: web.Request) -> web.Response:
    """GET /settings/auto-answer: whether events are answered without a person."""
    ctx = context(request)
    chosen = await ctx.store.auto_answer()
    return web.json_response({
        "auto_answer": ctx.config.auto_answer if chosen is None else chosen,
        "source": "config" if chosen is None else "api",
        "default_opt": ctx.config.default_opt.value})


async def set_auto_answer(request: web.Request) -> web.Response:
    """PUT /settings/auto-answer ``{"auto_answer": true|false}`` (kept in the state file)."""
    ctx = context(request)
    value = (await _body(request)).get("auto_answer")
    if not isinstance(value, bool):
        raise ApiError(400, "auto_answer must be true or false")
    await ctx.store.set_auto_answer(value)
    return await get_auto_answer(request)
