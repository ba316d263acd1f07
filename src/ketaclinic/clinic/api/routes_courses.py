"""Treatment courses of a patient. Every route writes an audit record."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response

from ketaclinic.clinic import schemas
from ketaclinic.clinic.api.deps import Context
from ketaclinic.clinic.api.routes_patients import PHI
from ketaclinic.clinic.services import courses
from ketaclinic.clinic.services.patients import etag

__all__ = ["router"]

router = APIRouter(tags=["courses"])


@router.post(
    "/patients/{patient_id}/courses",
    status_code=201,
    response_model=schemas.CoursePublic,
    openapi_extra=PHI,
)
def create_course(
    patient_id: uuid.UUID, body: schemas.CourseCreate, ctx: Context, response: Response
) -> object:
    """Start a course on a protocol of the dosing library (its version is recorded)."""
    row = courses.create_course(ctx, patient_id, body)
    response.headers["ETag"] = etag(row.version)
    return row


@router.get(
    "/patients/{patient_id}/courses",
    response_model=list[schemas.CoursePublic],
    openapi_extra=PHI,
)
def list_courses(patient_id: uuid.UUID, ctx: Context) -> object:
    return courses.list_courses(ctx, patient_id)


@router.get("/courses/{course_id}", response_model=schemas.CoursePublic, openapi_extra=PHI)
def get_course(course_id: uuid.UUID, ctx: Context, response: Response) -> object:
    row = courses.get_course(ctx, course_id)
    response.headers["ETag"] = etag(row.version)
    return row


@router.patch("/courses/{course_id}", response_model=schemas.CoursePublic, openapi_extra=PHI)
def update_course(
    course_id: uuid.UUID,
    body: schemas.CourseUpdate,
    ctx: Context,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> object:
    """Move the phase forward or change the plan; needs ``If-Match`` (stale -> 412)."""
    row = courses.update_course(ctx, course_id, body, if_match)
    response.headers["ETag"] = etag(row.version)
    return row
