"""staff TOTP enrolments (MFA) and break-glass emergency-access grants

Revision ID: 0009_mfa_break_glass
Revises: 0008_checklist_rules
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_mfa_break_glass"
down_revision = "0008_checklist_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_totp",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("secret_wrapped", sa.String(length=200), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_users.id"], name=op.f("fk_staff_totp_created_by_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_staff_totp_user_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_staff_totp")),
    )
    op.create_table(
        "break_glass_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_break_glass_grants_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"],
            ["staff_users.id"],
            name=op.f("fk_break_glass_grants_revoked_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_break_glass_grants_user_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_break_glass_grants")),
    )
    op.create_index(op.f("ix_break_glass_grants_patient_id"), "break_glass_grants", ["patient_id"])
    op.create_index(
        "ix_break_glass_grants_user_expires", "break_glass_grants", ["user_id", "expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_break_glass_grants_user_expires", table_name="break_glass_grants")
    op.drop_index(op.f("ix_break_glass_grants_patient_id"), table_name="break_glass_grants")
    op.drop_table("break_glass_grants")
    op.drop_table("staff_totp")
