"""Hijazi 2003: racemic ketamine in adult ICU patients with brain or spinal cord injury.

Hijazi Y, Bodonian C, Bolon M, Salord F, Boulieu R. Pharmacokinetics and haemodynamics
of ketamine in intensive care patients with brain or spinal cord injury. Br J Anaesth
2003;90:155-160. doi:10.1093/bja/aeg028, PMID 12538370.

12 ICU adults; CL 36.0 (SD 13.3) mL/min/kg, Vbeta 16.0 (8.6) L/kg, t1/2 4.9 (1.6) h
[P, abstract]. The 2-compartment micro-constants per kg are read in opentiva 1.1.2 [S];
they reproduce the abstract (CL 36.0 mL/min/kg, terminal t1/2 4.95 h) [C].
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

__all__ = ["HIJAZI_2003", "MODELS"]

CITATION = Citation(
    authors="Hijazi Y, Bodonian C, Bolon M, Salord F, Boulieu R",
    year=2003,
    title="Pharmacokinetics and haemodynamics of ketamine in intensive care patients with "
    "brain or spinal cord injury",
    journal="Br J Anaesth 90:155-160",
    doi="10.1093/bja/aeg028",
    pmid="12538370",
)
_S = "micro-constants per kg as transcribed by opentiva 1.1.2"

PARAMETERS = (
    Parameter("V1", 1.08, "L/kg", "S", _S),
    Parameter("k10", 0.0333, "1/min", "S", _S),
    Parameter("k12", 0.0088, "1/min", "S", _S),
    Parameter("k21", 0.0030, "1/min", "S", _S),
)

_OPENTIVA_KE0 = opentiva_constructed_ke0(4.773, "ketamine.Hijazi")


_build = micro_per_kg_iv


HIJAZI_2003 = PKModel(
    id="hijazi-2003",
    drug="racemic ketamine",
    citation=CITATION,
    population="12 adult ICU patients with brain or spinal cord injury (sedation infusions)",
    sampling_site="not stated in the abstract (UNVERIFIED)",
    structure="2-compartment mammillary from micro-constants, V1 per kg",
    covariates="weight: V1 x weight (linear); micro-constants fixed",
    # Adult ICU study; the paper's weight and age ranges were not read (UNVERIFIED).
    # opentiva's age_upper = 18 for this model is a bug (adult study) and is not copied.
    validity=Validity(weight_kg=(40.0, 120.0), age_years=(18.0, 90.0)),
    parameters=PARAMETERS,
    builder=_build,
    effect_sites=(OLOFSEN_2022_KE0, KAMP_2021_CO_KE0, _OPENTIVA_KE0),
    notes=(
        "Published [P]: CL 36.0 (13.3) mL/min/kg, Vbeta 16.0 (8.6) L/kg, t1/2 4.9 (1.6) h; "
        "the micro-constants give CL 36.0 mL/min/kg, terminal t1/2 4.95 h and "
        "Vbeta 15.4 L/kg [C].",
        "CL (151 L/h at 70 kg) lies well above the Kamp 2020 meta-analysis band (69-90 "
        "L/h): a critically ill population; use for ICU sedation, not outpatient therapy.",
        "Norketamine and dehydronorketamine were measured but no metabolite model is "
        "carried. Ketamine did not change the haemodynamics [P].",
        "The opentiva ke0 (4.773 /min) is CONSTRUCTED (1-min time to peak).",
    ),
)

MODELS = (HIJAZI_2003,)
