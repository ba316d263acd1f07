"""questionnaire responses (scored with ketaclinic.instruments) and safety notifications

Revision ID: 0007_questionnaires
Revises: 0006_orders_admin_ae
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_questionnaires"
down_revision = "0006_orders_admin_ae"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questionnaire_responses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("instrument_id", sa.String(length=40), nullable=False),
        sa.Column("instrument_version", sa.String(length=20), nullable=False),
        sa.Column("administered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=60), nullable=True),
        sa.Column("subscales", sa.JSON(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("flag_codes", sa.JSON(), nullable=False),
        sa.Column("loinc_total", sa.String(length=20), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["treatment_courses.id"],
            name=op.f("fk_questionnaire_responses_course_id_treatment_courses"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_questionnaire_responses_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_users.id"],
            name=op.f("fk_questionnaire_responses_recorded_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_questionnaire_responses_session_id_treatment_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_responses")),
    )
    op.create_index(
        "ix_questionnaire_responses_patient_time",
        "questionnaire_responses",
        ["patient_id", "instrument_id", "administered_at"],
    )
    op.create_index(
        op.f("ix_questionnaire_responses_course_id"), "questionnaire_responses", ["course_id"]
    )
    op.create_table(
        "clinical_notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("response_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=True),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.Uuid(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "priority IN ('high', 'medium', 'low')",
            name=op.f("ck_clinical_notifications_priority"),
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"],
            ["staff_users.id"],
            name=op.f("fk_clinical_notifications_acknowledged_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_clinical_notifications_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["staff_users.id"],
            name=op.f("fk_clinical_notifications_recipient_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["questionnaire_responses.id"],
            name=op.f("fk_clinical_notifications_response_id_questionnaire_responses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_notifications")),
    )
    op.create_index(
        "ix_clinical_notifications_open",
        "clinical_notifications",
        ["acknowledged_at", "priority"],
    )
    op.create_index(
        op.f("ix_clinical_notifications_patient_id"), "clinical_notifications", ["patient_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_clinical_notifications_patient_id"), table_name="clinical_notifications")
    op.drop_index("ix_clinical_notifications_open", table_name="clinical_notifications")
    op.drop_table("clinical_notifications")
    op.drop_index(
        op.f("ix_questionnaire_responses_course_id"), table_name="questionnaire_responses"
    )
    op.drop_index("ix_questionnaire_responses_patient_time", table_name="questionnaire_responses")
    op.drop_table("questionnaire_responses")
