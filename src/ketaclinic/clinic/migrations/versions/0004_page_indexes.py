"""indexes for the pages' queries (issue 4 speed benchmark)

Measured on the 10,000-patient / 1,000,000-reading clinic of ``benchmarks/clinic_data.py``
(``python -m benchmarks.clinic_load``): without them the dashboard's "in progress OR
scheduled today" query scanned every patient (207 ms), the schedule's date range every
session (141 ms) and the patient list sorted all patients (81 ms for the last page).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain CREATE INDEX (no batch mode): no table is rebuilt on SQLite
    op.create_index(
        "ix_treatment_sessions_status_started", "treatment_sessions", ["status", "started_at"]
    )
    op.create_index("ix_treatment_sessions_scheduled_for", "treatment_sessions", ["scheduled_for"])
    op.create_index("ix_patients_name", "patients", ["family_name", "given_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_patients_name", table_name="patients")
    op.drop_index("ix_treatment_sessions_scheduled_for", table_name="treatment_sessions")
    op.drop_index("ix_treatment_sessions_status_started", table_name="treatment_sessions")
