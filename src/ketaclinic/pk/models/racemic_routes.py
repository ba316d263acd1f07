"""Non-IV routes for racemic ketamine in adults: ROUTE ADD-ONS to a disposition model.

No adult model in the library was fitted to IM, intranasal, sublingual or oral data.
These routes attach a first-order absorption depot, with a published bioavailability,
to an IV disposition model (kamp-2020, domino-1982). The result is an approximation:
the disposition is the model's; the fraction absorbed is the route study's; the
absorption rate is a choice made here (every ka is UNVERIFIED, see below).

Bioavailability
    Intranasal 0.45, sublingual 0.30, oral tablet 0.20: Yanagihara Y et al. (authors
    beyond the first UNVERIFIED), Plasma concentration profiles of ketamine and
    norketamine after administration of various ketamine preparations to healthy
    Japanese volunteers. Biopharm Drug Dispos 2003;24(1):37-43, doi:10.1002/bdd.336 [P,
    abstract; 3 volunteers]. IM 0.93 and oral 0.17: Clements JA, Nimmo WS, Grant IS,
    Bioavailability, pharmacokinetics, and analgesic activity of ketamine in humans.
    J Pharm Sci 1982;71:539-542 (read only in a secondary source: UNVERIFIED).
Absorption
    No adult absorption rate constant was found in a primary source. Each absorption
    half-life below is chosen so that the kamp-2020 disposition (70 kg) peaks at a
    published time to peak, and is tagged UNVERIFIED:
    IM 22 min -> Tmax 15 min (median peak at 15 min after 1 mg/kg IM in trauma
    patients, Anaesthesist 1984;33:272, PMID 6476334 [P, abstract]); intranasal 30 min
    -> Tmax 20 min (peak within 20 min after 3 mg/kg nasal in children, Malinovsky et
    al., Br J Anaesth 1996;77:203, doi:10.1093/bja/77.2.203 [P, abstract]); sublingual
    57 min -> Tmax 45 min (median 0.75 h for a sublingual wafer, Rolan et al., Br J Clin
    Pharmacol 2014;77:1011, doi:10.1111/bcp.12264 [P, abstract]); oral 59 min (the
    absorption half-time of oral ketamine in children, Brunette et al., Paediatr
    Anaesth 2011;21:653, doi:10.1111/j.1460-9592.2011.03548.x [P, abstract], applied
    to adults; Tmax 46 min with kamp-2020).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ketaclinic.pk.model import Parameter
from ketaclinic.pk.models._build import Depot

__all__ = ["ROUTES", "ROUTE_NOTES", "ROUTE_PARAMETERS", "racemic_depots"]

_YANAGIHARA = "Yanagihara 2003, Biopharm Drug Dispos 24:37-43, doi:10.1002/bdd.336 (abstract)"
_CLEMENTS_1982 = (
    "Clements 1982, J Pharm Sci 71:539-542 (read in a secondary source only; not checked "
    "against the paper)"
)
_KA_NOTE = (
    "route add-on: absorption half-life chosen so that the kamp-2020 disposition at 70 kg "
    "peaks at the published time to peak ({}); not a fitted value"
)

ROUTE_PARAMETERS: tuple[Parameter, ...] = (
    Parameter("F_im", 0.93, "fraction", "UNVERIFIED", _CLEMENTS_1982),
    Parameter("F_intranasal", 0.45, "fraction", "P", _YANAGIHARA),
    Parameter("F_sublingual", 0.30, "fraction", "P", _YANAGIHARA),
    Parameter(
        "F_oral",
        0.20,
        "fraction",
        "P",
        _YANAGIHARA,
        note="Clements 1982 gives 0.17 (UNVERIFIED); the higher figure is used",
    ),
    Parameter(
        "t_half_abs_im",
        22.0,
        "min",
        "UNVERIFIED",
        "derived: Tmax 15 min after IM, Anaesthesist 1984;33:272 (PMID 6476334)",
        note=_KA_NOTE.format("15 min"),
    ),
    Parameter(
        "t_half_abs_intranasal",
        30.0,
        "min",
        "UNVERIFIED",
        "derived: Tmax about 20 min after nasal ketamine, Malinovsky 1996, Br J Anaesth "
        "77:203, doi:10.1093/bja/77.2.203 (children)",
        note=_KA_NOTE.format("20 min"),
    ),
    Parameter(
        "t_half_abs_sublingual",
        57.0,
        "min",
        "UNVERIFIED",
        "derived: median Tmax 0.75 h, Rolan 2014, Br J Clin Pharmacol 77:1011, "
        "doi:10.1111/bcp.12264",
        note=_KA_NOTE.format("45 min"),
    ),
    Parameter(
        "t_half_abs_oral",
        59.0,
        "min",
        "UNVERIFIED",
        "Brunette 2011, Paediatr Anaesth 21:653, doi:10.1111/j.1460-9592.2011.03548.x: "
        "absorption half-time 59 min in children [P], applied to adults",
        note="route add-on: a paediatric absorption half-time used for adults",
    ),
)

ROUTES: tuple[str, ...] = ("im", "intranasal", "sublingual", "oral")

_F_TEXT = {
    "im": "0.93 (Clements 1982, UNVERIFIED)",
    "intranasal": "0.45 (Yanagihara 2003)",
    "sublingual": "0.30 (Yanagihara 2003)",
    "oral": "0.20 (Yanagihara 2003; Clements 1982: 0.17)",
}
ROUTE_NOTES: Mapping[str, str] = {
    r: f"ROUTE ADD-ON to an IV disposition model: bioavailability {_F_TEXT[r]}; first-order "
    "absorption with an UNVERIFIED absorption half-life; no first-pass metabolite "
    "formation is modelled"
    for r in ROUTES
}


def racemic_depots(p: Mapping[str, float]) -> list[Depot]:
    """One absorption depot per add-on route (ka = ln 2 / t1/2abs, 1/min)."""
    return [
        Depot(
            r,
            p[f"F_{r}"],
            math.log(2) / p[f"t_half_abs_{r}"],
            label=f"{r} (route add-on to a disposition model)",
        )
        for r in ROUTES
    ]
