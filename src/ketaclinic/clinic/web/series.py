"""Booking a course's planned sessions as a series into one chair (``POST /ui/series``).

A chair holds one session at a time: a session occupies its chair for ``SLOT_MIN`` minutes
from its scheduled time. The whole series is checked before anything is written; one clash
refuses the series (409) with the chair and the time, so nothing is half-booked. Each
session is added by the sessions service (role matrix, course checks, the same clash check,
audit record).

Atomic against a simultaneous booking: the check and every session of the series are one
transaction, and that transaction first locks the course and the chair rows, course first,
as every booking does (services/chair_booking.py, shared with single bookings). Tested with
two concurrent bookings on both engines (tests/clinic/test_series.py).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from ketaclinic.clinic import schemas
from ketaclinic.clinic.services import sessions as session_service
from ketaclinic.clinic.services.chair_booking import SLOT_MIN, locked, refuse_clash
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, conflict, forbidden, not_found
from ketaclinic.clinic.services.patients import load_patient
from ketaclinic.clinic.tables import Chair, Patient, TreatmentCourse, TreatmentSession

__all__ = [
    "SERIES_ROLES",
    "SLOT_MIN",
    "SeriesIn",
    "book_series",
    "bookable_courses",
    "bookable_patients",
    "series_public",
]

#: Who may book a series: the front desk and admin (both hold ``session.schedule``); nurses and
#: prescribers schedule single sessions.
SERIES_ROLES = frozenset({"front_desk", "admin"})


class SeriesIn(BaseModel):
    """A series: the first session's time and each session's day offset from it."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)

    course_id: schemas.JsonUUID
    chair_id: schemas.JsonUUID
    first_at: schemas.UtcDatetime
    day_offsets: Annotated[
        list[Annotated[int, Field(ge=0, le=365)]], Field(min_length=1, max_length=50)
    ]


def _booked(ctx: Ctx, course_id: object) -> int:
    n = ctx.db.scalar(
        select(func.count())
        .select_from(TreatmentSession)
        .where(TreatmentSession.course_id == course_id, TreatmentSession.status != "cancelled")
    )
    return int(n or 0)


def bookable_courses(ctx: Ctx, patient_id: uuid.UUID) -> list[dict[str, object]]:
    """A patient's active courses with planned and booked session counts (for the desk)."""
    ctx.require("session.schedule")
    patient = load_patient(ctx, patient_id)
    rows = ctx.db.scalars(
        select(TreatmentCourse)
        .where(
            TreatmentCourse.patient_id == patient.id,
            TreatmentCourse.phase.in_(("induction", "maintenance")),
        )
        .order_by(TreatmentCourse.started_on)
    ).all()
    ctx.audit("R", "course.list_bookable", f"Patient/{patient.id}", patient.id)
    ctx.db.commit()
    return [
        {
            "id": str(c.id), "protocol_id": c.protocol_id, "phase": c.phase,
            "started_on": c.started_on.isoformat(), "planned_sessions": c.planned_sessions,
            "booked": _booked(ctx, c.id),
        }
        for c in rows
    ]  # fmt: skip


def bookable_patients(ctx: Ctx) -> list[dict[str, object]]:
    """Patients with an active course (induction or maintenance): the desk's patient picker,
    for everyone who books series (``session.schedule``; admin reads no other patient list)."""
    ctx.require("session.schedule")
    active = select(TreatmentCourse.patient_id).where(
        TreatmentCourse.phase.in_(("induction", "maintenance"))
    )
    rows = ctx.db.scalars(
        select(Patient)
        .where(Patient.id.in_(active))
        .order_by(Patient.family_name, Patient.given_name, Patient.mrn)
    ).all()
    ctx.audit("R", "patient.list_bookable", f"Patient?active_course=true&n={len(rows)}")
    ctx.db.commit()
    return [
        {"id": str(p.id), "family_name": p.family_name, "given_name": p.given_name, "mrn": p.mrn}
        for p in rows
    ]


def book_series(ctx: Ctx, body: SeriesIn) -> list[TreatmentSession]:
    """Check the whole series against the course and the chair, then book every session."""
    ctx.require("session.schedule")
    if ctx.principal.role not in SERIES_ROLES:
        raise forbidden(f"role {ctx.principal.role} may not book a series")
    # the locks first (course, then chair), so every check below sees committed bookings
    course = locked(ctx, TreatmentCourse, body.course_id)
    if course is None:
        raise not_found("course", body.course_id)
    chair = locked(ctx, Chair, body.chair_id)
    if chair is None:
        raise ServiceError(
            422, "validation_error", f"chair {body.chair_id} does not exist",
            field="body.chair_id", value=str(body.chair_id),
        )  # fmt: skip
    if len(set(body.day_offsets)) != len(body.day_offsets):
        raise ServiceError(
            422, "validation_error", "day offsets repeat a day",
            field="body.day_offsets", value=body.day_offsets, limit="each day once",
        )  # fmt: skip
    booked = _booked(ctx, course.id)
    left = course.planned_sessions - booked
    if len(body.day_offsets) > left:
        raise conflict(
            f"course {course.id} plans {course.planned_sessions} sessions, {booked} booked: "
            f"{len(body.day_offsets)} more would exceed the plan (at most {left})",
            field="body.day_offsets", value=len(body.day_offsets),
        )  # fmt: skip
    times = sorted(body.first_at + timedelta(days=d) for d in body.day_offsets)
    refuse_clash(ctx, chair, times, field="body.day_offsets")
    rows = [
        session_service.add_session(
            ctx,
            schemas.SessionCreate(
                patient_id=course.patient_id,
                chair_id=chair.id,
                scheduled_for=t,
                course_id=course.id,
            ),
        )
        for t in times
    ]
    ctx.db.commit()  # the whole series, or (on any error above) nothing
    return rows


def series_public(rows: list[TreatmentSession]) -> list[dict[str, object]]:
    return [{"id": str(r.id), "scheduled_for": r.scheduled_for.isoformat()} for r in rows]
