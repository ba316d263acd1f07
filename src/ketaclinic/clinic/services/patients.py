"""Patients: demographics, escort contact, weight/height history. Every call is audited."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ketaclinic.clinic import schemas
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, conflict, not_found, precondition
from ketaclinic.clinic.tables import Patient, PatientMeasurement

__all__ = [
    "add_measurement",
    "check_if_match",
    "create_patient",
    "etag",
    "get_patient",
    "list_measurements",
    "list_patients",
    "load_patient",
    "update_patient",
]

MAX_PAGE = 200


def etag(version: int) -> str:
    """Strong ETag of a row version."""
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """428 without If-Match; 412 when it names another version (RFC 9110 13.1.1)."""
    if if_match is None:
        raise ServiceError(
            428, "precondition_required", "If-Match header is required for this edit",
            field="If-Match", limit=f"the current ETag, {etag(version)}",
        )  # fmt: skip
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" not in tags and etag(version) not in tags:
        raise precondition(
            f"If-Match {if_match} is stale; the current version is {etag(version)}",
            value=if_match, limit=etag(version),
        )  # fmt: skip


def load_patient(ctx: Ctx, patient_id: uuid.UUID) -> Patient:
    patient = ctx.db.get(Patient, patient_id)
    if patient is None:
        raise not_found("patient", patient_id)
    return patient


def create_patient(ctx: Ctx, body: schemas.PatientCreate) -> Patient:
    ctx.require("patient.write")
    patient = Patient(**body.model_dump())
    ctx.db.add(patient)
    try:
        ctx.db.flush()
    except IntegrityError:
        ctx.db.rollback()
        raise conflict(f"MRN {body.mrn} already exists", field="body.mrn", value=body.mrn) from None
    ctx.audit("C", "patient.create", f"Patient/{patient.id}", patient.id)
    ctx.db.commit()
    return patient


def get_patient(ctx: Ctx, patient_id: uuid.UUID) -> Patient:
    ctx.require("patient.read")
    patient = load_patient(ctx, patient_id)
    ctx.audit("R", "patient.read", f"Patient/{patient.id}", patient.id)
    ctx.db.commit()
    return patient


def list_patients(ctx: Ctx, *, q: str | None, limit: int, offset: int) -> tuple[list[Patient], int]:
    """A page of patients (by family name), optionally filtered by name or MRN prefix."""
    ctx.require("patient.read")
    stmt = select(Patient)
    if q:
        pat = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            Patient.family_name.ilike(pat, escape="\\")
            | Patient.given_name.ilike(pat, escape="\\")
            | Patient.mrn.ilike(pat, escape="\\")
        )
    total = ctx.db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(
        ctx.db.scalars(
            stmt.order_by(Patient.family_name, Patient.given_name, Patient.id)
            .limit(min(limit, MAX_PAGE))
            .offset(offset)
        )
    )
    ctx.audit("R", "patient.search", f"Patient?q={(q or '')[:50]}&n={len(rows)}")
    ctx.db.commit()
    return rows, total


def update_patient(
    ctx: Ctx, patient_id: uuid.UUID, body: schemas.PatientUpdate, if_match: str | None
) -> Patient:
    ctx.require("patient.write")
    patient = load_patient(ctx, patient_id)
    check_if_match(if_match, patient.version)
    changes = body.model_dump(exclude_unset=True)
    for required in ("given_name", "family_name", "birth_date"):
        if required in changes and changes[required] is None:
            raise ServiceError(
                422, "validation_error", f"{required} may not be null", field=f"body.{required}"
            )
    for name, value in changes.items():
        setattr(patient, name, value)
    patient.version += 1
    patient.updated_at = ctx.clock()
    ctx.audit("U", "patient.update", f"Patient/{patient.id}", patient.id)
    ctx.db.commit()
    return patient


def add_measurement(
    ctx: Ctx, patient_id: uuid.UUID, body: schemas.MeasurementCreate
) -> PatientMeasurement:
    ctx.require("patient.measure")
    patient = load_patient(ctx, patient_id)
    row = PatientMeasurement(
        patient_id=patient.id,
        measured_at=body.measured_at,
        weight_kg=body.weight_kg,
        height_cm=body.height_cm,
        recorded_by=ctx.principal.id,
    )
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "patient.measurement.create", f"PatientMeasurement/{row.id}", patient.id)
    ctx.db.commit()
    return row


def list_measurements(ctx: Ctx, patient_id: uuid.UUID) -> list[PatientMeasurement]:
    ctx.require("patient.read")
    patient = load_patient(ctx, patient_id)
    rows = list(
        ctx.db.scalars(
            select(PatientMeasurement)
            .where(PatientMeasurement.patient_id == patient.id)
            .order_by(PatientMeasurement.measured_at)
        )
    )
    ctx.audit("R", "patient.measurement.list", f"Patient/{patient.id}/measurements", patient.id)
    ctx.db.commit()
    return rows
