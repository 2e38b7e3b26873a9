"""Admin handlers for VENs: list, show, cancel (queues oadrCancelPartyRegistration), reregister
(queues oadrRequestReregistration)."""

from __future__ import annotations

from aiohttp import web

from vtn.admin.audit import note
from vtn.admin.context import context, query_bool
from vtn.admin.problems import ConflictError
from vtn.admin.render import ven_json
from vtn.services.registration import cancel_registration, request_reregistration

__all__ = ["cancel", "get", "list_vens", "reregister"]


async def list_vens(request: web.Request) -> web.Response:
    """GET /vens: registered VENs (cancelled ones too with ``include_cancelled=true``)."""
    include = query_bool(request, "include_cancelled", False)
    vens = await context(request).store.vens.list(include_cancelled=include)
    return web.json_response({"vens": [ven_json(v) for v in vens]})


async def get(request: web.Request) -> web.Response:
    """GET /vens/{ven_id}: one VEN (404 if unknown)."""
    ven = await context(request).store.vens.get(request.match_info["ven_id"])
    return web.json_response(ven_json(ven))


async def cancel(request: web.Request) -> web.Response:
    """POST /vens/{ven_id}/cancel: end the registration and queue oadrCancelPartyRegistration
    for the VEN (pushed, or answered to its next poll). 404 if unknown, 409 if cancelled."""
    ctx = context(request)
    ven = await ctx.store.vens.get(request.match_info["ven_id"])
    if ven.cancelled:
        raise ConflictError(f"the registration of VEN {ven.ven_id!r} is already cancelled")
    cancelled = await cancel_registration(ctx.vtn, ven.ven_id)
    note(request, "ven.cancel", object_type="ven", object_id=ven.ven_id,
         summary=f"registration of {ven.ven_id} ({ven.ven_name or 'no name'}) cancelled; "
                 "oadrCancelPartyRegistration queued")
    return web.json_response({"ven": ven_json(cancelled), "queued": "oadrCancelPartyRegistration"})


async def reregister(request: web.Request) -> web.Response:
    """POST /vens/{ven_id}/reregister: queue oadrRequestReregistration for the VEN (pushed, or
    answered to its next poll); it answers oadrResponse and registers again. 404 if unknown,
    409 if its registration is cancelled."""
    ctx = context(request)
    ven = await ctx.store.vens.get(request.match_info["ven_id"])
    if ven.cancelled:
        raise ConflictError(f"the registration of VEN {ven.ven_id!r} is cancelled; it must "
                            "register by itself")
    await request_reregistration(ctx.vtn, ven.ven_id)
    return web.json_response({"ven": ven_json(ven), "queued": "oadrRequestReregistration"})
