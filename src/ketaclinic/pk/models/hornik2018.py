"""Hornik 2018: racemic ketamine IV and IM in children (Pediatric Trials Network).

Hornik CP, Gonzalez D, van den Anker J, et al. Population pharmacokinetics of
intramuscular and intravenous ketamine in children. J Clin Pharmacol 2018;58:1092-1104.
doi:10.1002/jcph.1116, PMID 29677389.

113 children (50 IM, 63 IV), 275 samples, median 3.3 years (0.02-17.6), median 14 kg
(2.4-176.1); 2-compartment model with first-order IM absorption; allometry with
exponent 1 on volumes and 0.75 on clearances; IM bioavailability 41% [P, abstract].
Typical values per 70 kg are read in opentiva 1.1.2 only [S]. The IM absorption rate
constant was not found in any source read: the value used is UNVERIFIED (see ka_im).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ketaclinic.pk.model import (
    Citation,
    Individual,
    Parameter,
    PKModel,
    Validity,
)
from ketaclinic.pk.models._build import (
    IV_ROUTES,
    MIN_PER_H,
    Depot,
    allometric,
    mammillary,
    opentiva_constructed_ke0,
    with_depots,
)
from ketaclinic.pk.patient import Patient

__all__ = ["HORNIK_2018", "MODELS"]

CITATION = Citation(
    authors="Hornik CP, Gonzalez D, van den Anker J, et al.",
    year=2018,
    title="Population pharmacokinetics of intramuscular and intravenous ketamine in children",
    journal="J Clin Pharmacol 58:1092-1104",
    doi="10.1002/jcph.1116",
    pmid="29677389",
)
_S = (
    "typical value per 70 kg as transcribed by opentiva 1.1.2 (not checked against the paper; "
    "re-read 2026-11-28 in opentiva/opentiva, opentiva/ketamine.py class Hornik, commit "
    "4c6b38cf8958d78ac2d171531a0272a8724d01b2: V (wt/70), CL and Q (wt/70)^0.75)"
)

PARAMETERS = (
    Parameter("V1", 32.8, "L/70kg", "S", _S),
    Parameter("V2", 152.0, "L/70kg", "S", _S),
    Parameter(
        "CL",
        38.9,
        "L/h/70kg",
        "S",
        _S,
        note="about half of every other ketamine CL estimate: check the paper's table",
    ),
    Parameter("Q", 54.9, "L/h/70kg", "S", _S),
    Parameter("F_im", 0.41, "fraction", "P", "Hornik 2018 abstract: IM bioavailability 41%"),
    Parameter(
        "t_half_abs_im",
        22.0,
        "min",
        "UNVERIFIED",
        "not found in any source read (not in opentiva, nlmixr2lib or the abstract)",
        note="the adult IM add-on value (racemic_routes: Tmax 15 min with kamp-2020) used "
        "as a placeholder; Grant 1983 (Br J Anaesth 55:1107) reports faster IM absorption "
        "in children than in adults, so peaks may come earlier",
    ),
)

_OPENTIVA_KE0 = opentiva_constructed_ke0(4.212, "ketamine.Hornik")


def _build(p: Mapping[str, float], patient: Patient) -> Individual:
    fv = allometric(patient.weight_kg, 1.0)
    fc = allometric(patient.weight_kg, 0.75)
    system = mammillary(
        p["V1"] * fv, p["CL"] * fc / MIN_PER_H, [(p["Q"] * fc / MIN_PER_H, p["V2"] * fv)]
    )
    im = Depot("im", p["F_im"], math.log(2) / p["t_half_abs_im"], label="IM (F 0.41, Hornik 2018)")
    return with_depots(system, [im], p, IV_ROUTES)


HORNIK_2018 = PKModel(
    id="hornik-2018",
    drug="racemic ketamine",
    citation=CITATION,
    population="113 children (50 IM, 63 IV), median 3.3 years (0.02-17.6), median 14 kg "
    "(2.4-176.1)",
    sampling_site="plasma (site not stated in the abstract)",
    structure="2-compartment mammillary with first-order IM absorption, allometric to 70 kg",
    covariates="weight: volumes x W/70, clearances x (W/70)^0.75",
    validity=Validity(weight_kg=(2.4, 176.1), age_years=(0.02, 17.6)),
    parameters=PARAMETERS,
    builder=_build,
    routes=(*IV_ROUTES, "im"),
    route_notes={
        "im": "fitted route: F 0.41 [P]; absorption half-life 22 min UNVERIFIED (the "
        "paper's ka was not found)"
    },
    effect_sites=(_OPENTIVA_KE0,),
    notes=(
        "Simulation targets in the paper: > 100 ng/mL analgesia, 750 ng/mL awakening; "
        "suggested doses 2 mg/kg IV, 6-8 mg/kg IM depending on age [P].",
        "CL 38.9 L/h/70 kg [S] is about half of the other estimates (Kamp 2020 meta-analysis "
        "79 L/h): treat predictions of long exposure with caution.",
        "The opentiva ke0 (4.212 /min) is CONSTRUCTED (1-min time to peak).",
    ),
)

MODELS = (HORNIK_2018,)
