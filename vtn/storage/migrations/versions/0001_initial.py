"""The initial VTN schema: VENs, events, invitations, opts, reports, nonces, push outbox.

Instants are ``timestamptz`` on PostgreSQL (naive UTC text on SQLite); durations are whole
microseconds (BIGINT); signals, baselines, schedules and rIDs are JSON documents.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table of the first schema."""
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("modification_number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modification_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("market_context", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("test_event", sa.Boolean(), nullable=False),
        sa.Column("response_required", sa.String(length=16), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration", sa.BigInteger(), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tolerance_startafter", sa.BigInteger(), nullable=True),
        sa.Column("notification", sa.BigInteger(), nullable=True),
        sa.Column("ramp_up", sa.BigInteger(), nullable=True),
        sa.Column("recovery", sa.BigInteger(), nullable=True),
        sa.Column("all_vens", sa.Boolean(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("baseline", sa.JSON(), nullable=True),
        sa.Column("vtn_comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_end_at"), "events", ["end_at"], unique=False)
    op.create_index(op.f("ix_events_start_at"), "events", ["start_at"], unique=False)
    op.create_table(
        "nonces",
        sa.Column("nonce", sa.String(length=256), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_nonces")),
    )
    op.create_index(op.f("ix_nonces_expires_at"), "nonces", ["expires_at"], unique=False)
    op.create_table(
        "vens",
        sa.Column("ven_id", sa.String(length=128), nullable=False),
        sa.Column("registration_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=95), nullable=False),
        sa.Column("ven_name", sa.Text(), nullable=True),
        sa.Column("profile", sa.String(length=8), nullable=False),
        sa.Column("transport", sa.String(length=16), nullable=False),
        sa.Column("http_pull_model", sa.Boolean(), nullable=False),
        sa.Column("transport_address", sa.Text(), nullable=True),
        sa.Column("report_only", sa.Boolean(), nullable=False),
        sa.Column("xml_signature", sa.Boolean(), nullable=False),
        sa.Column("poll_frequency", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("ven_id", name=op.f("pk_vens")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_vens_fingerprint")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_vens_registration_id")),
    )
    op.create_table(
        "event_targets",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.event_id"], name=op.f("fk_event_targets_event_id_events")
        ),
        sa.PrimaryKeyConstraint("event_id", "kind", "value", name=op.f("pk_event_targets")),
    )
    op.create_index(
        op.f("ix_event_targets_kind_value"), "event_targets", ["kind", "value"], unique=False
    )
    op.create_table(
        "invitations",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("ven_id", sa.String(length=128), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_modification_number", sa.Integer(), nullable=True),
        sa.Column("opt_type", sa.String(length=64), nullable=True),
        sa.Column("opted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opt_modification_number", sa.Integer(), nullable=True),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.event_id"], name=op.f("fk_invitations_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["ven_id"], ["vens.ven_id"], name=op.f("fk_invitations_ven_id_vens")
        ),
        sa.PrimaryKeyConstraint("event_id", "ven_id", name=op.f("pk_invitations")),
    )
    op.create_index(op.f("ix_invitations_ven_id"), "invitations", ["ven_id"], unique=False)
    op.create_table(
        "opts",
        sa.Column("ven_id", sa.String(length=128), nullable=False),
        sa.Column("opt_id", sa.String(length=128), nullable=False),
        sa.Column("opt_type", sa.String(length=64), nullable=False),
        sa.Column("opt_reason", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("market_context", sa.Text(), nullable=True),
        sa.Column("event_id", sa.String(length=128), nullable=True),
        sa.Column("modification_number", sa.Integer(), nullable=True),
        sa.Column("availability", sa.JSON(), nullable=False),
        sa.Column("resource_ids", sa.JSON(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.event_id"], name=op.f("fk_opts_event_id_events")
        ),
        sa.ForeignKeyConstraint(["ven_id"], ["vens.ven_id"], name=op.f("fk_opts_ven_id_vens")),
        sa.PrimaryKeyConstraint("ven_id", "opt_id", name=op.f("pk_opts")),
    )
    op.create_index(op.f("ix_opts_event_id"), "opts", ["event_id"], unique=False)
    op.create_table(
        "push_outbox",
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("ven_id", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("given_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ven_id"], ["vens.ven_id"], name=op.f("fk_push_outbox_ven_id_vens")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_push_outbox")),
    )
    op.create_index(
        op.f("ix_push_outbox_next_attempt_at"), "push_outbox", ["next_attempt_at"], unique=False
    )
    op.create_index(op.f("ix_push_outbox_ven_id"), "push_outbox", ["ven_id"], unique=False)
    op.create_table(
        "readings",
        sa.Column("ven_id", sa.String(length=128), nullable=False),
        sa.Column("report_request_id", sa.String(length=128), nullable=False),
        sa.Column("r_id", sa.String(length=128), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("report_type", sa.String(length=64), nullable=False),
        sa.Column("reading_type", sa.String(length=64), nullable=False),
        sa.Column("item_units", sa.String(length=32), nullable=True),
        sa.Column("scale", sa.String(length=8), nullable=True),
        sa.Column("data_quality", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ven_id"], ["vens.ven_id"], name=op.f("fk_readings_ven_id_vens")),
        sa.PrimaryKeyConstraint(
            "ven_id", "report_request_id", "r_id", "start_at", name=op.f("pk_readings")
        ),
    )
    op.create_index(
        op.f("ix_readings_report_request_id_r_id_start_at"),
        "readings",
        ["report_request_id", "r_id", "start_at"],
        unique=False,
    )
    op.create_table(
        "report_capabilities",
        sa.Column("ven_id", sa.String(length=128), nullable=False),
        sa.Column("report_specifier_id", sa.String(length=128), nullable=False),
        sa.Column("report_name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration", sa.BigInteger(), nullable=True),
        sa.Column("descriptions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ven_id"], ["vens.ven_id"], name=op.f("fk_report_capabilities_ven_id_vens")
        ),
        sa.PrimaryKeyConstraint(
            "ven_id", "report_specifier_id", name=op.f("pk_report_capabilities")
        ),
    )
    op.create_table(
        "report_subscriptions",
        sa.Column("report_request_id", sa.String(length=128), nullable=False),
        sa.Column("ven_id", sa.String(length=128), nullable=False),
        sa.Column("report_specifier_id", sa.String(length=128), nullable=False),
        sa.Column("r_ids", sa.JSON(), nullable=False),
        sa.Column("granularity", sa.BigInteger(), nullable=False),
        sa.Column("report_back_duration", sa.BigInteger(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("one_shot", sa.Boolean(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ven_id"], ["vens.ven_id"], name=op.f("fk_report_subscriptions_ven_id_vens")
        ),
        sa.PrimaryKeyConstraint("report_request_id", name=op.f("pk_report_subscriptions")),
    )
    op.create_index(
        op.f("ix_report_subscriptions_ven_id"), "report_subscriptions", ["ven_id"], unique=False
    )
    op.create_table(
        "ven_memberships",
        sa.Column("ven_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["ven_id"], ["vens.ven_id"], name=op.f("fk_ven_memberships_ven_id_vens")
        ),
        sa.PrimaryKeyConstraint("ven_id", "kind", "value", name=op.f("pk_ven_memberships")),
    )
    op.create_index(
        op.f("ix_ven_memberships_kind_value"), "ven_memberships", ["kind", "value"], unique=False
    )


def downgrade() -> None:
    """Drop every table (and its indexes)."""
    op.drop_table("ven_memberships")
    op.drop_table("report_subscriptions")
    op.drop_table("report_capabilities")
    op.drop_table("readings")
    op.drop_table("push_outbox")
    op.drop_table("opts")
    op.drop_table("invitations")
    op.drop_table("event_targets")
    op.drop_table("vens")
    op.drop_table("nonces")
    op.drop_table("events")
