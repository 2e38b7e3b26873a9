"""Change notices: the table through which VTN processes on one SQLite file hear each other.

Rows are written with every change that may give VENs new work and read by each serving
process (``vtn.storage.changes``); PostgreSQL databases get the table too but use NOTIFY.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``change_notices``."""
    op.create_table(
        "change_notices",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("ven_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_notices")),
        sqlite_autoincrement=True,  # a purged table must not hand out old numbers again
    )
    op.create_index(op.f("ix_change_notices_created_at"), "change_notices", ["created_at"])


def downgrade() -> None:
    """Drop ``change_notices``."""
    op.drop_index(op.f("ix_change_notices_created_at"), table_name="change_notices")
    op.drop_table("change_notices")
