"""API models for screening, consent, the course plan and medications (issue 4).

Strict like ``schemas.py``: a boolean is not a number, NaN and infinities are refused,
unknown fields are refused, datetimes carry a UTC offset.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.clinic.schemas import JsonDate, JsonUUID, UtcDatetime

__all__ = [
    "AppointmentCreate",
    "AppointmentPublic",
    "AppointmentUpdate",
    "ConsentCreate",
    "ConsentFormCreate",
    "ConsentFormPublic",
    "ConsentPublic",
    "ConsentStatus",
    "GoalCreate",
    "GoalPublic",
    "GoalUpdate",
    "MedicationChangeCreate",
    "MedicationChangePublic",
    "MedicationCreate",
    "MedicationPublic",
    "MmePointPublic",
    "MmeSeries",
    "OverrideCreate",
    "OverridePublic",
    "ScreeningCreate",
    "ScreeningPublic",
    "TrialCreate",
    "TrialHistory",
    "TrialPublic",
]

Text = Annotated[str, Field(min_length=1, max_length=2000)]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]
FormId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9\-]*$")]


class _In(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ScreeningCreate(_In):
    findings: Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=30)]
    notes: Annotated[str, Field(max_length=2000)] | None = None


class OverrideCreate(_In):
    contraindication_id: Annotated[str, Field(min_length=1, max_length=60)]
    reason: Text


class OverridePublic(_Out):
    contraindication_id: str
    reason: str
    prescriber_id: uuid.UUID
    overridden_at: datetime


class ContraindicationPublic(BaseModel):
    id: str
    label: str
    kind: str
    source: str


class ScreeningPublic(BaseModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    findings: list[ContraindicationPublic]
    status: Literal["eligible", "needs-override", "hard-stop"]
    message: str
    blocking: list[ContraindicationPublic]
    overrides: list[OverridePublic]
    notes: str | None
    recorded_by: uuid.UUID
    recorded_at: datetime
    version: int


TrialOutcome = Literal["response", "partial_response", "no_response", "intolerance"]


class TrialCreate(_In):
    drug: ShortText
    dose_mg_per_day: Annotated[float, Field(gt=0, le=10000)]
    duration_weeks: Annotated[float, Field(gt=0, le=520)]
    adequate: bool
    outcome: TrialOutcome


class TrialPublic(_Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    drug: str
    dose_mg_per_day: float
    duration_weeks: float
    adequate: bool
    outcome: str
    recorded_by: uuid.UUID
    recorded_at: datetime


class TrialHistory(BaseModel):
    trials: list[TrialPublic]
    failed_adequate_trials: int
    treatment_resistant: bool
    definition: str


class ConsentFormCreate(_In):
    form_id: FormId
    title: Annotated[str, Field(min_length=1, max_length=200)]


class ConsentFormPublic(_Out):
    id: uuid.UUID
    form_id: str
    version: int
    title: str
    published_by: uuid.UUID
    published_at: datetime


class ConsentCreate(_In):
    form_id: FormId
    form_version: Annotated[int, Field(ge=1)]
    signed_at: UtcDatetime
    witnessed_by: JsonUUID


class ConsentPublic(_Out):
    id: uuid.UUID
    course_id: uuid.UUID
    patient_id: uuid.UUID
    form_id: str
    form_version: int
    signed_at: datetime
    witnessed_by: uuid.UUID
    recorded_by: uuid.UUID
    recorded_at: datetime
    current: bool = True


class ConsentStatus(BaseModel):
    course_id: uuid.UUID
    valid: bool
    missing: list[str]
    consents: list[ConsentPublic]


class AppointmentCreate(_In):
    kind: Literal["psychotherapy", "integration"]
    scheduled_for: UtcDatetime
    duration_min: Annotated[int, Field(ge=1, le=480)]
    clinician: Annotated[str, Field(min_length=1, max_length=200)]


class AppointmentUpdate(_In):
    status: Literal["planned", "attended", "missed", "cancelled"]


class AppointmentPublic(_Out):
    id: uuid.UUID
    course_id: uuid.UUID
    kind: str
    scheduled_for: datetime
    duration_min: int
    clinician: str
    status: str
    created_by: uuid.UUID
    version: int


class GoalCreate(_In):
    domain: Annotated[str, Field(min_length=1, max_length=50)]
    description: Text


class GoalUpdate(_In):
    status: Literal["active", "achieved", "dropped"]


class GoalPublic(_Out):
    id: uuid.UUID
    course_id: uuid.UUID
    domain: str
    description: str
    status: str
    created_by: uuid.UUID
    version: int


DoseUnit = Literal["mg/day", "mcg/h"]


class MedicationCreate(_In):
    name: ShortText
    opioid_id: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    started_on: JsonDate
    daily_dose: Annotated[float, Field(gt=0, le=100000)]
    dose_unit: DoseUnit = "mg/day"
    reason: Text


class MedicationChangeCreate(_In):
    kind: Literal["dose_change", "stop"]
    effective_on: JsonDate
    daily_dose: Annotated[float, Field(gt=0, le=100000)] | None = None
    dose_unit: DoseUnit | None = None
    reason: Text


class MedicationChangePublic(_Out):
    id: uuid.UUID
    kind: str
    effective_on: date
    daily_dose: float | None
    dose_unit: str | None
    reason: str
    recorded_by: uuid.UUID
    recorded_at: datetime


class MedicationPublic(BaseModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    name: str
    opioid_id: str | None
    started_on: date
    stopped_on: date | None
    daily_dose: float | None
    dose_unit: str | None
    mme_per_day: float | None
    changes: list[MedicationChangePublic]
    version: int


class MmePointPublic(BaseModel):
    on: date
    mme_per_day: float
    flags: list[str]


class MmeSeries(BaseModel):
    patient_id: uuid.UUID
    points: list[MmePointPublic]
    source: str
    provenance: str
