"""Chairside records of a session: sedation (MOAA/S) and dissociation (CADSS-6 by item id)
scores over time, scored by :mod:`ketaclinic.monitoring.scales`, and structured adverse
events (type, severity, seriousness, action taken, outcome, link to the administration)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select

from ketaclinic.clinic.schemas_orders import AdverseEventCreate, ScoreCreate
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError
from ketaclinic.clinic.services.sessions import load_session
from ketaclinic.clinic.tables_orders import AdverseEvent, DoseAdministration, SessionScore
from ketaclinic.monitoring import cadss6, moaas

__all__ = [
    "add_adverse_event",
    "add_score",
    "latest_moaas",
    "list_adverse_events",
    "list_scores",
    "score_public",
]


def _missing(field: str, scale: str, requirement: str) -> ServiceError:
    return ServiceError(
        422,
        "validation_error",
        f"{field} is required for scale {scale}",
        field=f"body.{field}",
        limit=requirement,
    )


def add_score(ctx: Ctx, session_id: uuid.UUID, body: ScoreCreate) -> SessionScore:
    """Score and store one MOAA/S or CADSS-6 (out-of-range or unknown items: 422)."""
    ctx.require("score.write")
    s = load_session(ctx, session_id)
    items_json = None
    if body.scale == "moaas":
        if body.moaas is None or body.items is not None:
            raise _missing("moaas", "moaas", "an integer 0-5 (and no items)")
        total = moaas(body.moaas).score
    else:
        if body.items is None or body.moaas is not None:
            raise _missing("items", "cadss6", "the six CADSS-6 items by id, 0-4 each")
        scored = cadss6(body.items)
        total = scored.total
        items_json = json.dumps(dict(scored.items))
    row = SessionScore(
        session_id=s.id,
        scale=body.scale,
        measured_at=body.measured_at,
        total=total,
        items_json=items_json,
        recorded_by=ctx.principal.id,
    )
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "score.create", f"SessionScore/{row.id}", s.patient_id)
    ctx.db.commit()
    return row


def score_public(row: SessionScore) -> dict[str, Any]:
    cols = ["id", "session_id", "scale", "measured_at", "total", "recorded_by"]
    out = {c: getattr(row, c) for c in cols}
    out["items"] = None if row.items_json is None else json.loads(row.items_json)
    return out


def list_scores(ctx: Ctx, session_id: uuid.UUID) -> list[SessionScore]:
    ctx.require("score.read")
    s = load_session(ctx, session_id)
    rows = list(
        ctx.db.scalars(
            select(SessionScore)
            .where(SessionScore.session_id == s.id)
            .order_by(SessionScore.measured_at, SessionScore.created_at)
        )
    )
    ctx.audit("R", "score.list", f"TreatmentSession/{s.id}", s.patient_id)
    ctx.db.commit()
    return rows


def latest_moaas(ctx: Ctx, session_id: uuid.UUID) -> int | None:
    """The session's latest MOAA/S score (no audit: callers audit their own read)."""
    return ctx.db.scalar(
        select(SessionScore.total)
        .where(SessionScore.session_id == session_id, SessionScore.scale == "moaas")
        .order_by(SessionScore.measured_at.desc(), SessionScore.created_at.desc())
        .limit(1)
    )


def add_adverse_event(ctx: Ctx, session_id: uuid.UUID, body: AdverseEventCreate) -> AdverseEvent:
    ctx.require("adverse_event.write")
    s = load_session(ctx, session_id)
    if body.administration_id is not None:
        adm = ctx.db.get(DoseAdministration, body.administration_id)
        if adm is None or adm.session_id != s.id:
            raise ServiceError(
                422,
                "validation_error",
                f"administration {body.administration_id} is not an administration of "
                f"session {s.id}",
                field="body.administration_id",
                value=str(body.administration_id),
                limit=f"an administration of session {s.id}",
            )
    row = AdverseEvent(
        session_id=s.id,
        administration_id=body.administration_id,
        event_type=body.event_type,
        severity=body.severity,
        serious=body.serious,
        action_taken=body.action_taken,
        outcome=body.outcome,
        onset_at=body.onset_at,
        notes=body.notes,
        recorded_by=ctx.principal.id,
        created_at=ctx.clock(),
    )
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "adverse_event.create", f"AdverseEvent/{row.id}", s.patient_id)
    ctx.db.commit()
    return row


def list_adverse_events(ctx: Ctx, session_id: uuid.UUID) -> list[AdverseEvent]:
    ctx.require("adverse_event.read")
    s = load_session(ctx, session_id)
    rows = list(
        ctx.db.scalars(
            select(AdverseEvent)
            .where(AdverseEvent.session_id == s.id)
            .order_by(AdverseEvent.onset_at, AdverseEvent.created_at)
        )
    )
    ctx.audit("R", "adverse_event.list", f"TreatmentSession/{s.id}", s.patient_id)
    ctx.db.commit()
    return rows
