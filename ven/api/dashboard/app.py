"""The building dashboard's aiohttp sub-application: settings, routes, session middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import jinja2
from aiohttp import web

from common.dashboard.pages import optional
from common.dashboard.session import SECURITY_HEADERS, refusal_text, wants_csrf_cookie
from ven.api.dashboard import pages
from ven.api.dashboard.session import (
    CSRF_COOKIE,
    CSRF_FIELD,
    csrf_problem,
    csrf_value,
    new_csrf,
    set_csrf,
)
from ven.api.dashboard.state import CSRF_KEY, DASHBOARD, Dashboard

__all__ = ["DASHBOARD_ROOT", "dashboard_app"]

DASHBOARD_ROOT = "/ui"
"""Where the dashboard lives on the building API's listener."""

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


def dashboard_app(*, api_root: str) -> web.Application:
    """The dashboard, mounted at ``DASHBOARD_ROOT`` next to the building API at `api_root`."""
    app = web.Application(middlewares=[_session])
    templates = jinja2.Environment(
        loader=jinja2.PackageLoader("ven.api.dashboard", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    templates.globals["opt"] = optional
    app[DASHBOARD] = Dashboard(templates=templates, api_root=api_root)

    async def http_session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            app[DASHBOARD].http = http
            yield
            app[DASHBOARD].http = None

    app.cleanup_ctx.append(http_session)
    pages.add_routes(app.router)
    return app
