"""Instruments, questionnaire responses, outcome trajectories, safety notifications and
clinic outcome analytics. Every patient-data route writes an audit record."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from ketaclinic.clinic import schemas_questionnaires as sq
from ketaclinic.clinic.api.deps import Context
from ketaclinic.clinic.api.routes_patients import PHI
from ketaclinic.clinic.services import outcomes, questionnaires

__all__ = ["router"]

router = APIRouter(tags=["questionnaires"])


@router.get("/instruments", response_model=list[sq.InstrumentPublic])
def list_instruments(ctx: Context) -> object:
    """Instrument definitions; item text only for instruments free to embed."""
    return questionnaires.list_instruments(ctx)


@router.get("/instruments/{instrument_id}", response_model=sq.InstrumentPublic)
def get_instrument(instrument_id: str, ctx: Context) -> object:
    return questionnaires.get_instrument_public(ctx, instrument_id)


def _public(row: Any, notes: list[Any]) -> sq.QuestionnairePublic:
    out = sq.QuestionnairePublic.model_validate(row)
    out.notifications = [sq.NotificationPublic.model_validate(n) for n in notes]
    return out


@router.post(
    "/patients/{patient_id}/questionnaires",
    status_code=201,
    response_model=sq.QuestionnairePublic,
    openapi_extra=PHI,
)
def create_response(patient_id: uuid.UUID, body: sq.QuestionnaireCreate, ctx: Context) -> object:
    """Score and store answers (by item id); a safety flag notifies the prescribers."""
    row, notes = questionnaires.record_response(ctx, patient_id, body)
    return _public(row, notes)


@router.get(
    "/patients/{patient_id}/questionnaires",
    response_model=list[sq.QuestionnairePublic],
    openapi_extra=PHI,
)
def list_responses(
    patient_id: uuid.UUID,
    ctx: Context,
    instrument_id: Annotated[str | None, Query(max_length=40)] = None,
) -> object:
    return questionnaires.list_responses(ctx, patient_id, instrument_id)


@router.get("/patients/{patient_id}/outcomes", openapi_extra=PHI)
def patient_outcomes(patient_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    """Trajectories per instrument and course, response/remission lines, session dates."""
    return outcomes.patient_outcomes(ctx, patient_id)


@router.get("/notifications", response_model=list[sq.NotificationPublic], openapi_extra=PHI)
def list_notifications(
    ctx: Context, include_acknowledged: bool = False, mine: bool = False
) -> object:
    """Safety notifications (open ones by default), newest first."""
    return questionnaires.list_notifications(ctx, open_only=not include_acknowledged, mine=mine)


@router.post(
    "/notifications/{notification_id}/ack",
    response_model=sq.NotificationPublic,
    openapi_extra=PHI,
)
def acknowledge(notification_id: uuid.UUID, ctx: Context) -> object:
    return questionnaires.acknowledge_notification(ctx, notification_id)


@router.get("/analytics/outcomes", response_model=sq.AnalyticsPublic)
def clinic_outcomes(
    ctx: Context,
    instrument_id: Annotated[str, Query(max_length=40)] = "phq-9",
    method: Literal["wilson", "clopper-pearson"] = "wilson",
    at: Literal["last", "any"] = "last",
) -> object:
    """Response and remission rates with 95% CIs by indication and protocol."""
    return outcomes.clinic_outcomes(ctx, instrument_id=instrument_id, method=method, at=at)
