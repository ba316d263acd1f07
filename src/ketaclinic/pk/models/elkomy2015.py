"""Elkomy 2015: racemic ketamine in children with heart disease.

Elkomy MH et al. (authors beyond the first UNVERIFIED). Population pharmacokinetics of
ketamine in children with heart disease. Int J Pharm 2015;478(1):223-231.
doi:10.1016/j.ijpharm.2014.11.026, PMID 25448584.

21 children (6 months to 18 years) with cardiac disease, 2 mg/kg IV, sampled over 8 h;
2-compartment model; typical values with allometry [P, abstract]. No between-subject
variability was read.
"""

from __future__ import annotations

from collections.abc import Mapping

from ketaclinic.pk.model import Citation, Individual, Parameter, PKModel, Validity
from ketaclinic.pk.models._build import IV_ROUTES, MIN_PER_H, allometric, mammillary
from ketaclinic.pk.patient import Patient

__all__ = ["ELKOMY_2015", "MODELS"]

CITATION = Citation(
    authors="Elkomy MH, et al.",
    year=2015,
    title="Population pharmacokinetics of ketamine in children with heart disease",
    journal="Int J Pharm 478(1):223-231",
    doi="10.1016/j.ijpharm.2014.11.026",
    pmid="25448584",
)
_P = "Elkomy 2015 abstract, typical value scaled to 70 kg"

PARAMETERS = (
    Parameter("CL", 60.6, "L/h/70kg", "P", _P),
    Parameter("Q", 73.2, "L/h/70kg", "P", _P),
    Parameter("V1", 57.3, "L/70kg", "P", _P),
    Parameter("V2", 152.0, "L/70kg", "P", _P),
)


def _build(p: Mapping[str, float], patient: Patient) -> Individual:
    fv = allometric(patient.weight_kg, 1.0)
    fc = allometric(patient.weight_kg, 0.75)
    system = mammillary(
        p["V1"] * fv, p["CL"] * fc / MIN_PER_H, [(p["Q"] * fc / MIN_PER_H, p["V2"] * fv)]
    )
    return Individual(system, IV_ROUTES, dict(p))


ELKOMY_2015 = PKModel(
    id="elkomy-2015",
    drug="racemic ketamine",
    citation=CITATION,
    population="21 children with congenital or acquired heart disease, 6 months to 18 years, "
    "2 mg/kg IV",
    sampling_site="not stated in the abstract (UNVERIFIED)",
    structure="2-compartment mammillary, allometric to 70 kg",
    covariates="weight: volumes x W/70, clearances x (W/70)^0.75",
    # Ages from the abstract [P]; the weight range was not read (UNVERIFIED bounds).
    validity=Validity(weight_kg=(6.0, 90.0), age_years=(0.5, 18.0)),
    parameters=PARAMETERS,
    builder=_build,
    notes=(
        "Ketamine CL in children with heart disease was comparable to healthy subjects [P].",
        "Paper's simulated anaesthesia regimen: 2 mg/kg over 1 min, then 6.3 mg/kg/h for "
        "29 min, 4.5 mg/kg/h to 80 min, 3.9 mg/kg/h to 120 min (children >= 1 year) [P].",
        "No ke0 and no between-subject variability are carried.",
    ),
)

MODELS = (ELKOMY_2015,)
