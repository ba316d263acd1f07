"""Flint 2017: S-ketamine and S-norketamine during prolonged PICU sedation.

Flint RB, Brouwer CNM, Kranzlin ASC, Lie-A-Huen L, Bos AP, Mathot RAA. Pharmacokinetics
of S-ketamine during prolonged sedation at the pediatric intensive care unit. Paediatr
Anaesth 2017;27(11):1098-1107. doi:10.1111/pan.13239.

Every value is from Table 3 as transcribed, with its table origin, by the nlmixr2lib
model file ``Flint_2017_s_ketamine`` [S] (checked there: CL 112 L/h, V1 7.73 L, Q 196
L/h, V2 545 L per 70 kg; CLsnk/Fm 53.2 L/h; Vsnk/Fm fixed at 1 L; +0.870 %/h on CLsnk/Fm
after the first dose; IIV 40.2% and 104% with r = 0.506; proportional error 41.9% and
47.5%; fixed allometric exponents 0.75 and 1).

Structure: 2-compartment S-ketamine; every mg cleared from the central compartment
enters a 1-compartment apparent S-norketamine compartment (the unidentifiable fraction
metabolised, Fm, is folded into CLsnk/Fm and Vsnk/Fm). The time-varying CLsnk/Fm makes
the metabolite equation time-dependent: it is solved on the ODE path
(``ketaclinic.pk.nonlinear``); S-ketamine itself stays exact.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ketaclinic.pk.model import (
    Citation,
    CompartmentSystem,
    Individual,
    Output,
    Parameter,
    PKModel,
    RateDrift,
    ResidualError,
    Validity,
)
from ketaclinic.pk.models._build import IV_ROUTES, MIN_PER_H, allometric, mammillary
from ketaclinic.pk.patient import Patient

__all__ = ["FLINT_2017", "MODELS", "SNK_OUTPUT"]

#: Name of the metabolite output (mg/L inside, ``S-norketamine_ng_per_ml`` at the edge).
SNK_OUTPUT = "S-norketamine"

CITATION = Citation(
    authors="Flint RB, Brouwer CNM, Kranzlin ASC, Lie-A-Huen L, Bos AP, Mathot RAA",
    year=2017,
    title="Pharmacokinetics of S-ketamine during prolonged sedation at the pediatric "
    "intensive care unit",
    journal="Paediatr Anaesth 27(11):1098-1107",
    doi="10.1111/pan.13239",
)
_S = "Flint 2017 Table 3 (via nlmixr2lib Flint_2017_s_ketamine), per 70 kg"

PARAMETERS = (
    Parameter("CL", 112.0, "L/h/70kg", "S", _S, iiv=40.2),
    Parameter("V1", 7.73, "L/70kg", "S", _S),
    Parameter("Q", 196.0, "L/h/70kg", "S", _S),
    Parameter("V2", 545.0, "L/70kg", "S", _S),
    Parameter("CLsnk", 53.2, "L/h/70kg", "S", _S, iiv=104.0, note="apparent, CLsnk/Fm"),
    Parameter("Vsnk", 1.0, "L/70kg", "S", _S + " (fixed; footnote a)", note="apparent, Vsnk/Fm"),
    Parameter(
        "CLsnk_drift",
        0.870,
        "%/h",
        "S",
        _S,
        note="CLsnk/Fm x (1 + 0.00870 x hours after the first dose)",
    ),
)


def _build(p: Mapping[str, float], patient: Patient) -> Individual:
    fv = allometric(patient.weight_kg, 1.0)
    fc = allometric(patient.weight_kg, 0.75)
    v1 = p["V1"] * fv
    cl = p["CL"] * fc / MIN_PER_H
    parent = mammillary(v1, cl, [(p["Q"] * fc / MIN_PER_H, p["V2"] * fv)])
    n = len(parent.compartments)
    a = np.zeros((n + 1, n + 1))
    a[:n, :n] = parent.a
    vsnk = p["Vsnk"] * fv
    k_snk = p["CLsnk"] * fc / MIN_PER_H / vsnk
    a[n, 0] = cl / v1  # all S-ketamine cleared forms apparent S-norketamine
    a[n, n] = -k_snk
    system = CompartmentSystem(
        (*parent.compartments, "s-norketamine"),
        a,
        (*parent.outputs, Output(SNK_OUTPUT, n, vsnk)),
    )
    drift = np.zeros_like(a)
    # d(-k_snk(t))/dt with k_snk(t) = k_snk (1 + r t), r in 1/min.
    drift[n, n] = -k_snk * p["CLsnk_drift"] / 100.0 / MIN_PER_H
    return Individual(
        system,
        IV_ROUTES,
        dict(p),
        RateDrift(drift, (SNK_OUTPUT,), "Flint 2017 Table 3: CLsnk/Fm +0.870 %/h"),
    )


FLINT_2017 = PKModel(
    id="flint-2017",
    drug="S-ketamine",
    citation=CITATION,
    population="25 mechanically ventilated PICU children, 0.02-12.5 years (median 0.42), "
    "3.4-35 kg (median 7.0), continuous S-ketamine 0.3-3.6 mg/kg/h for 9.6-140.7 h",
    sampling_site="plasma (site not stated in the sources read)",
    structure="2-compartment S-ketamine + 1-compartment apparent S-norketamine, allometric "
    "to 70 kg; S-norketamine CL/Fm rises linearly with time after the first dose",
    covariates="weight: volumes x W/70, clearances x (W/70)^0.75 (fixed); time after the "
    "first dose on CLsnk/Fm (+0.870 %/h)",
    validity=Validity(weight_kg=(3.4, 35.0), age_years=(0.02, 12.5)),
    parameters=PARAMETERS,
    builder=_build,
    residual_error=(
        ResidualError("S-ketamine", "proportional", 0.419, "Flint 2017 Table 3"),
        ResidualError(SNK_OUTPUT, "proportional", 0.475, "Flint 2017 Table 3"),
    ),
    metabolites=(SNK_OUTPUT,),
    iiv_correlations=(("CL", "CLsnk", 0.506),),
    notes=(
        "Doses are mg of S-ketamine. For racemic dosing give 50% of the dose as S "
        "(Geisslinger 1993: no S->R inversion).",
        "S-norketamine is APPARENT (scaled by the unidentifiable Fm): Vsnk/Fm is fixed at "
        "1 L/70 kg, so its concentration tracks formation almost instantly.",
        "The +0.870 %/h drift of CLsnk/Fm is time-varying: the metabolite is solved on the "
        "ODE path (solve_ivp, Radau, rtol 1e-10) from the first dose on; S-ketamine stays "
        "exact. The drift was estimated over infusions of 9.6-140.7 h: do not extrapolate "
        "far beyond 6 days.",
        "No ke0 was published for this population; no effect site is attached.",
    ),
)

MODELS = (FLINT_2017,)
