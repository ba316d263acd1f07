"""screening, consent, course plan, medications (issue 4 domain)

Revision ID: 0005_screening_consent_meds
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_screening_consent_meds"
# the file is 0004_page_indexes.py; its revision id is "0004"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "antidepressant_trials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("drug", sa.String(length=100), nullable=False),
        sa.Column("dose_mg_per_day", sa.Float(), nullable=False),
        sa.Column("duration_weeks", sa.Float(), nullable=False),
        sa.Column("adequate", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('response', 'partial_response', 'no_response', 'intolerance')",
            name=op.f("ck_antidepressant_trials_outcome"),
        ),
        sa.CheckConstraint("dose_mg_per_day > 0", name=op.f("ck_antidepressant_trials_dose")),
        sa.CheckConstraint(
            "duration_weeks > 0 AND duration_weeks <= 520",
            name=op.f("ck_antidepressant_trials_duration"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_antidepressant_trials_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_users.id"],
            name=op.f("fk_antidepressant_trials_recorded_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_antidepressant_trials")),
    )
    op.create_index(
        op.f("ix_antidepressant_trials_patient_id"),
        "antidepressant_trials",
        ["patient_id"],
        unique=False,
    )
    op.create_table(
        "consent_forms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("form_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("published_by", sa.Uuid(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_consent_forms_version")),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["staff_users.id"],
            name=op.f("fk_consent_forms_published_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_forms")),
        sa.UniqueConstraint("form_id", "version", name="uq_consent_forms_form_version"),
    )
    op.create_table(
        "medications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("opioid_id", sa.String(length=40), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_users.id"], name=op.f("fk_medications_created_by_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_medications_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medications")),
    )
    op.create_index(op.f("ix_medications_patient_id"), "medications", ["patient_id"], unique=False)
    op.create_table(
        "screenings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('eligible', 'needs-override', 'hard-stop')",
            name=op.f("ck_screenings_status"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_screenings_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff_users.id"], name=op.f("fk_screenings_recorded_by_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenings")),
    )
    op.create_index(op.f("ix_screenings_patient_id"), "screenings", ["patient_id"], unique=False)
    op.create_table(
        "consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("form_id", sa.String(length=100), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("witnessed_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["treatment_courses.id"],
            name=op.f("fk_consents_course_id_treatment_courses"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_consents_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff_users.id"], name=op.f("fk_consents_recorded_by_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["witnessed_by"], ["staff_users.id"], name=op.f("fk_consents_witnessed_by_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
        sa.UniqueConstraint("course_id", "form_id", "form_version", name="uq_consents_course_form"),
    )
    op.create_index(op.f("ix_consents_course_id"), "consents", ["course_id"], unique=False)
    op.create_index(op.f("ix_consents_patient_id"), "consents", ["patient_id"], unique=False)
    op.create_table(
        "course_appointments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=False),
        sa.Column("clinician", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('psychotherapy', 'integration')", name=op.f("ck_course_appointments_kind")
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'attended', 'missed', 'cancelled')",
            name=op.f("ck_course_appointments_status"),
        ),
        sa.CheckConstraint(
            "duration_min > 0 AND duration_min <= 480", name=op.f("ck_course_appointments_duration")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["treatment_courses.id"],
            name=op.f("fk_course_appointments_course_id_treatment_courses"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_users.id"],
            name=op.f("fk_course_appointments_created_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_appointments")),
    )
    op.create_index(
        op.f("ix_course_appointments_course_id"), "course_appointments", ["course_id"], unique=False
    )
    op.create_table(
        "course_goals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'achieved', 'dropped')", name=op.f("ck_course_goals_status")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["treatment_courses.id"],
            name=op.f("fk_course_goals_course_id_treatment_courses"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_users.id"], name=op.f("fk_course_goals_created_by_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_goals")),
    )
    op.create_index(op.f("ix_course_goals_course_id"), "course_goals", ["course_id"], unique=False)
    op.create_table(
        "medication_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("medication_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("daily_dose", sa.Float(), nullable=True),
        sa.Column("dose_unit", sa.String(length=10), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'stop' AND daily_dose IS NULL) OR (kind <> 'stop' AND daily_dose > 0)",
            name=op.f("ck_medication_changes_dose"),
        ),
        sa.CheckConstraint(
            "dose_unit IS NULL OR dose_unit IN ('mg/day', 'mcg/h')",
            name=op.f("ck_medication_changes_unit"),
        ),
        sa.CheckConstraint(
            "kind IN ('start', 'dose_change', 'stop')", name=op.f("ck_medication_changes_kind")
        ),
        sa.ForeignKeyConstraint(
            ["medication_id"],
            ["medications.id"],
            name=op.f("fk_medication_changes_medication_id_medications"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_users.id"],
            name=op.f("fk_medication_changes_recorded_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medication_changes")),
    )
    op.create_index(
        op.f("ix_medication_changes_medication_id"),
        "medication_changes",
        ["medication_id"],
        unique=False,
    )
    op.create_table(
        "screening_overrides",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("screening_id", sa.Uuid(), nullable=False),
        sa.Column("contraindication_id", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("prescriber_id", sa.Uuid(), nullable=False),
        sa.Column("overridden_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["prescriber_id"],
            ["staff_users.id"],
            name=op.f("fk_screening_overrides_prescriber_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screenings.id"],
            name=op.f("fk_screening_overrides_screening_id_screenings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_overrides")),
        sa.UniqueConstraint(
            "screening_id", "contraindication_id", name="uq_screening_overrides_finding"
        ),
    )
    op.create_index(
        op.f("ix_screening_overrides_screening_id"),
        "screening_overrides",
        ["screening_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_screening_overrides_screening_id"), table_name="screening_overrides")
    op.drop_table("screening_overrides")
    op.drop_index(op.f("ix_medication_changes_medication_id"), table_name="medication_changes")
    op.drop_table("medication_changes")
    op.drop_index(op.f("ix_course_goals_course_id"), table_name="course_goals")
    op.drop_table("course_goals")
    op.drop_index(op.f("ix_course_appointments_course_id"), table_name="course_appointments")
    op.drop_table("course_appointments")
    op.drop_index(op.f("ix_consents_patient_id"), table_name="consents")
    op.drop_index(op.f("ix_consents_course_id"), table_name="consents")
    op.drop_table("consents")
    op.drop_index(op.f("ix_screenings_patient_id"), table_name="screenings")
    op.drop_table("screenings")
    op.drop_index(op.f("ix_medications_patient_id"), table_name="medications")
    op.drop_table("medications")
    op.drop_table("consent_forms")
    op.drop_index(op.f("ix_antidepressant_trials_patient_id"), table_name="antidepressant_trials")
    op.drop_table("antidepressant_trials")
