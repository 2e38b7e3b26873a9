"""The dashboard's aiohttp sub-application: settings, route table, session middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import jinja2
from aiohttp import web

from common.clock import Clock
from common.dashboard.pages import optional
from common.dashboard.session import SECURITY_HEADERS, refusal_text, wants_csrf_cookie
from vtn.admin.dashboard import pages
from vtn.admin.dashboard.session import (
    CSRF_COOKIE,
    CSRF_FIELD,
    csrf_problem,
    csrf_value,
    new_csrf,
    set_csrf,
)
from vtn.admin.dashboard.state import CSRF_KEY, DASHBOARD, Dashboard

__all__ = ["DASHBOARD_ROOT", "dashboard_app"]

DASHBOARD_ROOT = "/admin/ui"
"""Where the dashboard lives on the admin listener."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _session(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every browser a CSRF value, refuse forged POSTs, add the security headers."""
    known = csrf_value(request)
    request[CSRF_KEY] = known or new_csrf()
    submitted = (await request.post()).get(CSRF_FIELD) if request.method == "POST" else None
    problem = csrf_problem(request, submitted)
    if problem is not None:
        return web.Response(status=403, text=refusal_text(problem), headers=SECURITY_HEADERS)
    response = await handler(request)
    if wants_csrf_cookie(known, response.cookies.keys(), CSRF_COOKIE):
        set_csrf(response, request, request[CSRF_KEY])
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def dashboard_app(*, api_root: str, clock: Clock) -> web.Application:
    """The dashboard, to be mounted at ``DASHBOARD_ROOT`` next to the admin API at `api_root`."""
    app = web.Application(middlewares=[_session])
    app[DASHBOARD] = Dashboard(
        templates=jinja2.Environment(
            loader=jinja2.PackageLoader("vtn.admin.dashboard", "templates"),
            autoescape=True, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True),
        api_root=api_root, clock=clock)
    app[DASHBOARD].templates.globals["opt"] = optional

    async def http_session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            app[DASHBOARD].http = http
            yield
            app[DASHBOARD].http = None

    app.cleanup_ctx.append(http_session)
    pages.add_routes(app.router)
    return app
