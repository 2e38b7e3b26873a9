"""The admin bearer token: made at first start (mode 0600), checked in constant time."""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from vtn.admin.problems import error_response

__all__ = ["auth_middleware", "ensure_admin_token", "read_admin_token"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_TOKEN_BYTES = 32


def ensure_admin_token(path: Path) -> str:
    """The token in `path`; when the file is missing, a new random one written with mode 0600.

    The parent directory is created if needed. An existing but empty file is refused
    (``ValueError``): the operator should delete it or write a token into it.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:  # another worker made it first: use theirs
            return read_admin_token(path)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(token + "\n")
        return token
    return read_admin_token(path)


def read_admin_token(path: Path) -> str:
    """The token stored in `path` (surrounding whitespace removed); ``ValueError`` if empty.

    ``OSError`` (e.g. ``FileNotFoundError``, ``PermissionError``) passes through.
    """
    token = Path(path).read_text(encoding="ascii").strip()
    if not token:
        raise ValueError(f"the admin token file {path} is empty")
    return token


def auth_middleware(
    token: str, *, public_paths: frozenset[str] = frozenset()
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
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
                                       "(Authorization: Bearer <token from admin_token_file>)")
        return await handler(request)

    return check_token

