"""Simulate one patient: a model, a patient, a regimen, output times -> a result."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ketaclinic.errors import InputError
from ketaclinic.pk.dosing_inputs import expand_regimen
from ketaclinic.pk.linear import Method, check_times, solve
from ketaclinic.pk.model import CompartmentSystem, EffectSite, Output, PKModel
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
    inputs: Sequence[object],
    t0: float,
    t1: float,
    output: str = "plasma",
) -> float:
    """Exact area under ``output`` (mg/L*min) between t0 and t1, from an integrator state."""
    src = system.output(output)
    n = len(system.compartments)
    a = np.zeros((n + 1, n + 1))
    a[:n, :n] = system.a
    a[n, src.compartment] = 1.0 / src.volume_l
    aug = CompartmentSystem((*system.compartments, "auc"), a, (Output("auc", n, 1.0),))
    times = [t0, t1] if t1 > t0 else [t0]
    y, _ = solve(aug, inputs, times)  # type: ignore[arg-type]
    return float(y[0, -1] - y[0, 0])


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

    t = default_times(regimen) if times is None else check_times(times)
    warnings = list(model.validity.warnings(patient, model.id))
    ind = model.individual(patient, params)
    inputs = expand_regimen(ind, regimen, model.id, models_by_route())
    site: EffectSite | None = None
    if effect_site is not False:
        site = model.effect_site(None if effect_site in (None, True) else str(effect_site))
    system = ind.system
    if site is not None:
        system = system.with_effect_site(site)
        if site.kind == "constructed":
            warnings.append(
                f"effect site {site.id} uses a CONSTRUCTED ke0 ({site.ke0_per_min:g} /min, "
                f"{site.source}); it is not a measured value"
            )
    y, used = solve(system, inputs, t, method=method)
    rows = {o.name: i for i, o in enumerate(system.outputs)}
    plasma = y[rows["plasma"]]
    ce = y[rows[f"effect:{site.id}"]] if site is not None else None
    mets = {m: y[rows[m]] for m in model.metabolites}
    imax = int(np.argmax(plasma))
    auc = exact_auc(ind.system, inputs, float(t[0]), float(t[-1]))
    if not np.all(np.isfinite(y)):
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
