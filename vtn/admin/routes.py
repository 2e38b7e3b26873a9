"""The admin API's route table, its aiohttp sub-application, and the hook that mounts it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from common.clock import Clock
from vtn.admin import audit, events, opts, performance, reports, vens
from vtn.admin.auth import auth_middleware
from vtn.admin.context import CONTEXT, AdminContext
from vtn.admin.dashboard import DASHBOARD_ROOT, dashboard_app
from vtn.admin.event_input import EventDefaults
from vtn.admin.openapi import OPENAPI
from vtn.admin.operations import Readiness, add_operations_routes
from vtn.admin.problems import error_middleware
from vtn.admin.token import ensure_admin_token
from vtn.app import METRICS_KEY, VTN_KEY
from vtn.config import VtnConfig
from vtn.metrics import VtnMetrics
from vtn.polls import DatabaseWork
from vtn.services.context import Vtn
from vtn.services.queue import MessageQueue
from vtn.storage import Store

__all__ = ["API_ROOT", "ROUTES", "Route", "admin_app", "admin_routes", "admin_site"]

API_ROOT = "/admin/api/v1"
"""Where the admin API lives on the admin listener."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    """One admin route: method, path below ``API_ROOT``, handler."""

    method: str
    path: str
    handler: Handler


async def _openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/openapi.json", _openapi),
    Route("GET", "/vens", vens.list_vens),
    Route("GET", "/vens/{ven_id}", vens.get),
    Route("POST", "/vens/{ven_id}/cancel", vens.cancel),
    Route("POST", "/vens/{ven_id}/reregister", vens.reregister),
    Route("GET", "/vens/{ven_id}/baseline", performance.baseline),
    Route("GET", "/vens/{ven_id}/capacity", performance.capacity),
    Route("GET", "/events", events.list_events),
    Route("POST", "/events", events.create),
    Route("GET", "/events/{event_id}", events.get),
    Route("PATCH", "/events/{event_id}", events.modify),
    Route("POST", "/events/{event_id}/cancel", events.cancel),
    Route("GET", "/events/{event_id}/responses", events.responses),
    Route("GET", "/events/{event_id}/performance", performance.event_performance),
    Route("GET", "/events/{event_id}/performance.csv", performance.event_performance_csv),
    Route("GET", "/opts", opts.list_opts),
    Route("GET", "/audit", audit.list_audit),
    Route("GET", "/reports/capabilities", reports.capabilities),
    Route("GET", "/reports/subscriptions", reports.subscriptions),
    Route("POST", "/reports/subscriptions", reports.request),
    Route("POST", "/reports/subscriptions/{report_request_id}/cancel", reports.cancel),
    Route("GET", "/reports/readings", reports.readings),
    Route("GET", "/reports/readings.csv", reports.readings_csv),
)


def admin_app(vtn: Vtn, *, token: str) -> web.Application:
    """The admin API as an aiohttp application, to be mounted at ``API_ROOT``.

    Every route but the OpenAPI document needs ``Authorization: Bearer <token>``. New events
    get the first of ``vtn.config.market_contexts`` unless their input names one.
    """
    public = frozenset({f"{API_ROOT}/openapi.json"})
    app = web.Application(middlewares=[error_middleware,
                                       auth_middleware(token, public_paths=public),
                                       audit.audit_middleware(API_ROOT)])
    contexts = vtn.config.market_contexts
    defaults = EventDefaults(market_context=contexts[0]) if contexts else EventDefaults()
    app[CONTEXT] = AdminContext(vtn=vtn, defaults=defaults)
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
    return app


def admin_site(vtn: Vtn, *, token: str, metrics: VtnMetrics | None = None,
               readiness: Readiness | None = None) -> web.Application:
    """The admin listener's application: the admin API at ``API_ROOT``, its dashboard at
    ``DASHBOARD_ROOT`` (``vtn.admin.dashboard``), and ``/health``,
    ``/ready`` and ``/metrics`` (``vtn.admin.operations``).

    ``vtn.server.serve`` runs it on ``admin.host:admin.port``, sharing the protocol side's
    `vtn` (store, clock, queues) and `metrics`; it sets ``readiness.listening`` once the 2.0b
    listener is up.
    """
    root = web.Application()
    root.add_subapp(API_ROOT, admin_app(vtn, token=token))
    root.add_subapp(DASHBOARD_ROOT, dashboard_app(api_root=API_ROOT, clock=vtn.clock))
    add_operations_routes(root, vtn, token=token,
                          metrics=metrics if metrics is not None else VtnMetrics(),
                          readiness=readiness if readiness is not None else Readiness())
    return root


def admin_routes(
    config: VtnConfig, *, store: Store | None = None, clock: Clock | None = None
) -> Callable[[web.Application], None]:
    """A hook that mounts the admin API at ``API_ROOT`` on the application it is given (the
    ``extra_routes`` of ``vtn.app.create_app``; tests, and embedding in another aiohttp app).
    ``vtn.server.serve`` does not use it: it serves the admin API on its own listener.
    ``/health``, ``/ready`` and ``/metrics`` (of ``app[METRICS_KEY]``) are mounted at the root.

    Reads the token in ``config.admin.token_file`` now, creating it (mode 0600) at the first
    start. The admin API shares the protocol side's ``Vtn`` (store, clock, queues) found under
    ``app[VTN_KEY]``; on a bare application (tests) one is made from `store` and `clock`.
    """
    token = ensure_admin_token(Path(config.admin.token_file))

    def mount(app: web.Application) -> None:
        vtn = app.get(VTN_KEY)
        if vtn is None:
            if store is None or clock is None:
                raise ValueError("admin_routes needs store= and clock= to mount on an "
                                 "application without a Vtn")
            vtn = Vtn(config=config, store=store, clock=clock, queue=MessageQueue(store),
                      polls=DatabaseWork(store, clock))
        app.add_subapp(API_ROOT, admin_app(vtn, token=token))
        app.add_subapp(DASHBOARD_ROOT, dashboard_app(api_root=API_ROOT, clock=vtn.clock))
        metrics = app.get(METRICS_KEY)
        add_operations_routes(app, vtn, token=token,
                              metrics=metrics if metrics is not None else VtnMetrics(),
                              readiness=Readiness(listening=True))

    return mount
