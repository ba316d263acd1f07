"""Simulate one patient: a model, a patient, a regimen, output times -> a result."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ketaclinic.errors import InputError
from ketaclinic.pk.dosing_inputs import expand_regimen
from ketaclinic.pk.linear import Input, Method, integrate, solve_detailed
from ketaclinic.pk.model import CompartmentSystem, EffectSite, Individual, PKModel
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Regimen
from ketaclinic.pk.results import SimulationResult, Summary

__all__ = ["default_times", "exact_auc", "simulate"]


def default_times(
    regimen: Regimen, *, step_min: float = 1.0, after_min: float = 240.0
) -> NDArray[np.float64]:
    """0 to (end of the last administration + ``after_min``) every ``step_min``."""
    stop = regimen.end_min + after_min
    n = int(np.floor(stop / step_min + 1e-9)) + 1
    return np.arange(n, dtype=float) * step_min


def exact_auc(
    system: CompartmentSystem,
    inputs: Sequence[Input],
    t0: float,
    t1: float,
    output: str = "plasma",
) -> float:
    """Exact area under ``output`` (mg/L*min) between t0 and t1 (min), from the modal
    form of the solution (``ketaclinic.pk.linear.integrate``)."""
    row = system.outputs.index(system.output(output))
    return float(integrate(system, inputs, t0, t1)[row])


#: Typical individuals (params=None) per (model, patient, effect site): models and
#: patients are frozen and builders deterministic, so a rebuild would give the same
#: system. The entry keeps the model object to tell apart two models sharing an id.
_TYPICAL: dict[
    tuple[str, str, Patient, str | None], tuple[PKModel, Individual, CompartmentSystem]
] = {}
_TYPICAL_MAX = 256


def _individual(
    model: PKModel, patient: Patient, params: dict[str, float] | None, site: EffectSite | None
) -> tuple[Individual, CompartmentSystem]:
    key = (model.id, model.version, patient, None if site is None else site.id)
    if params is None:
        hit = _TYPICAL.get(key)
        if hit is not None and hit[0] is model:
            return hit[1], hit[2]
    ind = model.individual(patient, params)
    system = ind.system if site is None else ind.system.with_effect_site(site)
    if params is None:
        if len(_TYPICAL) >= _TYPICAL_MAX:
            for old in list(_TYPICAL)[: len(_TYPICAL) // 2]:  # FIFO, half at a time
                _TYPICAL.pop(old, None)
        _TYPICAL[key] = (model, ind, system)
    return ind, system


def simulate(
    model: PKModel,
    regimen: Regimen,
    patient: Patient,
    times: Sequence[float] | NDArray[np.float64] | None = None,
    *,
    effect_site: str | bool | None = None,
    params: dict[str, float] | None = None,
    method: Method = "auto",
) -> SimulationResult:
    """Concentrations for one patient.

    Parameters
    ----------
    model : a published model (``ketaclinic.pk.models.get_model``)
    regimen : the doses
    patient : covariates; outside the model's studied range a warning is recorded
    times : output times in min, strictly increasing (default: every minute to 4 h
        after the last administration)
    effect_site : an effect-site id of the model, ``None`` for its default (measured
        before constructed), ``False`` for none
    params : individual parameter values replacing the typical ones

    Examples
    --------
    >>> from ketaclinic.pk.models import get_model
    >>> from ketaclinic.pk.regimen import Dose
    >>> r = simulate(get_model("kamp-2020"), Regimen((Dose("iv-infusion", 35, duration_min=40),)),
    ...              Patient(weight_kg=70), [40.0])
    >>> round(float(r.plasma_ng_per_ml[0]), 1)
    253.1
    """
    from ketaclinic.pk.models import models_by_route

    warnings = list(model.validity.warnings(patient, model.id))
    site: EffectSite | None = None
    if effect_site is not False:
        site = model.effect_site(None if effect_site in (None, True) else str(effect_site))
    ind, system = _individual(model, patient, params, site)
    inputs = expand_regimen(ind, regimen, model.id, models_by_route())
    if site is not None and site.constructed_warning:
        warnings.append(site.constructed_warning)
    sol = solve_detailed(
        system, inputs, default_times(regimen) if times is None else times, method=method
    )
    t, y, used = sol.time_min, sol.y, sol.method
    if ind.drift is not None:  # time-varying entries (Flint 2017): ODE path for those outputs
        from ketaclinic.pk.nonlinear import apply_drift

        y, used = apply_drift(system, ind.drift, inputs, t, y), f"{used}+ode"
    rows = {o.name: i for i, o in enumerate(system.outputs)}
    plasma = y[rows["plasma"]]
    ce = y[rows[f"effect:{site.id}"]] if site is not None else None
    mets = {m: y[rows[m]] for m in model.metabolites}
    imax = int(np.argmax(plasma))
    # The effect site and metabolites do not feed back on plasma: its area in the
    # augmented system is the area of the model's own plasma output.
    auc = float(sol.auc[rows["plasma"]])
    finite = sol.finite if y is sol.y else bool(np.isfinite(y).all())
    if not (finite and math.isfinite(auc)):
        raise InputError("simulation produced non-finite values", field="params", value=params)
    return SimulationResult(
        model_id=model.id,
        model_version=model.version,
        citation=model.citation.short(),
        patient=patient,
        regimen=regimen,
        time_min=t,
        plasma_mg_per_l=plasma,
        effect_site_mg_per_l=ce,
        effect_site=site,
        metabolites_mg_per_l=mets,
        summary=Summary(float(plasma[imax]), float(t[imax]), auc),
        method=used,
        warnings=tuple(warnings),
    )
