"""What the dashboards' pages share, as pure helpers (no web framework).

A page asked with ``?live=1`` answers JSON instead of HTML: its ``live_*`` template blocks
rendered alone, keyed by block name (the id of the element they fill); the shared polling
script (``static/dashboard.js``) swaps them in every few seconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from common.dashboard.session import CSRF_FIELD

__all__ = ["fingerprint", "live_blocks", "login_token", "optional", "page_context"]


def page_context(values: Mapping[str, Any], *, root: str, csrf: str, path: str
                 ) -> dict[str, Any]:
    """A template's values: the page's own, plus what every page's layout uses."""
    return {**values, "root": root, "csrf": csrf, "csrf_field": CSRF_FIELD, "path": path}


def live_blocks(page: Any, values: Mapping[str, Any]) -> dict[str, str]:
    """The ``live_*`` blocks of the Jinja template `page`, rendered alone with `values`."""
    context = page.new_context(dict(values))
    return {name: "".join(block(context)) for name, block in page.blocks.items()
            if name.startswith("live_")}


def fingerprint(data: object) -> str:
    """A short digest of `data` (JSON), that changes when the data does."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def login_token(field: object) -> str:
    """The token typed in the login form's field (``""`` when there is none)."""
    return str(field).strip()


def optional(value: object) -> object:
    """A value for a table cell, a dash when there is none (templates: ``opt``)."""
    return "—" if value is None else value
