"""Medication list with changes over time, and opioid use as MME/day.

Each medication has a history of changes (start, dose changes, stop) with a reason. An
opioid carries the id of its CDC 2022 conversion (``ketaclinic.monitoring.mme``); unknown
opioids are refused. The patient's MME/day series sums every opioid's daily dose over
time, so "less need for other pain medication" can be shown. Every call is audited.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from ketaclinic.clinic import schemas_screening as s
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, conflict, not_found
from ketaclinic.clinic.services.patients import check_if_match, load_patient
from ketaclinic.clinic.tables_screening import MedicationChange, MedicationEntry
from ketaclinic.errors import DomainError
from ketaclinic.monitoring.mme import CDC_2022, DoseInterval, daily_mme, mme_series, opioid

__all__ = ["add_change", "create_medication", "list_medications", "mme_for_patient", "public"]


def _changes(ctx: Ctx, med: MedicationEntry) -> list[MedicationChange]:
    return list(
        ctx.db.scalars(
            select(MedicationChange)
            .where(MedicationChange.medication_id == med.id)
            .order_by(MedicationChange.effective_on, MedicationChange.recorded_at)
        )
    )


def _check_opioid(opioid_id: str | None, dose: float | None, unit: str | None) -> None:
    try:
        if opioid_id is not None:
            conv = opioid(opioid_id)
            if dose is not None:
                daily_mme(conv.id, dose, unit or "mg/day")
        elif unit == "mcg/h":
            raise ServiceError(
                422, "validation_error", "dose_unit mcg/h is only for transdermal fentanyl",
                field="body.dose_unit", value=unit, limit="mg/day",
            )  # fmt: skip
    except DomainError as exc:
        field = "body.opioid_id" if exc.field == "opioid_id" else f"body.{exc.field}"
        raise ServiceError(
            422, "validation_error", exc.message, field=field, value=exc.value, limit=exc.limit
        ) from None


def public(ctx: Ctx, med: MedicationEntry) -> s.MedicationPublic:
    changes = _changes(ctx, med)
    last_dose = next((c for c in reversed(changes) if c.kind != "stop"), None)
    stopped = med.stopped_on is not None
    dose = None if stopped or last_dose is None else last_dose.daily_dose
    unit = None if stopped or last_dose is None else last_dose.dose_unit
    mme = (
        daily_mme(med.opioid_id, dose, unit or "mg/day")
        if med.opioid_id is not None and dose is not None
        else None
    )
    return s.MedicationPublic(
        id=med.id, patient_id=med.patient_id, name=med.name, opioid_id=med.opioid_id,
        started_on=med.started_on, stopped_on=med.stopped_on, daily_dose=dose, dose_unit=unit,
        mme_per_day=mme, changes=[s.MedicationChangePublic.model_validate(c) for c in changes],
        version=med.version,
    )  # fmt: skip


def create_medication(ctx: Ctx, patient_id: uuid.UUID, body: s.MedicationCreate) -> MedicationEntry:
    ctx.require("medication.write")
    patient = load_patient(ctx, patient_id)
    _check_opioid(body.opioid_id, body.daily_dose, body.dose_unit)
    med = MedicationEntry(
        patient_id=patient.id, name=body.name, opioid_id=body.opioid_id,
        started_on=body.started_on, created_by=ctx.principal.id, created_at=ctx.clock(),
    )  # fmt: skip
    ctx.db.add(med)
    ctx.db.flush()
    ctx.db.add(
        MedicationChange(
            medication_id=med.id,
            kind="start",
            effective_on=body.started_on,
            daily_dose=body.daily_dose,
            dose_unit=body.dose_unit,
            reason=body.reason,
            recorded_by=ctx.principal.id,
            recorded_at=ctx.clock(),
        )
    )
    ctx.db.flush()
    ctx.audit("C", "medication.create", f"Medication/{med.id}", patient.id)
    ctx.db.commit()
    return med


def add_change(
    ctx: Ctx, medication_id: uuid.UUID, body: s.MedicationChangeCreate, if_match: str | None
) -> MedicationEntry:
    """A dose change or a stop, effective on a date not before the last change."""
    ctx.require("medication.write")
    med = ctx.db.get(MedicationEntry, medication_id)
    if med is None:
        raise not_found("medication", medication_id)
    check_if_match(if_match, med.version)
    if med.stopped_on is not None:
        raise conflict(
            f"medication {med.id} was stopped on {med.stopped_on.isoformat()}; "
            "record a new medication to restart it",
            field="body.kind",
            value=body.kind,
        )
    changes = _changes(ctx, med)
    last: date = max(c.effective_on for c in changes)
    unit = body.dose_unit or next((c.dose_unit for c in reversed(changes) if c.dose_unit), "mg/day")
    if body.effective_on < last:
        raise ServiceError(
            422, "validation_error",
            f"effective_on must be on or after the last change ({last.isoformat()})",
            field="body.effective_on", value=body.effective_on.isoformat(),
            limit=f">= {last.isoformat()}",
        )  # fmt: skip
    if body.kind == "stop":
        if body.daily_dose is not None or body.dose_unit is not None:
            raise ServiceError(
                422, "validation_error", "a stop has no dose", field="body.daily_dose",
                value=body.daily_dose, limit="null for kind stop",
            )  # fmt: skip
        med.stopped_on = body.effective_on
    else:
        if body.daily_dose is None:
            raise ServiceError(
                422, "validation_error", "a dose change needs daily_dose",
                field="body.daily_dose", value=None, limit="> 0",
            )  # fmt: skip
        _check_opioid(med.opioid_id, body.daily_dose, unit)
    ctx.db.add(
        MedicationChange(
            medication_id=med.id,
            kind=body.kind,
            effective_on=body.effective_on,
            daily_dose=body.daily_dose,
            dose_unit=None if body.kind == "stop" else unit,
            reason=body.reason,
            recorded_by=ctx.principal.id,
            recorded_at=ctx.clock(),
        )
    )
    med.version += 1
    ctx.db.flush()
    ctx.audit("U", f"medication.{body.kind}", f"Medication/{med.id}", med.patient_id)
    ctx.db.commit()
    return med


def _meds(ctx: Ctx, patient_id: uuid.UUID) -> list[MedicationEntry]:
    return list(
        ctx.db.scalars(
            select(MedicationEntry)
            .where(MedicationEntry.patient_id == patient_id)
            .order_by(MedicationEntry.started_on, MedicationEntry.created_at, MedicationEntry.id)
        )
    )


def list_medications(ctx: Ctx, patient_id: uuid.UUID) -> list[s.MedicationPublic]:
    ctx.require("medication.read")
    patient = load_patient(ctx, patient_id)
    out = [public(ctx, m) for m in _meds(ctx, patient.id)]
    ctx.audit("R", "medication.list", f"Patient/{patient.id}/medications", patient.id)
    ctx.db.commit()
    return out


def _intervals(changes: list[MedicationChange], opioid_id: str) -> list[DoseInterval]:
    out: list[DoseInterval] = []
    for here, nxt in zip(changes, [*changes[1:], None], strict=True):
        if here.kind == "stop" or here.daily_dose is None:
            continue
        stop = nxt.effective_on if nxt is not None else None
        if stop is not None and stop <= here.effective_on:
            continue  # superseded the same day
        out.append(
            DoseInterval(
                opioid_id, here.daily_dose, here.dose_unit or "mg/day", here.effective_on, stop
            )
        )
    return out


def mme_for_patient(ctx: Ctx, patient_id: uuid.UUID) -> s.MmeSeries:
    """The patient's total opioid MME/day as a step series (CDC 2022 factors)."""
    ctx.require("medication.read")
    patient = load_patient(ctx, patient_id)
    intervals: list[DoseInterval] = []
    for med in _meds(ctx, patient.id):
        if med.opioid_id is not None:
            intervals.extend(_intervals(_changes(ctx, med), med.opioid_id))
    points = mme_series(intervals)
    ctx.audit("R", "medication.mme", f"Patient/{patient.id}/mme", patient.id)
    ctx.db.commit()
    return s.MmeSeries(
        patient_id=patient.id,
        points=[
            s.MmePointPublic(on=p.on, mme_per_day=p.mme_per_day, flags=list(p.flags))
            for p in points
        ],
        source=CDC_2022,
        provenance="UNVERIFIED (factors transcribed from the guideline table)",
    )
