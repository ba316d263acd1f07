"""Kamp 2020: the meta-analysis three-compartment set (default adult racemic model).

Kamp J, Olofsen E, Henthorn TK, van Velzen M, Niesters M, Dahan A. Ketamine
pharmacokinetics: a systematic review of the literature, meta-analysis, and population
analysis. Anesthesiology 2020;133(6):1192-1213. doi:10.1097/ALN.0000000000003577.

The typical 70-kg set is read in two secondary transcriptions (opentiva 1.1.2 and
anasim-simulator 1.7) [S]; it was not checked against the paper's table. Scaling follows
anasim (volumes x W/70, clearances x (W/70)^0.75); opentiva scales everything by W/70.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ketaclinic.pk.model import (
    Citation,
    EffectSite,
    Individual,
    Parameter,
    PKModel,
    Validity,
)
from ketaclinic.pk.models._build import (
    IV_ROUTES,
    MIN_PER_H,
    allometric,
    mammillary,
    opentiva_constructed_ke0,
    with_depots,
)
from ketaclinic.pk.models.racemic_routes import (
    ROUTE_NOTES,
    ROUTE_PARAMETERS,
    ROUTES,
    racemic_depots,
)
from ketaclinic.pk.patient import Patient

__all__ = ["KAMP_2020", "KAMP_2021_CO_KE0", "MODELS", "OLOFSEN_2022_KE0"]

CITATION = Citation(
    authors="Kamp J, Olofsen E, Henthorn TK, van Velzen M, Niesters M, Dahan A",
    year=2020,
    title="Ketamine pharmacokinetics: a systematic review of the literature, "
    "meta-analysis, and population analysis",
    journal="Anesthesiology 133(6):1192-1213",
    doi="10.1097/ALN.0000000000003577",
)

_S = "3-compartment typical set, 70 kg, as transcribed by opentiva 1.1.2 and anasim 1.7"

PARAMETERS = (
    Parameter("V1", 25.0, "L/70kg", "S", _S),
    Parameter("V2", 56.0, "L/70kg", "S", _S),
    Parameter("V3", 157.0, "L/70kg", "S", _S),
    Parameter("CL", 84.0, "L/h/70kg", "S", _S),
    Parameter("Q2", 161.0, "L/h/70kg", "S", _S),
    Parameter("Q3", 79.0, "L/h/70kg", "S", _S),
    *ROUTE_PARAMETERS,
)

#: Olofsen 2022 (Anesthesiology 136:792-801, doi:10.1097/ALN.0000000000004176):
#: t1/2ke0 8.3 min for S-ketamine antinociception and external perception [P].
OLOFSEN_2022_KE0 = EffectSite(
    id="olofsen-2022",
    ke0_per_min=math.log(2) / 8.3,
    kind="measured",
    endpoint="dissociation (external perception) and antinociception, S-ketamine",
    source="Olofsen 2022, Anesthesiology 136:792, doi:10.1097/ALN.0000000000004176",
    provenance="P",
)
#: Kamp 2021 (Br J Anaesth 127:23-31): cardiac-output effect site, t1/2ke0 2.28 min [S, anasim].
KAMP_2021_CO_KE0 = EffectSite(
    id="kamp-2021-cardiac-output",
    ke0_per_min=math.log(2) / 2.28,
    kind="measured",
    endpoint="cardiac output, S-ketamine",
    source="Kamp 2021, Br J Anaesth 127:23-31 (t1/2ke0 read in anasim 1.7's comment)",
    provenance="S",
)
_OPENTIVA_KE0 = opentiva_constructed_ke0(2.791, "ketamine.Klamp")


def _build(p: Mapping[str, float], patient: Patient) -> Individual:
    fv = allometric(patient.weight_kg, 1.0)
    fc = allometric(patient.weight_kg, 0.75)
    system = mammillary(
        p["V1"] * fv,
        p["CL"] * fc / MIN_PER_H,
        [(p["Q2"] * fc / MIN_PER_H, p["V2"] * fv), (p["Q3"] * fc / MIN_PER_H, p["V3"] * fv)],
    )
    return with_depots(system, racemic_depots(p), p, IV_ROUTES)


KAMP_2020 = PKModel(
    id="kamp-2020",
    drug="racemic ketamine",
    citation=CITATION,
    population="adults; meta-analysis of 18 studies "
    "(11 healthy adult, 3 adult patient, 5 paediatric)",
    sampling_site="mixed (meta-analysis set; arterial and venous studies pooled)",
    structure="3-compartment mammillary",
    covariates="weight: volumes x W/70, clearances x (W/70)^0.75 (anasim); no covariate "
    "effects were found in the meta-analysis",
    validity=Validity(weight_kg=(40.0, 150.0), age_years=(18.0, 90.0)),
    parameters=PARAMETERS,
    builder=_build,
    routes=(*IV_ROUTES, *ROUTES),
    route_notes=ROUTE_NOTES,
    effect_sites=(OLOFSEN_2022_KE0, KAMP_2021_CO_KE0, _OPENTIVA_KE0),
    notes=(
        "Meta-analysis weighted means: CL 79 L/h (95% CI 69-90), Vd 252 L (200-304) [P]; "
        "this set gives CL 84 L/h and Vss 238 L.",
        "No inter-individual variability was published with this set: a population run "
        "varies covariates only.",
        "IM, intranasal, sublingual and oral are ROUTE ADD-ONS (published bioavailability, "
        "UNVERIFIED absorption rate) attached to this IV disposition set; see route_notes.",
    ),
)

MODELS = (KAMP_2020,)
