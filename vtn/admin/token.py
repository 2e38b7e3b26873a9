"""The admin bearer token: made with mode 0600, refused unless private, checked in constant time."""

from __future__ import annotations

import hmac
import os
import secrets
import shlex
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from common.errors import ConfigError
from vtn.admin.problems import error_response

__all__ = ["auth_middleware", "check_token_file_mode", "ensure_admin_token", "read_admin_token"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_TOKEN_BYTES = 32


def ensure_admin_token(path: Path) -> str:
    """The token in `path`; when the file is missing, a new random one written with mode 0600.

    The parent directory is created if needed. An existing file is read with
    ``read_admin_token``: refused (``ConfigError``) when group or others may read or write
    it, and (``ValueError``) when empty: the operator should delete it or write a token into it.
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
    """The token stored in `path` (surrounding whitespace removed).

    Raises ``ConfigError`` when the file's mode lets group or others read or write it (see
    ``check_token_file_mode``; checked on the open file, before its content is read, and
    never changed here), ``ValueError`` if it is empty (or not ASCII). ``OSError`` (e.g.
    ``FileNotFoundError``, ``PermissionError``) passes through.
    """
    with open(path, "rb") as file:
        check_token_file_mode(path, os.fstat(file.fileno()).st_mode)
        raw = file.read()
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ValueError(f"the admin token file {path} is not ASCII text") from None
    if not token:
        raise ValueError(f"the admin token file {path} is empty")
    return token


def check_token_file_mode(path: Path, mode: int | None = None) -> None:
    """``ConfigError`` unless the token file at `path` is private to its owner (no permission
    bit for group or others); `mode` is its ``st_mode`` when already known (else stat-ed).

    The file is neither used nor chmod-ed silently: the operator is told the fix. Skipped
    where POSIX modes do not exist (Windows).
    """
    if os.name != "posix":
        return
    if mode is None:
        mode = os.stat(path).st_mode
    bits = stat.S_IMODE(mode)
    if bits & 0o077:
        raise ConfigError(
            f"admin_token_file: {path} may be read or written by group or others (mode "
            f"{bits:04o}); the admin token must be private to the VTN's user. Run "
            f"`chmod 600 {shlex.quote(str(path))}`, or delete the file to have a new token "
            "made at the next start (do that if someone else may have read it)"
        )


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

