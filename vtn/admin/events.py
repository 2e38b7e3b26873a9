"""Admin handlers for events: create, modify, cancel, list, show, and per-VEN responses."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from aiohttp import web

from common.messages.enums import ResponseRequired
from vtn.admin.audit import event_summary, note
from vtn.admin.context import context, json_body, query_bool, query_instant, query_int
from vtn.admin.event_input import event_to_input, merge_patch, parse_event_request
from vtn.admin.performance import expected_json
from vtn.admin.problems import BadRequest, ConflictError
from vtn.admin.render import event_json, invitation_json
from vtn.domain import Event, EventRequest, Ven, targets_ven
from vtn.storage import NotFound, Store

__all__ = ["cancel", "create", "get", "list_events", "modify", "responses"]


async def create(request: web.Request) -> web.Response:
    """POST /events: issue a new event (201 with the event)."""
    ctx = context(request)
    now = ctx.clock.now()
    event_request = parse_event_request(await json_body(request), now=now,
                                        defaults=ctx.defaults)
    if event_request.end is not None and event_request.end <= now:
        raise BadRequest("start: the event would be over already (start + duration is in "
                         "the past)", field="start")
    await _check_vens_known(ctx.store, event_request)
    overlaps = await _overlaps(ctx.store, event_request, None, now)
    _refuse_overlap(ctx.vtn.config.events.overlap, overlaps)
    event = await ctx.store.events.create(event_request)
    note(request, "event.create", object_type="event", object_id=event.event_id,
         summary=event_summary(event, "created"))
    body = {**event_json(event, now, ctx.near_window),
            "warnings": _started_already(event_request, now) + overlaps}
    return web.json_response(body, status=201,
                             headers={"Location": f"{request.path}/{event.event_id}"})


def _started_already(event: EventRequest, now: datetime) -> list[str]:
    """A warning if `event` starts before `now` (``now`` itself is not in the past)."""
    if event.start >= now.replace(microsecond=0):
        return []
    ago = f"the event started {_minutes(now - event.start)} min ago"
    if event.end is None:
        return [f"{ago}; it has no end"]
    total = _minutes(event.end - event.start)
    return [f"{ago}; {_minutes(event.end - now)} of its {total} min are left"]


def _refuse_overlap(mode: str, overlaps: list[str]) -> None:
    """409 with the first overlap when ``[events] overlap`` is ``refuse``."""
    if overlaps and mode == "refuse":
        raise ConflictError(overlaps[0].replace("(it is kept)", "(refused: [events] overlap "
                                                "= \"refuse\")"))


async def _overlaps(store: Store, mine: EventRequest, event_id: str | None,
                    now: datetime) -> list[str]:
    """A warning per other event (not `event_id`), not cancelled nor ended, of the same
    market context whose active period overlaps `mine`'s for one of the same VENs: 2.0b
    expects no overlap within a market context (A_E3_0530). The event is kept unless
    ``[events] overlap`` is ``refuse``."""
    others = [e for e in await _not_ended(store, now)
              if e.event_id != event_id and not e.cancelled
              and e.request.market_context == mine.market_context and _meet(e.request, mine)]
    if not others:
        return []
    vens = await store.vens.list()
    warnings = []
    for other in others:
        shared = sorted(v.ven_id for v in vens
                        if targets_ven(mine.targets, v) and targets_ven(other.request.targets, v))
        if not shared and not (mine.targets.all_vens and other.request.targets.all_vens):
            continue
        who = f"VEN(s) {', '.join(shared)}" if shared else "every VEN"
        warnings.append(f"the event overlaps event {other.event_id} in market context "
                        f"{mine.market_context} for {who}; 2.0b expects events of one market "
                        "context not to overlap (it is kept)")
    return warnings


async def _not_ended(store: Store, now: datetime) -> tuple[Event, ...]:
    """The events not ended at `now`."""
    return await store.events.list(ending_after=now, include_cancelled=False)


def _meet(a: EventRequest, b: EventRequest) -> bool:
    """True if the active periods of `a` and `b` overlap (an open-ended one never ends)."""
    return (a.end is None or b.start < a.end) and (b.end is None or a.start < b.end)


def _minutes(span: timedelta) -> str:
    return f"{round(span.total_seconds() / 60, 1):g}"


async def list_events(request: web.Request) -> web.Response:
    """GET /events: events by start time (filters: ending_after, include_cancelled, limit)."""
    ctx = context(request)
    events = await ctx.store.events.list(
        ending_after=query_instant(request, "ending_after"),
        include_cancelled=query_bool(request, "include_cancelled", True),
        limit=query_int(request, "limit"),
    )
    now = ctx.clock.now()
    return web.json_response({"events": [event_json(e, now, ctx.near_window) for e in events]})


async def get(request: web.Request) -> web.Response:
    """GET /events/{event_id}: one event (404 if unknown)."""
    ctx = context(request)
    event = await ctx.store.events.get(request.match_info["event_id"])
    return web.json_response(event_json(event, ctx.clock.now(), ctx.near_window))


async def modify(request: web.Request) -> web.Response:
    """PATCH /events/{event_id}: change some fields; the modification number grows by one.

    404 if unknown; 409 if cancelled or if ``expected_modification_number`` is stale.
    """
    ctx = context(request)
    patch = await json_body(request)
    expected = patch.pop("expected_modification_number", None)
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int)):
        raise BadRequest("expected_modification_number: expected a whole number",
                         field="expected_modification_number")
    reason = patch.pop("reason", None)
    if reason is not None and not isinstance(reason, str):
        raise BadRequest("reason: expected text", field="reason")
    if not patch:
        raise BadRequest("nothing to modify: give at least one event field")
    event = await ctx.store.events.get(request.match_info["event_id"])
    if event.cancelled:
        raise ConflictError(f"event {event.event_id!r} is cancelled")
    now = ctx.clock.now()
    merged = merge_patch(event_to_input(event), patch)  # 409 unless single-signal
    new_request = parse_event_request(merged, now=now, defaults=ctx.defaults,
                                      signal_id=event.request.signals[0].signal_id)
    await _check_vens_known(ctx.store, new_request)
    new_request = dataclasses.replace(new_request, baseline=event.request.baseline)
    overlaps = await _overlaps(ctx.store, new_request, event.event_id, now)
    _refuse_overlap(ctx.vtn.config.events.overlap, overlaps)
    modified = await ctx.store.events.modify(event.event_id, new_request, reason=reason,
                                             expected_modification_number=expected)
    note(request, "event.modify", object_type="event", object_id=modified.event_id,
         summary=event_summary(modified, f"changed {', '.join(sorted(patch))}", reason))
    return web.json_response({**event_json(modified, now, ctx.near_window),
                              "warnings": overlaps})


async def cancel(request: web.Request) -> web.Response:
    """POST /events/{event_id}/cancel: cancel (a modification); 409 if already cancelled.

    Optional ``response_required`` (``always``/``never``): the cancellation's
    oadrResponseRequired (default: the event's own; A_E3_0498 cancels with ``never``).
    """
    ctx = context(request)
    body = await json_body(request)
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise BadRequest("reason: expected text", field="reason")
    response = body.get("response_required")
    if response is not None and response not in {r.value for r in ResponseRequired}:
        raise BadRequest(f"response_required: expected 'always' or 'never', got {response!r}",
                         field="response_required")
    event = await ctx.store.events.cancel(
        request.match_info["event_id"], reason=reason,
        response_required=None if response is None else ResponseRequired(response))
    note(request, "event.cancel", object_type="event", object_id=event.event_id,
         summary=event_summary(event, "cancelled", reason))
    return web.json_response(event_json(event, ctx.clock.now(), ctx.near_window))


async def responses(request: web.Request) -> web.Response:
    """GET /events/{event_id}/responses: per targeted VEN, delivery and opt, and the shed it
    said it expects to deliver against the shed requested (404 if unknown)."""
    ctx = context(request)
    event = await ctx.store.events.get(request.match_info["event_id"])
    invitations = {i.ven_id: i for i in await ctx.store.invitations.list_for_event(
        event.event_id)}
    vens = {v.ven_id: v for v in await ctx.store.vens.list(include_cancelled=True)}
    targeted = [v for v in vens.values() if _targets(event, v) and not v.cancelled]
    ven_ids = sorted({v.ven_id for v in targeted} | set(invitations)
                     | set(event.request.targets.ven_ids))
    performance = {p.ven_id: p for p in await ctx.store.performance.for_event(event.event_id)}
    rows = [{**invitation_json(ven_id, vens.get(ven_id), invitations.get(ven_id),
                               event.modification_number), **expected_json(performance.get(ven_id))}
            for ven_id in ven_ids]
    return web.json_response({
        "event_id": event.event_id,
        "modification_number": event.modification_number,
        "responses": rows,
    })


def _targets(event: Event, ven: Ven) -> bool:
    targets = event.request.targets
    return (targets.all_vens or ven.ven_id in targets.ven_ids
            or bool(set(ven.group_ids) & set(targets.group_ids))
            or bool(set(ven.resource_ids) & set(targets.resource_ids))
            or bool(set(ven.party_ids) & set(targets.party_ids)))


async def _check_vens_known(store: Store, request: EventRequest) -> None:
    for ven_id in request.targets.ven_ids:
        try:
            await store.vens.get(ven_id)
        except NotFound:
            raise BadRequest(f"targets.ven_ids: no VEN {ven_id!r} is known (see GET /vens)",
                             field="targets.ven_ids") from None
