"""The VTN's persistence: SQLAlchemy 2 async on SQLite (embedded) or PostgreSQL, with Alembic."""

from vtn.storage.changes import ALL_VENS, EVENTS
from vtn.storage.errors import Conflict, NotFound, StorageError, StorageUnavailable
from vtn.storage.events import CANCELLED_VISIBLE_FOR
from vtn.storage.outbox import DEFAULT_LEASE
from vtn.storage.polls import PollState
from vtn.storage.reports import ReadingQuery
from vtn.storage.store import Store, open_store

__all__ = [
    "ALL_VENS",
    "CANCELLED_VISIBLE_FOR",
    "DEFAULT_LEASE",
    "EVENTS",
    "Conflict",
    "NotFound",
    "PollState",
    "ReadingQuery",
    "StorageError",
    "StorageUnavailable",
    "Store",
    "open_store",
]
