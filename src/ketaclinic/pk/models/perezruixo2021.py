"""Perez-Ruixo 2021: esketamine nasal spray (and IV, oral) with noresketamine.

Perez-Ruixo C, Rossenu S, Zannikos P, Nandy P, Singh J, Drevets WC, Perez-Ruixo JJ.
Population pharmacokinetics of esketamine nasal spray and its metabolite noresketamine
in healthy subjects and patients with treatment-resistant depression. Clin
Pharmacokinet 2021;60(4):501-516. doi:10.1007/s40262-020-00953-4.

820 subjects, 13 studies; IN 14-112 mg, IV 28 mg over 40 min, PO 84 mg [P, abstract].
Every parameter is from Table 3 as transcribed, value by value with its table origin, by
the nlmixr2lib model file ``PerezRuixo_2020_esketamine`` [S] (checked there). Time
constants are published per hour and converted here, once, to per minute.

Structure (amounts in mg):

* nasal depot --ka,n--> central (fraction FRn of each 28 mg device, first-order);
* the swallowed rest (1 - FRn) x Fgut enters a gut depot at a constant rate over Dsw,
  then --ka,sw--> liver (hepato-portal compartment);
* an oral solution: Fgut, zero-order over Dpo into a gut depot, --ka,po--> liver;
* liver <-> central at hepatic blood flow Qh; the liver loses kel (other metabolites)
  and kmet (noresketamine); central <-> two peripherals (Q1/Vp1, Q2/Vp2);
* noresketamine: 2-compartment apparent (Vcn/F, CLn/F, Q3/F, Vpn/F).

The ODEs printed in the paper contain typos (nlmixr2lib errata); the routing above is
the one that reproduces the published F = FRn + (1 - FRn) Fgut (1 - E_h).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ketaclinic.errors import InputError
from ketaclinic.pk.model import (
    Citation,
    CompartmentSystem,
    Individual,
    Output,
    Parameter,
    Path,
    PKModel,
    ResidualError,
    RouteRule,
    Validity,
)
from ketaclinic.pk.models._build import MIN_PER_H
from ketaclinic.pk.models.kamp2020 import KAMP_2021_CO_KE0, OLOFSEN_2022_KE0
from ketaclinic.pk.patient import Patient

__all__ = [
    "DEVICE_MG",
    "MIN_DEVICE_INTERVAL_MIN",
    "MODELS",
    "NORESKETAMINE",
    "PEREZ_RUIXO_2021",
    "absolute_bioavailability",
    "hepatic_extraction",
]

#: Spravato device: 28 mg esketamine (two sprays, one per nostril) [P, label].
DEVICE_MG = 28.0
#: Devices at least 5 minutes apart (Spravato label; the simulations in the paper).
MIN_DEVICE_INTERVAL_MIN = 5.0
NORESKETAMINE = "noresketamine"

CITATION = Citation(
    authors="Perez-Ruixo C, Rossenu S, Zannikos P, Nandy P, Singh J, Drevets WC, Perez-Ruixo JJ",
    year=2021,
    title="Population pharmacokinetics of esketamine nasal spray and its metabolite "
    "noresketamine in healthy subjects and patients with treatment-resistant depression",
    journal="Clin Pharmacokinet 60(4):501-516",
    doi="10.1007/s40262-020-00953-4",
)
_T3 = "Perez-Ruixo 2021 Table 3 (via nlmixr2lib PerezRuixo_2020_esketamine)"


def _p(name: str, value: float, unit: str, iiv: float | None = None, note: str = "") -> Parameter:
    return Parameter(name, value, unit, "S", _T3, iiv=iiv, note=note)


PARAMETERS = (
    Parameter(
        "FRn",
        0.54,
        "fraction",
        "P",
        "Perez-Ruixo 2021 abstract and Table 3: fraction of a 28 mg device absorbed nasally",
        iiv=0.708,
        iiv_scale="logit",
        note="IIV additive on the logit scale (SD 0.708, Table 3 '70.8')",
    ),
    _p("FRn_later_devices", 0.62, "factor", note="x FRn for the 2nd and later devices"),
    _p("FRn_japanese", 1.34, "factor", note="x FRn for Japanese subjects (linear scale)"),
    _p("ka_n", 2.93, "1/h", iiv=61.5),
    _p("Dsw", 0.53, "h", note="zero-order duration of the swallowed portion"),
    _p("ka_sw", 1.45, "1/h", iiv=132.0),
    _p("Dpo", 0.32, "h", note="zero-order duration of an oral solution"),
    _p("ka_po", 0.97, "1/h", iiv=132.0),
    _p("Fgut", 0.64, "fraction"),
    _p("Vc", 192.0, "L", iiv=27.5),
    _p("Q1", 84.3, "L/h"),
    _p("Vp1", 143.0, "L", iiv=49.3),
    _p("Q2", 37.6, "L/h"),
    _p("Vp2", 417.0, "L"),
    _p("Qh", 151.0, "L/h", iiv=23.2),
    _p("Qh_age", 2.19, "L/h per year", note="Qh falls by this much per year of age above 60"),
    _p("Vh", 101.0, "L", iiv=34.6),
    _p("kel", 1.11, "1/h", iiv=120.0),
    _p("kel_asian", 0.36, "factor", note="x kel for Asian (incl. Japanese) subjects"),
    _p(
        "kmet",
        2.77,
        "1/h",
        note="IIV estimated but its value is blank in Table 3 (not carried; nlmixr2lib "
        "uses a 30% placeholder)",
    ),
    _p("Vcn", 70.0, "L", iiv=31.6, note="apparent, Vcn/F"),
    _p("CLn", 38.0, "L/h", iiv=25.4, note="apparent, CLn/F"),
    _p("CLn_asian", 0.81, "factor", note="x CLn/F for Asian (incl. Japanese) subjects"),
    _p("Vpn", 115.0, "L", note="apparent, Vpn/F"),
    _p("Q3", 26.1, "L/h", note="apparent, Q3/F"),
)

_QH_TYPICAL = 151.0
_NAMES = (
    "central",
    "peripheral1",
    "peripheral2",
    "liver",
    "noresketamine:central",
    "noresketamine:peripheral",
    "depot:nasal",
    "depot:swallowed",
    "depot:oral",
)


def _covariates(p: Mapping[str, float], patient: Patient) -> dict[str, float]:
    """Individual values after the age and ancestry effects (Table 3)."""
    q = dict(p)
    asian = patient.ancestry in ("japanese", "other-asian")
    if patient.ancestry == "japanese":
        q["FRn"] = p["FRn"] * p["FRn_japanese"]
    if asian:
        q["kel"] = p["kel"] * p["kel_asian"]
        q["CLn"] = p["CLn"] * p["CLn_asian"]
    if patient.age_years is not None and patient.age_years > 60:
        # Qh = (151 - 2.19 (age - 60)) exp(eta): scale the (possibly individual) value.
        q["Qh"] = p["Qh"] * (_QH_TYPICAL - p["Qh_age"] * (patient.age_years - 60)) / _QH_TYPICAL
    q["FRn"] = min(q["FRn"], 1.0)
    return q


def hepatic_extraction(p: Mapping[str, float]) -> float:
    """Well-stirred extraction E_h = Vh (kel + kmet) / (Qh + Vh (kel + kmet))."""
    cl_int = p["Vh"] * (p["kel"] + p["kmet"])
    return float(cl_int / (p["Qh"] + cl_int))


def absolute_bioavailability(
    n_devices: int, params: Mapping[str, float] | None = None, patient: Patient | None = None
) -> float:
    """Closed-form absolute F of ``n_devices`` 28 mg devices (literature identity):
    F = FRn_eff + (1 - FRn_eff) Fgut (1 - E_h), FRn_eff = FRn (1 + (N - 1) 0.62) / N
    (the literature sheet prints 0.537 and 0.509, truncated).

    >>> round(absolute_bioavailability(2), 4), round(absolute_bioavailability(3), 4)
    (0.5376, 0.5094)
    """
    if isinstance(n_devices, bool) or not isinstance(n_devices, int) or n_devices < 1:
        raise InputError.for_field("n_devices", n_devices, "a whole number of devices >= 1")
    p = {**PEREZ_RUIXO_2021.typical_params, **(params or {})}
    q = _covariates(p, patient or Patient(weight_kg=74.0))
    frn = q["FRn"]
    later = min(frn * q["FRn_later_devices"], 1.0)
    frn_eff = (frn + (n_devices - 1) * later) / n_devices
    return frn_eff + (1.0 - frn_eff) * q["Fgut"] * (1.0 - hepatic_extraction(q))


def _build(p: Mapping[str, float], patient: Patient) -> Individual:
    q = _covariates(p, patient)
    h = MIN_PER_H
    c, p1, p2, liv, nc, np_, dn, dsw, dpo = range(len(_NAMES))
    a = np.zeros((len(_NAMES), len(_NAMES)))

    def flow(src: int, dst: int, k_per_min: float) -> None:
        a[src, src] -= k_per_min
        a[dst, src] += k_per_min

    flow(c, p1, q["Q1"] / q["Vc"] / h)
    flow(p1, c, q["Q1"] / q["Vp1"] / h)
    flow(c, p2, q["Q2"] / q["Vc"] / h)
    flow(p2, c, q["Q2"] / q["Vp2"] / h)
    flow(c, liv, q["Qh"] / q["Vc"] / h)
    flow(liv, c, q["Qh"] / q["Vh"] / h)
    a[liv, liv] -= q["kel"] / h  # to other metabolites (not tracked)
    flow(liv, nc, q["kmet"] / h)
    a[nc, nc] -= q["CLn"] / q["Vcn"] / h
    flow(nc, np_, q["Q3"] / q["Vcn"] / h)
    flow(np_, nc, q["Q3"] / q["Vpn"] / h)
    flow(dn, c, q["ka_n"] / h)
    flow(dsw, liv, q["ka_sw"] / h)
    flow(dpo, liv, q["ka_po"] / h)
    system = CompartmentSystem(
        _NAMES,
        a,
        (Output("plasma", c, q["Vc"]), Output(NORESKETAMINE, nc, q["Vcn"])),
    )
    frn = q["FRn"]
    later = min(frn * q["FRn_later_devices"], 1.0)
    swallowed_min = q["Dsw"] * h

    def nasal(f: float) -> tuple[Path, ...]:
        return (
            Path("depot:nasal", f),
            Path("depot:swallowed", (1.0 - f) * q["Fgut"], zero_order_min=swallowed_min),
        )

    routes = {
        "iv-bolus": RouteRule((Path("central", 1.0),), label="IV bolus"),
        "iv-infusion": RouteRule((Path("central", 1.0),), label="IV infusion"),
        "intranasal": RouteRule(
            nasal(frn),
            later_device_paths=nasal(later),
            device_mg=DEVICE_MG,
            min_device_interval_min=MIN_DEVICE_INTERVAL_MIN,
            label="esketamine nasal spray, 28 mg devices",
        ),
        "oral": RouteRule(
            (Path("depot:oral", q["Fgut"], zero_order_min=q["Dpo"] * h),),
            label="oral solution",
        ),
    }
    return Individual(system, routes, q)


PEREZ_RUIXO_2021 = PKModel(
    id="perez-ruixo-2021",
    drug="esketamine",
    citation=CITATION,
    population="820 healthy volunteers and patients with treatment-resistant depression, "
    "18-86 years (median 45), 39-170 kg (median 74); 13 studies",
    sampling_site="plasma (venous; site not checked in the paper)",
    structure="3-compartment esketamine + hepato-portal (well-stirred liver) compartment + "
    "2-compartment apparent noresketamine; nasal, swallowed and oral absorption paths",
    covariates="age above 60 on Qh (-2.19 L/h per year); Japanese x1.34 on FRn; Asian "
    "x0.36 on kel and x0.81 on CLn/F; 2nd and later devices x0.62 on FRn; no weight, sex, "
    "liver-test, eGFR or disease effect retained",
    validity=Validity(weight_kg=(39.0, 170.0), age_years=(18.0, 86.0)),
    parameters=PARAMETERS,
    builder=_build,
    routes=("iv-bolus", "iv-infusion", "intranasal", "oral"),
    route_notes={
        "intranasal": "fitted route: whole 28 mg devices, at least 5 min apart; FRn 0.54 of "
        "the first device (x0.62 for later ones) absorbed nasally, the rest swallowed "
        "(Fgut 0.64, zero-order over 0.53 h, then through the liver)",
        "oral": "fitted route (84 mg oral solution): Fgut 0.64, zero-order over 0.32 h, then "
        "through the liver (first pass)",
        "iv-infusion": "fitted route (28 mg over 40 min)",
        "iv-bolus": "IV data were infusions (28 mg over 40 min); a bolus is an extrapolation",
    },
    effect_sites=(OLOFSEN_2022_KE0, KAMP_2021_CO_KE0),
    residual_error=(
        ResidualError("esketamine", "log-additive", 0.276, _T3 + ", Phase I/II"),
        ResidualError(NORESKETAMINE, "log-additive", 0.422, _T3 + ", Phase I/II"),
    ),
    metabolites=(NORESKETAMINE,),
    notes=(
        "Doses are mg of esketamine base (one device: 28 mg base = 32.3 mg HCl) [P, label].",
        "Abstract [P]: absolute F 54% (56 mg) and 51% (84 mg); Vss 752 L; CL 114 L/h; "
        "noresketamine Vss 185 L, CL/F 38 L/h. Table 3 gives E_h 0.722, CL = Qh E_h = "
        "109 L/h and F 0.537 / 0.509 [C].",
        "Noresketamine is APPARENT: a literal encoding overpredicts its AUC0-24 by about "
        "1.4-1.56x while matching its Cmax within 2% (nlmixr2lib errata).",
        "The IIV of kmet is blank in Table 3 and not carried.",
        "Effect sites: Olofsen 2022 and Kamp 2021 ke0 were measured for S-ketamine "
        "(= esketamine) with arterial sampling in healthy men, not in this population.",
        "Age unknown is treated as 60 years or less (no Qh reduction); ancestry unknown as "
        "non-Asian.",
    ),
)

MODELS = (PEREZ_RUIXO_2021,)
