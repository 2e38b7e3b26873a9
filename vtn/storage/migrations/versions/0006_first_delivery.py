"""First delivery: when a VEN first received the modification of an event it holds.

``invitations.delivered_at`` is the latest delivery (a re-delivery moves it); the new
``invitations.first_delivered_at`` keeps the first delivery of ``delivered_modification_number``,
so an answer is never shown before its delivery. Existing rows take ``delivered_at``, the only
delivery time they kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``invitations.first_delivered_at``, filled from ``delivered_at``."""
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("first_delivered_at", sa.DateTime(timezone=True),
                                   nullable=True))
    op.execute("UPDATE invitations SET first_delivered_at = delivered_at")


def downgrade() -> None:
    """Drop ``invitations.first_delivered_at``."""
    with op.batch_alter_table("invitations") as batch:
        batch.drop_column("first_delivered_at")
