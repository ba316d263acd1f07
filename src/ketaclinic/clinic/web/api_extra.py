"""Endpoints the web UI needs that the core API does not offer (yet), under ``/api/v1/ui``.

Built on the service's context, role matrix, audit log and tables; the computations are
the domain packages' (``ketaclinic.web.clinical``). Every route that reads patient data
writes an audit record. Readings, alerts and acknowledgement use the core API directly.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.clinic.api.deps import Caller, Context
from ketaclinic.clinic.schemas_orders import DischargeIn as DischargeCore
from ketaclinic.clinic.services import discharge as discharge_service
from ketaclinic.clinic.services import orders as order_service
from ketaclinic.clinic.services import prediction as prediction_service
from ketaclinic.clinic.services import rule_sets as rule_set_service
from ketaclinic.clinic.services import sessions as session_service
from ketaclinic.clinic.services.authz import allowed
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError
from ketaclinic.clinic.services.patients import etag, load_patient
from ketaclinic.clinic.tables import Chair, Patient
from ketaclinic.clinic.web import clinical, queries, series
from ketaclinic.dosing import default_library
from ketaclinic.pk.bands import NO_ANTIDEPRESSANT_CR
from ketaclinic.pk.models import DEFAULT_ADULT_MODEL
from ketaclinic.pk.patient import Patient as PkPatient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.units import MG_PER_L_TO_NG_PER_ML

__all__ = ["router"]

router = APIRouter(prefix="/ui", tags=["web ui"])

#: Marks a UI route that reads or writes patient data. Not the core API's ``x-patient-data``
#: marker (its audit-coverage test lists the core routes); tests/web/test_api_extra.py
#: checks that every route marked here writes an audit record.
PHI = {"x-patient-data-ui": True}


class _In(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


Pos = Annotated[float, Field(gt=0)]


class PatientIn(_In):
    weight_kg: Annotated[float, Field(ge=0.3, le=350)]
    age_years: Annotated[float, Field(ge=0, le=120)] | None = None
    sex: Literal["female", "male"] | None = None
    height_cm: Annotated[float, Field(ge=20, le=250)] | None = None


class DoseIn(_In):
    route: Literal["iv-bolus", "iv-infusion", "im", "intranasal", "sublingual", "oral"]
    amount_mg: Pos
    start_min: Annotated[float, Field(ge=0)] = 0.0
    duration_min: Pos | None = None


class SimulateIn(_In):
    model_id: str | None = None
    patient: PatientIn
    protocol_id: str | None = None
    dose_mg_per_kg: Pos | None = None
    dose_mg: Pos | None = None
    doses: list[DoseIn] = Field(default_factory=list, max_length=50)
    population: bool = True


class OrderIn(_In):
    protocol_id: Annotated[str, Field(min_length=1, max_length=64)]
    patient_id: Annotated[uuid.UUID, Field(strict=False)] | None = None
    weight_kg: Pos | None = None
    height_cm: Pos | None = None
    sex: Literal["female", "male"] | None = None
    dose_mg_per_kg: Pos | None = None
    dose_mg: Pos | None = None
    duration_min: Pos | None = None
    concentration_mg_per_ml: Pos | None = None
    session_number: Annotated[int, Field(ge=1, le=1000)] = 1


class AldreteIn(_In):
    activity: Annotated[int, Field(ge=0, le=2)]
    respiration: Annotated[int, Field(ge=0, le=2)]
    circulation: Annotated[int, Field(ge=0, le=2)]
    consciousness: Annotated[int, Field(ge=0, le=2)]
    oxygen_saturation: Annotated[int, Field(ge=0, le=2)]


class DischargeIn(_In):
    protocol_id: str = clinical.DEFAULT_PROTOCOL
    escort_confirmed: bool = False
    sign: bool = False
    aldrete: AldreteIn | None = None
    moaas: Annotated[int, Field(ge=0, le=5)] | None = None


@router.get("/catalog")
def catalog(caller: Caller) -> dict[str, Any]:
    """Models, protocols (with limits), literature bands and monitoring thresholds."""
    return clinical.catalog()


@router.post("/simulate")
def simulate(body: SimulateIn, caller: Caller) -> dict[str, Any]:
    """A concentration curve with the population band and the therapeutic-window report.

    Either a protocol (dosed by the calculator for the patient, limits not enforced: the
    order form does that) or explicit doses.
    """
    pt = PkPatient(**body.patient.model_dump())
    order = None
    if body.protocol_id:
        extra = {
            "dose_mg_per_kg": body.dose_mg_per_kg,
            "dose_mg": body.dose_mg,
            "height_cm": body.patient.height_cm,
            "sex": body.patient.sex,
        }
        check, result = clinical.dose_check_result(body.protocol_id, body.patient.weight_kg, extra)
        if result is None:
            r = check["refusal"]
            raise ServiceError(
                422, "validation_error", r["message"], field=r["field"], limit=r["limit"]
            )
        order = check
        p = default_library().get(body.protocol_id)
        regimen = clinical.regimen_for(result)
        model_id = body.model_id or clinical.model_for(p)
    else:
        if not body.doses:
            raise ServiceError(
                422,
                "validation_error",
                "give a protocol_id or at least one dose",
                field="body.doses",
                limit="1..50 doses",
            )
        regimen = Regimen(tuple(Dose(**d.model_dump()) for d in body.doses))
        model_id = body.model_id or DEFAULT_ADULT_MODEL
    out = clinical.simulation_json(
        model_id=model_id, regimen=regimen, patient=pt, population=body.population
    )
    out["order"] = order
    out["regimen"] = [
        {
            "route": d.route,
            "amount_mg": d.amount_mg,
            "start_min": d.start_min,
            "duration_min": d.duration_min,
        }
        for d in regimen.doses
    ]
    return out


def _order_inputs(ctx: Ctx, body: OrderIn) -> tuple[float, dict[str, Any], dict[str, Any]]:
    """(weight_kg, calculator arguments, patient summary) for an order."""
    args: dict[str, Any] = {
        k: getattr(body, k)
        for k in (
            "height_cm",
            "sex",
            "dose_mg_per_kg",
            "dose_mg",
            "duration_min",
            "concentration_mg_per_ml",
            "session_number",
        )
    }
    summary: dict[str, Any] = {"patient_id": None}
    weight = body.weight_kg
    if body.patient_id is not None:
        ctx.require("patient.read")
        p = load_patient(ctx, body.patient_id)
        m = queries.latest_measurement(ctx, p.id)
        weight = weight or m["weight_kg"]
        args["height_cm"] = args["height_cm"] or m["height_cm"]
        args["sex"] = args["sex"] or p.sex
        summary = {
            "patient_id": str(p.id),
            "name": f"{p.family_name}, {p.given_name}",
            "mrn": p.mrn,
            "weight_kg": m["weight_kg"],
            "height_cm": m["height_cm"],
            "sex": p.sex,
        }
    if weight is None:
        raise ServiceError(
            422,
            "validation_error",
            "weight_kg is required (no weight on record)",
            field="body.weight_kg",
            unit="kg",
        )
    return weight, args, summary


@router.post("/orders/check", openapi_extra=PHI)
def order_check(body: OrderIn, ctx: Context) -> dict[str, Any]:
    """The calculator's dose, volume and pump rate with every limit met; nothing enforced."""
    # as POST /sessions/{id}/orders/check (a refusal is audited), but not through a
    # break-glass grant: that opens a chart to read, not the dose calculator
    ctx.require("order.read", break_glass=False)
    weight, args, summary = _order_inputs(ctx, body)
    out = clinical.dose_check(body.protocol_id, weight, args)
    pid = summary["patient_id"]
    ctx.audit(
        "R",
        "order.check",
        f"order:{body.protocol_id}:{out['status']}",
        uuid.UUID(pid) if pid else None,
    )
    ctx.db.commit()
    return {**out, "patient": summary, "weight_kg": weight}


@router.get("/patients/{patient_id}/orderable-sessions", openapi_extra=PHI)
def orderable_sessions(patient_id: uuid.UUID, ctx: Context) -> list[dict[str, Any]]:
    """The patient's sessions that can take an order (scheduled or in progress), soonest
    first: the stand-alone dose-order page signs into one of them through
    ``POST /sessions/{id}/orders`` (services/orders.py), so every signed order is stored.
    ``/ui/orders/check`` only calculates."""
    return order_service.orderable_sessions(ctx, patient_id)


@router.get("/dashboard", openapi_extra=PHI)
def dashboard(ctx: Context) -> Response:
    # JSON types only (str, numbers, None, lists, dicts): serialised once, without
    # FastAPI's jsonable_encoder walk (4-5 ms of the page's ~60 KB with 50 in progress)
    return JSONResponse(queries.dashboard(ctx))


@router.get("/schedule", openapi_extra=PHI)
def schedule(
    ctx: Context,
    start: Annotated[date, Query()],
    days: Annotated[int, Query(ge=1, le=31)] = 7,
) -> dict[str, Any]:
    return queries.schedule(ctx, start, days)


@router.get("/series/patients", openapi_extra=PHI)
def bookable_patients(ctx: Context) -> list[dict[str, object]]:
    """Patients with an active course, for booking a series (front desk, admin)."""
    return series.bookable_patients(ctx)


@router.get("/patients/{patient_id}/bookable-courses", openapi_extra=PHI)
def bookable_courses(patient_id: uuid.UUID, ctx: Context) -> list[dict[str, object]]:
    return series.bookable_courses(ctx, patient_id)


@router.post("/series", status_code=201, openapi_extra=PHI)
def book_series(body: series.SeriesIn, ctx: Context) -> list[dict[str, object]]:
    """Book a course's sessions into one chair (front desk); one clash refuses all (409)."""
    return series.series_public(series.book_series(ctx, body))


@router.get("/outcomes/alert-rates", openapi_extra=PHI)
def alert_rates(ctx: Context, weeks: Annotated[int, Query(ge=1, le=104)] = 16) -> dict[str, Any]:
    """Share of completed sessions with an alert, per week, with Wilson 95% intervals."""
    return queries.alert_rates(ctx, weeks=weeks)


@router.get("/patients/{patient_id}/sessions", openapi_extra=PHI)
def patient_sessions(patient_id: uuid.UUID, ctx: Context) -> list[dict[str, Any]]:
    return queries.patient_sessions(ctx, patient_id)


def _protocol(protocol_id: str) -> Any:
    return default_library().get(protocol_id)


@router.get("/sessions/{session_id}/overview", openapi_extra=PHI)
def session_overview(
    session_id: uuid.UUID,
    ctx: Context,
    response: Response,
    protocol_id: Annotated[str, Query(max_length=64)] = clinical.DEFAULT_PROTOCOL,
) -> dict[str, Any]:
    """Session, patient, chair, the planned order and its predicted concentration curve.

    Until orders are stored, the plan is the protocol's standard dose for the patient's
    latest weight, started at the session start (``plan.assumed`` is true).
    """
    ctx.require("session.read")
    s = session_service.load_session(ctx, session_id)
    p = ctx.db.get(Patient, s.patient_id)
    chair = ctx.db.get(Chair, s.chair_id)
    assert p is not None
    assert chair is not None
    m = queries.latest_measurement(ctx, p.id)
    proto = _protocol(protocol_id)
    now = ctx.clock()
    age = (now.date() - p.birth_date).days / 365.25
    plan: dict[str, Any] = {
        "protocol": proto.to_dict(),
        "assumed": True,
        "order": None,
        "prediction": None,
        "refusal": None,
    }
    if m["weight_kg"] is not None:
        args = {"height_cm": m["height_cm"], "sex": p.sex}
        check, result = clinical.dose_check_result(proto.id, m["weight_kg"], args)
        plan["order"], plan["refusal"] = check["order"], check["refusal"]
        if result is not None:
            pt = PkPatient(
                weight_kg=m["weight_kg"],
                age_years=min(age, 120),
                sex=p.sex,  # type: ignore[arg-type]
                height_cm=m["height_cm"],
            )
            sim = clinical.simulation_json(
                model_id=clinical.model_for(proto),
                regimen=clinical.regimen_for(result),
                patient=pt,
                population=False,
                window=False,
            )
            plan["prediction"] = sim
            plan["end_min"] = result.end_min
    _signed_plan(ctx, s, plan)
    end_mon = clinical.monitoring_end(s.started_at, proto)
    rules = _rule_set(ctx, s)  # the lines: the rule set this session's alerts use
    response.headers["ETag"] = etag(s.version)
    ctx.audit("R", "session.overview", f"TreatmentSession/{s.id}", p.id)
    ctx.db.commit()
    return {
        "server_now": now.isoformat(),
        "session": {
            "id": str(s.id),
            "status": s.status,
            "version": s.version,
            "scheduled_for": s.scheduled_for.isoformat(),
            "started_at": s.started_at.isoformat() if s.started_at else None,
            "ended_at": s.ended_at.isoformat() if s.ended_at else None,
        },
        "patient": {
            "id": str(p.id),
            "name": f"{p.family_name}, {p.given_name}",
            "mrn": p.mrn,
            "age_years": round(age, 1),
            "sex": p.sex,
            "escort_name": p.escort_name,
            "escort_phone": p.escort_phone,
            **m,
        },
        "chair": {"id": str(chair.id), "label": chair.label},
        "plan": plan,
        "monitoring_until": None if end_mon is None else end_mon.isoformat(),
        **rules,
        "bands": clinical.bands_json(),
        "ng_per_ml_per_mg_per_l": MG_PER_L_TO_NG_PER_ML,
    }


def _rule_set(ctx: Ctx, s: Any) -> dict[str, Any]:
    rules = rule_set_service.rules_for_session(ctx.db, s)
    return {
        "rule_set": clinical.rule_set_json(rules),
        "thresholds": clinical.thresholds_json(rules),
    }


@router.get("/sessions/{session_id}/rule-set", openapi_extra=PHI)
def session_rule_set(session_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    """The thresholds new readings of this session are evaluated against now: the current
    version of its protocol's rule set (the monitor redraws its lines after an edit)."""
    ctx.require("session.read")
    s = session_service.load_session(ctx, session_id)
    out = _rule_set(ctx, s)
    ctx.audit("R", "session.rule_set", f"TreatmentSession/{s.id}", s.patient_id)
    ctx.db.commit()
    return out


def _signed_plan(ctx: Ctx, s: Any, plan: dict[str, Any]) -> None:
    """Replace the assumed plan by the signed order and its prediction from the actual
    administration record (services/prediction.py), on the session's time axis."""
    order = order_service.signed_order(ctx, s.id)
    if order is None or not allowed(ctx.principal.role, "order.read"):
        return
    try:
        pred = prediction_service.predict(ctx, s.id)
    except ServiceError:  # nothing delivered yet: keep the protocol plan
        return
    shift = 0.0
    if s.started_at is not None:
        shift = (datetime.fromisoformat(pred["t0"]) - s.started_at).total_seconds() / 60.0
    plan["assumed"] = False
    plan["order"] = order_service.order_public(order)["result"]
    plan["refusal"] = None
    plan["end_min"] = pred["end_min"] + shift
    plan["model"] = pred["model"]
    plan["prediction"] = {
        "model": pred["model"]["id"],
        "time_min": [t + shift for t in pred["time_min"]],
        "plasma_ng_per_ml": pred["plasma_ng_per_ml"],
        "effect_site_ng_per_ml": None,
        "warnings": pred["warnings"],
        "population": None,
        "bands": clinical.bands_json(),
        "statement": NO_ANTIDEPRESSANT_CR,
        "plasma_now_ng_per_ml": pred["plasma_now_ng_per_ml"],
        "plasma_end_ng_per_ml": pred["plasma_end_ng_per_ml"],
    }


def _discharge_in(body: DischargeIn) -> DischargeCore:
    return DischargeCore.model_validate(body.model_dump())


@router.post("/sessions/{session_id}/discharge-check", openapi_extra=PHI)
def discharge_check(session_id: uuid.UUID, body: DischargeIn, ctx: Context) -> dict[str, Any]:
    """Which discharge criteria hold and which still block (services/discharge.py)."""
    return discharge_service.check(ctx, session_id, _discharge_in(body))


@router.post("/sessions/{session_id}/discharge", openapi_extra=PHI)
def discharge(
    session_id: uuid.UUID,
    body: DischargeIn,
    ctx: Context,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Complete the session when every discharge criterion holds and the caller signs;
    otherwise 409 naming the first blocking criterion (services/discharge.py)."""
    row, out = discharge_service.discharge(ctx, session_id, _discharge_in(body), if_match)
    response.headers["ETag"] = etag(row.version)
    return {
        **out,
        "session": {
            "id": str(row.id),
            "status": row.status,
            "ended_at": row.ended_at.isoformat() if row.ended_at else None,
        },
    }
