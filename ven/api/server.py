"""The building API's routes, its aiohttp application and the listener ``oadr-ven run`` starts."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from common.errors import ConfigError
from ven.api import benefits, history, invitations, plans, strategy
from ven.api.auth import auth_middleware, ensure_token, error_middleware
from ven.api.context import CONTEXT, ApiContext
from ven.api.dashboard import DASHBOARD_ROOT, dashboard_app
from ven.api.openapi import OPENAPI
from ven.client.config import is_loopback

__all__ = ["API_ROOT", "ROUTES", "ApiServer", "Route", "api_app"]

log = logging.getLogger("ven.api")

API_ROOT = "/api/v1"
"""Where the building API lives on its listener."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    """One route: method, path below ``API_ROOT``, handler."""

    method: str
    path: str
    handler: Handler


async def _openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/openapi.json", _openapi),
    Route("GET", "/invitations", invitations.list_invitations),
    Route("POST", "/invitations/{event_id}/answer", invitations.answer),
    Route("GET", "/settings/auto-answer", invitations.get_auto_answer),
    Route("PUT", "/settings/auto-answer", invitations.set_auto_answer),
    Route("GET", "/flexibility", plans.flexibility),
    Route("GET", "/capacity", plans.capacity),
    Route("GET", "/plan", plans.current_plan),
    Route("GET", "/energy/plan", plans.energy_plan),
    Route("PUT", "/energy/strategy", strategy.set_strategy),
    Route("GET", "/benefits", benefits.benefits),
    Route("GET", "/devices", history.list_devices),
    Route("GET", "/telemetry", history.list_samples),
    Route("GET", "/telemetry.csv", history.csv_export),
)


def api_app(ctx: ApiContext, *, token: str) -> web.Application:
    """The listener's application: the API at ``API_ROOT``, where every route but the OpenAPI
    document needs ``Authorization: Bearer <token>``, and the building dashboard at
    ``DASHBOARD_ROOT`` (``ven.api.dashboard``: a login page for the same token)."""
    api = web.Application(middlewares=[
        error_middleware,
        auth_middleware(token, public_paths=frozenset({f"{API_ROOT}/openapi.json"}))])
    api[CONTEXT] = ctx
    for route in ROUTES:
        api.router.add_route(route.method, route.path, route.handler)
    root = web.Application()
    root.add_subapp(API_ROOT, api)
    root.add_subapp(DASHBOARD_ROOT, dashboard_app(api_root=API_ROOT))
    return root


class ApiServer:
    """The building API on ``[api] host:port`` (plain HTTP; loopback unless allow_remote)."""

    def __init__(self, ctx: ApiContext) -> None:
        settings = ctx.config.api
        if not settings.enabled:
            raise ConfigError("api.port is 0: the building API is off")
        if not is_loopback(settings.host) and not settings.allow_remote:
            raise ConfigError(f"api.host: {settings.host!r} is not a loopback address; set "
                              "api.allow_remote = true to serve the building API on the network")
        self._ctx = ctx
        self._runner: web.AppRunner | None = None
        self.url: str | None = None

    def __repr__(self) -> str:
        return f"ApiServer({self.url or 'not started'})"

    async def start(self) -> str:
        """Listen; returns the API's base URL (``http://host:port/api/v1``)."""
        settings = self._ctx.config.api
        token = ensure_token(self._ctx.config.api_token_file)
        self._runner = web.AppRunner(api_app(self._ctx, token=token), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.host, settings.port)
        await site.start()
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        self.url = f"http://{host}:{settings.port}{API_ROOT}"
        log.info("Building API on %s, its dashboard on %s%s (token in %s)", self.url,
                 self.url.removesuffix(API_ROOT), DASHBOARD_ROOT, self._ctx.config.api_token_file)
        return self.url

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
