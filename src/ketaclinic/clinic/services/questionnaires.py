"""Questionnaire responses: scored with ``ketaclinic.instruments``; safety flags notify.

A response is scored at entry (total, severity band, subscales, findings, safety flags)
and stored with the instrument version and the LOINC code of the total. A safety flag
(PHQ-9 item 9 > 0: Kroenke 2001; C-SSRS high risk: Posner 2011) creates one high-priority
:class:`ClinicalNotification` per prescriber of the patient (the prescribers who created
the patient's courses; every active prescriber when the patient has none), in the same
transaction as the response, so a stored flag always has its notification.

Item text is served only for instruments whose licence allows embedding (PHQ-9, GAD-7,
PCL-5); licensed instruments are described and accepted by item id only.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from ketaclinic.clinic.schemas_questionnaires import QuestionnaireCreate
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, conflict, not_found
from ketaclinic.clinic.services.patients import load_patient
from ketaclinic.clinic.tables import StaffUser, TreatmentCourse, TreatmentSession
from ketaclinic.clinic.tables_questionnaires import ClinicalNotification, QuestionnaireResponse
from ketaclinic.errors import NotFoundError
from ketaclinic.instruments import INSTRUMENTS, Instrument, get_instrument, score

__all__ = [
    "acknowledge_notification",
    "describe_instrument",
    "get_instrument_public",
    "list_instruments",
    "list_notifications",
    "list_responses",
    "lookup_instrument",
    "record_response",
]


def lookup_instrument(instrument_id: str, field: str = "body.instrument_id") -> Instrument:
    try:
        return get_instrument(instrument_id)
    except NotFoundError:
        raise ServiceError(
            422, "validation_error", f"unknown instrument {instrument_id!r}", field=field,
            value=instrument_id, limit="one of " + ", ".join(sorted(INSTRUMENTS)),
        ) from None  # fmt: skip


def describe_instrument(inst: Instrument) -> dict[str, Any]:
    """The public description; item text only when the licence allows embedding it."""
    embed = inst.licence.may_embed_text
    rule = inst.response[0] if inst.response else None
    rem = inst.remission
    return {
        "id": inst.id,
        "name": inst.name,
        "version": inst.version,
        "citation": inst.citation,
        "licence_kind": inst.licence.kind,
        "licence_holder": inst.licence.holder,
        "may_embed_text": embed,
        "recall": inst.recall,
        "rater": inst.rater,
        "total_min": inst.total_min,
        "total_max": inst.total_max,
        "loinc_panel": inst.loinc_panel,
        "loinc_total": inst.loinc_total,
        "response_labels": list(inst.response_labels) if embed else [],
        "items": [
            {
                "id": i.id,
                "min_value": i.min_value,
                "max_value": i.max_value,
                "text": i.text if embed else None,
                "subscale": i.subscale,
            }
            for i in inst.items
        ],
        "bands": [{"label": b.label, "low": b.low, "high": b.high} for b in inst.bands],
        "bands_source": inst.bands_source,
        "response_rule": None
        if rule is None
        else {
            "label": rule.label,
            "min_relative_drop": rule.min_relative_drop,
            "min_absolute_drop": rule.min_absolute_drop,
            "source": rule.source,
            "provenance": rule.provenance,
        },
        "remission_rule": None
        if rem is None
        else {"max_total": rem.max_total, "source": rem.source, "provenance": rem.provenance},
    }


def list_instruments(ctx: Ctx) -> list[dict[str, Any]]:
    ctx.require("instrument.read")
    return [describe_instrument(INSTRUMENTS[k]) for k in sorted(INSTRUMENTS)]


def get_instrument_public(ctx: Ctx, instrument_id: str) -> dict[str, Any]:
    ctx.require("instrument.read")
    try:
        return describe_instrument(get_instrument(instrument_id))
    except NotFoundError:
        raise not_found("instrument", instrument_id) from None


def _prescribers(ctx: Ctx, patient_id: uuid.UUID) -> list[uuid.UUID]:
    course_owners = select(TreatmentCourse.created_by).where(
        TreatmentCourse.patient_id == patient_id
    )
    active = select(StaffUser.id).where(StaffUser.role == "prescriber", StaffUser.active)
    ids = list(ctx.db.scalars(active.where(StaffUser.id.in_(course_owners)).order_by(StaffUser.id)))
    return ids or list(ctx.db.scalars(active.order_by(StaffUser.id)))


def _check_links(ctx: Ctx, patient_id: uuid.UUID, body: QuestionnaireCreate) -> None:
    if body.course_id is not None:
        course = ctx.db.get(TreatmentCourse, body.course_id)
        if course is None or course.patient_id != patient_id:
            raise ServiceError(
                422, "validation_error", f"course {body.course_id} is not a course of this patient",
                field="body.course_id", value=str(body.course_id), limit="a course of the patient",
            )  # fmt: skip
    if body.session_id is not None:
        sess = ctx.db.get(TreatmentSession, body.session_id)
        if sess is None or sess.patient_id != patient_id:
            raise ServiceError(
                422, "validation_error", f"session {body.session_id} is not a session of this "
                "patient", field="body.session_id", value=str(body.session_id),
                limit="a session of the patient",
            )  # fmt: skip
        if body.course_id is not None and sess.course_id not in (None, body.course_id):
            raise ServiceError(
                422, "validation_error", "the session belongs to another course",
                field="body.session_id", value=str(body.session_id),
                limit=f"a session of course {body.course_id}",
            )  # fmt: skip


def record_response(
    ctx: Ctx, patient_id: uuid.UUID, body: QuestionnaireCreate
) -> tuple[QuestionnaireResponse, list[ClinicalNotification]]:
    """Score and store one administration; notify the prescribers of any safety flag."""
    ctx.require("questionnaire.write")
    patient = load_patient(ctx, patient_id)
    inst = lookup_instrument(body.instrument_id)
    _check_links(ctx, patient.id, body)
    if body.administered_at > ctx.clock():
        raise ServiceError(
            422, "validation_error", "administered_at is in the future",
            field="body.administered_at", value=body.administered_at.isoformat(),
            limit="not after the server time",
        )  # fmt: skip
    result = score(inst, body.answers)  # InputError -> 422 naming the item and its range
    row = QuestionnaireResponse(
        patient_id=patient.id,
        course_id=body.course_id,
        session_id=body.session_id,
        instrument_id=inst.id,
        instrument_version=inst.version,
        administered_at=body.administered_at,
        answers=dict(result.answers),
        total=float(result.total),
        band=result.band,
        subscales=dict(result.subscales),
        findings=list(result.findings),
        flag_codes=[f.code for f in result.flags],
        loinc_total=inst.loinc_total,
        recorded_by=ctx.principal.id,
        created_at=ctx.clock(),
    )
    ctx.db.add(row)
    ctx.db.flush()
    notes: list[ClinicalNotification] = []
    if result.flags:
        recipients = _prescribers(ctx, patient.id)
        for flag in result.flags:
            for rid in recipients:
                notes.append(
                    ClinicalNotification(
                        patient_id=patient.id,
                        response_id=row.id,
                        recipient_id=rid,
                        code=flag.code,
                        priority="high",
                        message=flag.message,
                        source=flag.source,
                        item_id=flag.item_id,
                        value=flag.value,
                        created_at=ctx.clock(),
                    )
                )
        ctx.db.add_all(notes)
        ctx.db.flush()
    ctx.audit("C", "questionnaire.create", f"QuestionnaireResponse/{row.id}", patient.id)
    for note in notes:
        ctx.audit("C", "notification.create", f"ClinicalNotification/{note.id}", patient.id)
    ctx.db.commit()
    return row, notes


def list_responses(
    ctx: Ctx, patient_id: uuid.UUID, instrument_id: str | None = None
) -> list[QuestionnaireResponse]:
    ctx.require("questionnaire.read")
    patient = load_patient(ctx, patient_id)
    q = select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient.id)
    if instrument_id is not None:
        q = q.where(
            QuestionnaireResponse.instrument_id
            == lookup_instrument(instrument_id, "instrument_id").id
        )
    rows = list(
        ctx.db.scalars(q.order_by(QuestionnaireResponse.administered_at, QuestionnaireResponse.id))
    )
    ctx.audit("R", "questionnaire.list", f"Patient/{patient.id}/questionnaires", patient.id)
    ctx.db.commit()
    return rows


def list_notifications(
    ctx: Ctx, *, open_only: bool = True, mine: bool = False
) -> list[ClinicalNotification]:
    """Safety notifications, newest first (open ones only by default)."""
    ctx.require("notification.read")
    q = select(ClinicalNotification)
    if open_only:
        q = q.where(ClinicalNotification.acknowledged_at.is_(None))
    if mine:
        q = q.where(ClinicalNotification.recipient_id == ctx.principal.id)
    rows = list(
        ctx.db.scalars(
            q.order_by(ClinicalNotification.created_at.desc(), ClinicalNotification.id).limit(200)
        )
    )
    ctx.audit("R", "notification.list", "ClinicalNotification")
    ctx.db.commit()
    return rows


def acknowledge_notification(ctx: Ctx, notification_id: uuid.UUID) -> ClinicalNotification:
    """Record the named user who acknowledged a safety notification (once)."""
    ctx.require("notification.ack")
    row = ctx.db.get(ClinicalNotification, notification_id)
    if row is None:
        raise not_found("notification", notification_id)
    if row.acknowledged_at is not None:
        raise conflict(
            f"notification {notification_id} was already acknowledged", field="acknowledged_at"
        )
    row.acknowledged_by = ctx.principal.id
    row.acknowledged_at = ctx.clock()
    ctx.audit("U", "notification.ack", f"ClinicalNotification/{row.id}", row.patient_id)
    ctx.db.commit()
    return row
