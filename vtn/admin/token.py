"""The admin bearer token file: made with mode 0600, refused unless private to its owner."""

from __future__ import annotations

import os
import secrets
import shlex
import stat
from pathlib import Path

from common.errors import ConfigError

__all__ = ["check_token_file_mode", "ensure_admin_token", "read_admin_token"]

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
        # Written whole under a private name, then linked into place: whoever reads `path` (a
        # second worker, an operator's script) never sees it half written, and of two workers
        # starting together the second one's link fails and it uses the first one's token.
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as file:
                file.write(token + "\n")
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(draft, path)
            except FileExistsError:  # another worker made it first: use theirs
                return read_admin_token(path)
        finally:
            draft.unlink(missing_ok=True)
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
            f"admin.token_file: {path} may be read or written by group or others (mode "
            f"{bits:04o}); the admin token must be private to the VTN's user. Run "
            f"`chmod 600 {shlex.quote(str(path))}`, or delete the file to have a new token "
            "made at the next start (do that if someone else may have read it)"
        )
