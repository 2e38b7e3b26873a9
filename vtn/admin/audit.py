"""The audit log of operator actions: recorded by a middleware, listed by ``GET /audit``.

Every mutating admin request (POST, PUT, PATCH, DELETE) that succeeds (HTTP status below 400)
is recorded after its handler returns: who (``admin-token``: the token is one shared secret,
so the client's address and the operator the CLI names in ``X-Oadr-Operator`` come with it),
what (an action such as ``event.cancel``), when, on what (object type and id) and a one-line
summary. A handler describes its change with ``note``; a route whose handler says nothing is
recorded as ``METHOD /route`` with the ids in its path, so a new mutating endpoint is audited
from its first day. Refused requests changed nothing and are not recorded (the log has them).

The entry is written after the change is committed, in its own transaction: if that write
fails the change stands, the operator gets their answer and the failure is logged as an error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from common.wording import duration_words
from vtn.admin.context import context, query_instant, query_int
from vtn.admin.render import when
from vtn.domain import AuditEntry, Event, OperatorAction
from vtn.storage import StorageError

__all__ = ["ACTOR", "MUTATING", "OPERATOR_HEADER", "audit_json", "audit_middleware",
           "event_summary", "list_audit", "note"]

log = logging.getLogger("oadr.vtn.audit")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

OPERATOR_HEADER = "X-Oadr-Operator"
"""The header in which the CLI names its user (``$USER@host``); taken as said, not verified."""
ACTOR = "admin-token"
"""Who authenticated: every admin request carries the one admin token."""
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""The methods whose successful requests are recorded."""
_MAX_OPERATOR = 200


@dataclass(frozen=True, slots=True)
class _Note:
    action: str
    object_type: str | None
    object_id: str | None
    summary: str


@dataclass(slots=True)
class _Said:
    note: _Note | None = None


_SAID: ContextVar[_Said | None] = ContextVar("oadr_audit_said", default=None)
"""What the handler of the request in this task said it did (set by the middleware)."""


def note(request: web.Request, action: str, *, object_type: str | None = None,
         object_id: str | None = None, summary: str = "") -> None:
    """Describe the change `request` makes, for its audit entry (``event.create``, ``event``,
    ``ev-1``, a one-line summary). Recorded only if the request succeeds."""
    said = _SAID.get()
    if said is not None:  # None: the handler runs outside the audited admin API (tests)
        said.note = _Note(action, object_type, object_id, summary)


def event_summary(event: Event, what: str, reason: str | None = None) -> str:
    """One line on `event` for its audit entry: `what` happened (``created``), then its
    modification number, signals, start, duration and targets (and the `reason`)."""
    req = event.request
    signals = ", ".join(str(getattr(s.signal_name, "value", s.signal_name)) for s in req.signals)
    targets = req.targets
    whom = "all VENs" if targets.all_vens else "; ".join(
        f"{kind} {', '.join(values)}" for kind, values in (
            ("VENs", targets.ven_ids), ("groups", targets.group_ids),
            ("resources", targets.resource_ids), ("parties", targets.party_ids)) if values)
    text = (f"{what} (modification {event.modification_number}): {signals}, start "
            f"{when(req.start)}, {duration_words(req.duration)}, for {whom}")
    return f"{text}; reason: {reason}" if reason else text


def _operator(request: web.Request) -> str | None:
    raw = request.headers.get(OPERATOR_HEADER, "").strip()
    if not raw:
        return None
    cleaned = "".join(c if c.isprintable() else "?" for c in raw)
    return cleaned[:_MAX_OPERATOR]


def _default_note(request: web.Request, api_root: str) -> _Note:
    """What an undescribed request did: its route (``POST /vens/{ven_id}/cancel``) and the
    last id in its path."""
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else request.path
    route = route.removeprefix(api_root) or "/"
    ids = list(request.match_info.values())
    return _Note(f"{request.method} {route}", None, ids[-1] if ids else None, "")


def audit_middleware(api_root: str) -> Any:
    """The middleware that records successful mutating requests (inside the token check)."""

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        said = _Said()
        token = _SAID.set(said)
        try:
            response = await handler(request)
        finally:
            _SAID.reset(token)
        if request.method not in MUTATING or response.status >= 400:
            return response
        described = said.note or _default_note(request, api_root)
        action = OperatorAction(
            actor=ACTOR,
            operator=_operator(request),
            client=request.remote,
            action=described.action,
            method=request.method,
            path=request.path,
            status=response.status,
            object_type=described.object_type,
            object_id=described.object_id,
            summary=described.summary,
        )
        try:
            entry = await context(request).store.audit.add(action)
        except StorageError:
            log.exception("Could not record %s %s in the audit log (the change stands)",
                          action.action, action.object_id or "")
            return response
        log.info("Audit: %s %s by %s from %s: %s", action.action, action.object_id or "-",
                 action.operator or ACTOR, action.client or "?", action.summary or "-",
                 extra={"audit_entry": entry.entry_id, "action": action.action,
                        "object_id": action.object_id, "operator": action.operator})
        return response

    return record


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    """One audit entry in the admin API's JSON."""
    action = entry.action
    return {
        "entry_id": entry.entry_id,
        "at": when(entry.at),
        "actor": action.actor,
        "operator": action.operator,
        "client": action.client,
        "action": action.action,
        "object_type": action.object_type,
        "object_id": action.object_id,
        "summary": action.summary,
        "method": action.method,
        "path": action.path,
        "status": action.status,
    }


async def list_audit(request: web.Request) -> web.Response:
    """GET /audit: operator actions, oldest first (filters: since, until, action, object_id,
    operator, limit: the newest N)."""
    entries = await context(request).store.audit.list(
        since=query_instant(request, "since"),
        until=query_instant(request, "until"),
        action=request.query.get("action") or None,
        object_id=request.query.get("object_id") or None,
        operator=request.query.get("operator") or None,
        limit=query_int(request, "limit"),
    )
    return web.json_response({"entries": [audit_json(e) for e in entries]})
