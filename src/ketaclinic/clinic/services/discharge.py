"""The discharge gate of a session (:mod:`ketaclinic.monitoring.discharge`).

Criteria: the minimum monitoring time (2 h for esketamine), the latest vital signs back
within limits, modified Aldrete >= 9 after IV/IM, the escort confirmed, and a clinician's
signature. A refusal names the blocking criterion (409); a signed discharge is stored with
the criteria as checked and completes the session (If-Match on the session).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ketaclinic.clinic.schemas_orders import DischargeIn
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, conflict
from ketaclinic.clinic.services.orders import protocol_of, signed_order
from ketaclinic.clinic.services.patients import check_if_match
from ketaclinic.clinic.services.session_records import latest_moaas
from ketaclinic.clinic.services.sessions import load_session, transition
from ketaclinic.clinic.tables import TreatmentSession, VitalReading
from ketaclinic.clinic.tables_orders import SessionDischarge
from ketaclinic.clinic.vitals import VITAL_NAMES
from ketaclinic.dosing import Protocol, default_library
from ketaclinic.monitoring import (
    DischargeRequest,
    VitalSigns,
    evaluate_discharge,
    modified_aldrete,
    policy_for,
)

__all__ = ["check", "discharge", "drug_of", "evaluate", "latest_vitals"]


def drug_of(p: Protocol) -> str:
    """``"esketamine"`` or ``"ketamine"`` (the discharge policy's vocabulary)."""
    return "esketamine" if p.esketamine else "ketamine"


def latest_vitals(ctx: Ctx, session_id: uuid.UUID) -> VitalSigns | None:
    row = ctx.db.scalars(
        select(VitalReading)
        .where(VitalReading.session_id == session_id)
        .order_by(VitalReading.measured_at.desc(), VitalReading.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return VitalSigns(measured_at=row.measured_at, **{n: getattr(row, n) for n in VITAL_NAMES})


def _protocol(ctx: Ctx, s: TreatmentSession, protocol_id: str | None) -> Protocol:
    """The signed order's protocol, else the course's, else ``protocol_id``."""
    order = signed_order(ctx, s.id)
    if order is not None:
        return default_library().get(order.protocol_id, order.protocol_version)
    return protocol_of(ctx, s, None if s.course_id is not None else protocol_id)


def evaluate(ctx: Ctx, s: TreatmentSession, body: DischargeIn, now: datetime) -> dict[str, Any]:
    """Every criterion, met or blocking (with its message and source)."""
    proto = _protocol(ctx, s, body.protocol_id)
    drug = drug_of(proto)
    policy = policy_for(drug, proto.route)  # type: ignore[arg-type]
    base: dict[str, Any] = {
        "protocol": {"id": proto.id, "version": proto.version, "route": proto.route},
        "drug": drug,
        "min_monitoring_min": policy.min_monitoring_min,
        "min_monitoring_source": policy.min_monitoring_source,
    }
    if s.started_at is None:
        return {
            **base,
            "allowed": False,
            "criteria": [
                {
                    "criterion": "session-started",
                    "met": False,
                    "message": "the session has not started",
                    "source": "",
                }
            ],
            "aldrete_total": None,
            "moaas": None,
            "earliest_at": None,
        }
    score = None if body.aldrete is None else modified_aldrete(**body.aldrete.model_dump())
    moaas = body.moaas if body.moaas is not None else latest_moaas(ctx, s.id)
    decision = evaluate_discharge(
        DischargeRequest(
            drug,  # type: ignore[arg-type]
            proto.route,
            s.started_at,
            max(now, s.started_at),
            latest_vitals(ctx, s.id),
            escort_confirmed=body.escort_confirmed,
            clinician_signature=ctx.principal.name if body.sign else None,
            aldrete=score,
            latest_moaas=moaas,
        )
    )
    criteria = [
        {"criterion": b.criterion, "met": False, "message": b.message, "source": b.source}
        for b in decision.blocking
    ] + [{"criterion": c, "met": True, "message": "met", "source": ""} for c in decision.met]
    return {
        **base,
        "allowed": decision.allowed,
        "criteria": criteria,
        "aldrete_total": None if score is None else score.total,
        "moaas": moaas,
        "earliest_at": None if decision.earliest_at is None else decision.earliest_at.isoformat(),
    }


def check(ctx: Ctx, session_id: uuid.UUID, body: DischargeIn) -> dict[str, Any]:
    """Which criteria hold and which block (nothing is changed)."""
    ctx.require("discharge.check")
    s = load_session(ctx, session_id)
    out = evaluate(ctx, s, body, ctx.clock())
    ctx.audit("R", "discharge.check", f"TreatmentSession/{s.id}", s.patient_id)
    ctx.db.commit()
    return out


def discharge(
    ctx: Ctx, session_id: uuid.UUID, body: DischargeIn, if_match: str | None
) -> tuple[TreatmentSession, dict[str, Any]]:
    """Store the signed discharge and complete the session when every criterion holds;
    otherwise 409 naming the first blocking criterion (nothing stored)."""
    ctx.require("discharge.sign")
    if not body.sign:
        raise ServiceError(
            422,
            "validation_error",
            "discharge needs the clinician's signature",
            field="body.sign",
            value=False,
            limit="true",
        )
    s = load_session(ctx, session_id)
    if s.status != "in_progress":
        raise conflict(f"a {s.status} session cannot be discharged", field="status", value=s.status)
    out = evaluate(ctx, s, body, ctx.clock())
    if not out["allowed"]:
        blocking = [c for c in out["criteria"] if not c["met"]]
        msg = "; ".join(f"{c['criterion']}: {c['message']}" for c in blocking)
        ctx.db.rollback()
        ctx.audit("E", "discharge.refused", f"TreatmentSession/{s.id}", s.patient_id, outcome=4)
        ctx.db.commit()
        raise ServiceError(
            409,
            "discharge_blocked",
            f"discharge blocked: {msg}",
            field=blocking[0]["criterion"],
            limit="every criterion met",
        )
    check_if_match(if_match, s.version)
    ctx.db.add(
        SessionDischarge(
            session_id=s.id,
            signed_by=ctx.principal.id,
            signed_at=ctx.clock(),
            escort_confirmed=body.escort_confirmed,
            aldrete_total=out["aldrete_total"],
            criteria_json=json.dumps(out["criteria"]),
        )
    )
    ctx.audit("C", "discharge.sign", f"TreatmentSession/{s.id}", s.patient_id)
    row = transition(ctx, session_id, "completed", if_match)  # commits both, or neither
    return row, out
