"""The building dashboard's session: the API token in a cookie, CSRF protection of every form.

- Login: the manager types the building API's token; the dashboard checks it against the API
  (``GET /invitations``) and keeps it in the ``oadr_building`` cookie: HttpOnly, SameSite=Strict,
  Path ``/ui``, Secure when served over TLS. Every page hands it to the API as its bearer token,
  so a wrong or rotated token is refused by the API itself (the page asks to log in again).
- CSRF: each browser gets a random ``oadr_building_csrf`` value (HttpOnly, SameSite=Strict),
  renewed at login and logout; every form carries it in a hidden ``csrf`` field, and a POST is
  refused (403) by the rule of ``common.dashboard.forgery`` (same origin AND matching value).

The VTN's dashboard has the same scheme on other cookie names and path (``vtn.admin.dashboard
.session``); the cookie handling is aiohttp's, so only the rule itself is shared.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from common.dashboard.forgery import forgery_problem

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "TOKEN_COOKIE", "csrf_problem", "csrf_value",
           "forget", "new_csrf", "remember", "session_token", "set_csrf"]

TOKEN_COOKIE = "oadr_building"
CSRF_COOKIE = "oadr_building_csrf"
CSRF_FIELD = "csrf"
COOKIE_PATH = "/ui"


def session_token(request: web.Request) -> str | None:
    """The API token the browser holds, or ``None`` before login."""
    return request.cookies.get(TOKEN_COOKIE) or None


def csrf_value(request: web.Request) -> str | None:
    """The browser's CSRF value (``None`` if it has none yet)."""
    return request.cookies.get(CSRF_COOKIE) or None


def new_csrf() -> str:
    """A fresh CSRF value (256 random bits)."""
    return secrets.token_urlsafe(32)


def _cookie(response: web.StreamResponse, request: web.Request, name: str, value: str) -> None:
    response.set_cookie(name, value, path=COOKIE_PATH, httponly=True, samesite="Strict",
                        secure=request.secure)


def set_csrf(response: web.StreamResponse, request: web.Request, value: str) -> None:
    """Give the browser CSRF value `value`."""
    _cookie(response, request, CSRF_COOKIE, value)


def remember(response: web.StreamResponse, request: web.Request, token: str) -> None:
    """Log the browser in: keep `token`, and renew its CSRF value."""
    _cookie(response, request, TOKEN_COOKIE, token)
    set_csrf(response, request, new_csrf())


def forget(response: web.StreamResponse, request: web.Request) -> None:
    """Log the browser out: drop the token, renew the CSRF value."""
    response.del_cookie(TOKEN_COOKIE, path=COOKIE_PATH)
    set_csrf(response, request, new_csrf())


def csrf_problem(request: web.Request, submitted: str | None) -> str | None:
    """Why a POST must be refused as a possible forgery, or ``None`` if it may proceed."""
    return forgery_problem(own_origin=f"{request.scheme}://{request.host}",
                           origin=request.headers.get("Origin"),
                           referer=request.headers.get("Referer"),
                           expected=csrf_value(request), submitted=submitted)
