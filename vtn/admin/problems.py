"""Admin API errors: one exception type, turned into a JSON error body in one middleware.

    ApiError            an operator's request cannot be served; has .status and .field
    ├── BadRequest      400  the input is invalid (``field`` names the offending field)
    ├── Unauthorized    401  the bearer token is missing or wrong
    ├── NotFoundError   404  an id in the path is unknown
    └── ConflictError   409  the request contradicts the stored state

Storage errors (``vtn.storage.NotFound`` / ``Conflict``) become 404 / 409 here too, a database
that cannot be used now (``StorageUnavailable``) 503 with Retry-After; anything else is a 500
whose body carries only a reference id, which is logged with the traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from uuid import uuid4

from aiohttp import web

from vtn.storage import Conflict, NotFound, StorageUnavailable

__all__ = [
    "ApiError",
    "BadRequest",
    "ConflictError",
    "NotFoundError",
    "Unauthorized",
    "error_middleware",
    "error_response",
]

log = logging.getLogger("oadr.vtn.admin")

RETRY_AFTER_S = 5
"""Retry-After of the 503 answered while the database is unavailable [s]."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """An admin request that cannot be served; ``status`` is its HTTP status."""

    status = 500

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadRequest(ApiError):
    """Raised for invalid input; ``field`` names the offending field (dotted for nested ones)."""

    status = 400


class Unauthorized(ApiError):
    """Raised when the bearer token is missing or wrong."""

    status = 401


class NotFoundError(ApiError):
    """Raised when an id in the path (a VEN, an event) is unknown."""

    status = 404


class ConflictError(ApiError):
    """Raised when the request contradicts the stored state (e.g. modifying a cancelled event)."""

    status = 409


def error_response(status: int, message: str, *, field: str | None = None,
                   reference: str | None = None) -> web.Response:
    """The JSON error body every failing admin request gets."""
    body: dict[str, object] = {"status": status, "message": message}
    if field is not None:
        body["field"] = field
    if reference is not None:
        body["reference"] = reference
    headers = {"WWW-Authenticate": 'Bearer realm="oadr-vtn admin"'} if status == 401 else None
    return web.json_response({"error": body}, status=status, headers=headers,
                             dumps=lambda data: json.dumps(data, ensure_ascii=False))


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn ``ApiError``, storage errors and aiohttp's own 404/405 into JSON error bodies."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.message, field=exc.field)
    except NotFound as exc:
        return error_response(404, str(exc))
    except Conflict as exc:
        return error_response(409, str(exc))
    except StorageUnavailable as exc:
        log.error("admin API: %s %s: the database is unavailable: %s", request.method,
                  request.path, exc)
        response = error_response(503, "the database is unavailable; try again later")
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
    except web.HTTPException as exc:
        if exc.status >= 400:
            return error_response(exc.status, exc.reason)
        raise
    except Exception:
        reference = uuid4().hex[:12]
        log.exception("admin API: %s %s failed (reference %s)", request.method,
                      request.path, reference)
        return error_response(500, "internal error; see the VTN log", reference=reference)
