"""The dashboards' session scheme, as pure functions of plain values (no web framework).

Each dashboard keeps its API token in one cookie and a random CSRF value in another, both
HttpOnly, SameSite=Strict, on the dashboard's own path, Secure when served over TLS. Every form
carries the CSRF value in a hidden ``csrf`` field; a POST is refused by the rule of
``forgery``. The dashboards differ only in the cookie names and path (``SessionCookies``);
their aiohttp glue reads the request and writes the response.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from common.dashboard.forgery import forgery_problem

__all__ = ["CSRF_FIELD", "SECURITY_HEADERS", "SessionCookies", "new_csrf", "post_problem",
           "refusal_text", "wants_csrf_cookie"]

CSRF_FIELD = "csrf"
"""The hidden form field that carries the CSRF value."""

SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; connect-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""The headers every dashboard answer carries (unless the page set its own)."""


def new_csrf() -> str:
    """A fresh CSRF value (256 random bits)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class SessionCookies:
    """One dashboard's cookie names and path."""

    token: str
    """The cookie holding the API token."""
    csrf: str
    """The cookie holding the CSRF value."""
    path: str
    """The path both cookies are set on (the dashboard's root)."""

    def token_of(self, cookies: Mapping[str, str]) -> str | None:
        """The API token the browser holds, or ``None`` before login."""
        return cookies.get(self.token) or None

    def csrf_of(self, cookies: Mapping[str, str]) -> str | None:
        """The browser's CSRF value (``None`` if it has none yet)."""
        return cookies.get(self.csrf) or None

    def attributes(self, *, secure: bool) -> dict[str, Any]:
        """The attributes both cookies are set with."""
        return {"path": self.path, "httponly": True, "samesite": "Strict", "secure": secure}

    def login(self, token: str, *, secure: bool) -> list[tuple[str, str, dict[str, Any]]]:
        """The cookies to set at login: keep `token`, renew the CSRF value."""
        attributes = self.attributes(secure=secure)
        return [(self.token, token, attributes), (self.csrf, new_csrf(), attributes)]


def post_problem(*, method: str, own_origin: str, headers: Mapping[str, str],
                 expected: str | None, submitted: object) -> str | None:
    """Why a request must be refused as a possible forgery, or ``None`` if it may proceed
    (every request but a POST may; `submitted` is the form's CSRF field, if any)."""
    if method != "POST":
        return None
    return forgery_problem(own_origin=own_origin, origin=headers.get("Origin"),
                           referer=headers.get("Referer"), expected=expected,
                           submitted=submitted if isinstance(submitted, str) else None)


def refusal_text(problem: str) -> str:
    """The body of the 403 that refuses a possible forgery."""
    return f"Refused: {problem}.\n"


def wants_csrf_cookie(known: str | None, set_cookies: Collection[str], csrf_cookie: str) -> bool:
    """Whether the answer must give the browser its CSRF value: it had none, and the page did
    not set one itself."""
    return known is None and csrf_cookie not in set_cookies
