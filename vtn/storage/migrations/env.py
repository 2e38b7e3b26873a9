"""Alembic environment: runs on the connection ``vtn.storage.migrate`` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from vtn.storage.tables import Base

config = context.config


def run(connection: Connection) -> None:
    """Run the pending migrations on `connection` (in its transaction)."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run upgrade()")
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through vtn.storage.migrate.upgrade()")
run(connection)
