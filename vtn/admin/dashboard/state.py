"""What the dashboard's pages share, kept on its application and requests."""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp
import jinja2
from aiohttp import web

from common.clock import Clock

__all__ = ["CSRF_KEY", "DASHBOARD", "Dashboard"]


@dataclass(slots=True)
class Dashboard:
    """What the pages share: templates, the admin API's root, the VTN's clock (to tell which
    VENs are online), and the HTTP session to the admin API (open while the app runs)."""

    templates: jinja2.Environment
    api_root: str
    clock: Clock
    http: aiohttp.ClientSession | None = field(default=None, repr=False)


DASHBOARD = web.AppKey("oadr_dashboard", Dashboard)
CSRF_KEY = web.RequestKey("oadr_dashboard_csrf", str)
