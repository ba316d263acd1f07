"""Regimen -> primitive inputs, through a model's route rules."""

from __future__ import annotations

import math

from ketaclinic.errors import InputError, RouteError
from ketaclinic.pk.linear import Input
from ketaclinic.pk.model import Individual, Path
from ketaclinic.pk.regimen import Dose, Regimen

__all__ = ["expand_regimen"]


def _paths_inputs(
    ind: Individual, paths: tuple[Path, ...], amount: float, start: float
) -> list[Input]:
    out: list[Input] = []
    for p in paths:
        if p.fraction <= 0:
            continue
        idx = ind.system.index(p.compartment)
        out.append(Input(idx, amount * p.fraction, start + p.lag_min, p.zero_order_min or 0.0))
    return out


def _expand_dose(ind: Individual, dose: Dose, model_id: str, models_with_route: str) -> list[Input]:
    rule = ind.routes.get(dose.route)
    if rule is None:
        raise RouteError(
            f"model {model_id} cannot take route {dose.route}; "
            f"models that can: {models_with_route or 'none'}",
            field="route",
            value=dose.route,
        )
    start = float(dose.start_min)
    amount = float(dose.amount_mg)
    if dose.route == "iv-infusion":
        central = ind.system.index(rule.paths[0].compartment)
        return [Input(central, amount, start, dose.infusion_duration_min)]
    if rule.device_mg is None:
        return _paths_inputs(ind, rule.paths, amount, start)
    # Device-based route (esketamine nasal spray): split into whole devices.
    n_float = amount / rule.device_mg
    n = round(n_float)
    if n < 1 or not math.isclose(n_float, n, rel_tol=0, abs_tol=1e-9):
        raise InputError(
            f"amount_mg must be a whole number of {rule.device_mg:g} mg devices for route "
            f"{dose.route} with model {model_id}, got {amount:g} mg",
            field="amount_mg",
            value=amount,
            unit="mg",
            limit=f"multiple of {rule.device_mg:g} mg",
        )
    gap = dose.device_interval_min
    if gap is None:
        gap = rule.min_device_interval_min or 0.0
    elif rule.min_device_interval_min is not None and gap < rule.min_device_interval_min:
        raise InputError.for_field(
            "device_interval_min",
            gap,
            f"at least {rule.min_device_interval_min:g} min between devices",
            unit="min",
        )
    out: list[Input] = []
    for k in range(n):
        paths = rule.paths if k == 0 or rule.later_device_paths is None else rule.later_device_paths
        out.extend(_paths_inputs(ind, paths, rule.device_mg, start + k * gap))
    return out


def expand_regimen(
    ind: Individual,
    regimen: Regimen,
    model_id: str,
    models_with_route: dict[str, str] | None = None,
) -> list[Input]:
    """Primitive inputs for ``regimen`` under the individual's route rules.

    ``models_with_route`` maps a route to the ids of models that can take it, so that a
    refusal names the alternatives.
    """
    inputs: list[Input] = []
    hint = models_with_route or {}
    for dose in regimen.doses:
        inputs.extend(_expand_dose(ind, dose, model_id, hint.get(dose.route, "")))
    return inputs
