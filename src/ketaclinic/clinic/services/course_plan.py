"""The course plan beyond ketamine sessions: psychotherapy/integration appointments and
lifestyle goals on a treatment course. Every call is audited."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from ketaclinic.clinic import schemas_screening as s
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.courses import load_course
from ketaclinic.clinic.services.errors import not_found
from ketaclinic.clinic.services.patients import check_if_match
from ketaclinic.clinic.tables_screening import CourseAppointment, CourseGoal

__all__ = [
    "add_appointment",
    "add_goal",
    "list_appointments",
    "list_goals",
    "update_appointment",
    "update_goal",
]


def add_appointment(ctx: Ctx, course_id: uuid.UUID, body: s.AppointmentCreate) -> CourseAppointment:
    ctx.require("plan.write")
    course = load_course(ctx, course_id)
    row = CourseAppointment(course_id=course.id, created_by=ctx.principal.id, **body.model_dump())
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "appointment.create", f"CourseAppointment/{row.id}", course.patient_id)
    ctx.db.commit()
    return row


def list_appointments(ctx: Ctx, course_id: uuid.UUID) -> list[CourseAppointment]:
    ctx.require("plan.read")
    course = load_course(ctx, course_id)
    rows = list(
        ctx.db.scalars(
            select(CourseAppointment)
            .where(CourseAppointment.course_id == course.id)
            .order_by(CourseAppointment.scheduled_for, CourseAppointment.id)
        )
    )
    ctx.audit(
        "R", "appointment.list", f"TreatmentCourse/{course.id}/appointments", course.patient_id
    )
    ctx.db.commit()
    return rows


def add_goal(ctx: Ctx, course_id: uuid.UUID, body: s.GoalCreate) -> CourseGoal:
    ctx.require("plan.write")
    course = load_course(ctx, course_id)
    row = CourseGoal(course_id=course.id, created_by=ctx.principal.id, **body.model_dump())
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "goal.create", f"CourseGoal/{row.id}", course.patient_id)
    ctx.db.commit()
    return row


def list_goals(ctx: Ctx, course_id: uuid.UUID) -> list[CourseGoal]:
    ctx.require("plan.read")
    course = load_course(ctx, course_id)
    rows = list(
        ctx.db.scalars(
            select(CourseGoal)
            .where(CourseGoal.course_id == course.id)
            .order_by(CourseGoal.created_at, CourseGoal.id)
        )
    )
    ctx.audit("R", "goal.list", f"TreatmentCourse/{course.id}/goals", course.patient_id)
    ctx.db.commit()
    return rows


def update_appointment(
    ctx: Ctx, appointment_id: uuid.UUID, body: s.AppointmentUpdate, if_match: str | None
) -> CourseAppointment:
    """Mark an appointment attended, missed or cancelled (If-Match; stale -> 412)."""
    ctx.require("plan.write")
    row = ctx.db.get(CourseAppointment, appointment_id)
    if row is None:
        raise not_found("appointment", appointment_id)
    check_if_match(if_match, row.version)
    course = load_course(ctx, row.course_id)
    row.status = body.status
    row.version += 1
    ctx.audit("U", "appointment.update", f"CourseAppointment/{row.id}", course.patient_id)
    ctx.db.commit()
    return row


def update_goal(
    ctx: Ctx, goal_id: uuid.UUID, body: s.GoalUpdate, if_match: str | None
) -> CourseGoal:
    """Mark a goal achieved or dropped (If-Match; stale -> 412)."""
    ctx.require("plan.write")
    row = ctx.db.get(CourseGoal, goal_id)
    if row is None:
        raise not_found("goal", goal_id)
    check_if_match(if_match, row.version)
    course = load_course(ctx, row.course_id)
    row.status = body.status
    row.version += 1
    ctx.audit("U", "goal.update", f"CourseGoal/{row.id}", course.patient_id)
    ctx.db.commit()
    return row
