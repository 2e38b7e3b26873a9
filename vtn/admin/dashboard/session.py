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

The scheme itself (cookie attributes, login, the CSRF rule) is ``common.dashboard.session``,
shared with the building dashboard; this is its aiohttp glue, on this dashboard's cookies.
"""

from __future__ import annotations

from aiohttp import web

from common.dashboard.session import CSRF_FIELD, SessionCookies, new_csrf, post_problem

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "TOKEN_COOKIE", "csrf_problem", "csrf_value",
           "forget", "new_csrf", "remember", "session_token", "set_csrf"]

TOKEN_COOKIE = "oadr_admin"
CSRF_COOKIE = "oadr_csrf"
COOKIE_PATH = "/admin/ui"
COOKIES = SessionCookies(token=TOKEN_COOKIE, csrf=CSRF_COOKIE, path=COOKIE_PATH)


def session_token(request: web.Request) -> str | None:
    """The admin token the browser holds, or ``None`` before login."""
    return COOKIES.token_of(request.cookies)


def csrf_value(request: web.Request) -> str | None:
    """The browser's CSRF value (``None`` if it has none yet)."""
    return COOKIES.csrf_of(request.cookies)


def set_csrf(response: web.StreamResponse, request: web.Request, value: str) -> None:
    """Give the browser CSRF value `value`."""
    response.set_cookie(CSRF_COOKIE, value, **COOKIES.attributes(secure=request.secure))


def remember(response: web.StreamResponse, request: web.Request, token: str) -> None:
    """Log the browser in: keep `token`, and renew its CSRF value."""
    for name, value, attributes in COOKIES.login(token, secure=request.secure):
        response.set_cookie(name, value, **attributes)


def forget(response: web.StreamResponse, request: web.Request) -> None:
    """Log the browser out: drop the token, renew the CSRF value."""
    response.del_cookie(TOKEN_COOKIE, path=COOKIE_PATH)
    set_csrf(response, request, new_csrf())


def csrf_problem(request: web.Request, submitted: object) -> str | None:
    """Why a request must be refused as a possible forgery, or ``None`` if it may proceed."""
    return post_problem(method=request.method, own_origin=f"{request.scheme}://{request.host}",
                        headers=request.headers, expected=csrf_value(request),
                        submitted=submitted)
