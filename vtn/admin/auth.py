"""The admin API's bearer-token check: a middleware comparing tokens in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from vtn.admin.problems import error_response

__all__ = ["auth_middleware", "bearer_matches"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def bearer_matches(request: web.Request, expected: bytes) -> bool:
    """True if `request` carries ``Authorization: Bearer <expected>`` (constant-time)."""
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    given = presented.strip().encode("utf-8", "replace")
    return scheme.lower() == "bearer" and hmac.compare_digest(given, expected)


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
        if not bearer_matches(request, expected):
            return error_response(401, "a valid admin bearer token is required "
                                       "(Authorization: Bearer <token from admin.token_file>)")
        return await handler(request)

    return check_token
