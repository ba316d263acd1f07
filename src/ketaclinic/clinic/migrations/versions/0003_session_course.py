"""sessions belong to a course (optional)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("treatment_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("course_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_treatment_sessions_course_id"), ["course_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_treatment_sessions_course_id_treatment_courses"),
            "treatment_courses",
            ["course_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("treatment_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_treatment_sessions_course_id_treatment_courses"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_treatment_sessions_course_id"))
        batch_op.drop_column("course_id")
