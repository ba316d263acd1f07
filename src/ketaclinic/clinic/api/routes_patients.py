"""Patients: demographics, escort, weight/height history. Every route writes an audit record."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from ketaclinic.clinic import schemas
from ketaclinic.clinic.api.deps import Context
from ketaclinic.clinic.services import patients

__all__ = ["PHI", "router"]

#: Marks a route that reads or writes patient data (the audit-coverage test walks these).
PHI = {"x-patient-data": True}

router = APIRouter(tags=["patients"])


@router.post("/patients", status_code=201, response_model=schemas.PatientPublic, openapi_extra=PHI)
def create_patient(body: schemas.PatientCreate, ctx: Context, response: Response) -> object:
    row = patients.create_patient(ctx, body)
    response.headers["ETag"] = patients.etag(row.version)
    response.headers["Location"] = f"/api/v1/patients/{row.id}"
    return row


@router.get("/patients", openapi_extra=PHI)
def list_patients(
    ctx: Context,
    response: Response,
    q: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=patients.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, object]:
    rows, total = patients.list_patients(ctx, q=q, limit=limit, offset=offset)
    items = [schemas.PatientPublic.model_validate(r).model_dump(mode="json") for r in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/patients/{patient_id}", response_model=schemas.PatientPublic, openapi_extra=PHI)
def get_patient(patient_id: uuid.UUID, ctx: Context, response: Response) -> object:
    row = patients.get_patient(ctx, patient_id)
    response.headers["ETag"] = patients.etag(row.version)
    return row


@router.patch("/patients/{patient_id}", response_model=schemas.PatientPublic, openapi_extra=PHI)
def update_patient(
    patient_id: uuid.UUID,
    body: schemas.PatientUpdate,
    ctx: Context,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> object:
    """Edit demographics; needs ``If-Match`` with the current ETag (stale -> 412)."""
    row = patients.update_patient(ctx, patient_id, body, if_match)
    response.headers["ETag"] = patients.etag(row.version)
    return row


@router.post(
    "/patients/{patient_id}/measurements",
    status_code=201,
    response_model=schemas.MeasurementPublic,
    openapi_extra=PHI,
)
def add_measurement(patient_id: uuid.UUID, body: schemas.MeasurementCreate, ctx: Context) -> object:
    return patients.add_measurement(ctx, patient_id, body)


@router.get(
    "/patients/{patient_id}/measurements",
    response_model=list[schemas.MeasurementPublic],
    openapi_extra=PHI,
)
def list_measurements(patient_id: uuid.UUID, ctx: Context) -> object:
    return patients.list_measurements(ctx, patient_id)
