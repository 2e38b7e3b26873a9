"""The building API's bearer token (a 0600 file) and the one place errors become responses.

Errors::

    ApiError            raised by a handler; answered with its status and ``{"error": ...}``
    (anything else)     answered 500 with a reference ID that is also logged; no internals
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import stat
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Middleware

from common.errors import ConfigError, InvalidId, NotAllowed

__all__ = ["ApiError", "auth_middleware", "ensure_token", "error_middleware", "error_response"]

log = logging.getLogger("ven.api")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_TOKEN_BYTES = 32


class ApiError(Exception):
    """A request the API refuses: `status` (400, 404, 409...) and what to tell the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> web.Response:
    """``{"error": message}`` with `status`."""
    return web.json_response({"error": message}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turns ``ApiError`` (and the domain's ``InvalidId`` 404 / ``NotAllowed`` 409) into JSON
    errors; anything unexpected into a 500 with a logged reference ID."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except ApiError as exc:
        return error_response(exc.status, exc.message)
    except InvalidId as exc:
        return error_response(404, str(exc))
    except NotAllowed as exc:
        return error_response(409, str(exc))
    except Exception:
        reference = uuid.uuid4().hex[:12]
        log.exception("Building API %s %s failed (reference %s)", request.method, request.path,
                      reference)
        return error_response(500, f"internal error (reference {reference})")


def auth_middleware(token: str, *, public_paths: frozenset[str] = frozenset()) -> Middleware:
    """401 unless ``Authorization: Bearer <token>`` (constant-time); GET of `public_paths`
    needs no token. Tokens are never logged."""
    expected = token.encode("ascii")

    @web.middleware
    async def check_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in ("GET", "HEAD") and request.path in public_paths:
            return await handler(request)
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        given = presented.strip().encode("utf-8", "replace")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, expected):
            return error_response(401, "a valid bearer token is required (Authorization: "
                                       "Bearer <token from api.token_file>)")
        return await handler(request)

    return check_token


def ensure_token(path: Path) -> str:
    """The token in `path`; a new random one written with mode 0600 when it is missing.

    An existing file readable or writable by group or others is refused (``ConfigError``,
    with the fix), an empty one too.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return ensure_token(path)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(token + "\n")
        return token
    with open(path, "rb") as file:
        mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
        if os.name == "posix" and mode & 0o077:
            raise ConfigError(f"api.token_file: {path} may be read or written by group or "
                              f"others (mode {mode:04o}); run `chmod 600 {path}`, or delete it "
                              "to have a new token made at the next start")
        text = file.read().decode("ascii", "replace").strip()
    if not text:
        raise ConfigError(f"api.token_file: {path} is empty; delete it or write a token in it")
    return text
