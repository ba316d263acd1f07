"""FHIR R4 export of one patient's record (``GET /patients/{id}/fhir``, ``ketaclinic fhir
export``): reads the clinic's tables into ``ketaclinic.interop.fhir`` records and returns
the Bundle built there.

Exported: demographics, sessions (Encounter), every vital-sign reading of the patient's
sessions, questionnaire totals, MOAA/S and CADSS-6 scores, administrations with their
lot and rates, adverse events. Not exported: orders (MedicationRequest), consents,
screening, checklist entries, discharges, staff (Practitioner), the escort
(RelatedPerson), alerts and free-text notes.

Who may export (action ``fhir.export``): prescribers and nurses, who may already read
every part of the bundle one route at a time (patient, readings, questionnaires, orders,
adverse events). The front desk, the admin and the auditor may not: the bundle holds
readings, scores and adverse events those roles cannot read, and an export would widen
their access (least privilege, services/authz.py).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinic import audit
from ketaclinic.clinic.services.checklist import is_esketamine
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.patients import load_patient
from ketaclinic.clinic.tables import Patient, TreatmentSession, VitalReading
from ketaclinic.clinic.tables_orders import (
    AdministrationRate,
    AdverseEvent,
    DoseAdministration,
    DoseOrder,
    SessionScore,
)
from ketaclinic.clinic.tables_questionnaires import QuestionnaireResponse
from ketaclinic.errors import NotFoundError
from ketaclinic.instruments import get_instrument
from ketaclinic.interop import fhir
from ketaclinic.monitoring.vitals import VitalSigns

__all__ = ["SCALE_NAMES", "collect", "export_by_mrn", "patient_bundle"]

#: Display names of the chairside scales stored in ``session_scores``.
SCALE_NAMES = {"moaas": "MOAA/S", "cadss6": "CADSS-6"}


def _instrument_name(instrument_id: str) -> str:
    try:
        return get_instrument(instrument_id).name
    except NotFoundError:
        return instrument_id


def collect(db: Session, patient: Patient) -> fhir.PatientExport:
    """Everything exported for ``patient`` as validated ``ketaclinic.interop.fhir`` records."""
    sessions = list(
        db.scalars(
            select(TreatmentSession)
            .where(TreatmentSession.patient_id == patient.id)
            .order_by(TreatmentSession.scheduled_for, TreatmentSession.id)
        )
    )
    sids = [s.id for s in sessions]
    readings = (
        list(
            db.scalars(
                select(VitalReading)
                .where(VitalReading.session_id.in_(sids))
                .order_by(VitalReading.measured_at, VitalReading.id)
            )
        )
        if sids
        else []
    )
    responses = db.scalars(
        select(QuestionnaireResponse)
        .where(QuestionnaireResponse.patient_id == patient.id)
        .order_by(QuestionnaireResponse.administered_at, QuestionnaireResponse.id)
    )
    known = set(sids)
    scores = [
        fhir.ScoreRecord(
            id=r.id,
            instrument_id=r.instrument_id,
            name=_instrument_name(r.instrument_id),
            administered_at=r.administered_at,
            total=r.total,
            band=r.band,
            instrument_version=r.instrument_version,
            flags=tuple(str(f) for f in r.flag_codes),
            session_id=r.session_id if r.session_id in known else None,
        )
        for r in responses
    ]
    admins: list[fhir.AdministrationRecord] = []
    events: list[fhir.AdverseEventRecord] = []
    if sids:
        scores += [
            fhir.ScoreRecord(
                id=s.id,
                instrument_id=s.scale,
                name=SCALE_NAMES.get(s.scale, s.scale),
                administered_at=s.measured_at,
                total=s.total,
                session_id=s.session_id,
            )
            for s in db.scalars(select(SessionScore).where(SessionScore.session_id.in_(sids)))
        ]
        admins = _administrations(db, sids)
        events = [
            fhir.AdverseEventRecord(
                id=e.id,
                event_type=e.event_type,
                severity=e.severity,  # type: ignore[arg-type]
                serious=e.serious,
                outcome=e.outcome,  # type: ignore[arg-type]
                onset_at=e.onset_at,
                recorded_at=e.created_at,
                administration_id=e.administration_id,
                session_id=e.session_id,
            )
            for e in db.scalars(
                select(AdverseEvent)
                .where(AdverseEvent.session_id.in_(sids))
                .order_by(AdverseEvent.onset_at, AdverseEvent.id)
            )
        ]
    return fhir.PatientExport(
        patient=fhir.PatientRecord(
            id=patient.id,
            mrn=patient.mrn,
            given_name=patient.given_name,
            family_name=patient.family_name,
            birth_date=patient.birth_date,
            sex=patient.sex,  # type: ignore[arg-type]
            phone=patient.phone or None,
        ),
        sessions=tuple(
            fhir.SessionRecord(
                id=s.id,
                status=s.status,  # type: ignore[arg-type]
                scheduled_for=s.scheduled_for,
                started_at=s.started_at,
                ended_at=s.ended_at,
            )
            for s in sessions
        ),
        vitals=tuple(
            fhir.VitalsRecord(
                id=r.id,
                vitals=VitalSigns(
                    r.measured_at,
                    sbp_mmhg=r.sbp_mmhg,
                    dbp_mmhg=r.dbp_mmhg,
                    hr_per_min=r.hr_per_min,
                    spo2_pct=r.spo2_pct,
                    rr_per_min=r.rr_per_min,
                    temp_c=r.temp_c,
                    source=r.source,  # type: ignore[arg-type]
                    received_at=r.received_at,
                ),
                session_id=r.session_id,
            )
            for r in readings
        ),
        scores=tuple(scores),
        administrations=tuple(admins),
        adverse_events=tuple(events),
    )


def _administrations(db: Session, sids: list[uuid.UUID]) -> list[fhir.AdministrationRecord]:
    rows: list[tuple[DoseAdministration, DoseOrder]] = [
        (a, o)
        for a, o in db.execute(
            select(DoseAdministration, DoseOrder)
            .join(DoseOrder, DoseOrder.id == DoseAdministration.order_id)
            .where(DoseAdministration.session_id.in_(sids))
            .order_by(DoseAdministration.started_at, DoseAdministration.id)
        )
    ]
    rates: dict[uuid.UUID, list[fhir.RateSegment]] = defaultdict(list)
    if rows:
        for rate in db.scalars(
            select(AdministrationRate)
            .where(AdministrationRate.administration_id.in_([a.id for a, _ in rows]))
            .order_by(AdministrationRate.at, AdministrationRate.created_at)
        ):
            rates[rate.administration_id].append(fhir.RateSegment(rate.at, rate.rate_mg_per_h))
    return [
        fhir.AdministrationRecord(
            id=a.id,
            drug="esketamine" if is_esketamine(o.protocol_id) else "ketamine",
            route=o.route,
            lot_number=a.lot_number,
            started_at=a.started_at,
            ordered_dose_mg=o.dose_mg,
            stopped_at=a.stopped_at,
            amount_given_mg=a.amount_given_mg,
            rates=tuple(rates[a.id]),
            session_id=a.session_id,
        )
        for a, o in rows
    ]


def _export(ctx: Ctx, patient: Patient) -> dict[str, Any]:
    bundle = fhir.bundle(collect(ctx.db, patient), timestamp=ctx.clock())
    ctx.audit(
        "R", "patient.fhir_export", f"Bundle/{bundle['id']}?entries={len(bundle['entry'])}",
        patient.id,
    )  # fmt: skip
    ctx.db.commit()
    return bundle


def patient_bundle(ctx: Ctx, patient_id: uuid.UUID) -> dict[str, Any]:
    """The patient's FHIR R4 Bundle (collection); audited as a read of patient data."""
    ctx.require("fhir.export")
    return _export(ctx, load_patient(ctx, patient_id))


def export_by_mrn(
    db: Session, mrn: str, *, audit_key: bytes, node_id: str, operator: str, now: datetime
) -> dict[str, Any] | None:
    """The CLI's export by MRN; None when no patient has this MRN.

    The command line has no staff login: whoever runs it holds the database URL and the
    audit key already. The read is still audited, as actor ``system`` with id
    ``cli:<operating-system user>``.
    """
    patient = db.scalars(select(Patient).where(Patient.mrn == mrn)).first()
    if patient is None:
        return None
    bundle = fhir.bundle(collect(db, patient), timestamp=now)
    audit.append(
        db, key=audit_key, node_id=node_id, actor=audit.Actor("system", f"cli:{operator}"[:64]),
        action="R", event_type="patient.fhir_export",
        resource_ref=f"Bundle/{bundle['id']}?entries={len(bundle['entry'])}",
        patient_id=str(patient.id),
    )  # fmt: skip
    db.commit()
    return bundle
