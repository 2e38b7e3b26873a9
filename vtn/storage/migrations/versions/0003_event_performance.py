"""Event performance: the per event and VEN results table, and the confidence of readings.

``readings.confidence`` keeps a data point's oadrReportPayload/confidence [%] (the VEN's
baseline confidence); existing readings have none. ``event_performance`` holds one row per
(event, VEN), recomputed from the stored readings whenever a report touches the event window.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``readings.confidence``; create ``event_performance``."""
    with op.batch_alter_table("readings") as batch:
        batch.add_column(sa.Column("confidence", sa.Integer(), nullable=True))
    op.create_table(
        "event_performance",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("ven_id", sa.String(length=128), nullable=False),
        sa.Column("modification_number", sa.Integer(), nullable=False),
        sa.Column("participation", sa.String(length=16), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_kw", sa.Double(), nullable=True),
        sa.Column("baseline_kw", sa.Double(), nullable=True),
        sa.Column("target_kw", sa.Double(), nullable=True),
        sa.Column("actual_kw", sa.Double(), nullable=True),
        sa.Column("reduction_kw", sa.Double(), nullable=True),
        sa.Column("delivered_kwh", sa.Double(), nullable=False),
        sa.Column("requested_kwh", sa.Double(), nullable=False),
        sa.Column("delivered_pct", sa.Double(), nullable=True),
        sa.Column("data_points", sa.Integer(), nullable=False),
        sa.Column("baseline_method", sa.Text(), nullable=True),
        sa.Column("baseline_confidence", sa.Integer(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("intervals", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.event_id"],
                                name=op.f("fk_event_performance_event_id_events")),
        sa.ForeignKeyConstraint(["ven_id"], ["vens.ven_id"],
                                name=op.f("fk_event_performance_ven_id_vens")),
        sa.PrimaryKeyConstraint("event_id", "ven_id", name=op.f("pk_event_performance")),
    )
    op.create_index(op.f("ix_event_performance_ven_id"), "event_performance", ["ven_id"],
                    unique=False)


def downgrade() -> None:
    """Drop ``event_performance`` and ``readings.confidence``."""
    op.drop_index(op.f("ix_event_performance_ven_id"), table_name="event_performance")
    op.drop_table("event_performance")
    with op.batch_alter_table("readings") as batch:
        batch.drop_column("confidence")
