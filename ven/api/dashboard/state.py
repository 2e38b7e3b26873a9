"""What the building dashboard's pages share, kept on its application and requests."""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp
import jinja2
from aiohttp import web

__all__ = ["CSRF_KEY", "DASHBOARD", "Dashboard"]


@dataclass(slots=True)
class Dashboard:
    """What the pages share: templates, the API's root, the HTTP session to the API (open while
    the application runs)."""

    templates: jinja2.Environment
    api_root: str
    http: aiohttp.ClientSession | None = field(default=None, repr=False)


DASHBOARD = web.AppKey("ven_dashboard", Dashboard)
CSRF_KEY = web.RequestKey("ven_dashboard_csrf", str)
