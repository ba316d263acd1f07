"""Herd 2007: racemic ketamine in children (emergency-department sedation).

Herd DW, Anderson BJ, Holford NHG. Modeling the norketamine metabolite in children and
the implications for analgesia / Ketamine disposition in children presenting for
procedural sedation and analgesia in a children's emergency department. Paediatr Anaesth
2007;17(7):622-629. doi:10.1111/j.1460-9592.2006.02145.x, PMID 17564643.
(Author list UNVERIFIED; title, journal, volume and pages read [P].)

54 children, 8.3 +/- 3.5 years, 32.5 +/- 15.6 kg, 1-1.5 mg/kg IV, 188 samples [P].
Typical values per 70 kg with between-subject variability (BSV, CV%) [P]; allometric
scaling as implemented by opentiva 1.1.2 (volumes x W/70, clearances x (W/70)^0.75) [S].
"""

from __future__ import annotations

from collections.abc import Mapping

from ketaclinic.pk.model import Citation, Individual, Parameter, PKModel, Validity
from ketaclinic.pk.models._build import IV_ROUTES, MIN_PER_H, allometric, mammillary
from ketaclinic.pk.patient import Patient

__all__ = ["HERD_2007", "MODELS", "VALIDITY"]

#: Mean +/- 2 SD of the studied children, floored at 1 year (UNVERIFIED range: the
#: paper's minimum and maximum were not read). Also the truncation of the population
#: sampler's children (``covariates.HERD_2007_CHILDREN``).
VALIDITY = Validity(weight_kg=(5.0, 80.0), age_years=(1.0, 16.0))

CITATION = Citation(
    authors="Herd DW, Anderson BJ, Holford NHG",
    year=2007,
    title="Ketamine disposition in children presenting for procedural sedation and "
    "analgesia in a children's emergency department",
    journal="Paediatr Anaesth 17(7):622-629",
    doi="10.1111/j.1460-9592.2006.02145.x",
    pmid="17564643",
)
_P = "Herd 2007 abstract/results, typical value per 70 kg (BSV CV%)"

PARAMETERS = (
    Parameter("V1", 38.7, "L/70kg", "P", _P, iiv=64.0),
    Parameter("V2", 102.0, "L/70kg", "P", _P, iiv=51.7),
    Parameter("CL", 90.0, "L/h/70kg", "P", _P, iiv=38.1),
    Parameter("Q", 215.0, "L/h/70kg", "P", _P, iiv=19.0),
)


def _build(p: Mapping[str, float], patient: Patient) -> Individual:
    fv = allometric(patient.weight_kg, 1.0)
    fc = allometric(patient.weight_kg, 0.75)
    system = mammillary(
        p["V1"] * fv, p["CL"] * fc / MIN_PER_H, [(p["Q"] * fc / MIN_PER_H, p["V2"] * fv)]
    )
    return Individual(system, IV_ROUTES, dict(p))


HERD_2007 = PKModel(
    id="herd-2007",
    drug="racemic ketamine",
    citation=CITATION,
    population="54 children in the emergency department, 8.3 +/- 3.5 years, 32.5 +/- 15.6 kg",
    sampling_site="serum (site not stated)",
    structure="2-compartment mammillary, allometric to 70 kg",
    covariates="weight: volumes x W/70, clearances x (W/70)^0.75",
    validity=VALIDITY,
    parameters=PARAMETERS,
    builder=_build,
    notes=("Thresholds quoted in the paper: 0.1 mg/L analgesia, 0.75 mg/L awakening [P].",),
)

MODELS = (HERD_2007,)
