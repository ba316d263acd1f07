"""Sherwin 2015: racemic ketamine for procedural sedation in children.

Sherwin CMT et al. (authors beyond the first UNVERIFIED). Development of an optimal
sampling schedule for children receiving ketamine for short-term procedural sedation
and analgesia. Paediatr Anaesth 2015;25(2):211-216. doi:10.1111/pan.12521,
PMID 25212712.

57 children, 1-1.5 mg/kg IV bolus; 2-compartment model; typical values per 70 kg
[P, abstract]. Population parameter variability 34-98% [P], not given per parameter in
the abstract (not carried).
"""

from __future__ import annotations

from collections.abc import Mapping

from ketaclinic.pk.model import Citation, Individual, Parameter, PKModel, Validity
from ketaclinic.pk.models._build import IV_ROUTES, MIN_PER_H, allometric, mammillary
from ketaclinic.pk.patient import Patient

__all__ = ["MODELS", "SHERWIN_2015"]

CITATION = Citation(
    authors="Sherwin CMT, et al.",
    year=2015,
    title="Development of an optimal sampling schedule for children receiving ketamine "
    "for short-term procedural sedation and analgesia",
    journal="Paediatr Anaesth 25(2):211-216",
    doi="10.1111/pan.12521",
    pmid="25212712",
)
_P = "Sherwin 2015 abstract, typical value per 70 kg"

PARAMETERS = (
    Parameter("V1", 20.5, "L/70kg", "P", _P),
    Parameter("V2", 220.0, "L/70kg", "P", _P),
    Parameter("Q", 87.3, "L/h/70kg", "P", _P),
    Parameter("CL", 87.9, "L/h/70kg", "P", _P),
)


def _build(p: Mapping[str, float], patient: Patient) -> Individual:
    # Allometric scaling as in the other Auckland/Utah paediatric sets (volumes x W/70,
    # clearances x (W/70)^0.75); the abstract states "per 70 kg" without the exponents
    # (exponents UNVERIFIED).
    fv = allometric(patient.weight_kg, 1.0)
    fc = allometric(patient.weight_kg, 0.75)
    system = mammillary(
        p["V1"] * fv, p["CL"] * fc / MIN_PER_H, [(p["Q"] * fc / MIN_PER_H, p["V2"] * fv)]
    )
    return Individual(system, IV_ROUTES, dict(p))


SHERWIN_2015 = PKModel(
    id="sherwin-2015",
    drug="racemic ketamine",
    citation=CITATION,
    population="57 children receiving 1-1.5 mg/kg IV for procedural sedation",
    sampling_site="not stated in the abstract (UNVERIFIED)",
    structure="2-compartment mammillary, allometric to 70 kg",
    covariates="weight: volumes x W/70, clearances x (W/70)^0.75 (exponents UNVERIFIED)",
    # The abstract gives no age or weight range: paediatric bounds, UNVERIFIED.
    validity=Validity(weight_kg=(5.0, 80.0), age_years=(1.0, 18.0)),
    parameters=PARAMETERS,
    builder=_build,
    notes=(
        "Population parameter variability 34-98% [P]; the per-parameter values were not "
        "read, so a population run varies covariates only.",
        "No ke0 is carried.",
    ),
)

MODELS = (SHERWIN_2015,)
