"""The VTN dashboard: HTML pages for the operator at ``/admin/ui`` on the admin listener.

Server-rendered from jinja2 templates (``templates/``), one small script shared with the
building's dashboard (``common/dashboard/static/``) that refreshes the tables every few
seconds, charts drawn as SVG by matplotlib. Every page reads, and every form writes, through
the admin API (``api.py``); the login and CSRF scheme is in ``session.py``.
``vtn.admin.routes`` mounts it beside the API.
"""

from vtn.admin.dashboard.app import DASHBOARD_ROOT, dashboard_app

__all__ = ["DASHBOARD_ROOT", "dashboard_app"]
