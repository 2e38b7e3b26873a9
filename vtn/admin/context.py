"""What every admin handler needs (store, clock, event defaults), and request helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from common.clock import Clock
from vtn.admin.event_input import EventDefaults
from vtn.admin.problems import BadRequest
from vtn.admin.timeinput import parse_instant
from vtn.services.context import Vtn
from vtn.storage import Store

__all__ = ["CONTEXT", "AdminContext", "context", "json_body", "query_bool", "query_instant",
           "query_int"]


@dataclass(frozen=True, slots=True)
class AdminContext:
    """The admin API's collaborators: the VTN (config, store, clock, queues) and event defaults."""

    vtn: Vtn
    defaults: EventDefaults

    @property
    def store(self) -> Store:
        """The VTN's store."""
        return self.vtn.store

    @property
    def clock(self) -> Clock:
        """The VTN's clock."""
        return self.vtn.clock

    @property
    def near_window(self) -> timedelta | None:
        """How long before its start an event without a ramp-up is ``near``."""
        return self.vtn.config.events.near_window


CONTEXT = web.AppKey("oadr_admin_context", AdminContext)


def context(request: web.Request) -> AdminContext:
    """The context of the admin application serving `request`."""
    return request.app[CONTEXT]


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body; ``BadRequest`` if it is not one."""
    text = await request.text()
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {exc.msg} at line {exc.lineno} "
                         f"column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    return data


def query_bool(request: web.Request, name: str, default: bool) -> bool:
    """Query parameter `name` as a boolean (``true``/``false``, ``1``/``0``)."""
    raw = request.query.get(name)
    if raw is None:
        return default
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise BadRequest(f"{name}: expected true or false, got {raw!r}", field=name)


def query_int(request: web.Request, name: str, *, minimum: int = 1) -> int | None:
    """Query parameter `name` as a whole number >= `minimum`, or ``None`` when absent."""
    raw = request.query.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < minimum:
        raise BadRequest(f"{name}: expected a whole number >= {minimum}, got {raw!r}",
                         field=name)
    return int(raw)


def query_instant(request: web.Request, name: str) -> datetime | None:
    """Query parameter `name` as a timezone-aware ISO 8601 time, or ``None`` when absent."""
    raw = request.query.get(name)
    return None if raw is None else parse_instant(raw, name)
