"""VEN identity conflicts: when another VEN presented a registered VEN's certificate.

``vens.conflict_at`` and ``vens.conflict_ven_name`` record the last refused registration of a
second VEN (another venName) with the certificate of a VEN still polling
(``vtn.services.registration``); the operator sees them in ``oadr-vtn ven list``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``vens.conflict_at`` and ``vens.conflict_ven_name``."""
    with op.batch_alter_table("vens") as batch:
        batch.add_column(sa.Column("conflict_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("conflict_ven_name", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop ``vens.conflict_at`` and ``vens.conflict_ven_name``."""
    with op.batch_alter_table("vens") as batch:
        batch.drop_column("conflict_ven_name")
        batch.drop_column("conflict_at")
