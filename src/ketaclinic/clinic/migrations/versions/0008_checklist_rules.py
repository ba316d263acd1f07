"""pre-session checklist entries and versioned per-protocol monitoring rule sets

Revision ID: 0008_checklist_rules
Revises: 0007_questionnaires
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_checklist_rules"
down_revision = "0007_questionnaires"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_checklist_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('record', 'override')", name=op.f("ck_session_checklist_entries_kind")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_users.id"],
            name=op.f("fk_session_checklist_entries_recorded_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_session_checklist_entries_session_id_treatment_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_checklist_entries")),
    )
    op.create_index(
        "ix_session_checklist_entries_session_item",
        "session_checklist_entries",
        ["session_id", "item"],
    )
    op.create_table(
        "monitoring_rule_sets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("protocol_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("expected_interval_min", sa.Float(), nullable=False),
        sa.Column("silent_intervals", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("change_reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_monitoring_rule_sets_version")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_users.id"],
            name=op.f("fk_monitoring_rule_sets_created_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_rule_sets")),
        sa.UniqueConstraint(
            "protocol_id", "version", name="uq_monitoring_rule_sets_protocol_version"
        ),
    )


def downgrade() -> None:
    op.drop_table("monitoring_rule_sets")
    op.drop_index(
        "ix_session_checklist_entries_session_item", table_name="session_checklist_entries"
    )
    op.drop_table("session_checklist_entries")
