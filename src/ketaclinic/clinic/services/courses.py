"""Treatment courses: indication, protocol from the dosing library, phase, plan, endpoint.

The protocol is checked against ``ketaclinic.dosing.default_library()`` and its version is
recorded, so a later library change does not silently change a running course.
Phases move induction -> maintenance -> completed (or stopped from either).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from ketaclinic.clinic import schemas
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, conflict, not_found
from ketaclinic.clinic.services.patients import check_if_match, load_patient
from ketaclinic.clinic.tables import TreatmentCourse
from ketaclinic.dosing import default_library
from ketaclinic.errors import NotFoundError

__all__ = [
    "PHASES_NEXT",
    "create_course",
    "get_course",
    "list_courses",
    "load_course",
    "update_course",
]

PHASES_NEXT = {
    "induction": ("maintenance", "completed", "stopped"),
    "maintenance": ("completed", "stopped"),
    "completed": (),
    "stopped": (),
}


def create_course(ctx: Ctx, patient_id: uuid.UUID, body: schemas.CourseCreate) -> TreatmentCourse:
    ctx.require("course.write")
    patient = load_patient(ctx, patient_id)
    try:
        protocol = default_library().get(body.protocol_id)
    except NotFoundError as exc:
        raise ServiceError(
            422, "validation_error", str(exc), field="body.protocol_id", value=body.protocol_id,
            limit="a protocol id of the dosing library",
        ) from None  # fmt: skip
    row = TreatmentCourse(
        patient_id=patient.id,
        indication=body.indication,
        protocol_id=protocol.id,
        protocol_version=str(protocol.version),
        planned_sessions=body.planned_sessions,
        endpoint=body.endpoint,
        started_on=body.started_on,
        created_by=ctx.principal.id,
    )
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "course.create", f"TreatmentCourse/{row.id}", patient.id)
    ctx.db.commit()
    return row


def load_course(ctx: Ctx, course_id: uuid.UUID) -> TreatmentCourse:
    """The course or 404 (no permission check, no audit: the caller does both)."""
    row = ctx.db.get(TreatmentCourse, course_id)
    if row is None:
        raise not_found("course", course_id)
    return row


def get_course(ctx: Ctx, course_id: uuid.UUID) -> TreatmentCourse:
    ctx.require("course.read")
    row = load_course(ctx, course_id)
    ctx.audit("R", "course.read", f"TreatmentCourse/{row.id}", row.patient_id)
    ctx.db.commit()
    return row


def list_courses(ctx: Ctx, patient_id: uuid.UUID) -> list[TreatmentCourse]:
    ctx.require("course.read")
    patient = load_patient(ctx, patient_id)
    rows = list(
        ctx.db.scalars(
            select(TreatmentCourse)
            .where(TreatmentCourse.patient_id == patient.id)
            .order_by(TreatmentCourse.started_on, TreatmentCourse.id)
        )
    )
    ctx.audit("R", "course.list", f"Patient/{patient.id}/courses", patient.id)
    ctx.db.commit()
    return rows


def update_course(
    ctx: Ctx, course_id: uuid.UUID, body: schemas.CourseUpdate, if_match: str | None
) -> TreatmentCourse:
    """Change phase, plan or endpoint; needs If-Match; a phase may only move forward."""
    ctx.require("course.write")
    row = load_course(ctx, course_id)
    check_if_match(if_match, row.version)
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise ServiceError(
                422, "validation_error", f"{name} may not be null", field=f"body.{name}"
            )
    new_phase = changes.get("phase")
    if new_phase is not None and new_phase != row.phase and new_phase not in PHASES_NEXT[row.phase]:
        raise conflict(
            f"a course in {row.phase} cannot move to {new_phase}",
            field="body.phase",
            value=new_phase,
        )
    for name, value in changes.items():
        setattr(row, name, value)
    row.version += 1
    row.updated_at = ctx.clock()
    ctx.audit("U", "course.update", f"TreatmentCourse/{row.id}", row.patient_id)
    ctx.db.commit()
    return row
