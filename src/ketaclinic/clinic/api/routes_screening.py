"""Screening, antidepressant trials, consents, course plan, medications and MME/day.

Thin routes over services/screening, consents, course_plan and medications; every
patient-data route carries the PHI marker and writes an audit record.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response

from ketaclinic.clinic import schemas_screening as s
from ketaclinic.clinic.api.deps import Context
from ketaclinic.clinic.api.routes_patients import PHI
from ketaclinic.clinic.services import consents, course_plan, medications, screening
from ketaclinic.clinic.services.patients import etag

__all__ = ["router"]

router = APIRouter(tags=["screening, consent, plan, medications"])
IfMatch = Annotated[str | None, Header()]


@router.post(
    "/patients/{patient_id}/screenings",
    status_code=201,
    response_model=s.ScreeningPublic,
    openapi_extra=PHI,
)
def create_screening(
    patient_id: uuid.UUID, body: s.ScreeningCreate, ctx: Context, response: Response
) -> object:
    """Record contraindication findings; the verdict is hard-stop, needs-override or eligible."""
    row = screening.create_screening(ctx, patient_id, body)
    response.headers["ETag"] = etag(row.version)
    return screening.public(ctx, row)


@router.get(
    "/patients/{patient_id}/screenings",
    response_model=list[s.ScreeningPublic],
    openapi_extra=PHI,
)
def list_screenings(patient_id: uuid.UUID, ctx: Context) -> object:
    return [screening.public(ctx, r) for r in screening.list_screenings(ctx, patient_id)]


@router.post(
    "/screenings/{screening_id}/overrides",
    status_code=201,
    response_model=s.ScreeningPublic,
    openapi_extra=PHI,
)
def add_override(
    screening_id: uuid.UUID,
    body: s.OverrideCreate,
    ctx: Context,
    response: Response,
    if_match: IfMatch = None,
) -> object:
    """A prescriber's documented override of a relative contraindication (If-Match)."""
    row = screening.add_override(ctx, screening_id, body, if_match)
    response.headers["ETag"] = etag(row.version)
    return screening.public(ctx, row)


@router.post(
    "/patients/{patient_id}/antidepressant-trials",
    status_code=201,
    response_model=s.TrialPublic,
    openapi_extra=PHI,
)
def add_trial(patient_id: uuid.UUID, body: s.TrialCreate, ctx: Context) -> object:
    return screening.add_trial(ctx, patient_id, body)


@router.get(
    "/patients/{patient_id}/antidepressant-trials",
    response_model=s.TrialHistory,
    openapi_extra=PHI,
)
def list_trials(patient_id: uuid.UUID, ctx: Context) -> object:
    """The trial history and whether it meets the treatment-resistant definition."""
    return screening.list_trials(ctx, patient_id)


@router.post("/consent-forms", status_code=201, response_model=s.ConsentFormPublic)
def publish_form(body: s.ConsentFormCreate, ctx: Context) -> object:
    """Publish the next version of a consent form (courses must then re-consent)."""
    return consents.publish_form(ctx, body)


@router.get("/consent-forms", response_model=list[s.ConsentFormPublic])
def list_forms(ctx: Context) -> object:
    return consents.list_forms(ctx)


@router.post(
    "/courses/{course_id}/consents",
    status_code=201,
    response_model=s.ConsentPublic,
    openapi_extra=PHI,
)
def record_consent(course_id: uuid.UUID, body: s.ConsentCreate, ctx: Context) -> object:
    return consents.record_consent(ctx, course_id, body)


@router.get("/courses/{course_id}/consents", response_model=s.ConsentStatus, openapi_extra=PHI)
def consent_status(course_id: uuid.UUID, ctx: Context) -> object:
    """The course's consents and which current form versions are still unsigned."""
    return consents.consent_status(ctx, course_id)


@router.post(
    "/courses/{course_id}/appointments",
    status_code=201,
    response_model=s.AppointmentPublic,
    openapi_extra=PHI,
)
def add_appointment(course_id: uuid.UUID, body: s.AppointmentCreate, ctx: Context) -> object:
    return course_plan.add_appointment(ctx, course_id, body)


@router.get(
    "/courses/{course_id}/appointments",
    response_model=list[s.AppointmentPublic],
    openapi_extra=PHI,
)
def list_appointments(course_id: uuid.UUID, ctx: Context) -> object:
    return course_plan.list_appointments(ctx, course_id)


@router.patch(
    "/appointments/{appointment_id}", response_model=s.AppointmentPublic, openapi_extra=PHI
)
def update_appointment(
    appointment_id: uuid.UUID,
    body: s.AppointmentUpdate,
    ctx: Context,
    response: Response,
    if_match: IfMatch = None,
) -> object:
    """Mark an appointment attended, missed or cancelled (If-Match; stale -> 412)."""
    row = course_plan.update_appointment(ctx, appointment_id, body, if_match)
    response.headers["ETag"] = etag(row.version)
    return row


@router.post(
    "/courses/{course_id}/goals", status_code=201, response_model=s.GoalPublic, openapi_extra=PHI
)
def add_goal(course_id: uuid.UUID, body: s.GoalCreate, ctx: Context) -> object:
    return course_plan.add_goal(ctx, course_id, body)


@router.get("/courses/{course_id}/goals", response_model=list[s.GoalPublic], openapi_extra=PHI)
def list_goals(course_id: uuid.UUID, ctx: Context) -> object:
    return course_plan.list_goals(ctx, course_id)


@router.patch("/goals/{goal_id}", response_model=s.GoalPublic, openapi_extra=PHI)
def update_goal(
    goal_id: uuid.UUID,
    body: s.GoalUpdate,
    ctx: Context,
    response: Response,
    if_match: IfMatch = None,
) -> object:
    """Mark a goal achieved or dropped (If-Match; stale -> 412)."""
    row = course_plan.update_goal(ctx, goal_id, body, if_match)
    response.headers["ETag"] = etag(row.version)
    return row


@router.post(
    "/patients/{patient_id}/medications",
    status_code=201,
    response_model=s.MedicationPublic,
    openapi_extra=PHI,
)
def create_medication(
    patient_id: uuid.UUID, body: s.MedicationCreate, ctx: Context, response: Response
) -> object:
    med = medications.create_medication(ctx, patient_id, body)
    response.headers["ETag"] = etag(med.version)
    return medications.public(ctx, med)


@router.get(
    "/patients/{patient_id}/medications",
    response_model=list[s.MedicationPublic],
    openapi_extra=PHI,
)
def list_medications(patient_id: uuid.UUID, ctx: Context) -> object:
    return medications.list_medications(ctx, patient_id)


@router.post(
    "/medications/{medication_id}/changes",
    status_code=201,
    response_model=s.MedicationPublic,
    openapi_extra=PHI,
)
def add_change(
    medication_id: uuid.UUID,
    body: s.MedicationChangeCreate,
    ctx: Context,
    response: Response,
    if_match: IfMatch = None,
) -> object:
    """A dose change or stop (If-Match on the medication; stale -> 412)."""
    med = medications.add_change(ctx, medication_id, body, if_match)
    response.headers["ETag"] = etag(med.version)
    return medications.public(ctx, med)


@router.get("/patients/{patient_id}/mme", response_model=s.MmeSeries, openapi_extra=PHI)
def mme(patient_id: uuid.UUID, ctx: Context) -> object:
    """Total opioid MME/day over time (CDC 2022 conversion factors)."""
    return medications.mme_for_patient(ctx, patient_id)
