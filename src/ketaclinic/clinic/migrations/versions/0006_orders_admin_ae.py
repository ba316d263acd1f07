"""orders, administration record, sedation/dissociation scores, adverse events, discharge

Revision ID: 0006_orders_admin_ae
Revises: 0005_screening_consent_meds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_orders_admin_ae"
down_revision = "0005_screening_consent_meds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dose_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("protocol_id", sa.String(length=100), nullable=False),
        sa.Column("protocol_version", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.Column("weight_kg", sa.Float(), nullable=False),
        sa.Column("height_cm", sa.Float(), nullable=True),
        sa.Column("dose_mg", sa.Float(), nullable=False),
        sa.Column("duration_min", sa.Float(), nullable=True),
        sa.Column("rate_mg_per_h", sa.Float(), nullable=True),
        sa.Column("concentration_mg_per_ml", sa.Float(), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.Column("signed_by", sa.Uuid(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("override_confirmed_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["override_confirmed_by"],
            ["staff_users.id"],
            name=op.f("fk_dose_orders_override_confirmed_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_dose_orders_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_dose_orders_session_id_treatment_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_by"], ["staff_users.id"], name=op.f("fk_dose_orders_signed_by_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dose_orders")),
    )
    op.create_index(op.f("ix_dose_orders_session_id"), "dose_orders", ["session_id"], unique=False)
    op.create_index(op.f("ix_dose_orders_patient_id"), "dose_orders", ["patient_id"], unique=False)
    op.create_table(
        "dose_administrations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("lot_number", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("amount_given_mg", sa.Float(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "amount_given_mg IS NULL OR amount_given_mg >= 0",
            name=op.f("ck_dose_administrations_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["dose_orders.id"],
            name=op.f("fk_dose_administrations_order_id_dose_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_users.id"],
            name=op.f("fk_dose_administrations_recorded_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_dose_administrations_session_id_treatment_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dose_administrations")),
    )
    op.create_index(
        op.f("ix_dose_administrations_order_id"), "dose_administrations", ["order_id"], unique=False
    )
    op.create_index(
        op.f("ix_dose_administrations_session_id"),
        "dose_administrations",
        ["session_id"],
        unique=False,
    )
    op.create_table(
        "administration_rates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("administration_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rate_mg_per_h", sa.Float(), nullable=False),
        sa.Column("rate_ml_per_h", sa.Float(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["dose_administrations.id"],
            name=op.f("fk_administration_rates_administration_id_dose_administrations"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_users.id"],
            name=op.f("fk_administration_rates_recorded_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_administration_rates")),
    )
    op.create_index(
        op.f("ix_administration_rates_administration_id"),
        "administration_rates",
        ["administration_id"],
        unique=False,
    )
    op.create_table(
        "session_scores",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("scale", sa.String(length=10), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("items_json", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("scale IN ('moaas', 'cadss6')", name=op.f("ck_session_scores_scale")),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_users.id"],
            name=op.f("fk_session_scores_recorded_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_session_scores_session_id_treatment_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_scores")),
    )
    op.create_index(
        op.f("ix_session_scores_session_id"), "session_scores", ["session_id"], unique=False
    )
    op.create_table(
        "adverse_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("administration_id", sa.Uuid(), nullable=True),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("action_taken", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("onset_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action_taken IN ('none', 'rate_reduced', 'paused', 'stopped', "
            "'medication_given', 'other')",
            name=op.f("ck_adverse_events_action"),
        ),
        sa.CheckConstraint(
            "outcome IN ('resolved', 'resolving', 'not_resolved', "
            "'resolved_with_sequelae', 'fatal')",
            name=op.f("ck_adverse_events_outcome"),
        ),
        sa.CheckConstraint(
            "severity IN ('mild', 'moderate', 'severe', 'life_threatening', 'death')",
            name=op.f("ck_adverse_events_severity"),
        ),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["dose_administrations.id"],
            name=op.f("fk_adverse_events_administration_id_dose_administrations"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_users.id"],
            name=op.f("fk_adverse_events_recorded_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_adverse_events_session_id_treatment_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_events")),
    )
    op.create_index(
        op.f("ix_adverse_events_session_id"), "adverse_events", ["session_id"], unique=False
    )
    op.create_table(
        "session_discharges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("signed_by", sa.Uuid(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escort_confirmed", sa.Boolean(), nullable=False),
        sa.Column("aldrete_total", sa.Integer(), nullable=True),
        sa.Column("criteria_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_session_discharges_session_id_treatment_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_by"],
            ["staff_users.id"],
            name=op.f("fk_session_discharges_signed_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_discharges")),
        sa.UniqueConstraint("session_id", name=op.f("uq_session_discharges_session_id")),
    )


def downgrade() -> None:
    op.drop_table("session_discharges")
    op.drop_table("adverse_events")
    op.drop_table("session_scores")
    op.drop_table("administration_rates")
    op.drop_table("dose_administrations")
    op.drop_table("dose_orders")
