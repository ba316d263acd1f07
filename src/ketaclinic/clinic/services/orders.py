"""Dose orders of a session: computed by :mod:`ketaclinic.dosing` (calculator and
guardrails) from the patient's latest weight/height and the course's protocol, signed by
a prescriber. A hard limit refuses (422 naming limit, value, unit and protocol version;
nothing stored); a soft limit needs a reason and a second clinician who confirms with
their own credentials (both stored on the order)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select

from ketaclinic.clinic.schemas_orders import OrderCreate, OrderInputs, OverrideIn
from ketaclinic.clinic.security import verify_password
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, not_found
from ketaclinic.clinic.services.patients import load_patient
from ketaclinic.clinic.services.sessions import load_session
from ketaclinic.clinic.tables import (
    Chair,
    Patient,
    PatientMeasurement,
    StaffUser,
    TreatmentCourse,
    TreatmentSession,
)
from ketaclinic.clinic.tables_orders import DoseOrder
from ketaclinic.dosing import Override, Protocol, calculate, check_order, default_library
from ketaclinic.errors import DomainError

__all__ = [
    "ORDERABLE",
    "SECOND_CLINICIAN_ROLES",
    "OrderBasis",
    "check",
    "latest_measurement",
    "list_orders",
    "load_order",
    "order_basis",
    "order_public",
    "orderable_sessions",
    "protocol_of",
    "second_clinician",
    "sign",
    "signed_order",
]

SECOND_CLINICIAN_ROLES = frozenset({"prescriber", "nurse"})
#: Session statuses that take a new order (``sign`` refuses any other, 409).
ORDERABLE = ("scheduled", "in_progress")
_CALC_KEYS = (
    "dose_mg_per_kg",
    "dose_mg",
    "duration_min",
    "concentration_mg_per_ml",
    "session_number",
)


@dataclass(frozen=True)
class OrderBasis:
    """What an order is computed from: the session, patient, protocol and measurements."""

    session: TreatmentSession
    patient: Patient
    protocol: Protocol
    weight_kg: float
    height_cm: float | None


def latest_measurement(ctx: Ctx, patient_id: uuid.UUID) -> dict[str, float | None]:
    """Latest weight (kg) and height (cm), each from its own latest measurement."""
    out: dict[str, float | None] = {}
    for col in ("weight_kg", "height_cm"):
        c = getattr(PatientMeasurement, col)
        out[col] = ctx.db.scalar(
            select(c)
            .where(PatientMeasurement.patient_id == patient_id, c.is_not(None))
            .order_by(PatientMeasurement.measured_at.desc())
            .limit(1)
        )
    return out


def protocol_of(ctx: Ctx, s: TreatmentSession, protocol_id: str | None) -> Protocol:
    """The course's protocol; ``protocol_id`` only for a session without a course."""
    lib = default_library()
    if s.course_id is not None:
        course = ctx.db.get(TreatmentCourse, s.course_id)
        assert course is not None
        if protocol_id is not None and protocol_id != course.protocol_id:
            raise ServiceError(
                422,
                "validation_error",
                f"protocol_id must be the course's protocol {course.protocol_id}, "
                f"got {protocol_id}",
                field="body.protocol_id",
                value=protocol_id,
                limit=course.protocol_id,
            )
        return lib.get(course.protocol_id)
    if protocol_id is None:
        raise ServiceError(
            422,
            "validation_error",
            "protocol_id is required: the session belongs to no course",
            field="body.protocol_id",
            limit="a protocol id of the dosing library",
        )
    return lib.get(protocol_id)


def order_basis(ctx: Ctx, session_id: uuid.UUID, protocol_id: str | None) -> OrderBasis:
    s = load_session(ctx, session_id)
    p = ctx.db.get(Patient, s.patient_id)
    assert p is not None
    proto = protocol_of(ctx, s, protocol_id)
    m = latest_measurement(ctx, p.id)
    if m["weight_kg"] is None:
        raise ServiceError(
            422,
            "validation_error",
            "weight_kg is required: the patient has no weight on record",
            field="weight_kg",
            unit="kg",
            limit="a measurement of the patient",
        )
    return OrderBasis(s, p, proto, m["weight_kg"], m["height_cm"])


def _calc_args(b: OrderBasis, body: OrderInputs) -> dict[str, Any]:
    args: dict[str, Any] = {k: getattr(body, k) for k in _CALC_KEYS if getattr(body, k) is not None}
    if b.height_cm is not None:
        args["height_cm"] = b.height_cm
    if b.patient.sex is not None:
        args["sex"] = b.patient.sex
    return args


def check(ctx: Ctx, session_id: uuid.UUID, body: OrderInputs) -> dict[str, Any]:
    """The calculator's order and every limit it meets or breaks; nothing enforced or stored.

    ``status``: ``ok``, ``needs-override`` (soft limits only) or ``refused``.
    """
    ctx.require("order.read")
    b = order_basis(ctx, session_id, body.protocol_id)
    base: dict[str, Any] = {
        "protocol": b.protocol.to_dict(),
        "weight_kg": b.weight_kg,
        "height_cm": b.height_cm,
    }
    try:
        result, violations = check_order(b.protocol, b.weight_kg, **_calc_args(b, body))
    except DomainError as exc:
        out = {
            **base,
            "status": "refused",
            "order": None,
            "violations": [],
            "refusal": {"message": exc.message, "field": exc.field, "limit": exc.limit},
        }
    else:
        hard = [v for v in violations if v.severity == "hard"]
        soft = [v for v in violations if v.severity == "soft"]
        out = {
            **base,
            "status": "refused" if hard else ("needs-override" if soft else "ok"),
            "order": result.to_dict(),
            "violations": [v.to_dict() for v in violations],
            "refusal": None
            if not hard
            else {"message": hard[0].message, "field": hard[0].field, "limit": hard[0].requirement},
        }
    ctx.audit("R", "order.check", f"TreatmentSession/{b.session.id}", b.patient.id)
    ctx.db.commit()
    return out


def second_clinician(ctx: Ctx, hasher: PasswordHasher, o: OverrideIn) -> StaffUser:
    """The confirming clinician: active, password right, not the caller, prescriber/nurse."""
    user = ctx.db.scalars(
        select(StaffUser).where(StaffUser.username == o.second_username)
    ).one_or_none()
    ok = (
        user is not None
        and user.active
        and verify_password(hasher, user.password_hash, o.second_password)
    )
    field = "body.override.second_username"
    if not ok or user is None:
        raise ServiceError(
            422,
            "validation_error",
            "second clinician: username or password is wrong",
            field=field,
            value=o.second_username,
        )
    if user.id == ctx.principal.id:
        raise ServiceError(
            422,
            "validation_error",
            "the second clinician must be another person than the prescriber",
            field=field,
            value=o.second_username,
        )
    if user.role not in SECOND_CLINICIAN_ROLES:
        raise ServiceError(
            422,
            "validation_error",
            f"the second clinician must be a prescriber or nurse, not {user.role}",
            field=field,
            value=o.second_username,
            limit="prescriber or nurse",
        )
    return user


def sign(
    ctx: Ctx, session_id: uuid.UUID, body: OrderCreate, *, hasher: PasswordHasher
) -> DoseOrder:
    """Compute, check and store a signed order (hard limits and missing overrides raise
    :class:`~ketaclinic.errors.LimitError`: nothing is stored)."""
    ctx.require("order.sign")
    b = order_basis(ctx, session_id, body.protocol_id)
    if b.session.status not in ORDERABLE:
        raise ServiceError(
            409,
            "conflict",
            f"session {b.session.id} is {b.session.status}: orders need a scheduled or "
            "running session",
            field="status",
            value=b.session.status,
            limit="scheduled or in_progress",
        )
    second = None
    override = None
    if body.override is not None:
        second = second_clinician(ctx, hasher, body.override)
        override = Override(body.override.reason, second.username, ctx.principal.name)
    now = ctx.clock()
    result = calculate(b.protocol, b.weight_kg, override=override, start=now, **_calc_args(b, body))
    if not result.overridden:
        second = None  # an override nobody needed is not recorded as one
    row = DoseOrder(
        session_id=b.session.id,
        patient_id=b.patient.id,
        protocol_id=result.protocol_id,
        protocol_version=result.protocol_version,
        route=result.route,
        weight_kg=b.weight_kg,
        height_cm=b.height_cm,
        dose_mg=result.dose_mg,
        duration_min=result.duration_min,
        rate_mg_per_h=result.rate_mg_per_h,
        concentration_mg_per_ml=result.concentration_mg_per_ml,
        result_json=json.dumps(result.to_dict()),
        signed_by=ctx.principal.id,
        signed_at=now,
        override_reason=None if second is None or body.override is None else body.override.reason,
        override_confirmed_by=None if second is None else second.id,
    )
    ctx.db.add(row)
    ctx.db.flush()
    ref = f"DoseOrder/{row.id}" + ("" if second is None else f":override-by:{second.username}")
    ctx.audit("C", "order.sign", ref[:200], b.patient.id)
    ctx.db.commit()
    return row


def orderable_sessions(ctx: Ctx, patient_id: uuid.UUID) -> list[dict[str, Any]]:
    """A patient's sessions that can take an order (scheduled or in progress), soonest
    first, with chair and protocol: where the stand-alone dose-order page signs into."""
    ctx.require("order.read")
    patient = load_patient(ctx, patient_id)
    rows = ctx.db.execute(
        select(TreatmentSession, Chair.label, TreatmentCourse.protocol_id)
        .join(Chair, Chair.id == TreatmentSession.chair_id)
        .outerjoin(TreatmentCourse, TreatmentCourse.id == TreatmentSession.course_id)
        .where(TreatmentSession.patient_id == patient.id, TreatmentSession.status.in_(ORDERABLE))
        .order_by(TreatmentSession.scheduled_for, TreatmentSession.id)
    ).all()
    ctx.audit("R", "session.list_orderable", f"Patient/{patient.id}", patient.id)
    ctx.db.commit()
    return [
        {
            "id": str(s.id), "status": s.status, "scheduled_for": s.scheduled_for.isoformat(),
            "chair": label, "course_id": str(s.course_id) if s.course_id else None,
            "protocol_id": protocol_id,
        }
        for s, label, protocol_id in rows
    ]  # fmt: skip


def load_order(ctx: Ctx, order_id: uuid.UUID) -> DoseOrder:
    row = ctx.db.get(DoseOrder, order_id)
    if row is None:
        raise not_found("order", order_id)
    return row


def signed_order(ctx: Ctx, session_id: uuid.UUID) -> DoseOrder | None:
    """The session's latest signed order, if any."""
    return ctx.db.scalars(
        select(DoseOrder)
        .where(DoseOrder.session_id == session_id)
        .order_by(DoseOrder.signed_at.desc(), DoseOrder.created_at.desc())
        .limit(1)
    ).first()


def list_orders(ctx: Ctx, session_id: uuid.UUID) -> list[DoseOrder]:
    ctx.require("order.read")
    s = load_session(ctx, session_id)
    rows = list(
        ctx.db.scalars(
            select(DoseOrder).where(DoseOrder.session_id == s.id).order_by(DoseOrder.signed_at)
        )
    )
    ctx.audit("R", "order.list", f"TreatmentSession/{s.id}", s.patient_id)
    ctx.db.commit()
    return rows


def order_public(row: DoseOrder) -> dict[str, Any]:
    """An order as API data (the calculator's full result under ``result``)."""
    cols = [
        "id",
        "session_id",
        "patient_id",
        "protocol_id",
        "protocol_version",
        "route",
        "weight_kg",
        "height_cm",
        "dose_mg",
        "duration_min",
        "rate_mg_per_h",
        "concentration_mg_per_ml",
        "signed_by",
        "signed_at",
        "override_reason",
        "override_confirmed_by",
    ]
    return {**{c: getattr(row, c) for c in cols}, "result": json.loads(row.result_json)}
