"""Clements & Nimmo 1981 ("Clements250"): racemic ketamine after a 250 ug/kg IV bolus.

Clements JA, Nimmo WS. Pharmacokinetics and analgesic effect of ketamine in man. Br J
Anaesth 1981;53:27-30. doi:10.1093/bja/53.1.27, PMID 7459184.

2-compartment micro-constants per kg as transcribed by opentiva 1.1.2 [S]; population
and design (venous samples after 250 ug/kg IV) UNVERIFIED beyond the model name.
NOT SUITABLE FOR TCI: a central volume of 1.75 L/kg is non-physiological (what a
bi-exponential fit to sparse venous data gives); targeting the plasma with it would
give a loading dose several times too large.
"""

from __future__ import annotations

from ketaclinic.pk.model import (
    Citation,
    Parameter,
    PKModel,
    Validity,
)
from ketaclinic.pk.models._build import (
    micro_per_kg_iv,
    opentiva_constructed_ke0,
)
from ketaclinic.pk.models.kamp2020 import KAMP_2021_CO_KE0, OLOFSEN_2022_KE0

__all__ = ["CLEMENTS_1981", "MODELS"]

CITATION = Citation(
    authors="Clements JA, Nimmo WS",
    year=1981,
    title="Pharmacokinetics and analgesic effect of ketamine in man",
    journal="Br J Anaesth 53:27-30",
    doi="10.1093/bja/53.1.27",
    pmid="7459184",
)
_S = "micro-constants per kg as transcribed by opentiva 1.1.2 (class Clements250)"

PARAMETERS = (
    Parameter("V1", 1.7522, "L/kg", "S", _S, note="non-physiological central volume"),
    Parameter("k10", 0.0109, "1/min", "S", _S),
    Parameter("k12", 0.0186, "1/min", "S", _S),
    Parameter("k21", 0.0137, "1/min", "S", _S),
)

_OPENTIVA_KE0 = opentiva_constructed_ke0(5.2, "ketamine.Clements250")


_build = micro_per_kg_iv


CLEMENTS_1981 = PKModel(
    id="clements-1981",
    drug="racemic ketamine",
    citation=CITATION,
    population="adults after a 250 ug/kg IV bolus (size and ranges UNVERIFIED)",
    sampling_site="venous (UNVERIFIED)",
    structure="2-compartment mammillary from micro-constants, V1 per kg",
    covariates="weight: V1 x weight (linear); micro-constants fixed",
    # Adult volunteers; the study's ranges were not read (UNVERIFIED).
    validity=Validity(weight_kg=(40.0, 120.0), age_years=(18.0, 80.0)),
    parameters=PARAMETERS,
    builder=_build,
    effect_sites=(OLOFSEN_2022_KE0, KAMP_2021_CO_KE0, _OPENTIVA_KE0),
    suitable_for_tci=False,
    notes=(
        "NOT SUITABLE FOR TCI: V1 = 1.75 L/kg is non-physiological (a bi-exponential fit "
        "to sparse venous data); a plasma-targeted loading dose C_T x V1 would be about "
        "5x that of the kamp-2020 set.",
        "Derived [C]: CL 19.1 mL/kg/min, V2 2.38 L/kg, Vss 4.13 L/kg, t1/2 17.6 and 183 min.",
        "The opentiva ke0 (5.2 /min) is CONSTRUCTED (1-min time to peak).",
    ),
)

MODELS = (CLEMENTS_1981,)
