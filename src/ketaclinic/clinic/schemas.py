"""Pydantic request/response models (the API edge): Create / Update / Public per entity.

Strict: a boolean is not a number, a string is not a number, NaN and infinities are
refused, unknown fields are refused (mass assignment, OWASP ASVS 5.0.0 15.3.3). Dates,
datetimes and UUIDs are parsed from their JSON strings. Datetimes must carry a UTC
offset. Physiological refusal bounds are in ``ketaclinic.clinic.vitals``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, model_validator

from ketaclinic.clinic.vitals import VITAL_LIMITS
from ketaclinic.pk.patient import PHYSIOLOGY

__all__ = [
    "AlertPublic",
    "ChairCreate",
    "ChairPublic",
    "CourseCreate",
    "CoursePublic",
    "CourseUpdate",
    "DeviceCreate",
    "DevicePublic",
    "LocationCreate",
    "LocationPublic",
    "LoginRequest",
    "LoginResponse",
    "MeasurementCreate",
    "MeasurementPublic",
    "PatientCreate",
    "PatientPublic",
    "PatientUpdate",
    "ReadingCreate",
    "ReadingPublic",
    "SessionCreate",
    "SessionPublic",
    "StaffCreate",
    "StaffPublic",
    "StaffUpdate",
]

Role = Literal["admin", "prescriber", "nurse", "front_desk", "auditor"]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must carry a UTC offset (e.g. 2026-01-01T09:00:00Z)")
    return value.astimezone(UTC)


JsonDate = Annotated[date, Strict(False)]
JsonUUID = Annotated[uuid.UUID, Strict(False)]
UtcDatetime = Annotated[datetime, Strict(False), AfterValidator(_aware)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Phone = Annotated[str, Field(min_length=3, max_length=40, pattern=r"^\+?[0-9 ()\-.]{3,40}$")]


def _bounded(name: str, limits: dict[str, tuple[float, float, str]]) -> object:
    lo, hi, unit = limits[name]
    return Field(default=None, ge=lo, le=hi, description=f"{unit}; refused outside {lo:g}..{hi:g}")


class _In(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class LoginRequest(_In):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class LoginResponse(_Out):
    token: str
    token_type: Literal["bearer"] = "bearer"
    user_id: uuid.UUID
    role: Role
    expires_at: datetime


class StaffCreate(_In):
    username: Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[a-z0-9._-]+$")]
    display_name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role
    password: Annotated[str, Field(min_length=1, max_length=256)]


class StaffUpdate(_In):
    display_name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    role: Role | None = None
    active: bool | None = None


class StaffPublic(_Out):
    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    active: bool
    created_at: datetime


class PatientCreate(_In):
    mrn: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]
    given_name: Name
    family_name: Name
    birth_date: JsonDate
    sex: Literal["female", "male"] | None = None
    phone: Phone | None = None
    escort_name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    escort_phone: Phone | None = None


class PatientUpdate(_In):
    given_name: Name | None = None
    family_name: Name | None = None
    birth_date: JsonDate | None = None
    sex: Literal["female", "male"] | None = None
    phone: Phone | None = None
    escort_name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    escort_phone: Phone | None = None


class PatientPublic(_Out):
    id: uuid.UUID
    mrn: str
    given_name: str
    family_name: str
    birth_date: date
    sex: str | None
    phone: str | None
    escort_name: str | None
    escort_phone: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class MeasurementCreate(_In):
    measured_at: UtcDatetime
    weight_kg: float | None = _bounded("weight_kg", PHYSIOLOGY)  # type: ignore[assignment]
    height_cm: float | None = _bounded("height_cm", PHYSIOLOGY)  # type: ignore[assignment]

    @model_validator(mode="after")
    def _some(self) -> MeasurementCreate:
        if self.weight_kg is None and self.height_cm is None:
            raise ValueError("at least one of weight_kg, height_cm is required")
        return self


class MeasurementPublic(_Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    measured_at: datetime
    weight_kg: float | None
    height_cm: float | None
    recorded_by: uuid.UUID


class LocationCreate(_In):
    name: Annotated[str, Field(min_length=1, max_length=200)]


class LocationPublic(_Out):
    id: uuid.UUID
    name: str


class ChairCreate(_In):
    label: Annotated[str, Field(min_length=1, max_length=50)]


class ChairPublic(_Out):
    id: uuid.UUID
    location_id: uuid.UUID
    label: str


class DeviceCreate(_In):
    name: Annotated[str, Field(min_length=1, max_length=100)]


class DevicePublic(_Out):
    id: uuid.UUID
    chair_id: uuid.UUID
    name: str
    active: bool
    token: str | None = Field(default=None, description="shown once, at creation")


class SessionCreate(_In):
    patient_id: JsonUUID
    chair_id: JsonUUID
    scheduled_for: UtcDatetime
    course_id: JsonUUID | None = None


class SessionReschedule(_In):
    """A new time, and optionally another chair, for a scheduled session."""

    scheduled_for: UtcDatetime
    chair_id: JsonUUID | None = None


class SessionPublic(_Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    chair_id: uuid.UUID
    course_id: uuid.UUID | None = None
    status: str
    scheduled_for: datetime
    started_at: datetime | None
    ended_at: datetime | None
    version: int


class ReadingCreate(_In):
    """One vital-sign set. A chair monitor sends ``device_seq``; staff send an
    ``Idempotency-Key`` header instead. Cross-field rules (blood pressure as a pair,
    diastolic below systolic, at least one value) are the domain's
    (``ketaclinic.monitoring.vitals.VitalSigns``)."""

    measured_at: UtcDatetime
    device_seq: Annotated[int, Field(ge=0, le=2**62)] | None = None
    sbp_mmhg: float | None = _bounded("sbp_mmhg", VITAL_LIMITS)  # type: ignore[assignment]
    dbp_mmhg: float | None = _bounded("dbp_mmhg", VITAL_LIMITS)  # type: ignore[assignment]
    hr_per_min: float | None = _bounded("hr_per_min", VITAL_LIMITS)  # type: ignore[assignment]
    spo2_pct: float | None = _bounded("spo2_pct", VITAL_LIMITS)  # type: ignore[assignment]
    rr_per_min: float | None = _bounded("rr_per_min", VITAL_LIMITS)  # type: ignore[assignment]
    temp_c: float | None = _bounded("temp_c", VITAL_LIMITS)  # type: ignore[assignment]


class ReadingPublic(_Out):
    id: uuid.UUID
    session_id: uuid.UUID
    source: str
    device_id: uuid.UUID | None
    device_seq: int | None
    client_key: str | None
    measured_at: datetime
    received_at: datetime
    sbp_mmhg: float | None
    dbp_mmhg: float | None
    hr_per_min: float | None
    spo2_pct: float | None
    rr_per_min: float | None
    temp_c: float | None
    alerts: list[AlertPublic] = Field(default_factory=list)


class AlertPublic(_Out):
    id: uuid.UUID
    session_id: uuid.UUID
    reading_id: uuid.UUID | None
    code: str
    condition: str
    kind: str
    priority: Literal["high", "medium", "low"]
    message: str
    source: str
    field: str | None
    value: float | None
    unit: str | None
    limit_value: float | None
    raised_at: datetime
    cleared_at: datetime | None
    acknowledged_by: uuid.UUID | None
    acknowledged_at: datetime | None


ReadingPublic.model_rebuild()


Indication = Literal["depression", "anxiety", "suicidal_ideation", "chronic_pain", "ptsd", "ocd"]
Phase = Literal["induction", "maintenance", "completed", "stopped"]


class CourseCreate(_In):
    indication: Indication
    protocol_id: Annotated[str, Field(min_length=1, max_length=100)]
    planned_sessions: Annotated[int, Field(ge=1, le=200)]
    endpoint: Annotated[str, Field(min_length=1, max_length=2000)]
    started_on: JsonDate


class CourseUpdate(_In):
    phase: Phase | None = None
    planned_sessions: Annotated[int, Field(ge=1, le=200)] | None = None
    endpoint: Annotated[str, Field(min_length=1, max_length=2000)] | None = None


class CoursePublic(_Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    indication: str
    protocol_id: str
    protocol_version: str
    phase: str
    planned_sessions: int
    endpoint: str
    started_on: date
    created_by: uuid.UUID
    updated_at: datetime
    version: int
