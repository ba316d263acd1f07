"""Builders shared by the model modules: mammillary systems, allometry, depots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ketaclinic.pk.model import (
    CompartmentSystem,
    EffectSite,
    Individual,
    Output,
    Path,
    RateDrift,
    RouteRule,
)
from ketaclinic.pk.patient import Patient

__all__ = [
    "IV_ROUTES",
    "MIN_PER_H",
    "Depot",
    "allometric",
    "clearance_l_per_min",
    "mammillary",
    "micro_per_kg_iv",
    "micro_system",
    "opentiva_constructed_ke0",
    "steady_state_volume_l",
    "with_depots",
]

#: Parameters published per hour are converted once, here, to the canonical per-minute.
MIN_PER_H = 60.0


def allometric(weight_kg: float, exponent: float, reference_kg: float = 70.0) -> float:
    """(W / W_ref) ** exponent: 1 for volumes, 0.75 for clearances (Anderson & Holford)."""
    return float((weight_kg / reference_kg) ** exponent)


def mammillary(
    v1_l: float,
    cl_l_per_min: float,
    peripherals: Sequence[tuple[float, float]] = (),
) -> CompartmentSystem:
    """A central compartment with peripherals given as (Q in L/min, V in L).

    Compartments are named ``central``, ``peripheral1``, ``peripheral2``...; the output
    ``plasma`` is central amount / V1.
    """
    n = 1 + len(peripherals)
    a = np.zeros((n, n))
    a[0, 0] = -cl_l_per_min / v1_l
    for i, (q, v) in enumerate(peripherals, start=1):
        a[0, 0] -= q / v1_l
        a[0, i] = q / v
        a[i, 0] = q / v1_l
        a[i, i] = -q / v
    names = ("central", *(f"peripheral{i}" for i in range(1, n)))
    return CompartmentSystem(names, a, (Output("plasma", 0, v1_l),))


def micro_system(
    v1_l: float, k10: float, k12: float = 0.0, k21: float = 0.0, k13: float = 0.0, k31: float = 0.0
) -> CompartmentSystem:
    """A mammillary system from micro-constants (1/min), as STANPUMP-era sets publish it."""
    peripherals: list[tuple[float, float]] = []
    if k12:
        peripherals.append((k12 * v1_l, k12 * v1_l / k21))
    if k13:
        peripherals.append((k13 * v1_l, k13 * v1_l / k31))
    return mammillary(v1_l, k10 * v1_l, peripherals)


IV_ROUTES: dict[str, RouteRule] = {
    "iv-bolus": RouteRule((Path("central", 1.0),), label="IV bolus"),
    "iv-infusion": RouteRule((Path("central", 1.0),), label="IV infusion"),
}


@dataclass(frozen=True)
class Depot:
    """An absorption depot: first-order ``ka_per_min`` into ``target``; a dose by
    ``route`` puts ``bioavailability`` of its amount in the depot after ``lag_min``."""

    route: str
    bioavailability: float
    ka_per_min: float
    target: str = "central"
    lag_min: float = 0.0
    label: str = ""


def with_depots(
    system: CompartmentSystem,
    depots: Sequence[Depot],
    params: Mapping[str, float],
    routes: Mapping[str, RouteRule] | None = None,
    drift: RateDrift | None = None,
) -> Individual:
    """Append one depot compartment per route and the matching route rules."""
    n0 = len(system.compartments)
    n = n0 + len(depots)
    a = np.zeros((n, n))
    a[:n0, :n0] = system.a
    names = list(system.compartments)
    rules: dict[str, RouteRule] = dict(IV_ROUTES if routes is None else routes)
    for k, d in enumerate(depots):
        i = n0 + k
        a[i, i] = -d.ka_per_min
        a[system.index(d.target), i] += d.ka_per_min
        name = f"depot:{d.route}"
        names.append(name)
        rules[d.route] = RouteRule(
            (Path(name, d.bioavailability, lag_min=d.lag_min),), label=d.label or d.route
        )
    return Individual(
        CompartmentSystem(tuple(names), a, system.outputs), rules, dict(params), drift
    )


def _steady_state(system: CompartmentSystem, into: str) -> NDArray[np.float64]:
    """Amounts (mg) at steady state of a 1 mg/min infusion into ``into``."""
    u = np.zeros(len(system.compartments))
    u[system.index(into)] = 1.0
    return np.asarray(np.linalg.solve(system.a, -u), dtype=float)


def clearance_l_per_min(
    system: CompartmentSystem, output: str = "plasma", into: str = "central"
) -> float:
    """Total clearance (L/min) = infusion rate / steady-state concentration of ``output``.

    Depots and metabolite compartments must drain (a non-singular ``a``).
    """
    o = system.output(output)
    c_ss = _steady_state(system, into)[o.compartment] / o.volume_l
    return float(1.0 / c_ss)


def steady_state_volume_l(
    system: CompartmentSystem,
    compartments: Sequence[str] | None = None,
    output: str = "plasma",
    into: str = "central",
) -> float:
    """Vss (L): amount in ``compartments`` (default: central and peripherals) at steady
    state of an infusion into ``into``, divided by the ``output`` concentration."""
    names = compartments or [
        c for c in system.compartments if c == "central" or c.startswith("peripheral")
    ]
    x = _steady_state(system, into)
    o = system.output(output)
    c_ss = x[o.compartment] / o.volume_l
    return float(sum(x[system.index(c)] for c in names) / c_ss)


def opentiva_constructed_ke0(ke0_per_min: float, opentiva_class: str) -> EffectSite:
    """opentiva 1.1.2's ke0 for a ketamine set: CONSTRUCTED so that a bolus peaks at 1 min,
    not measured (literature sheet, "ke0 warning"); labelled as such wherever shown."""
    return EffectSite(
        id="opentiva-tpeak-1min",
        ke0_per_min=ke0_per_min,
        kind="constructed",
        endpoint="none: chosen so that a bolus peaks at 1 min (opentiva 1.1.2)",
        source=f"opentiva 1.1.2, {opentiva_class} (time-to-peak 1 min construction)",
        provenance="S",
    )


def micro_per_kg_iv(p: Mapping[str, float], patient: Patient) -> Individual:
    """IV-only 2-compartment set published as V1 per kg (L/kg) and fixed micro-constants
    k10, k12, k21 (1/min), as the STANPUMP-era sets are."""
    v1 = p["V1"] * patient.weight_kg
    return Individual(micro_system(v1, p["k10"], p["k12"], p["k21"]), IV_ROUTES, dict(p))
