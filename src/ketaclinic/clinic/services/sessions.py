"""Treatment sessions: schedule, start, complete (If-Match), read. Every call is audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from ketaclinic.clinic import schemas
from ketaclinic.clinic.services.chair_booking import locked, refuse_clash
from ketaclinic.clinic.services.consents import require_valid_consent
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, conflict, not_found
from ketaclinic.clinic.services.patients import check_if_match, load_patient
from ketaclinic.clinic.tables import Chair, TreatmentCourse, TreatmentSession

__all__ = [
    "add_session",
    "create_session",
    "get_session",
    "load_session",
    "reschedule",
    "transition",
]

#: status -> statuses it may move to
TRANSITIONS = {
    "scheduled": ("in_progress", "cancelled"),
    "in_progress": ("completed",),
    "completed": (),
    "cancelled": (),
}


def load_session(ctx: Ctx, session_id: uuid.UUID) -> TreatmentSession:
    row = ctx.db.get(TreatmentSession, session_id)
    if row is None:
        raise not_found("session", session_id)
    return row


def create_session(ctx: Ctx, body: schemas.SessionCreate) -> TreatmentSession:
    ctx.require("session.schedule")
    row = add_session(ctx, body)
    ctx.db.commit()
    return row


def add_session(ctx: Ctx, body: schemas.SessionCreate) -> TreatmentSession:
    """Check and add one scheduled session with its audit record, without committing (a
    series books several in one transaction: clinic/web/series.py).

    The chair must be free for ``SLOT_MIN`` minutes around ``scheduled_for`` (409 naming
    the chair and both times): the course, then the chair, are locked first, so a
    simultaneous booking of the same chair waits and then sees this one
    (services/chair_booking.py).
    """
    ctx.require("session.schedule")
    patient = load_patient(ctx, body.patient_id)
    # the locks first (course, then chair), so the clash check sees committed bookings
    course = None if body.course_id is None else locked(ctx, TreatmentCourse, body.course_id)
    chair = _locked_chair(ctx, body.chair_id)
    if body.course_id is not None:
        if course is None or course.patient_id != patient.id:
            raise ServiceError(
                422, "validation_error", f"course {body.course_id} is not a course of this patient",
                field="body.course_id", value=str(body.course_id),
            )  # fmt: skip
        if course.phase not in ("induction", "maintenance"):
            raise conflict(
                f"course {course.id} is {course.phase}; sessions need an active course",
                field="body.course_id", value=str(course.id),
            )  # fmt: skip
    refuse_clash(ctx, chair, [body.scheduled_for], field="body.scheduled_for")
    row = TreatmentSession(
        patient_id=patient.id,
        chair_id=body.chair_id,
        course_id=body.course_id,
        scheduled_for=body.scheduled_for,
        created_by=ctx.principal.id,
    )
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "session.create", f"TreatmentSession/{row.id}", patient.id)
    return row


def _locked_chair(ctx: Ctx, chair_id: uuid.UUID) -> Chair:
    chair = locked(ctx, Chair, chair_id)
    if chair is None:
        raise ServiceError(
            422, "validation_error", f"chair {chair_id} does not exist",
            field="body.chair_id", value=str(chair_id),
        )  # fmt: skip
    return chair


def _z(t: datetime) -> str:
    """UTC to the second (189 characters of resource_ref for a move, under its 200)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reschedule(
    ctx: Ctx, session_id: uuid.UUID, body: schemas.SessionReschedule, if_match: str | None
) -> TreatmentSession:
    """Move a scheduled session to another time and optionally another chair.

    Needs ``If-Match`` (stale -> 412). Only a scheduled session moves (409 for one in
    progress, completed or cancelled: its times are the record). The new slot must be free
    as for a new booking (409 naming the chair and both times), its own old slot aside.
    Locks, in the order every booking takes them: the session, its course, the chair.
    The audit record (``session.reschedule``) keeps the old and new time and chair.
    """
    ctx.require("session.schedule")
    row = locked(ctx, TreatmentSession, session_id)
    if row is None:
        raise not_found("session", session_id)
    check_if_match(if_match, row.version)
    if row.status != "scheduled":
        raise conflict(
            f"a {row.status} session cannot be rescheduled; only a scheduled one can",
            field="status", value=row.status,
        )  # fmt: skip
    if row.course_id is not None:
        course = locked(ctx, TreatmentCourse, row.course_id)
        if course is not None and course.phase not in ("induction", "maintenance"):
            raise conflict(  # as a new booking: a stopped course's sessions are cancelled
                f"course {course.id} is {course.phase}; sessions need an active course",
                field="course_id", value=str(course.id),
            )  # fmt: skip
    chair = _locked_chair(ctx, body.chair_id or row.chair_id)
    refuse_clash(ctx, chair, [body.scheduled_for], field="body.scheduled_for", moving=row.id)
    before = f"{_z(row.scheduled_for)}@Chair/{row.chair_id}"
    row.scheduled_for = body.scheduled_for
    row.chair_id = chair.id
    row.version += 1
    after = f"{_z(row.scheduled_for)}@Chair/{row.chair_id}"
    ctx.audit(
        "U", "session.reschedule", f"TreatmentSession/{row.id};from={before};to={after}",
        row.patient_id,
    )  # fmt: skip
    ctx.db.commit()
    return row


def get_session(ctx: Ctx, session_id: uuid.UUID) -> TreatmentSession:
    ctx.require("session.read")
    row = load_session(ctx, session_id)
    ctx.audit("R", "session.read", f"TreatmentSession/{row.id}", row.patient_id)
    ctx.db.commit()
    return row


def transition(
    ctx: Ctx, session_id: uuid.UUID, new_status: str, if_match: str | None
) -> TreatmentSession:
    """Move a session along scheduled -> in_progress -> completed (or cancelled).

    Only one session may be in progress per chair (409 otherwise).
    """
    ctx.require("session.run")
    # locked as a move locks it: a start racing a reschedule waits, then sees the new
    # version (If-Match -> 412) instead of starting the session in its old chair
    row = locked(ctx, TreatmentSession, session_id)
    if row is None:
        raise not_found("session", session_id)
    check_if_match(if_match, row.version)
    if new_status not in TRANSITIONS[row.status]:
        raise conflict(
            f"a {row.status} session cannot become {new_status}", field="status", value=row.status
        )
    now = ctx.clock()
    if new_status == "in_progress":
        busy = ctx.db.scalar(
            select(TreatmentSession.id).where(
                TreatmentSession.chair_id == row.chair_id,
                TreatmentSession.status == "in_progress",
            )
        )
        if busy is not None:
            raise conflict(f"chair is in use by session {busy}", field="chair_id")
        if row.course_id is not None:  # issue 4: no session without its course's consent
            require_valid_consent(ctx.db, row.course_id)
        row.started_at = now
    if new_status in {"completed", "cancelled"}:
        row.ended_at = now
    row.status = new_status
    row.version += 1
    ctx.audit("U", f"session.{new_status}", f"TreatmentSession/{row.id}", row.patient_id)
    ctx.db.commit()
    return row
