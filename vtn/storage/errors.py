"""Storage errors: what the repositories raise, translated from the database driver's errors.

    OadrError                 (common.errors)
    └── StorageError          the database failed or refused an operation
        ├── StorageUnavailable the database cannot be used now (connection lost or refused,
        │                     server restarting, disk full, locked too long): try again later
        ├── Conflict          a unique key is taken (ven_id, fingerprint, event_id, opt_id, ...),
        │                     or the write contradicts the stored state (modifying a cancelled
        │                     event, a stale expected modification number)
        └── NotFound          the row an operation needs does not exist (or a foreign key
                              names a missing VEN, event, ...)

Handlers map these to 2.0b responses (e.g. ``NotFound`` -> 452 invalid ID); the storage layer
never speaks the protocol itself.
"""

from __future__ import annotations

from asyncpg.exceptions import InterfaceError as PostgresInterfaceError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from common.errors import OadrError

__all__ = ["Conflict", "NotFound", "StorageError", "StorageUnavailable", "driver_failure",
           "translate_integrity_error"]

_UNIQUE_SQLSTATE = "23505"
_FOREIGN_KEY_SQLSTATE = "23503"


class StorageError(OadrError):
    """Raised when the database fails (unreachable, locked too long) or refuses an operation."""


class StorageUnavailable(StorageError):
    """Raised when the database cannot be used now but may be soon: the connection is lost or
    refused, the server is starting or shutting down, the disk is full, a lock was held too
    long. The 2.0b listener answers HTTP 503 with Retry-After."""


class Conflict(StorageError):
    """Raised when a write would duplicate a unique key or contradicts the stored state."""


class NotFound(StorageError):
    """Raised when a row an operation needs does not exist."""


_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57P", "58")
"""PostgreSQL error classes of a server that cannot serve now: connection exception,
insufficient resources (disk full, too many connections), operator intervention (shutdown,
starting up), system error (I/O)."""


def driver_failure(exc: BaseException, what: str) -> StorageError:
    """The storage error for a driver's (or the connection pool's, or the socket's) failure:
    ``StorageUnavailable`` when the database cannot be used now, else ``StorageError``. The
    message names the cause (e.g. SQLite's ``database or disk is full``)."""
    orig = getattr(exc, "orig", None)
    raw = orig if orig is not None else exc  # the driver's own error, wrapped or not
    cause = str(raw).strip().splitlines()[0:1]
    described = f"{what}: {cause[0]}" if cause else what
    sqlstate = str(getattr(raw, "sqlstate", None) or getattr(raw, "pgcode", None) or "")
    if (
        isinstance(exc, (OSError, PoolTimeout, OperationalError, InterfaceError,
                         PostgresInterfaceError))
        or (isinstance(exc, DBAPIError) and exc.connection_invalidated)
        or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)
    ):
        return StorageUnavailable(described)
    return StorageError(described)


def translate_integrity_error(exc: IntegrityError, what: str) -> StorageError:
    """The storage error for a driver's integrity error; `what` describes the write."""
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    text = str(exc.orig)
    if sqlstate == _UNIQUE_SQLSTATE or "UNIQUE constraint failed" in text:
        return Conflict(f"{what}: already exists")
    if sqlstate == _FOREIGN_KEY_SQLSTATE or "FOREIGN KEY constraint failed" in text:
        return NotFound(f"{what}: refers to a missing row")
    return StorageError(f"{what}: refused by the database")
