"""The dashboard's session: the admin token in a cookie, and CSRF protection of every form.

- Login: the operator types the admin token; the dashboard checks it against the admin API
  (``GET /vens``) and keeps it in the ``oadr_admin`` cookie: HttpOnly (no script reads it),
  SameSite=Strict (no other site's page sends it), Path ``/admin/ui``, Secure when the page was
  served over TLS. Every page hands it to the admin API as its bearer token, so a wrong or
  rotated token is refused by the API itself (the page then asks to log in again).
- CSRF: each browser gets a random ``oadr_csrf`` value (HttpOnly, SameSite=Strict), renewed at
  login and logout; every form carries it in a hidden ``csrf`` field. A POST is refused (403)
  unless the field equals the cookie (constant-time) AND its ``Origin`` (or, lacking one, its
  ``Referer``) is this dashboard's own origin.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from common.dashboard.forgery import forgery_problem

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "TOKEN_COOKIE", "csrf_problem", "csrf_value",
           "forget", "remember", "session_token", "set_csrf"]

TOKEN_COOKIE = "oadr_admin"
CSRF_COOKIE = "oadr_csrf"
CSRF_FIELD = "csrf"
COOKIE_PATH = "/admin/ui"


def session_token(request: web.Request) -> str | None:
    """The admin token the browser holds, or ``None`` before login."""
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
