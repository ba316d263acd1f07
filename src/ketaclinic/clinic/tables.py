"""Database tables (SQLAlchemy 2 declarative): UUID keys, UTC timestamps, units in names.

Timestamps are stored timezone-aware (PostgreSQL ``timestamptz``; on SQLite as UTC text)
and always returned as aware UTC datetimes. Rows with an editable state carry a
``version`` used for ETag / If-Match.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ROLES",
    "Alert",
    "AuditHead",
    "AuditRecord",
    "AuthSession",
    "Base",
    "Chair",
    "Device",
    "Location",
    "Patient",
    "PatientMeasurement",
    "StaffUser",
    "TreatmentCourse",
    "TreatmentSession",
    "UTCDateTime",
    "VitalReading",
    "new_id",
    "utcnow",
]

ROLES = ("admin", "prescriber", "nurse", "front_desk", "auditor")
SESSION_STATUSES = ("scheduled", "in_progress", "completed", "cancelled")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A random UUID (version 4) key."""
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored and returned in UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamps must be timezone-aware, got naive {value.isoformat()}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class AuthSession(Base):
    """A staff login: only the SHA-256 of the bearer token is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        CheckConstraint("sex IS NULL OR sex IN ('female', 'male')", name="sex"),
        # the patient list's order (migration 0004; benchmarks/clinic_load.py)
        Index("ix_patients_name", "family_name", "given_name", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    mrn: Mapped[str] = mapped_column(String(32), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(10), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    escort_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    escort_phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class PatientMeasurement(Base):
    """Weight and height history (one row per measurement)."""

    __tablename__ = "patient_measurements"
    __table_args__ = (
        CheckConstraint("weight_kg IS NOT NULL OR height_cm IS NOT NULL", name="some_value"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    weight_kg: Mapped[float | None] = mapped_column(Float, nullable=True)
    height_cm: Mapped[float | None] = mapped_column(Float, nullable=True)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


COURSE_INDICATIONS = ("depression", "anxiety", "suicidal_ideation", "chronic_pain", "ptsd", "ocd")
COURSE_PHASES = ("induction", "maintenance", "completed", "stopped")


class TreatmentCourse(Base):
    """A course of treatment: indication, protocol (id and version from the dosing library),
    phase, planned sessions and the course's stated endpoint."""

    __tablename__ = "treatment_courses"
    __table_args__ = (
        CheckConstraint(_in("indication", COURSE_INDICATIONS), name="indication"),
        CheckConstraint(_in("phase", COURSE_PHASES), name="phase"),
        CheckConstraint("planned_sessions >= 1 AND planned_sessions <= 200", name="planned"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    indication: Mapped[str] = mapped_column(String(30))
    protocol_id: Mapped[str] = mapped_column(String(100))
    protocol_version: Mapped[str] = mapped_column(String(20))
    phase: Mapped[str] = mapped_column(String(20), default="induction")
    planned_sessions: Mapped[int] = mapped_column(Integer)
    endpoint: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Chair(Base):
    __tablename__ = "chairs"
    __table_args__ = (UniqueConstraint("location_id", "label", name="uq_chairs_location_label"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"))
    label: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Device(Base):
    """A chair monitor: its own identity (no shared accounts), bound to one chair."""

    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    chair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chairs.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TreatmentSession(Base):
    __tablename__ = "treatment_sessions"
    __table_args__ = (
        CheckConstraint(_in("status", SESSION_STATUSES), name="status"),
        Index("ix_treatment_sessions_chair_status", "chair_id", "status"),
        # dashboard (in progress OR scheduled today), schedule, outcomes (migration 0004)
        Index("ix_treatment_sessions_status_started", "status", "started_at"),
        Index("ix_treatment_sessions_scheduled_for", "scheduled_for"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    chair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chairs.id"))
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("treatment_courses.id"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class VitalReading(Base):
    """One vital-sign reading: device time and server receipt time both kept (UTC).

    Idempotency: a device reading is unique by (device_id, device_seq); a manual reading by
    (session_id, client_key). A retry returns the stored row.
    """

    __tablename__ = "vital_readings"
    __table_args__ = (
        UniqueConstraint("device_id", "device_seq", name="uq_vital_readings_device_seq"),
        UniqueConstraint("session_id", "client_key", name="uq_vital_readings_client_key"),
        CheckConstraint("source IN ('device', 'manual')", name="source"),
        CheckConstraint(
            "(source = 'device' AND device_id IS NOT NULL AND device_seq IS NOT NULL) OR "
            "(source = 'manual' AND recorded_by IS NOT NULL AND client_key IS NOT NULL)",
            name="identity",
        ),
        Index("ix_vital_readings_session_time", "session_id", "measured_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_sessions.id"))
    source: Mapped[str] = mapped_column(String(10))
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"), nullable=True)
    device_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    client_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id"), nullable=True
    )
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sbp_mmhg: Mapped[float | None] = mapped_column(Float, nullable=True)
    dbp_mmhg: Mapped[float | None] = mapped_column(Float, nullable=True)
    hr_per_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    spo2_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    rr_per_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    temp_c: Mapped[float | None] = mapped_column(Float, nullable=True)
    payload_sha256: Mapped[str] = mapped_column(String(64))


class Alert(Base):
    """An alarm condition raised by a reading (ketaclinic.monitoring rules); ``cleared_at``
    is set when a later reading ends or escalates the condition."""

    __tablename__ = "alerts"
    __table_args__ = (CheckConstraint("priority IN ('high', 'medium', 'low')", name="priority"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    reading_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("vital_readings.id"), nullable=True
    )
    code: Mapped[str] = mapped_column(String(100))
    condition: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(String(20), nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(20), nullable=True)
    limit_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id"), nullable=True
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuditRecord(Base):
    """Append-only, hash-chained audit record (FHIR AuditEvent fields, never the PHI itself).

    ``hash = HMAC-SHA256(secret_key, canonical(record) || prev_hash)``; ``seq`` is contiguous.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_utc: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    action: Mapped[str] = mapped_column(String(1))
    event_type: Mapped[str] = mapped_column(String(64))
    resource_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    patient_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    outcome: Mapped[int] = mapped_column(Integer)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    node_id: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row holding the chain head; locked to serialise audit writers."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


from ketaclinic.clinic import tables_access as _tables_access  # noqa: E402, F401
from ketaclinic.clinic import tables_checklist as _tables_checklist  # noqa: E402, F401
from ketaclinic.clinic import tables_orders as _tables_orders  # noqa: E402, F401
from ketaclinic.clinic import tables_questionnaires as _tables_questionnaires  # noqa: E402, F401
from ketaclinic.clinic import tables_screening as _tables_screening  # noqa: E402, F401
