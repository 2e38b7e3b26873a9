"""The building dashboard: HTML pages for the building manager at ``/ui`` on the building API's
listener.

Built like the VTN's dashboard: server-rendered jinja2 templates (``templates/``), the shared
polling script and style sheet (``common.dashboard``), charts drawn as SVG by matplotlib
(``charts.py``). Every page reads, and every form writes, through the building API's own
endpoints (``client.py``), never the state file; the login and CSRF scheme is ``session.py``.
``ven.api.server`` mounts it beside the API.
"""

from ven.api.dashboard.app import DASHBOARD_ROOT, dashboard_app

__all__ = ["DASHBOARD_ROOT", "dashboard_app"]
