"""The predicted plasma concentration of a session, now and at the end of the infusion,
from :func:`ketaclinic.pk.simulate` with the signed order and the actual administration
record (start, rate changes, stop). Without an administration the signed order is
assumed to start now (``assumed`` is true)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select

from ketaclinic.clinic.services.administration import rates_of
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError
from ketaclinic.clinic.services.orders import signed_order
from ketaclinic.clinic.services.sessions import load_session
from ketaclinic.clinic.tables import Patient
from ketaclinic.clinic.tables_orders import DoseAdministration, DoseOrder
from ketaclinic.dosing import is_esketamine_drug
from ketaclinic.pk.models import DEFAULT_ADULT_MODEL, get_model
from ketaclinic.pk.patient import Patient as PkPatient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import simulate
from ketaclinic.units import MG_PER_L_TO_NG_PER_ML

__all__ = ["ESKETAMINE_MODEL", "model_id_for", "predict", "regimen_of"]

#: Esketamine orders are simulated with Perez-Ruixo 2021 (the only esketamine set).
ESKETAMINE_MODEL = "perez-ruixo-2021"
_MIN = timedelta(minutes=1)
_AFTER_END_MIN = 120.0  # the curve runs to 2 h after the end of administration
_GRID_STEP_MIN = 1.0


def model_id_for(order: DoseOrder) -> str:
    drug = json.loads(order.result_json).get("drug", "")
    return ESKETAMINE_MODEL if is_esketamine_drug(str(drug)) else DEFAULT_ADULT_MODEL


def regimen_of(
    ctx: Ctx, order: DoseOrder, adm: DoseAdministration | None
) -> tuple[Regimen, float, datetime]:
    """(regimen, end of administration in min from t0, t0) from the record.

    An infusion is one zero-order segment per recorded rate, each lasting until the next
    rate, the stop, or (still running) until the ordered dose is delivered.
    """
    result = json.loads(order.result_json)
    if adm is None:
        t0 = ctx.clock()
        if order.route == "iv-infusion":
            assert order.duration_min is not None
            dose = Dose("iv-infusion", order.dose_mg, duration_min=order.duration_min)
        elif order.route == "intranasal":
            dose = Dose(
                "intranasal", order.dose_mg, device_interval_min=result["device_interval_min"]
            )
        else:
            dose = Dose(order.route, order.dose_mg)  # type: ignore[arg-type]
        return Regimen((dose,)), float(result["end_min"]), t0
    t0 = adm.started_at
    if order.route != "iv-infusion":
        amount = adm.amount_given_mg if adm.amount_given_mg else order.dose_mg
        if order.route == "intranasal":
            dose = Dose("intranasal", amount, device_interval_min=result["device_interval_min"])
        else:
            dose = Dose(order.route, amount)  # type: ignore[arg-type]
        end = float(result["end_min"])
        return Regimen((dose,)), end, t0
    rates = rates_of(ctx, adm.id)
    doses: list[Dose] = []
    given_mg = 0.0
    end_min = 0.0
    for i, r in enumerate(rates):
        start_min = (r.at - t0) / _MIN
        if i + 1 < len(rates):
            stop_min = (rates[i + 1].at - t0) / _MIN
        elif adm.stopped_at is not None:
            stop_min = (adm.stopped_at - t0) / _MIN
        elif r.rate_mg_per_h > 0:  # running: until the ordered dose is in
            left = max(order.dose_mg - given_mg, 0.0)
            stop_min = start_min + left / r.rate_mg_per_h * 60.0
        else:
            stop_min = start_min
        amount = r.rate_mg_per_h * (stop_min - start_min) / 60.0
        if amount > 0 and stop_min > start_min:
            doses.append(
                Dose("iv-infusion", amount, start_min=start_min, duration_min=stop_min - start_min)
            )
            given_mg += amount
        end_min = max(end_min, stop_min)
    if not doses:
        raise ServiceError(
            409,
            "conflict",
            f"administration {adm.id} has delivered nothing yet (no positive rate)",
            field="rate_mg_per_h",
            value=0,
            unit="mg/h",
            limit="> 0 mg/h",
        )
    return Regimen(tuple(doses)), end_min, t0


def predict(ctx: Ctx, session_id: uuid.UUID) -> dict[str, Any]:
    """Plasma concentration (ng/mL) now and at the end of administration, with the curve
    and the model's id, version and citation."""
    ctx.require("order.read")
    s = load_session(ctx, session_id)
    order = signed_order(ctx, s.id)
    if order is None:
        raise ServiceError(
            409,
            "conflict",
            f"session {s.id} has no signed order to predict from",
            field="order",
            limit="a signed order",
        )
    adm = ctx.db.scalars(
        select(DoseAdministration).where(DoseAdministration.order_id == order.id)
    ).one_or_none()
    p = ctx.db.get(Patient, s.patient_id)
    assert p is not None
    now = ctx.clock()
    regimen, end_min, t0 = regimen_of(ctx, order, adm)
    now_min = max((now - t0) / _MIN, 0.0)
    horizon = max(end_min, now_min) + _AFTER_END_MIN
    grid = np.arange(0.0, horizon + _GRID_STEP_MIN, _GRID_STEP_MIN)
    times = np.unique(np.concatenate([grid, [now_min, end_min]]))
    age = min((now.date() - p.birth_date).days / 365.25, 120.0)
    patient = PkPatient(
        weight_kg=order.weight_kg,
        age_years=age,
        sex=p.sex,  # type: ignore[arg-type]
        height_cm=order.height_cm,
    )
    model = get_model(model_id_for(order))
    sim = simulate(model, regimen, patient, times)
    cp = sim.plasma_mg_per_l * MG_PER_L_TO_NG_PER_ML

    def at(t: float) -> float:
        return float(cp[int(np.searchsorted(sim.time_min, t))])

    ctx.audit("R", "session.prediction", f"TreatmentSession/{s.id}", s.patient_id)
    ctx.db.commit()
    return {
        "session_id": str(s.id),
        "order_id": str(order.id),
        "administration_id": None if adm is None else str(adm.id),
        "assumed": adm is None,
        "t0": t0.isoformat(),
        "now": now.isoformat(),
        "now_min": now_min,
        "end_min": end_min,
        "end_at": (t0 + end_min * _MIN).isoformat(),
        "plasma_now_ng_per_ml": at(now_min),
        "plasma_end_ng_per_ml": at(end_min),
        "model": {
            "id": model.id,
            "version": model.version,
            "citation": model.citation.short(),
            "doi": model.citation.doi,
        },
        "regimen": [
            {
                "route": d.route,
                "amount_mg": d.amount_mg,
                "start_min": d.start_min,
                "duration_min": d.duration_min,
            }
            for d in regimen.doses
        ],
        "time_min": sim.time_min.tolist(),
        "plasma_ng_per_ml": np.round(cp, 3).tolist(),
        "warnings": list(sim.warnings),
    }
