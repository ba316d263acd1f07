"""Population regimen design: the largest dose of a constant-rate IV infusion of given
duration whose probability of exceeding a dissociation level stays at or below a stated
probability, over virtual patients drawn from the model's IIV and a covariate distribution.

The Hill model is monotone in the effect-site concentration, so "dissociation above
``f``" is exactly "peak Ce above ``C50 (f / (1 - f))^(1/gamma)``"
(:meth:`PDModel.concentration_for_fraction`). Every patient is linear in dose, so patient
``i`` exceeds at dose ``D`` exactly when ``D > d_i = ce_limit / peak_i`` (``peak_i`` the
peak per mg, exact solution). The exceedance probability ``#{d_i < D} / n`` is monotone in
dose and the bisection on dose collapses to an order statistic of ``d_i``: exact for the
Monte-Carlo sample; its standard error is ``sqrt(p (1 - p) / n)``.

Dissociation is Olofsen 2022 (Anesthesiology 136:792, doi:10.1097/ALN.0000000000004176).
Nothing here predicts an antidepressant response
(:data:`~ketaclinic.pk.bands.NO_ANTIDEPRESSANT_CR`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ketaclinic.errors import InputError
from ketaclinic.pk.bands import NO_ANTIDEPRESSANT_CR
from ketaclinic.pk.covariates import (
    ADULTS_ASSUMED,
    N_UNIFORMS,
    CovariateDistribution,
    draw_covariates,
)
from ketaclinic.pk.design import ExposureTarget, _Infusion
from ketaclinic.pk.effect import OLOFSEN_2022_DISSOCIATION, PDModel, analyte_fraction
from ketaclinic.pk.model import PKModel
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.population import _correlation_factor, _individual_values, _varied
from ketaclinic.pk.tci import iv_entry
from ketaclinic.units import MG_PER_L_TO_NG_PER_ML

__all__ = ["MIN_POPULATION_N", "PopulationDesignResult", "design_infusion_population"]

MIN_POPULATION_N = 100
"""Fewest virtual patients accepted (a 10% probability from fewer has an SE above 3%)."""


@dataclass(frozen=True)
class PopulationDesignResult:
    """The population-safe dose for one infusion duration, with Monte-Carlo SEs."""

    model_id: str
    model_version: str
    citation: str
    target: ExposureTarget
    duration_min: float
    dose_mg: float
    max_dissociation_fraction: float
    ce_limit_ng_per_ml: float
    max_probability: float
    probability_exceed: float
    probability_exceed_se: float
    probability_reach_target: float
    probability_reach_target_se: float
    n: int
    seed: int
    covariates: str
    dissociation_model: PDModel
    statement: str = NO_ANTIDEPRESSANT_CR

    @property
    def rate_mg_per_h(self) -> float:
        return self.dose_mg / self.duration_min * 60.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_id,
            "model_version": self.model_version,
            "citation": self.citation,
            "pd_source": self.dissociation_model.label,
            "statement": self.statement,
            "inputs": {
                "target": {
                    "kind": self.target.kind,
                    "value": self.target.value,
                    "unit": self.target.unit,
                },
                "duration_min": self.duration_min,
                "max_dissociation_fraction": self.max_dissociation_fraction,
                "max_probability": self.max_probability,
                "n": self.n,
                "seed": self.seed,
                "covariates": self.covariates,
            },
            "dose_mg": self.dose_mg,
            "rate_mg_per_h": self.rate_mg_per_h,
            "effect_site_limit_s_ketamine_ng_per_ml": self.ce_limit_ng_per_ml,
            "probability_exceed": self.probability_exceed,
            "probability_exceed_se": self.probability_exceed_se,
            "probability_reach_target": self.probability_reach_target,
            "probability_reach_target_se": self.probability_reach_target_se,
        }


def _se(p: float, n: int) -> float:
    return math.sqrt(p * (1.0 - p) / n)


def design_infusion_population(
    model: PKModel,
    target: ExposureTarget,
    *,
    duration_min: float,
    max_dissociation_fraction: float,
    max_probability: float,
    n: int,
    seed: int,
    covariates: CovariateDistribution | Patient | None = None,
    dissociation: PDModel = OLOFSEN_2022_DISSOCIATION,
) -> PopulationDesignResult:
    """Dose over ``duration_min``: the typical patient's dose for ``target``, capped at the
    largest dose with P(peak dissociation > level) <= ``max_probability``.

    Parameters
    ----------
    model : a published model (IIV applied when published)
    target : the exposure whose probability of being reached is reported
    duration_min : infusion duration, min
    max_dissociation_fraction : dissociation level, fraction of the maximal effect (0-1)
    max_probability : allowed probability of exceeding it, in (0, 1)
    n : virtual patients (>= 100); seed : reproducibility
    covariates : distribution (default ADULTS_ASSUMED) or one fixed patient
    """
    p_max = max_probability
    if isinstance(p_max, bool) or not isinstance(p_max, int | float) or not 0 < p_max < 1:
        raise InputError.for_field("max_probability", p_max, "strictly between 0 and 1")
    f = max_dissociation_fraction
    if isinstance(f, bool) or not isinstance(f, int | float) or not 0 < f < 1:
        raise InputError.for_field(
            "max_dissociation_fraction", f, "between 0 and 1 (fraction of the maximal effect)"
        )
    if isinstance(n, bool) or not isinstance(n, int) or n < MIN_POPULATION_N:
        raise InputError.for_field("n", n, f"an integer >= {MIN_POPULATION_N} virtual patients")
    dur = float(duration_min)
    if not (math.isfinite(dur) and 1.0 <= dur <= 7 * 24 * 60):
        raise InputError.for_field("duration_min", dur, "within 1-10080 min", unit="min")
    if dissociation.effect_site() is None:
        raise InputError.for_field(
            "dissociation",
            dissociation.id,
            "a PD model with an effect site (ke0): the dissociation limit applies to Ce",
        )
    covs = ADULTS_ASSUMED if covariates is None else covariates
    factor = analyte_fraction(model.drug, dissociation)
    ce_limit = dissociation.concentration_for_fraction(f)  # analyte mg/L
    varied = _varied(model)
    rng = np.random.default_rng(seed)
    u = rng.random((n, N_UNIFORMS))
    eta = rng.standard_normal((n, len(varied)))
    cd = draw_covariates(covs, u)
    values = _individual_values(varied, eta @ _correlation_factor(model, varied).T)
    names = [p.name for p in varied]
    d_i = np.empty(n)  # dose at which patient i reaches the limit, mg
    expo = np.empty(n)  # exposure per mg (mg/L, or mg*h/L)
    for i in range(n):
        params = {nm: float(values[i, j]) for j, nm in enumerate(names)}
        ind = model.individual(cd.patient(i), params or None)
        inf = _Infusion(ind.system, iv_entry(ind, model.id), dissociation, factor)
        d_i[i] = ce_limit / (factor * inf.peak_driver(dur))
        if target.kind == "end-of-infusion":
            expo[i] = inf.cp_end(dur)
        else:
            expo[i] = inf.auc_per_mg / 60.0
    k = math.floor(p_max * n)
    # The typical patient's dose for the target, capped at the population-safe dose.
    typ = model.individual(
        covs if isinstance(covs, Patient) else Patient(weight_kg=covs.weight_mean_kg)
    )
    tinf = _Infusion(typ.system, iv_entry(typ, model.id), dissociation, factor)
    need = target.value / MG_PER_L_TO_NG_PER_ML
    per_mg = tinf.cp_end(dur) if target.kind == "end-of-infusion" else tinf.auc_per_mg / 60.0
    dose = min(need / per_mg, float(np.sort(d_i)[k]))
    p_exc = float(np.count_nonzero(d_i < dose) / n)
    p_reach = float(np.count_nonzero(dose * expo >= need * (1 - 1e-12)) / n)
    return PopulationDesignResult(
        model_id=model.id,
        model_version=str(model.version),
        citation=str(model.citation),
        target=target,
        duration_min=dur,
        dose_mg=dose,
        max_dissociation_fraction=f,
        ce_limit_ng_per_ml=ce_limit * MG_PER_L_TO_NG_PER_ML,
        max_probability=p_max,
        probability_exceed=p_exc,
        probability_exceed_se=_se(p_exc, n),
        probability_reach_target=p_reach,
        probability_reach_target_se=_se(p_reach, n),
        n=n,
        seed=int(seed),
        covariates=covs.describe() if isinstance(covs, CovariateDistribution) else "fixed patient",
        dissociation_model=dissociation,
    )
