"""Domino 1982: the racemic ketamine set carried by STANPUMP (3-compartment, per kg).

Domino EF, Zsigmond EK, Domino LE, Domino KE, Kothary SP, Domino SE. Plasma levels of
ketamine and two of its metabolites in surgical patients using a gas chromatographic
mass fragmentographic assay. Anesth Analg 1982;61:87-92. PMID 7198883 (author list and
pages UNVERIFIED; the primary paper was not read).

The micro-constants are read in two independent code bases, opentiva 1.1.2 and a
separate TCI module that rounds them to 3 decimals [S]. Weight enters linearly through
V1 only. No inter-individual variability, residual error or ke0 was published.
"""

from __future__ import annotations

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
    micro_system,
    opentiva_constructed_ke0,
    with_depots,
)
from ketaclinic.pk.models.kamp2020 import KAMP_2021_CO_KE0, OLOFSEN_2022_KE0
from ketaclinic.pk.models.racemic_routes import (
    ROUTE_NOTES,
    ROUTE_PARAMETERS,
    ROUTES,
    racemic_depots,
)
from ketaclinic.pk.patient import Patient

__all__ = ["DOMINO_1982", "MODELS"]

CITATION = Citation(
    authors="Domino EF, Zsigmond EK, Domino LE, Domino KE, Kothary SP, Domino SE",
    year=1982,
    title="Plasma levels of ketamine and two of its metabolites in surgical patients using "
    "a gas chromatographic mass fragmentographic assay",
    journal="Anesth Analg 61:87-92",
    pmid="7198883",
)
_S = "STANPUMP set as transcribed by opentiva 1.1.2 (and a second TCI code base)"

PARAMETERS = (
    Parameter("V1", 0.063, "L/kg", "S", _S),
    Parameter("k10", 0.4381, "1/min", "S", _S),
    Parameter("k12", 0.5921, "1/min", "S", _S),
    Parameter("k13", 0.5900, "1/min", "S", _S),
    Parameter("k21", 0.2470, "1/min", "S", _S),
    Parameter("k31", 0.0146, "1/min", "S", _S),
    *ROUTE_PARAMETERS,
)

_OPENTIVA_KE0 = opentiva_constructed_ke0(0.652, "ketamine.Domino")


def _build(p: Mapping[str, float], patient: Patient) -> Individual:
    system = micro_system(
        p["V1"] * patient.weight_kg, p["k10"], p["k12"], p["k21"], p["k13"], p["k31"]
    )
    return with_depots(system, racemic_depots(p), p, IV_ROUTES)


DOMINO_1982 = PKModel(
    id="domino-1982",
    drug="racemic ketamine",
    citation=CITATION,
    population="adult surgical patients (size and ranges UNVERIFIED)",
    sampling_site="venous (UNVERIFIED)",
    structure="3-compartment mammillary from micro-constants, V1 per kg",
    covariates="weight: V1 x weight (linear); micro-constants fixed",
    # The study's weight and age ranges were not read: adult ranges, UNVERIFIED.
    validity=Validity(weight_kg=(40.0, 120.0), age_years=(18.0, 80.0)),
    parameters=PARAMETERS,
    builder=_build,
    routes=(*IV_ROUTES, *ROUTES),
    route_notes=ROUTE_NOTES,
    effect_sites=(OLOFSEN_2022_KE0, KAMP_2021_CO_KE0, _OPENTIVA_KE0),
    notes=(
        "At 70 kg: V1 4.41 L, Vss 193 L, CL 1.93 L/min (27.6 mL/kg/min); eigenvalues "
        "1.7242, 0.15151, 0.0060475 /min (half-lives 0.40, 4.57, 114.6 min) [C].",
        "CL (116 L/h at 70 kg) lies above the Kamp 2020 meta-analysis band (69-90 L/h); "
        "Vss (193 L) lies below its 200-304 L band.",
        "No ke0 was published; the opentiva value is CONSTRUCTED (1-min time to peak). The "
        "measured Olofsen 2022 and Kamp 2021 sites come from arterial S-ketamine studies.",
        "IM, intranasal, sublingual and oral are ROUTE ADD-ONS to this disposition set.",
    ),
)

MODELS = (DOMINO_1982,)
