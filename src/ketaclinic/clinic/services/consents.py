"""Versioned consent forms and signed consents per treatment course.

A clinic publishes consent forms (treatment, off-label use, driving restriction, ...);
publishing a new version of a form requires re-consent. A course's consent is valid when
the patient has signed the current version of every published form for that course; a
session on a course cannot start otherwise (``require_valid_consent``, called by the
session-start service). Every call on patient data is audited.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.clinic import schemas_screening as s
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.courses import load_course
from ketaclinic.clinic.services.errors import ServiceError, conflict
from ketaclinic.clinic.tables import StaffUser
from ketaclinic.clinic.tables_screening import ConsentForm, ConsentRecord

__all__ = [
    "consent_status",
    "current_forms",
    "list_forms",
    "publish_form",
    "record_consent",
    "require_valid_consent",
]


def current_forms(db: Session) -> dict[str, int]:
    """form id -> its current (highest published) version."""
    rows = db.execute(
        select(ConsentForm.form_id, func.max(ConsentForm.version)).group_by(ConsentForm.form_id)
    )
    return {form_id: int(version) for form_id, version in rows}


def _missing(db: Session, course_id: uuid.UUID) -> tuple[list[str], list[ConsentRecord]]:
    forms = current_forms(db)
    rows = list(
        db.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.course_id == course_id)
            .order_by(ConsentRecord.signed_at, ConsentRecord.id)
        )
    )
    signed = {(r.form_id, r.form_version) for r in rows}
    missing = [f"{f} v{v}" for f, v in sorted(forms.items()) if (f, v) not in signed]
    if not forms:
        missing = ["no consent form is published"]
    return missing, rows


def require_valid_consent(db: Session, course_id: uuid.UUID) -> None:
    """Raise 409 ``consent_required`` naming each form version the course has not signed."""
    missing, _ = _missing(db, course_id)
    if missing:
        raise ServiceError(
            409, "consent_required",
            f"course {course_id} has no valid consent: missing {', '.join(missing)}; "
            "record the patient's signed consent before starting the session",
            field="consent", value=str(course_id),
            limit="a signed consent to the current version of every published form",
        )  # fmt: skip


def publish_form(ctx: Ctx, body: s.ConsentFormCreate) -> ConsentForm:
    """Publish the next version of a form (v1 for a new form id)."""
    ctx.require("consent.form")
    latest = current_forms(ctx.db).get(body.form_id, 0)
    row = ConsentForm(
        form_id=body.form_id, version=latest + 1, title=body.title,
        published_by=ctx.principal.id, published_at=ctx.clock(),
    )  # fmt: skip
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "consent_form.publish", f"ConsentForm/{row.id}")
    ctx.db.commit()
    return row


def list_forms(ctx: Ctx) -> list[ConsentForm]:
    ctx.require("site.read")
    return list(
        ctx.db.scalars(select(ConsentForm).order_by(ConsentForm.form_id, ConsentForm.version))
    )


def record_consent(ctx: Ctx, course_id: uuid.UUID, body: s.ConsentCreate) -> ConsentRecord:
    """Record a signed consent to the current version of a form, witnessed by a staff user."""
    ctx.require("consent.record")
    course = load_course(ctx, course_id)
    current = current_forms(ctx.db).get(body.form_id)
    if current is None:
        raise ServiceError(
            422, "validation_error", f"consent form {body.form_id} is not published",
            field="body.form_id", value=body.form_id, limit="a published consent form id",
        )  # fmt: skip
    if body.form_version != current:
        raise conflict(
            f"{body.form_id} v{body.form_version} is not the current version (v{current}); "
            "the patient must sign the current version",
            field="body.form_version",
            value=body.form_version,
        )
    witness = ctx.db.get(StaffUser, body.witnessed_by)
    if witness is None or not witness.active:
        raise ServiceError(
            422, "validation_error", f"witness {body.witnessed_by} is not an active staff user",
            field="body.witnessed_by", value=str(body.witnessed_by),
        )  # fmt: skip
    if body.signed_at > ctx.clock():
        raise ServiceError(
            422, "validation_error", "signed_at may not be in the future",
            field="body.signed_at", value=body.signed_at.isoformat(), limit="<= now",
        )  # fmt: skip
    duplicate = ctx.db.scalar(
        select(ConsentRecord.id).where(
            ConsentRecord.course_id == course.id,
            ConsentRecord.form_id == body.form_id,
            ConsentRecord.form_version == body.form_version,
        )
    )
    if duplicate is not None:
        raise conflict(
            f"{body.form_id} v{body.form_version} is already signed for this course "
            f"(consent {duplicate})",
            field="body.form_version",
            value=body.form_version,
        )
    row = ConsentRecord(
        course_id=course.id, patient_id=course.patient_id, form_id=body.form_id,
        form_version=body.form_version, signed_at=body.signed_at,
        witnessed_by=witness.id, recorded_by=ctx.principal.id, recorded_at=ctx.clock(),
    )  # fmt: skip
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "consent.record", f"Consent/{row.id}", course.patient_id)
    ctx.db.commit()
    return row


def consent_status(ctx: Ctx, course_id: uuid.UUID) -> s.ConsentStatus:
    """The course's consents (each marked current or superseded) and what is missing."""
    ctx.require("consent.read")
    course = load_course(ctx, course_id)
    missing, rows = _missing(ctx.db, course.id)
    forms = current_forms(ctx.db)
    ctx.audit("R", "consent.list", f"TreatmentCourse/{course.id}/consents", course.patient_id)
    ctx.db.commit()
    return s.ConsentStatus(
        course_id=course.id,
        valid=not missing,
        missing=missing,
        consents=[
            s.ConsentPublic.model_validate(r).model_copy(
                update={"current": forms.get(r.form_id) == r.form_version}
            )
            for r in rows
        ],
    )
