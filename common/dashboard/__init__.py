"""What the two dashboards (the VTN's at ``/admin/ui``, the building's at ``/ui``) share, all of
it free of any web framework: the polling script and style sheet (``static/``), the CSRF rule
(``forgery``), the session scheme (``session``: cookie attributes, login, the security headers),
the page helpers (``pages``: template context, live blocks) and the SVG chart plumbing
(``charts``). Each dashboard keeps its own aiohttp glue, routes, cookie names and templates.
"""

from __future__ import annotations

from importlib.resources import files

__all__ = ["STATIC_TYPES", "static_text"]

STATIC_TYPES = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
"""The shared static files and their content types."""


def static_text(name: str) -> str | None:
    """The text of the shared static file `name`, or ``None`` if there is no such file."""
    if name not in STATIC_TYPES:
        return None
    return files("common.dashboard").joinpath("static", name).read_text("utf-8")
