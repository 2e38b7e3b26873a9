"""Schema migrations with Alembic, run from code: no alembic.ini, scripts inside this package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from vtn.storage.database import WRITE_OPTIONS

__all__ = ["MIGRATIONS", "alembic_config", "current_revision", "head_revision", "upgrade"]

MIGRATIONS = Path(__file__).with_name("migrations")
"""The Alembic script directory (env.py and versions/)."""

_LOCK_KEY = 0x0ADB_2B0B
"""PostgreSQL advisory lock held while migrating: workers starting together migrate in turn."""


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for this package's scripts, bound to `connection` if given.

    For developers: ``alembic_config()`` works with ``alembic.command.revision`` to write
    the next migration (with ``sqlalchemy.url`` set via ``set_main_option``).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the scripts know."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (``None`` before the first migration)."""
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database of `engine` to `revision` (the newest by default); idempotent.

    One transaction: on PostgreSQL the DDL is transactional and an advisory lock makes
    workers that start together migrate one after the other; on SQLite ``BEGIN IMMEDIATE``
    does the same.
    """
    async with engine.connect() as connection:
        await connection.execution_options(**WRITE_OPTIONS)
        async with connection.begin():
            if connection.dialect.name == "postgresql":
                lock = text("SELECT pg_advisory_xact_lock(:key)")
                await connection.execute(lock, {"key": _LOCK_KEY})
            await connection.run_sync(_upgrade, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)
