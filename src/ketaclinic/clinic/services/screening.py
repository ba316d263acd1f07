"""Screening records: contraindications, prescriber overrides, antidepressant-trial history.

The verdict comes from ``ketaclinic.monitoring.screening.screen``: an absolute
contraindication (esketamine label) is a hard stop that no override lifts; a relative one
(Cohen 2018, doi:10.1097/AAP.0000000000000808; APA consensus) needs a prescriber's
documented override (reason, prescriber, time). Every call is audited.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from ketaclinic.clinic import schemas_screening as s
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, not_found
from ketaclinic.clinic.services.patients import check_if_match, load_patient
from ketaclinic.clinic.tables_screening import ScreeningOverride, ScreeningRecord, TrialRecord
from ketaclinic.errors import DomainError
from ketaclinic.monitoring.screening import (
    CONTRAINDICATIONS,
    TRD_MIN_FAILED_TRIALS,
    AntidepressantTrial,
    Contraindication,
    Override,
    ScreeningResult,
    is_treatment_resistant,
    screen,
)

__all__ = [
    "add_override",
    "add_trial",
    "create_screening",
    "list_screenings",
    "list_trials",
    "public",
]

#: trial outcomes that count as a failed trial for the TRD definition ("failure of >= 2
#: adequate antidepressant trials", clinical-practice sheet [S20][S44c], which does not
#: define failure). A partial response counts: the Canadian expert consensus defines TRD
#: as failure to achieve *response* to two adequate trials and non-response as less than
#: 50% symptom reduction (Depress Anxiety 2021;38:456-467, doi:10.1002/da.23135, Table 3;
#: GRADE high, 83% agreement), and a partial response is a reduction of less than 50%.
#: Not universal: the EU-PEARL consensus (Sforzini et al., Mol Psychiatry 2022,
#: doi:10.1038/s41380-021-01381-x) keeps "partially responsive depression" apart from TRD;
#: a prescriber's override covers a patient it classifies differently.
FAILED_OUTCOMES = frozenset({"no_response", "partial_response"})


def _findings(row: ScreeningRecord) -> list[str]:
    return [f for f in row.findings.split(",") if f]


def _overrides(ctx: Ctx, row: ScreeningRecord) -> list[ScreeningOverride]:
    return list(
        ctx.db.scalars(
            select(ScreeningOverride)
            .where(ScreeningOverride.screening_id == row.id)
            .order_by(ScreeningOverride.overridden_at, ScreeningOverride.id)
        )
    )


def _verdict(findings: list[str], overrides: list[ScreeningOverride]) -> ScreeningResult:
    return screen(
        findings,
        [
            Override(o.contraindication_id, str(o.prescriber_id), o.reason, o.overridden_at)
            for o in overrides
        ],
    )


def _ci(c: Contraindication) -> s.ContraindicationPublic:
    return s.ContraindicationPublic(id=c.id, label=c.label, kind=c.kind, source=c.source)


def public(ctx: Ctx, row: ScreeningRecord) -> s.ScreeningPublic:
    overrides = _overrides(ctx, row)
    result = _verdict(_findings(row), overrides)
    return s.ScreeningPublic(
        id=row.id,
        patient_id=row.patient_id,
        findings=[_ci(CONTRAINDICATIONS[f]) for f in _findings(row)],
        status=result.status,
        message=result.message,
        blocking=[_ci(c) for c in result.blocking],
        overrides=[s.OverridePublic.model_validate(o) for o in overrides],
        notes=row.notes,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        version=row.version,
    )


def _domain_422(exc: DomainError, field: str) -> ServiceError:
    return ServiceError(
        422, "validation_error", exc.message, field=field, value=exc.value, limit=exc.limit
    )


def create_screening(ctx: Ctx, patient_id: uuid.UUID, body: s.ScreeningCreate) -> ScreeningRecord:
    """Record a screening; unknown contraindication ids are refused (422 naming the list)."""
    ctx.require("screening.write")
    patient = load_patient(ctx, patient_id)
    findings = sorted(dict.fromkeys(body.findings))
    try:
        result = screen(findings)
    except DomainError as exc:
        raise _domain_422(exc, "body.findings") from None
    row = ScreeningRecord(
        patient_id=patient.id,
        findings=",".join(findings),
        status=result.status,
        notes=body.notes,
        recorded_by=ctx.principal.id,
        recorded_at=ctx.clock(),
    )
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "screening.create", f"Screening/{row.id}", patient.id)
    ctx.db.commit()
    return row


def list_screenings(ctx: Ctx, patient_id: uuid.UUID) -> list[ScreeningRecord]:
    """The patient's screenings, newest first."""
    ctx.require("screening.read")
    patient = load_patient(ctx, patient_id)
    rows = list(
        ctx.db.scalars(
            select(ScreeningRecord)
            .where(ScreeningRecord.patient_id == patient.id)
            .order_by(ScreeningRecord.recorded_at.desc(), ScreeningRecord.id)
        )
    )
    ctx.audit("R", "screening.list", f"Patient/{patient.id}/screenings", patient.id)
    ctx.db.commit()
    return rows


def add_override(
    ctx: Ctx, screening_id: uuid.UUID, body: s.OverrideCreate, if_match: str | None
) -> ScreeningRecord:
    """A prescriber overrides a relative contraindication (If-Match on the screening).

    An absolute contraindication cannot be overridden (422 naming it and its source); an
    override for a finding not in the screening is refused.
    """
    ctx.require("screening.override")
    row = ctx.db.get(ScreeningRecord, screening_id)
    if row is None:
        raise not_found("screening", screening_id)
    check_if_match(if_match, row.version)
    existing = _overrides(ctx, row)
    if any(o.contraindication_id == body.contraindication_id for o in existing):
        raise ServiceError(
            409, "conflict", f"{body.contraindication_id} is already overridden",
            field="body.contraindication_id", value=body.contraindication_id,
        )  # fmt: skip
    new = ScreeningOverride(
        screening_id=row.id,
        contraindication_id=body.contraindication_id,
        reason=body.reason,
        prescriber_id=ctx.principal.id,
        overridden_at=ctx.clock(),
    )
    try:
        result = _verdict(_findings(row), [*existing, new])
    except DomainError as exc:
        raise _domain_422(exc, "body.contraindication_id") from None
    ctx.db.add(new)
    row.status = result.status
    row.version += 1
    ctx.db.flush()
    ctx.audit("U", "screening.override", f"Screening/{row.id}", row.patient_id)
    ctx.db.commit()
    return row


def add_trial(ctx: Ctx, patient_id: uuid.UUID, body: s.TrialCreate) -> TrialRecord:
    ctx.require("screening.write")
    patient = load_patient(ctx, patient_id)
    row = TrialRecord(
        patient_id=patient.id, recorded_by=ctx.principal.id, recorded_at=ctx.clock(),
        **body.model_dump(),
    )  # fmt: skip
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "trial.create", f"AntidepressantTrial/{row.id}", patient.id)
    ctx.db.commit()
    return row


def list_trials(ctx: Ctx, patient_id: uuid.UUID) -> s.TrialHistory:
    """The antidepressant-trial history and whether it meets the TRD definition."""
    ctx.require("screening.read")
    patient = load_patient(ctx, patient_id)
    rows = list(
        ctx.db.scalars(
            select(TrialRecord)
            .where(TrialRecord.patient_id == patient.id)
            .order_by(TrialRecord.recorded_at, TrialRecord.id)
        )
    )
    trials = [
        AntidepressantTrial(
            r.drug, r.adequate, r.outcome in FAILED_OUTCOMES, duration_weeks=r.duration_weeks
        )
        for r in rows
    ]
    ctx.audit("R", "trial.list", f"Patient/{patient.id}/antidepressant-trials", patient.id)
    ctx.db.commit()
    return s.TrialHistory(
        trials=[s.TrialPublic.model_validate(r) for r in rows],
        failed_adequate_trials=sum(1 for t in trials if t.adequate and t.failed),
        treatment_resistant=is_treatment_resistant(trials),
        definition=f"failure (no or partial response) of >= {TRD_MIN_FAILED_TRIALS} adequate "
        "antidepressant trials (eligibility convention; non-response = less than 50% "
        "symptom reduction, Canadian expert consensus 2021, doi:10.1002/da.23135)",
    )
