"""Builders shared by the model modules: mammillary systems, allometry, depots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ketaclinic.pk.model import CompartmentSystem, Individual, Output, Path, RouteRule

__all__ = [
    "IV_ROUTES",
    "MIN_PER_H",
    "Depot",
    "allometric",
    "mammillary",
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
    return Individual(CompartmentSystem(tuple(names), a, system.outputs), rules, dict(params))
