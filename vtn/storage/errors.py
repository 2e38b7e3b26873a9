"""Storage errors: what the repositories raise, translated from the database driver's errors.

    OadrError                 (common.errors)
    └── StorageError          the database failed or refused an operation
        ├── Conflict          a unique key is taken (ven_id, fingerprint, event_id, opt_id, ...),
        │                     or the write contradicts the stored state (modifying a cancelled
        │                     event, a stale expected modification number)
        └── NotFound          the row an operation needs does not exist (or a foreign key
                              names a missing VEN, event, ...)

Handlers map these to 2.0b responses (e.g. ``NotFound`` -> 452 invalid ID); the storage layer
never speaks the protocol itself.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from common.errors import OadrError

__all__ = ["Conflict", "NotFound", "StorageError", "translate_integrity_error"]

_UNIQUE_SQLSTATE = "23505"
_FOREIGN_KEY_SQLSTATE = "23503"


class StorageError(OadrError):
    """Raised when the database fails (unreachable, locked too long) or refuses an operation."""


class Conflict(StorageError):
    """Raised when a write would duplicate a unique key or contradicts the stored state."""


class NotFound(StorageError):
    """Raised when a row an operation needs does not exist."""


def translate_integrity_error(exc: IntegrityError, what: str) -> StorageError:
    """The storage error for a driver's integrity error; `what` describes the write."""
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    text = str(exc.orig)
    if sqlstate == _UNIQUE_SQLSTATE or "UNIQUE constraint failed" in text:
        return Conflict(f"{what}: already exists")
    if sqlstate == _FOREIGN_KEY_SQLSTATE or "FOREIGN KEY constraint failed" in text:
        return NotFound(f"{what}: refers to a missing row")
    return StorageError(f"{what}: refused by the database")
