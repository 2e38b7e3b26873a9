"""The admin API's bearer-token check: a middleware comparing tokens in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from vtn.admin.problems import error_response

__all__ = ["auth_middleware"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def auth_middleware(
    token: str, *, public_paths: frozenset[str] = frozenset()
) -> Middleware:
    """A middleware that answers 401 unless ``Authorization: Bearer <token>`` is present.

    GET requests to `public_paths` (full paths, e.g. the OpenAPI document) need no token.
    The comparison is constant-time; neither the expected nor the presented token is logged.
    """
    expected = token.encode("ascii")

    @web.middleware
    async def check_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in ("GET", "HEAD") and request.path in public_paths:
            return await handler(request)
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        given = presented.strip().encode("utf-8", "replace")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, expected):
            return error_response(401, "a valid admin bearer token is required "
                                       "(Authorization: Bearer <token from admin.token_file>)")
        return await handler(request)

    return check_token
