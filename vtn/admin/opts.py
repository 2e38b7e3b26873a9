"""Admin handler for opts: what VENs sent with oadrCreateOpt (event opts and schedules)."""

from __future__ import annotations

from aiohttp import web

from vtn.admin.context import context, query_bool
from vtn.admin.render import opt_json

__all__ = ["list_opts"]


async def list_opts(request: web.Request) -> web.Response:
    """GET /opts: opts in the order received (filters: ven_id, event_id, include_cancelled)."""
    opts = await context(request).store.opts.list(
        ven_id=request.query.get("ven_id"),
        event_id=request.query.get("event_id"),
        include_cancelled=query_bool(request, "include_cancelled", False),
    )
    return web.json_response({"opts": [opt_json(o) for o in opts]})
