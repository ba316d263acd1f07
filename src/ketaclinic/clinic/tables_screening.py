"""Tables of issue 4's intake domain: screening, consent, course plan, medications.

Screening findings and prescriber overrides (``ketaclinic.monitoring.screening``), the
antidepressant-trial history, versioned consent forms and signed consents per course,
psychotherapy/integration appointments and lifestyle goals on a course, and medications
with their dose changes over time (opioid daily doses feed ``ketaclinic.monitoring.mme``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.clinic.tables import Base, UTCDateTime, new_id, utcnow

__all__ = [
    "APPOINTMENT_KINDS",
    "ConsentForm",
    "ConsentRecord",
    "CourseAppointment",
    "CourseGoal",
    "MedicationChange",
    "MedicationEntry",
    "ScreeningOverride",
    "ScreeningRecord",
    "TrialRecord",
]

TRIAL_OUTCOMES = ("response", "partial_response", "no_response", "intolerance")
APPOINTMENT_KINDS = ("psychotherapy", "integration")
APPOINTMENT_STATUSES = ("planned", "attended", "missed", "cancelled")
GOAL_STATUSES = ("active", "achieved", "dropped")
CHANGE_KINDS = ("start", "dose_change", "stop")
DOSE_UNITS = ("mg/day", "mcg/h")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ScreeningRecord(Base):
    """One screening of a patient: the contraindication ids found (comma-separated, sorted)
    and the verdict of ``monitoring.screening.screen`` at the time it was recorded."""

    __tablename__ = "screenings"
    __table_args__ = (
        CheckConstraint(_in("status", ("eligible", "needs-override", "hard-stop")), name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    findings: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ScreeningOverride(Base):
    """A prescriber's documented override of a relative contraindication (reason, who, when)."""

    __tablename__ = "screening_overrides"
    __table_args__ = (
        UniqueConstraint(
            "screening_id", "contraindication_id", name="uq_screening_overrides_finding"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    screening_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("screenings.id"), index=True)
    contraindication_id: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    prescriber_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    overridden_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrialRecord(Base):
    """One antidepressant trial of the treatment-resistant-depression history."""

    __tablename__ = "antidepressant_trials"
    __table_args__ = (
        CheckConstraint(_in("outcome", TRIAL_OUTCOMES), name="outcome"),
        CheckConstraint("dose_mg_per_day > 0", name="dose"),
        CheckConstraint("duration_weeks > 0 AND duration_weeks <= 520", name="duration"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    drug: Mapped[str] = mapped_column(String(100))
    dose_mg_per_day: Mapped[float] = mapped_column(Float)
    duration_weeks: Mapped[float] = mapped_column(Float)
    adequate: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(20))
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentForm(Base):
    """A published version of a consent form; publishing a new version requires re-consent."""

    __tablename__ = "consent_forms"
    __table_args__ = (
        UniqueConstraint("form_id", "version", name="uq_consent_forms_form_version"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    form_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    published_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentRecord(Base):
    """A patient's signed consent to one form version for one course, witnessed by staff."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("course_id", "form_id", "form_version", name="uq_consents_course_form"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_courses.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    form_id: Mapped[str] = mapped_column(String(100))
    form_version: Mapped[int] = mapped_column(Integer)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    witnessed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CourseAppointment(Base):
    """A psychotherapy or integration appointment in a course plan."""

    __tablename__ = "course_appointments"
    __table_args__ = (
        CheckConstraint(_in("kind", APPOINTMENT_KINDS), name="kind"),
        CheckConstraint(_in("status", APPOINTMENT_STATUSES), name="status"),
        CheckConstraint("duration_min > 0 AND duration_min <= 480", name="duration"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_courses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_min: Mapped[int] = mapped_column(Integer)
    clinician: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="planned")
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class CourseGoal(Base):
    """A lifestyle goal in a course plan (sleep, exercise, alcohol, ...)."""

    __tablename__ = "course_goals"
    __table_args__ = (CheckConstraint(_in("status", GOAL_STATUSES), name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_courses.id"), index=True)
    domain: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class MedicationEntry(Base):
    """A medication on the patient's list; ``opioid_id`` names the MME conversion to use."""

    __tablename__ = "medications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    opioid_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    started_on: Mapped[date] = mapped_column(Date)
    stopped_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class MedicationChange(Base):
    """A start, dose change or stop of a medication, effective on a date, with its reason.

    ``daily_dose`` is in ``dose_unit``: mg/day, or mcg/h for transdermal fentanyl; a stop
    has no dose.
    """

    __tablename__ = "medication_changes"
    __table_args__ = (
        CheckConstraint(_in("kind", CHANGE_KINDS), name="kind"),
        CheckConstraint("dose_unit IS NULL OR " + _in("dose_unit", DOSE_UNITS), name="unit"),
        CheckConstraint(
            "(kind = 'stop' AND daily_dose IS NULL) OR (kind <> 'stop' AND daily_dose > 0)",
            name="dose",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    medication_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("medications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    effective_on: Mapped[date] = mapped_column(Date)
    daily_dose: Mapped[float | None] = mapped_column(Float, nullable=True)
    dose_unit: Mapped[str | None] = mapped_column(String(10), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
