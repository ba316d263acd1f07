"""Domain glue for the web UI: simulations, dose checks and the discharge checklist as JSON.

Pure functions over the domain packages (``ketaclinic.pk``, ``ketaclinic.dosing``,
``ketaclinic.monitoring``); no database access here. Concentrations leave in ng/mL
(the edge); times in min.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ketaclinic.clinic.services.discharge import drug_of
from ketaclinic.clinic.services.prediction import ESKETAMINE_MODEL
from ketaclinic.dosing import DoseResult, Protocol, check_order, default_library
from ketaclinic.errors import DomainError
from ketaclinic.monitoring.discharge import policy_for
from ketaclinic.monitoring.rules import DEFAULT_RULES, RuleSet
from ketaclinic.pk.bands import BANDS, NO_ANTIDEPRESSANT_CR
from ketaclinic.pk.models import DEFAULT_ADULT_MODEL, all_models, get_model
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.population import simulate_population
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import simulate
from ketaclinic.pk.window import window_report

__all__ = [
    "DEFAULT_PROTOCOL",
    "POPULATION_N",
    "bands_json",
    "catalog",
    "dose_check",
    "dose_check_result",
    "model_for",
    "regimen_for",
    "rule_set_json",
    "simulation_json",
    "thresholds_json",
]

#: The protocol assumed on the monitor while the service stores no signed order.
DEFAULT_PROTOCOL = "depression-iv-40min"
#: Esketamine protocols are simulated with Perez-Ruixo 2021 (the only esketamine set).
#: Virtual patients behind the workbench's 5-95% band (seeded: reproducible).
POPULATION_N = 200
POPULATION_SEED = 20260101


def bands_json() -> list[dict[str, Any]]:
    return [
        {
            "id": b.id,
            "label": b.label,
            "low_ng_per_ml": b.low_ng_per_ml,
            "high_ng_per_ml": b.high_ng_per_ml,
            "source": b.source,
        }
        for b in BANDS
    ]


def thresholds_json(rule_set: RuleSet = DEFAULT_RULES) -> list[dict[str, Any]]:
    """A monitoring rule set's thresholds (default: the seed's configurable defaults, not
    standards; the session monitor passes the session's current rule set)."""
    return [
        {
            "field": t.field,
            "direction": t.direction,
            "limit": t.limit,
            "priority": t.priority,
            "code": t.code,
            "provenance": t.provenance,
            "source": t.source,
        }
        for t in rule_set.thresholds
    ]


def rule_set_json(rule_set: RuleSet) -> dict[str, Any]:
    """Which rule set (``<protocol> v<version>``) and its silent-feed interval."""
    return {
        "id": rule_set.id,
        "version": rule_set.version,
        "expected_interval_min": rule_set.expected_interval_min,
        "silent_intervals": rule_set.silent_intervals,
        "note": rule_set.note,
    }


def catalog() -> dict[str, Any]:
    """Models and protocols the workbench and the order form offer."""
    models = [
        {
            "id": m.id,
            "drug": m.drug,
            "population": m.population,
            "routes": list(m.routes),
            "citation": f"{m.citation.authors.split(',')[0]} {m.citation.year}, "
            f"{m.citation.journal}, doi:{m.citation.doi}",
        }
        for m in all_models()
    ]
    protocols = [p.to_dict() for p in default_library().latest()]
    return {
        "models": models,
        "default_model": DEFAULT_ADULT_MODEL,
        "protocols": protocols,
        "bands": bands_json(),
        "statement": NO_ANTIDEPRESSANT_CR,
        "thresholds": thresholds_json(),
    }


def model_for(p: Protocol) -> str:
    return ESKETAMINE_MODEL if drug_of(p) == "esketamine" else DEFAULT_ADULT_MODEL


def regimen_for(result: Any) -> Regimen:
    """The pk regimen of a calculated order (:class:`~ketaclinic.dosing.DoseResult`)."""
    if result.route == "iv-infusion":
        dose = Dose("iv-infusion", result.dose_mg, duration_min=result.duration_min)
    elif result.route == "intranasal":
        dose = Dose("intranasal", result.dose_mg, device_interval_min=result.device_interval_min)
    else:
        dose = Dose(result.route, result.dose_mg)
    return Regimen((dose,))


def _curve(model_id: str, regimen: Regimen, patient: Patient, population: bool) -> dict[str, Any]:
    model = get_model(model_id)
    sim = simulate(model, regimen, patient)
    es = sim.effect_site_ng_per_ml
    out: dict[str, Any] = {
        "model": model.id,
        "time_min": sim.time_min.tolist(),
        "plasma_ng_per_ml": np.round(sim.plasma_ng_per_ml, 3).tolist(),
        "effect_site_ng_per_ml": None if es is None else np.round(es, 3).tolist(),
        "warnings": list(sim.warnings),
        "population": None,
    }
    if population:
        pop = simulate_population(
            model, regimen, sim.time_min, n=POPULATION_N, seed=POPULATION_SEED, covariates=patient
        )
        pct = pop.percentiles  # ng/mL
        varied = list(pop.varied_parameters)
        # A model without published between-subject variability has no band to show.
        out["population"] = {
            "n": pop.n,
            "seed": pop.seed,
            "varied": varied,
            "p05_ng_per_ml": np.round(pct[5.0], 3).tolist() if varied else None,
            "p95_ng_per_ml": np.round(pct[95.0], 3).tolist() if varied else None,
            "note": None
            if varied
            else f"model {model.id} publishes no between-subject variability: no population band",
        }
    return out


def simulation_json(
    *,
    model_id: str,
    regimen: Regimen,
    patient: Patient,
    population: bool = True,
    window: bool = True,
) -> dict[str, Any]:
    """Curve, population band and (``window``) the therapeutic-window report, as JSON."""
    out = {**_curve(model_id, regimen, patient, population)}
    if window:
        out["window"] = window_report(get_model(model_id), regimen, patient).to_dict()
    return {**out, "bands": bands_json(), "statement": NO_ANTIDEPRESSANT_CR}


def _order_args(body: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "height_cm",
        "sex",
        "dose_mg_per_kg",
        "dose_mg",
        "duration_min",
        "concentration_mg_per_ml",
        "session_number",
    )
    return {k: body[k] for k in keys if body.get(k) is not None}


def dose_check(protocol_id: str, weight_kg: float, body: dict[str, Any]) -> dict[str, Any]:
    """The calculator's order and every limit it meets, without enforcing them.

    ``status``: ``ok``, ``needs-override`` (soft limits only) or ``refused`` (a hard limit
    or an input error; ``refusal`` says why).
    """
    return dose_check_result(protocol_id, weight_kg, body)[0]


def dose_check_result(
    protocol_id: str, weight_kg: float, body: dict[str, Any]
) -> tuple[dict[str, Any], DoseResult | None]:
    """:func:`dose_check` and the calculator's result (None when it refused an input),
    for callers that go on to simulate the order."""
    p = default_library().get(protocol_id)
    base = {"protocol": p.to_dict()}
    try:
        result, violations = check_order(p, weight_kg, **_order_args(body))
    except DomainError as exc:  # input errors and the hard choices (concentration, devices)
        return {**base, "status": "refused", "refusal": _error(exc), "order": None}, None
    hard = [v for v in violations if v.severity == "hard"]
    soft = [v for v in violations if v.severity == "soft"]
    status = "refused" if hard else ("needs-override" if soft else "ok")
    refusal = None
    if hard:
        extra = ", ".join(v.field for v in hard[1:])
        refusal = {
            "message": hard[0].message + (f"; also over hard limits: {extra}" if extra else ""),
            "field": hard[0].field,
            "limit": hard[0].requirement,
            "source": hard[0].source,
        }
    return {
        **base,
        "status": status,
        "refusal": refusal,
        "order": result.to_dict(),
        "violations": [v.to_dict() for v in violations],
    }, result


def _error(exc: Exception) -> dict[str, Any]:
    return {
        "message": str(getattr(exc, "message", exc)),
        "field": getattr(exc, "field", None),
        "limit": getattr(exc, "limit", None),
        "source": None,
    }


def monitoring_end(started_at: datetime | None, protocol: Protocol) -> datetime | None:
    """When the minimum monitoring time ends (None: no sourced minimum, or not started)."""
    policy = policy_for(drug_of(protocol), protocol.route)  # type: ignore[arg-type]
    if started_at is None or policy.min_monitoring_min is None:
        return None
    return started_at + timedelta(minutes=policy.min_monitoring_min)
