"""Regimen design: the constant-rate IV infusion (dose and duration) that reaches a stated
exposure while keeping the predicted dissociation below a stated level, for the typical
patient.

Everything is exact for the linear model: for a duration ``T`` the dose follows in closed
form from linearity (``D = C_end / cp_unit(T)``, or ``D = AUC * CL`` for the area to
infinity, ``AUC_inf = D c (-A)^-1 e_central``), the peak effect-site concentration of
that infusion is ``D * peak(ce_unit(T))``, and the duration at which the dissociation
limit binds is found by 1-D root finding (Brent) in ``T``.

Dissociation is Olofsen 2022's external-perception model (C50 121 ng/mL S-ketamine,
t1/2ke0 8.3 min; Anesthesiology 136:792, doi:10.1097/ALN.0000000000004176). The limit is
a fraction of the maximal effect. Nothing here predicts an antidepressant response
(:data:`ketaclinic.pk.bands.NO_ANTIDEPRESSANT_CR`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.optimize

from ketaclinic.errors import InputError, LimitError, real_number
from ketaclinic.pk.bands import NO_ANTIDEPRESSANT_CR
from ketaclinic.pk.effect import OLOFSEN_2022_DISSOCIATION, PDModel, analyte_fraction
from ketaclinic.pk.linear import Input, solve
from ketaclinic.pk.model import CompartmentSystem, PKModel
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import MAX_SINGLE_DOSE_MG, Dose, Regimen
from ketaclinic.pk.tci import iv_entry
from ketaclinic.units import MG_PER_L_TO_NG_PER_ML

__all__ = ["DesignResult", "ExposureTarget", "design_infusion"]

ExposureKind = Literal["end-of-infusion", "auc"]


@dataclass(frozen=True)
class ExposureTarget:
    """The exposure to reach: the plasma concentration at the end of the infusion
    (``value`` in ng/mL) or the plasma AUC from 0 to infinity (``value`` in ng*h/mL)."""

    kind: ExposureKind
    value: float

    def __post_init__(self) -> None:
        if self.kind not in ("end-of-infusion", "auc"):
            raise InputError.for_field("kind", self.kind, "'end-of-infusion' or 'auc'")
        unit = self.unit
        v = self.value
        v = real_number("value", v, unit)
        if v <= 0:
            raise InputError.for_field("value", v, f"greater than 0 {unit}", unit=unit)

    @property
    def unit(self) -> str:
        return "ng/mL" if self.kind == "end-of-infusion" else "ng*h/mL"


@dataclass(frozen=True)
class DesignResult:
    """The designed infusion and what it is predicted to do (typical patient)."""

    model_id: str
    target: ExposureTarget
    dose_mg: float
    duration_min: float
    end_of_infusion_ng_per_ml: float
    auc_ng_h_per_ml: float
    peak_effect_site_s_ng_per_ml: float
    peak_dissociation_fraction: float
    max_dissociation_fraction: float
    feasible_duration_min: tuple[float, float]
    dissociation_model: PDModel
    warnings: tuple[str, ...]
    statement: str = NO_ANTIDEPRESSANT_CR

    @property
    def rate_mg_per_h(self) -> float:
        return self.dose_mg / self.duration_min * 60.0

    @property
    def regimen(self) -> Regimen:
        return Regimen((Dose("iv-infusion", self.dose_mg, duration_min=self.duration_min),))

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_id,
            "statement": self.statement,
            "target": {
                "kind": self.target.kind,
                "value": self.target.value,
                "unit": self.target.unit,
            },
            "dose_mg": self.dose_mg,
            "duration_min": self.duration_min,
            "rate_mg_per_h": self.rate_mg_per_h,
            "end_of_infusion_ng_per_ml": self.end_of_infusion_ng_per_ml,
            "auc_ng_h_per_ml": self.auc_ng_h_per_ml,
            "peak_effect_site_s_ketamine_ng_per_ml": self.peak_effect_site_s_ng_per_ml,
            "peak_dissociation_fraction": self.peak_dissociation_fraction,
            "max_dissociation_fraction": self.max_dissociation_fraction,
            "feasible_duration_min": list(self.feasible_duration_min),
            "dissociation_model": self.dissociation_model.label,
            "warnings": list(self.warnings),
        }


class _Infusion:
    """Unit-dose (1 mg) infusion responses of one system, exact."""

    def __init__(self, base: CompartmentSystem, entry: int, pd: PDModel, factor: float) -> None:
        site = pd.effect_site()
        self.base = base
        self.system = base if site is None else base.with_effect_site(site)
        self.entry = entry
        self.plasma = base.output("plasma").compartment
        self.v1 = base.output("plasma").volume_l
        self.has_site = site is not None
        self.factor = factor
        half = pd.half_life_ke0_min or 0.0
        self.tail_min = max(120.0, 10.0 * half)
        # AUC(0-inf) per mg: c (-A)^-1 e_central, mg/L*min (exact).
        n = base.a.shape[0]
        e = np.zeros(n)
        e[self.entry] = 1.0
        self.auc_per_mg = float(np.linalg.solve(-base.a, e)[self.plasma] / self.v1)

    def cp_end(self, duration: float) -> float:
        y, _ = solve(self.base, [Input(self.entry, 1.0, 0.0, duration)], [duration])
        return float(y[0, 0])

    def _driver(self, t: float | np.ndarray, duration: float) -> np.ndarray:
        y, _ = solve(self.system, [Input(self.entry, 1.0, 0.0, duration)], np.atleast_1d(t))
        return np.asarray(y[-1] if self.has_site else y[0])

    def peak_driver(self, duration: float) -> float:
        """Peak of the PD driver (effect site, or plasma) per mg, mg/L of the PK drug."""
        grid = np.linspace(0.0, duration + self.tail_min, 2001)
        y = self._driver(grid, duration)
        k = int(np.argmax(y))
        lo = float(grid[max(k - 1, 0)])
        hi = float(grid[min(k + 1, grid.size - 1)])
        res = scipy.optimize.minimize_scalar(
            lambda s: -float(self._driver(s, duration)[0]),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-6},
        )
        return max(float(y[k]), -float(res.fun))


def design_infusion(
    model: PKModel,
    patient: Patient,
    target: ExposureTarget,
    *,
    max_dissociation_fraction: float,
    duration_range_min: tuple[float, float] = (10.0, 240.0),
    preferred_duration_min: float = 40.0,
    dissociation: PDModel = OLOFSEN_2022_DISSOCIATION,
    params: Mapping[str, float] | None = None,
) -> DesignResult:
    """Design a constant-rate IV infusion for the typical patient.

    For each duration ``T`` in ``duration_range_min`` the dose that meets ``target`` is
    exact; the durations whose predicted peak dissociation stays at or below
    ``max_dissociation_fraction`` (fraction of the maximal effect of ``dissociation``)
    are feasible. The preferred duration (default 40 min, the standard depression
    infusion) is used when feasible, else the nearest feasible duration, found by
    Brent's method at the boundary. No feasible duration: a LimitError.

    Examples
    --------
    >>> from ketaclinic.pk.models import get_model
    >>> d = design_infusion(get_model("kamp-2020"), Patient(weight_kg=70),
    ...                     ExposureTarget("end-of-infusion", 250.0),
    ...                     max_dissociation_fraction=0.5)
    >>> round(d.duration_min), round(d.dose_mg, 1)
    (40, 34.6)
    """
    f = max_dissociation_fraction
    if isinstance(f, bool) or not isinstance(f, int | float) or not 0 < f < 1:
        raise InputError.for_field(
            "max_dissociation_fraction", f, "between 0 and 1 (fraction of the maximal effect)"
        )
    lo, hi = (float(v) for v in duration_range_min)
    if not (math.isfinite(lo) and math.isfinite(hi) and 1.0 <= lo < hi <= 7 * 24 * 60):
        raise InputError(
            f"duration_range_min must satisfy 1 <= low < high <= 10080 min, got {lo:g} to "
            f"{hi:g} min",
            field="duration_range_min",
            value=(lo, hi),
            unit="min",
            limit="1 <= low < high <= 10080",
        )
    pref = float(preferred_duration_min)
    if not lo <= pref <= hi:
        raise InputError.for_field(
            "preferred_duration_min", pref, f"within {lo:g}-{hi:g} min", unit="min"
        )
    factor = analyte_fraction(model.drug, dissociation)
    ce_limit = dissociation.concentration_for_fraction(f)  # analyte mg/L
    ind = model.individual(patient, params)
    inf = _Infusion(ind.system, iv_entry(ind, model.id), dissociation, factor)
    target_mg = target.value / MG_PER_L_TO_NG_PER_ML  # mg/L, or mg*h/L

    def dose(duration: float) -> float:
        if target.kind == "end-of-infusion":
            return target_mg / inf.cp_end(duration)
        return target_mg * 60.0 / inf.auc_per_mg

    def excess(duration: float) -> float:
        return dose(duration) * factor * inf.peak_driver(duration) - ce_limit

    grid = np.geomspace(lo, hi, 25)
    values = np.array([excess(float(d)) for d in grid])
    ok = values <= 0
    if not ok.any():
        best = int(np.argmin(values))
        peak_frac = float(dissociation.fraction(values[best] + ce_limit))
        raise LimitError(
            f"max_dissociation_fraction {f:g} cannot be kept for {target.kind} "
            f"{target.value:g} {target.unit} with any duration in {lo:g}-{hi:g} min "
            f"(lowest predicted peak dissociation {peak_frac:.3g} at {grid[best]:.3g} min, "
            f"{dissociation.id})",
            field="max_dissociation_fraction",
            value=f,
            limit=f"peak dissociation >= {peak_frac:.3g} for every duration",
        )
    # Feasible interval containing the feasible grid point nearest the preferred duration.
    idx = np.flatnonzero(ok)
    near = int(idx[np.argmin(np.abs(np.log(grid[idx] / pref)))])
    left, right = near, near
    while left > 0 and ok[left - 1]:
        left -= 1
    while right < grid.size - 1 and ok[right + 1]:
        right += 1
    a = lo if left == 0 else _root(excess, float(grid[left - 1]), float(grid[left]))
    b = hi if right == grid.size - 1 else _root(excess, float(grid[right]), float(grid[right + 1]))
    chosen = min(max(pref, a), b)
    d = dose(chosen)
    if d > MAX_SINGLE_DOSE_MG:
        raise LimitError(
            f"dose_mg {d:g} mg exceeds the {MAX_SINGLE_DOSE_MG:g} mg single-dose refusal bound",
            field="dose_mg",
            value=d,
            unit="mg",
            limit=f"<= {MAX_SINGLE_DOSE_MG:g} mg",
        )
    peak = d * factor * inf.peak_driver(chosen)
    warnings = list(model.validity.warnings(patient, model.id))
    if dissociation.gamma_provenance == "UNVERIFIED":
        warnings.append(
            f"{dissociation.id}: Hill exponent UNVERIFIED (value used: {dissociation.gamma:g})"
        )
    return DesignResult(
        model_id=model.id,
        target=target,
        dose_mg=d,
        duration_min=chosen,
        end_of_infusion_ng_per_ml=d * inf.cp_end(chosen) * MG_PER_L_TO_NG_PER_ML,
        auc_ng_h_per_ml=d * inf.auc_per_mg * MG_PER_L_TO_NG_PER_ML / 60.0,
        peak_effect_site_s_ng_per_ml=peak * MG_PER_L_TO_NG_PER_ML,
        peak_dissociation_fraction=float(dissociation.fraction(peak)),
        max_dissociation_fraction=f,
        feasible_duration_min=(a, b),
        dissociation_model=dissociation,
        warnings=tuple(warnings),
    )


def _root(fn: Any, a: float, b: float) -> float:
    return float(scipy.optimize.brentq(fn, a, b, xtol=1e-6))
