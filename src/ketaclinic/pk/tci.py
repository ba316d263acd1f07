"""Target-controlled infusion (TCI): plasma, effect-site and peak-plasma-limited targeting.

The model is the linear system ``dx/dt = A x + b u`` of a published PK model (amounts in
mg, ``u`` in mg/min into the central compartment), with the effect site appended as a
concentration state. Every update interval ``h`` the state is advanced exactly with the
one-step propagators ``Phi = exp(A h)`` and ``Gamma = int_0^h exp(A s) ds b`` of
:func:`ketaclinic.pk.linear.discretize` (Van Loan's augmented exponential).

Algorithms
----------
plasma
    Jacobs 1990 (IEEE Trans Biomed Eng 37:107-109; citation UNVERIFIED) and Shafer & Gregg
    1992 (J Pharmacokinet Biopharm 20:147-169, doi:10.1007/BF01070999): at each update
    ``u = clip((C_T - c Phi x) / (c Gamma), 0, u_max)``. The first interval delivers the
    "bolus" (about ``C_T V1``), then the rates fall towards ``C_T CL``.
effect
    Shafer & Gregg 1992: each interval the largest ``u >= 0`` such that the predicted
    effect-site concentration over a horizon (``u`` for one interval, nothing afterwards)
    does not exceed ``C_T``. On a target increase this delivers the dose whose effect
    peaks at the target, then pauses until ``Ce`` reaches it, then maintains (the
    general form of steps 3-6; anasim 1.7 uses the same rule with a 600-s horizon).
effect-cp-limited
    Van Poucke, Bravo & Shafer 2004 (IEEE Trans Biomed Eng 51:1869-1875,
    doi:10.1109/TBME.2004.827935): as ``effect``, with the plasma concentration also kept
    at or below ``C_T (1 + L)``. The pump climbs to that plasma ceiling, holds it, and stops
    when the drug on board makes ``Ce`` peak at ``C_T``: the discrete form of solving the
    hold time by a 1-D root-find so that the falling Cp meets the rising Ce at the target.

A target decrease pauses the pump (``u = 0``) until the predicted concentration falls to
the new target (all three modes: the unconstrained rate would be negative).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ketaclinic.errors import InputError, LimitError
from ketaclinic.pk.bands import BANDS
from ketaclinic.pk.linear import Input, discretize, solve
from ketaclinic.pk.model import CompartmentSystem, EffectSite, Individual, PKModel
from ketaclinic.pk.patient import Patient
from ketaclinic.units import MG_PER_L_TO_NG_PER_ML

__all__ = [
    "MAX_TARGET_NG_PER_ML",
    "EffectBolus",
    "PumpLimits",
    "Site",
    "TCIResult",
    "TargetSchedule",
    "TargetStep",
    "effect_site_bolus",
    "iv_entry",
    "run_tci",
]

Site = Literal["plasma", "effect", "effect-cp-limited"]
SITES: tuple[str, ...] = ("plasma", "effect", "effect-cp-limited")

_ANAESTHETIC = next(b for b in BANDS if b.id == "anaesthetic")
#: ketaclinic is a sub-anaesthetic tool: a target must lie below the lower edge of the
#: anaesthetic band, 1200 ng/mL (5 uM after 1-2 mg/kg IV; Zanos 2018 Pharmacol Rev
#: 70:621, Table 1, as carried by ketaclinic.pk.bands). At or above it a target is refused.
MAX_TARGET_NG_PER_ML = _ANAESTHETIC.low_ng_per_ml
_TARGET_LIMIT_TEXT = (
    f"below {MAX_TARGET_NG_PER_ML:g} ng/mL, the lower edge of the anaesthetic band "
    f"({_ANAESTHETIC.source}); ketaclinic targets sub-anaesthetic concentrations only"
)
#: Update interval bounds, s. STANPUMP-era pumps updated every 10-15 s (Shafer 1988,
#: Anesthesiology 68:261: a 15-s update had a 0.25 ng/mL maximum error for fentanyl);
#: below 1 s or above 60 s is refused.
UPDATE_S_RANGE = (1.0, 60.0)
#: Ce within this fraction of the target counts as reached (effect modes switch to
#: plasma-targeting maintenance).
_REACHED = 0.005
#: At most this many update intervals in one run (one week at 3-s updates).
MAX_STEPS = 200_000


def _number(name: str, value: object, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError.for_field(name, value, f"a number in {unit}", unit=unit)
    v = float(value)
    if not math.isfinite(v):
        raise InputError.for_field(name, v, f"a finite number in {unit}", unit=unit)
    return v


@dataclass(frozen=True)
class PumpLimits:
    """The pump and the prepared drug.

    Defaults are device settings, not clinical numbers: 1200 mL/h is a common syringe-pump
    maximum (UNVERIFIED, check the device), 1 mg/mL the usual ketamine infusion strength
    (CHEO drug manual: "usual 1 mg/mL"; safety-security reference, source [12]).
    """

    max_rate_ml_per_h: float = 1200.0
    concentration_mg_per_ml: float = 1.0

    def __post_init__(self) -> None:
        r = _number("max_rate_ml_per_h", self.max_rate_ml_per_h, "mL/h")
        if not 0 < r <= 2000:
            raise InputError.for_field(
                "max_rate_ml_per_h", r, "greater than 0 and at most 2000 mL/h", unit="mL/h"
            )
        c = _number("concentration_mg_per_ml", self.concentration_mg_per_ml, "mg/mL")
        # Ketalar strengths go up to 100 mg/mL (clinical-practice reference, section 4.2).
        if not 0 < c <= 100:
            raise InputError.for_field(
                "concentration_mg_per_ml", c, "greater than 0 and at most 100 mg/mL", unit="mg/mL"
            )

    @property
    def max_rate_mg_per_min(self) -> float:
        return self.max_rate_ml_per_h * self.concentration_mg_per_ml / 60.0

    def ml_per_h(self, rate_mg_per_min: NDArray[np.float64]) -> NDArray[np.float64]:
        """mg/min -> mL/h at this concentration."""
        return np.asarray(rate_mg_per_min * 60.0 / self.concentration_mg_per_ml)


@dataclass(frozen=True)
class TargetStep:
    """From ``start_min`` on, the target is ``target_ng_per_ml`` (0 stops the pump)."""

    start_min: float
    target_ng_per_ml: float

    def __post_init__(self) -> None:
        t = _number("start_min", self.start_min, "min")
        if t < 0:
            raise InputError.for_field("start_min", t, "at least 0 min", unit="min")
        c = _number("target_ng_per_ml", self.target_ng_per_ml, "ng/mL")
        if c < 0:
            raise InputError.for_field("target_ng_per_ml", c, "at least 0 ng/mL", unit="ng/mL")
        if c >= MAX_TARGET_NG_PER_ML:
            raise LimitError(
                f"target_ng_per_ml must be {_TARGET_LIMIT_TEXT}, got {c:g} ng/mL",
                field="target_ng_per_ml",
                value=c,
                unit="ng/mL",
                limit=f"< {MAX_TARGET_NG_PER_ML:g} ng/mL",
            )


@dataclass(frozen=True)
class TargetSchedule:
    """Target changes: the first at 0 min, start times strictly increasing.

    Examples
    --------
    >>> s = TargetSchedule.of([(0, 50), (30, 100), (60, 150), (90, 200)])
    >>> s.target_ng_per_ml_at(45.0)
    100.0
    """

    steps: tuple[TargetStep, ...]

    def __post_init__(self) -> None:
        if not self.steps:
            raise InputError.for_field("schedule", "[]", "at least one target")
        if self.steps[0].start_min != 0:
            raise InputError.for_field(
                "schedule[0].start_min", self.steps[0].start_min, "0 min (start at 0)", unit="min"
            )
        for i in range(1, len(self.steps)):
            prev, now = self.steps[i - 1].start_min, self.steps[i].start_min
            if now <= prev:
                raise InputError(
                    f"schedule start times must be strictly increasing, got {prev:g} min "
                    f"then {now:g} min at positions {i - 1} and {i}",
                    field=f"schedule[{i}].start_min",
                    value=now,
                    unit="min",
                    limit="strictly increasing",
                )

    @classmethod
    def constant(cls, target_ng_per_ml: float) -> TargetSchedule:
        return cls((TargetStep(0.0, target_ng_per_ml),))

    @classmethod
    def of(cls, pairs: Iterable[tuple[float, float]]) -> TargetSchedule:
        """From ``(start_min, target_ng_per_ml)`` pairs."""
        return cls(tuple(TargetStep(float(t), float(c)) for t, c in pairs))

    @classmethod
    def from_json(cls, data: object) -> TargetSchedule:
        """From ``[{"start_min": 0, "target_ng_per_ml": 50}, ...]`` (or a dict holding it
        under ``"schedule"``)."""
        if isinstance(data, Mapping):
            data = data.get("schedule")
        if not isinstance(data, list):
            raise InputError.for_field(
                "schedule", type(data).__name__, "a JSON list of {start_min, target_ng_per_ml}"
            )
        steps = []
        for i, item in enumerate(data):
            if not isinstance(item, Mapping) or set(item) != {"start_min", "target_ng_per_ml"}:
                raise InputError.for_field(
                    f"schedule[{i}]",
                    json.dumps(item),
                    "an object with exactly start_min and target_ng_per_ml",
                )
            steps.append(TargetStep(item["start_min"], item["target_ng_per_ml"]))
        return cls(tuple(steps))

    @property
    def last_change_min(self) -> float:
        return self.steps[-1].start_min

    def target_ng_per_ml_at(self, t_min: float) -> float:
        value = self.steps[0].target_ng_per_ml
        for s in self.steps:
            if s.start_min <= t_min + 1e-9:
                value = s.target_ng_per_ml
        return float(value)

    def to_list(self) -> list[dict[str, float]]:
        return [
            {"start_min": s.start_min, "target_ng_per_ml": s.target_ng_per_ml} for s in self.steps
        ]


@dataclass(frozen=True)
class EffectBolus:
    """The Shafer & Gregg effect-site bolus: ``dose_mg`` makes Ce peak at the target at
    ``t_peak_min``; ``peak_per_mg_ng_per_ml`` is the unit-bolus effect peak."""

    dose_mg: float
    t_peak_min: float
    peak_per_mg_ng_per_ml: float
    initial_plasma_ng_per_ml: float


@dataclass(frozen=True)
class TCIResult:
    """A TCI run.

    Attributes
    ----------
    time_min : (K+1,) update boundaries, min
    rate_mg_per_min : (K,) the rate during each interval
    plasma_mg_per_l, effect_site_mg_per_l : (K+1,) predictions at the boundaries
    target_mg_per_l : (K,) the target in force during each interval
    """

    model_id: str
    site: Site
    effect_site: EffectSite | None
    pump: PumpLimits
    schedule: TargetSchedule
    update_min: float
    time_min: NDArray[np.float64]
    rate_mg_per_min: NDArray[np.float64]
    plasma_mg_per_l: NDArray[np.float64]
    effect_site_mg_per_l: NDArray[np.float64] | None
    target_mg_per_l: NDArray[np.float64]
    system: CompartmentSystem = field(repr=False)
    central: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def rate_ml_per_h(self) -> NDArray[np.float64]:
        return self.pump.ml_per_h(self.rate_mg_per_min)

    @property
    def total_dose_mg(self) -> float:
        return float(self.rate_mg_per_min.sum() * self.update_min)

    @property
    def total_volume_ml(self) -> float:
        return self.total_dose_mg / self.pump.concentration_mg_per_ml

    @property
    def plasma_ng_per_ml(self) -> NDArray[np.float64]:
        return self.plasma_mg_per_l * MG_PER_L_TO_NG_PER_ML

    @property
    def effect_site_ng_per_ml(self) -> NDArray[np.float64] | None:
        ce = self.effect_site_mg_per_l
        return None if ce is None else ce * MG_PER_L_TO_NG_PER_ML

    def first_dose_mg(self) -> float:
        """Drug given from the start to the first pause (rate 0): the loading dose."""
        zero = np.flatnonzero(self.rate_mg_per_min <= 0)
        stop = int(zero[0]) if zero.size else self.rate_mg_per_min.size
        return float(self.rate_mg_per_min[:stop].sum() * self.update_min)

    def pump_program(self) -> list[tuple[float, float]]:
        """(start time min, rate mL/h) at every change of rate."""
        rates = self.rate_ml_per_h
        out: list[tuple[float, float]] = []
        for k, r in enumerate(rates):
            if not out or not math.isclose(out[-1][1], float(r), rel_tol=1e-12, abs_tol=1e-12):
                out.append((float(self.time_min[k]), float(r)))
        return out

    def inputs(self) -> list[Input]:
        """The program as primitive inputs into the central compartment."""
        h = self.update_min
        return [
            Input(self.central, float(u) * h, float(self.time_min[k]), h)
            for k, u in enumerate(self.rate_mg_per_min)
            if u > 0
        ]

    def predict(self, times: Sequence[float] | NDArray[np.float64]) -> NDArray[np.float64]:
        """Exact concentrations (mg/L) of every output at any ``times`` (min): rows are the
        system outputs (plasma first, the effect site last when present)."""
        y, _ = solve(self.system, self.inputs(), times)
        return y

    def to_dict(self) -> dict[str, Any]:
        """The CLI's ``--json`` object (ng/mL, min, mL/h)."""
        ce = self.effect_site_ng_per_ml
        return {
            "model": self.model_id,
            "site": self.site,
            "effect_site": None if self.effect_site is None else self.effect_site.label,
            "update_s": self.update_min * 60.0,
            "pump": {
                "max_rate_ml_per_h": self.pump.max_rate_ml_per_h,
                "concentration_mg_per_ml": self.pump.concentration_mg_per_ml,
            },
            "schedule": self.schedule.to_list(),
            "program": [{"start_min": t, "rate_ml_per_h": r} for t, r in self.pump_program()],
            "time_min": self.time_min.tolist(),
            "plasma_ng_per_ml": self.plasma_ng_per_ml.tolist(),
            "effect_site_ng_per_ml": None if ce is None else ce.tolist(),
            "total_dose_mg": self.total_dose_mg,
            "total_volume_ml": self.total_volume_ml,
            "warnings": list(self.warnings),
        }


def _unit_pulse_effect(
    phi: NDArray[np.float64],
    gamma: NDArray[np.float64],
    row: NDArray[np.float64],
    steps: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Rows ``row @ Phi^j`` (j = 1..steps) and the response to a unit rate in step 1."""
    n = phi.shape[0]
    m = np.empty((steps, n))
    s = np.empty(steps)
    r = row.copy()  # row @ Phi^(j-1)
    for j in range(steps):
        s[j] = r @ gamma
        r = r @ phi
        m[j] = r
    return m, s


def iv_entry(ind: Individual, model_id: str) -> int:
    """Index of the compartment the model's IV-infusion route enters (the pump feeds it)."""
    rule = ind.routes.get("iv-infusion")
    if rule is None or not rule.paths:
        raise InputError.for_field("model", model_id, "a model that takes iv-infusion")
    return ind.system.index(rule.paths[0].compartment)


def _check_model(model: PKModel) -> None:
    if not model.suitable_for_tci:
        raise InputError.for_field(
            "model", model.id, "a model suitable for TCI (an IV model with a central compartment)"
        )


def effect_site_bolus(
    model: PKModel,
    patient: Patient,
    target_ng_per_ml: float,
    *,
    effect_site: str | None = None,
    params: Mapping[str, float] | None = None,
    horizon_min: float = 240.0,
    step_min: float = 0.01,
) -> EffectBolus:
    """The bolus whose effect-site peak equals the target (Shafer & Gregg 1992, step 3),
    from an empty body: ``D = C_T / max_t ce_ub(t)``.

    Examples
    --------
    >>> from ketaclinic.pk.models import get_model
    >>> b = effect_site_bolus(get_model("kamp-2020"), Patient(weight_kg=70), 200.0)
    >>> round(b.dose_mg, 1), round(b.t_peak_min, 2)
    (22.2, 8.24)
    """
    _check_model(model)
    TargetStep(0.0, target_ng_per_ml)
    site = model.effect_site(effect_site)
    if site is None:
        raise InputError.for_field("effect_site", model.id, "a model with an effect site")
    ind = model.individual(patient, params)
    base = ind.system
    system = base.with_effect_site(site)
    central = iv_entry(ind, model.id)
    n = int(horizon_min / step_min)
    t = np.arange(1, n + 1, dtype=float) * step_min
    y, _ = solve(system, [Input(central, 1.0, 0.0)], t)
    ce = y[-1]
    k = int(np.argmax(ce))
    # Refine the peak with a parabola through the three grid points around it.
    if 0 < k < n - 1:
        y0, y1, y2 = ce[k - 1], ce[k], ce[k + 1]
        denom = y0 - 2 * y1 + y2
        off = 0.5 * (y0 - y2) / denom if denom != 0 else 0.0
        t_peak = float(t[k] + off * step_min)
        peak = float(y1 - 0.25 * (y0 - y2) * off)
    else:
        t_peak, peak = float(t[k]), float(ce[k])
    target = target_ng_per_ml / MG_PER_L_TO_NG_PER_ML
    dose = target / peak
    v1 = base.output("plasma").volume_l
    return EffectBolus(
        dose_mg=dose,
        t_peak_min=t_peak,
        peak_per_mg_ng_per_ml=peak * MG_PER_L_TO_NG_PER_ML,
        initial_plasma_ng_per_ml=dose / v1 * MG_PER_L_TO_NG_PER_ML,
    )


def run_tci(
    model: PKModel,
    patient: Patient,
    schedule: TargetSchedule | float,
    *,
    site: Site = "plasma",
    duration_min: float | None = None,
    update_s: float = 10.0,
    pump: PumpLimits | None = None,
    effect_site: str | None = None,
    cp_limit_fraction: float = 0.5,
    horizon_min: float | None = None,
    params: Mapping[str, float] | None = None,
) -> TCIResult:
    """Run a TCI controller against the model's typical (or given) patient.

    Parameters
    ----------
    model : a published model suitable for TCI
    patient : covariates
    schedule : target changes (or one constant target in ng/mL)
    site : ``"plasma"``, ``"effect"`` or ``"effect-cp-limited"`` (Van Poucke 2004)
    duration_min : run length (default: the last target change + 60 min)
    update_s : controller update interval, s (default 10)
    pump : maximum rate and drug concentration (default :class:`PumpLimits`)
    effect_site : effect-site id of the model (default: its measured one)
    cp_limit_fraction : ``L`` of the Van Poucke variant, plasma kept <= ``C_T (1 + L)``
        (their example 0.5)
    horizon_min : prediction horizon of the effect modes (default 3x the unit-pulse
        effect peak time, at least 10 min)

    Examples
    --------
    >>> from ketaclinic.pk.models import get_model
    >>> r = run_tci(get_model("kamp-2020"), Patient(weight_kg=70), 200.0, duration_min=60,
    ...             pump=PumpLimits(1200, 10))
    >>> round(float(r.plasma_ng_per_ml[1]), 3)
    200.0
    """
    _check_model(model)
    if site not in SITES:
        raise InputError.for_field("site", site, "one of " + ", ".join(SITES))
    sched = schedule if isinstance(schedule, TargetSchedule) else TargetSchedule.constant(schedule)
    pump = PumpLimits() if pump is None else pump
    upd = _number("update_s", update_s, "s")
    if not UPDATE_S_RANGE[0] <= upd <= UPDATE_S_RANGE[1]:
        lo, hi = UPDATE_S_RANGE
        raise InputError.for_field("update_s", upd, f"between {lo:g} and {hi:g} s", unit="s")
    lf = _number("cp_limit_fraction", cp_limit_fraction, "1")
    if not 0 < lf <= 5:
        raise InputError.for_field("cp_limit_fraction", lf, "greater than 0 and at most 5")
    h = upd / 60.0
    dur = sched.last_change_min + 60.0 if duration_min is None else duration_min
    dur = _number("duration_min", dur, "min")
    if dur <= sched.last_change_min:
        raise InputError.for_field(
            "duration_min",
            dur,
            f"longer than the last target change ({sched.last_change_min:g} min)",
            unit="min",
        )
    n_steps = math.ceil(dur / h - 1e-9)
    if n_steps > MAX_STEPS:
        raise InputError.for_field(
            "duration_min",
            dur,
            f"at most {MAX_STEPS * h:g} min at a {upd:g}-s update ({MAX_STEPS} updates)",
            unit="min",
        )

    warnings = list(model.validity.warnings(patient, model.id))
    ind = model.individual(patient, params)
    base = ind.system
    plasma_idx = base.output("plasma").compartment
    v1 = base.output("plasma").volume_l
    central = iv_entry(ind, model.id)
    es = model.effect_site(effect_site)
    if site != "plasma" and es is None:
        raise InputError.for_field("site", site, "'plasma' (model has no effect site)")
    system = base if es is None else base.with_effect_site(es)
    if es is not None and es.kind == "constructed":
        warnings.append(
            f"effect site {es.id} uses a CONSTRUCTED ke0 ({es.ke0_per_min:g} /min, "
            f"{es.source}); it is not a measured value"
        )
    n = len(system.compartments)
    phi, psi = discretize(system.a, h)
    gamma = psi[:, central]
    cp_row = np.zeros(n)
    cp_row[plasma_idx] = 1.0 / v1
    cp_next = cp_row @ phi
    g_cp = float(cp_row @ gamma)
    ce_m = ce_s = np.zeros(0)
    if site != "plasma":
        ce_row = np.zeros(n)
        ce_row[n - 1] = 1.0
        if horizon_min is None:
            probe = math.ceil(240.0 / h)
            _, s_probe = _unit_pulse_effect(phi, gamma, ce_row, probe)
            t_pk = (int(np.argmax(s_probe)) + 1) * h
            hz = max(10.0, 3.0 * t_pk)
        else:
            hz = _number("horizon_min", horizon_min, "min")
            if not h <= hz <= 1440:
                raise InputError.for_field(
                    "horizon_min", hz, f"between {h:g} and 1440 min", unit="min"
                )
        ce_m, ce_s = _unit_pulse_effect(phi, gamma, ce_row, max(1, math.ceil(hz / h)))
        keep = ce_s > 1e-12 * ce_s.max()
        ce_m, ce_s = ce_m[keep], ce_s[keep]

    u_max = pump.max_rate_mg_per_min
    x = np.zeros(n)
    times = np.arange(n_steps + 1, dtype=float) * h
    rates = np.zeros(n_steps)
    targets = np.zeros(n_steps)
    states = np.zeros((n_steps + 1, n))
    maintaining = False
    for k in range(n_steps):
        c_t = sched.target_ng_per_ml_at(float(times[k])) / MG_PER_L_TO_NG_PER_ML
        targets[k] = c_t
        if k == 0 or c_t != targets[k - 1]:
            maintaining = False
        u_plasma = (c_t - float(cp_next @ x)) / g_cp
        if site == "plasma":
            u = u_plasma
        else:
            # Once Ce has reached the target, Shafer & Gregg switch to plasma targeting at
            # C_T (Cp ~ Ce ~ C_T): a smooth maintenance rate instead of a chattering one.
            maintaining = maintaining or float(x[n - 1]) >= (1.0 - _REACHED) * c_t
            free = ce_m @ x
            u = float(np.min((c_t - free) / ce_s))
            if maintaining:
                u = min(u, u_plasma)
            if site == "effect-cp-limited":
                u = min(u, (c_t * (1.0 + lf) - float(cp_next @ x)) / g_cp)
        u = min(max(u, 0.0), u_max)
        rates[k] = u
        x = phi @ x + gamma * u
        states[k + 1] = x
    plasma = states[:, plasma_idx] / v1
    peak_ng = float(plasma.max()) * MG_PER_L_TO_NG_PER_ML
    if peak_ng >= MAX_TARGET_NG_PER_ML:
        warnings.append(
            f"predicted plasma peak {peak_ng:.4g} ng/mL reaches the anaesthetic band "
            f"(>= {MAX_TARGET_NG_PER_ML:g} ng/mL) on the way to an effect-site target; "
            "site 'effect-cp-limited' (Van Poucke 2004) caps the plasma overshoot"
        )
    ce = states[:, n - 1].copy() if es is not None else None
    return TCIResult(
        model_id=model.id,
        site=site,
        effect_site=es,
        pump=pump,
        schedule=sched,
        update_min=h,
        time_min=times,
        rate_mg_per_min=rates,
        plasma_mg_per_l=plasma,
        effect_site_mg_per_l=ce,
        target_mg_per_l=targets,
        system=system,
        central=central,
        warnings=tuple(warnings),
    )
