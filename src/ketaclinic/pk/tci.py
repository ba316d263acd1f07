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

import math
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from ketaclinic.errors import InputError
from ketaclinic.pk import tci_types
from ketaclinic.pk.linear import Input, discretize, solve
from ketaclinic.pk.model import Individual, PKModel
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.tci_types import (
    MAX_TARGET_NG_PER_ML,
    SITES,
    UPDATE_S_RANGE,
    EffectBolus,
    PumpLimits,
    Site,
    TargetSchedule,
    TargetStep,
    TCIResult,
    _number,
)
from ketaclinic.units import MG_PER_L_TO_NG_PER_ML

__all__ = [  # the types of tci_types, re-exported, and the algorithms
    *tci_types.__all__,
    "effect_site_bolus",
    "iv_entry",
    "run_tci",
]

#: Ce within this fraction of the target counts as reached (effect modes switch to
#: plasma-targeting maintenance).
_REACHED = 0.005
#: A computed rate below this fraction of the pump maximum is roundoff and is set to 0
#: (pumps resolve about 0.01-0.1 mL/h, 1e-5 to 1e-4 of a 1,200 mL/h maximum: 1e-9 is far
#: below any real setting).
_NOISE = 1e-9
#: At most this many update intervals in one run (one week at 3-s updates).
MAX_STEPS = 200_000


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
    if es is not None and es.constructed_warning:
        warnings.append(es.constructed_warning)
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
        # Below _NOISE x the pump maximum a rate is the roundoff of "target - free response"
        # (about 1e-14 mg/min once the effect site sits at its target), not a dose: it
        # would show as a program step of 0.000000000002 mL/h that no pump can run.
        u = min(u, u_max) if u > _NOISE * u_max else 0.0
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
