"""Expected delivery: what each VEN said, before the event, it expects to deliver.

``event_performance`` gains ``expected_kw``, ``expected_requested_kw`` and ``expected_pct``
(the event's means [kW] and share [%]) and ``expected_intervals`` (per projected interval, a
JSON list), all empty for the rows computed before (``vtn.expected``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the expected-delivery columns to ``event_performance``."""
    with op.batch_alter_table("event_performance") as batch:
        batch.add_column(sa.Column("expected_kw", sa.Double(), nullable=True))
        batch.add_column(sa.Column("expected_requested_kw", sa.Double(), nullable=True))
        batch.add_column(sa.Column("expected_pct", sa.Double(), nullable=True))
        batch.add_column(sa.Column("expected_intervals", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop the expected-delivery columns."""
    with op.batch_alter_table("event_performance") as batch:
        batch.drop_column("expected_intervals")
        batch.drop_column("expected_pct")
        batch.drop_column("expected_requested_kw")
        batch.drop_column("expected_kw")
