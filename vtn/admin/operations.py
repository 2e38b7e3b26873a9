"""``/health``, ``/ready`` and ``/metrics`` on the admin listener, beside the admin API.

- ``/health`` (liveness): 200 ``{"status": "ok"}`` whenever the process answers. No token.
- ``/ready`` (readiness): 200 when the database answers a trivial query in time, its schema is
  at the newest migration and the 2.0b listener is up; else 503 with the reasons. No token.
- ``/metrics``: the Prometheus text exposition (``vtn.metrics``). It needs the admin bearer
  token unless ``admin.metrics_public`` is set: the figures tell an outsider how many VENs
  there are and how busy the VTN is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from vtn.admin.auth import bearer_matches
from vtn.admin.problems import error_response
from vtn.logs import SERVER
from vtn.metrics import CONTENT_TYPE, VtnMetrics
from vtn.services.context import Vtn
from vtn.storage import StorageError
from vtn.storage.migrate import head_revision

__all__ = ["CHECK_TIMEOUT_S", "ONLINE_POLLS", "Readiness", "add_operations_routes"]

CHECK_TIMEOUT_S = 2.0
"""How long ``/ready`` and ``/metrics`` wait for the database [s]."""
ONLINE_POLLS = 3
"""A VEN is online when it was seen (any request) within this many poll periods."""


@dataclass(slots=True)
class Readiness:
    """What ``/ready`` cannot ask the database: whether the 2.0b listener is up (the server
    sets ``listening`` once its sites have started)."""

    listening: bool = False


@dataclass(frozen=True, slots=True)
class _Operations:
    vtn: Vtn
    metrics: VtnMetrics
    readiness: Readiness
    token: bytes
    metrics_public: bool

    async def health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def ready(self, _request: web.Request) -> web.Response:
        reasons: list[str] = []
        store = self.vtn.store
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                await store.status.ping()
                revision = await store.status.schema_revision()
        except (StorageError, TimeoutError) as exc:
            cause = "no answer in time" if isinstance(exc, TimeoutError) else _cause(exc)
            reasons.append(f"database unreachable: {cause}")
        else:
            head = head_revision()
            if revision != head:
                reasons.append(f"database schema at migration {revision or 'none'}, "
                               f"not at {head}: run `oadr-vtn serve` once to migrate")
        if not self.readiness.listening:
            reasons.append("the 2.0b listener is not up")
        if reasons:
            return web.json_response({"status": "unavailable", "reasons": reasons}, status=503)
        return web.json_response({"status": "ready"})

    async def exposition(self, request: web.Request) -> web.StreamResponse:
        if not self.metrics_public and not bearer_matches(request, self.token):
            return error_response(401, "a valid admin bearer token is required for /metrics "
                                       "(or set metrics_public = true under [admin])")
        polls = self.vtn.config.polls.frequency
        online_since = self.vtn.clock.now() - ONLINE_POLLS * max(polls, timedelta(seconds=1))
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                await self.metrics.refresh(self.vtn.store, online_since=online_since)
        except (StorageError, TimeoutError) as exc:
            SERVER.warning("/metrics: the database gauges are missing: %s",
                           "no answer in time" if isinstance(exc, TimeoutError) else _cause(exc))
        return web.Response(body=self.metrics.exposition(),
                            headers={"Content-Type": CONTENT_TYPE})


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__
    return f"{exc} ({type(cause).__name__}: {cause})" if cause is not None else str(exc)


def add_operations_routes(app: web.Application, vtn: Vtn, *, token: str, metrics: VtnMetrics,
                          readiness: Readiness) -> None:
    """Add ``/health``, ``/ready`` and ``/metrics`` to `app` (the admin listener's root)."""
    operations = _Operations(vtn, metrics, readiness, token.encode("ascii"),
                             vtn.config.admin.metrics_public)
    app.router.add_get("/health", operations.health)
    app.router.add_get("/ready", operations.ready)
    app.router.add_get("/metrics", operations.exposition)
