"""Many individuals at once: the systems of a chunk of virtual patients as arrays.

A model's builder makes one :class:`~ketaclinic.pk.model.Individual` from a parameter
dict and a :class:`~ketaclinic.pk.patient.Patient` (about 40 us a call): too slow for
10^5 patients. For the models in the library every rate-matrix entry, output volume and
input amount is a product of powers of the parameters and of weight (allometry,
``Q / V`` ratios), so it is log-linear in ``(log params, log weight, log age)``. This
module *fits* that log-linear map from a few builder calls, *verifies* it exactly
(relative 1e-9) on real patients of the chunk (the extremes of every dimension and
evenly spaced others), and only then evaluates it for the whole chunk in one array
expression. Any model that fails the check (a piecewise age effect, a logit fraction,
a parameter-dependent lag) takes the exact per-patient builder path, so the result is
always the builder's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ketaclinic.errors import DomainError
from ketaclinic.pk.covariates import SEX_CODES, CovariateDraws
from ketaclinic.pk.dosing_inputs import expand_regimen
from ketaclinic.pk.model import EffectSite, PKModel
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Regimen

__all__ = ["Batch", "build_batches"]

#: (compartment index, start_min, duration_min) of every primitive input.
Timing = tuple[tuple[int, float, float], ...]
_Signature = tuple[int, Timing]
_REL_TOL = 1e-9
_PROBE_STEP = math.log(1.25)
_N_SPACED_PROBES = 8


@dataclass(frozen=True)
class Batch:
    """Patients of a chunk that share one structure.

    Attributes
    ----------
    index : (m,) positions of the patients in the chunk
    a : (m, k, k) rate matrices, 1/min
    c : (n_out, m, k) output rows: concentration (mg/L) = c @ amounts (mg)
    timing : shared input timing (compartment, start_min, duration_min)
    amounts : (m, n_inputs) amount of each input, mg
    """

    index: NDArray[np.intp]
    a: NDArray[np.float64]
    c: NDArray[np.float64]
    timing: Timing
    amounts: NDArray[np.float64]


def _features(
    model: PKModel,
    regimen: Regimen,
    params: Mapping[str, float],
    patient: Patient,
    route_hint: dict[str, str],
) -> tuple[_Signature, NDArray[np.float64]]:
    """The builder's output as a vector of (ideally) monomials.

    Off-diagonal rates and plasma 1/V are monomials; a diagonal entry is a *sum*
    (-(CL + Q2 + Q3) / V1), so it is replaced by its column sum (minus the elimination
    rate of that compartment, a monomial) and rebuilt in :func:`_assemble`.
    """
    ind = model.individual(patient, params)
    system = ind.system
    inputs = expand_regimen(ind, regimen, model.id, route_hint)
    a = np.array(system.a, dtype=float)
    col = a.sum(axis=0)
    col[np.abs(col) <= 1e-12 * np.abs(np.diag(a)).max(initial=0.0)] = 0.0
    a[np.diag_indices_from(a)] = col
    out = system.output("plasma")
    k = len(system.compartments)
    c = np.zeros(k)
    c[out.compartment] = 1.0 / out.volume_l
    timing = tuple((i.compartment, float(i.start_min), float(i.duration_min)) for i in inputs)
    amounts = np.array([i.amount_mg for i in inputs], dtype=float)
    return (k, timing), np.concatenate([a.ravel(), c, amounts])


def _assemble(
    feats: NDArray[np.float64], sig: _Signature, site: EffectSite | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(a (m, k', k'), c (n_out, m, k'), amounts (m, n_in)) from feature rows; with an
    effect site the state Ce is appended as ``CompartmentSystem.with_effect_site`` does."""
    m = feats.shape[0]
    k = sig[0]
    a = feats[:, : k * k].reshape(m, k, k).copy()
    di = np.arange(k)
    col = a[:, di, di].copy()
    a[:, di, di] = 0.0
    a[:, di, di] = col - a.sum(axis=1)
    c = feats[:, k * k : k * k + k]
    amounts = feats[:, k * k + k :]
    if site is None:
        return a, np.ascontiguousarray(c[None]), amounts
    rows = np.arange(m)
    src = np.argmax(c != 0, axis=1)
    full = np.zeros((m, k + 1, k + 1))
    full[:, :k, :k] = a
    full[rows, k, src] = site.ke0_per_min * c[rows, src]
    full[:, k, k] = -site.ke0_per_min
    c_full = np.zeros((2, m, k + 1))
    c_full[0, :, :k] = c
    c_full[1, :, k] = 1.0
    return full, c_full, amounts


def _system_of(
    model: PKModel, site: EffectSite | None, params: Mapping[str, float], patient: Patient
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The builder's own full system (with effect site) and output rows, for checks."""
    ind = model.individual(patient, params)
    system = ind.system if site is None else ind.system.with_effect_site(site)
    outs = [system.output("plasma")] + ([system.outputs[-1]] if site is not None else [])
    c = np.zeros((len(outs), len(system.compartments)))
    for o, out in enumerate(outs):
        c[o, out.compartment] = 1.0 / out.volume_l
    return np.asarray(system.a), c


class _Context:
    def __init__(
        self,
        model: PKModel,
        regimen: Regimen,
        site: EffectSite | None,
        covs: CovariateDraws,
        names: Sequence[str],
        values: NDArray[np.float64],
    ) -> None:
        from ketaclinic.pk.models import models_by_route

        self.model, self.regimen, self.site = model, regimen, site
        self.covs, self.names, self.values = covs, tuple(names), values
        self.hint = models_by_route()

    def params(self, i: int) -> dict[str, float]:
        return {n: float(self.values[i, j]) for j, n in enumerate(self.names)}

    def patient_features(self, i: int) -> tuple[_Signature, NDArray[np.float64]]:
        return _features(self.model, self.regimen, self.params(i), self.covs.patient(i), self.hint)

    def matches(
        self,
        i: int,
        sig0: _Signature,
        a: NDArray[np.float64],
        c: NDArray[np.float64],
        amounts: NDArray[np.float64],
    ) -> bool:
        """Does the predicted system of patient ``i`` equal the builder's (rel 1e-9)?"""
        sig, feats = self.patient_features(i)
        ta, tc = _system_of(self.model, self.site, self.params(i), self.covs.patient(i))
        k = sig0[0]
        return (
            sig == sig0
            and np.allclose(a, ta, rtol=_REL_TOL, atol=1e-12 * np.abs(ta).max())
            and np.allclose(c, tc, rtol=_REL_TOL, atol=0.0)
            and np.allclose(amounts, feats[k * k + k :], rtol=_REL_TOL, atol=0.0)
        )


def _fast_group(ctx: _Context, idx: NDArray[np.intp]) -> Batch | None:
    """The log-linear map for the patients ``idx`` (one sex), or None if it fails."""
    covs = ctx.covs
    cols: list[NDArray[np.float64]] = []
    kinds: list[tuple[str, int]] = []
    vals = ctx.values[idx]
    if np.any(vals <= 0):
        return None
    for j in range(vals.shape[1]):
        if np.ptp(vals[:, j]) > 0:
            cols.append(np.log(vals[:, j]))
            kinds.append(("param", j))
    w = covs.weight_kg[idx]
    if np.ptp(w) > 0:
        cols.append(np.log(w))
        kinds.append(("weight", 0))
    age = covs.age_years[idx]
    if not np.all(np.isnan(age)) and np.ptp(age) > 0:
        if np.any(~(age > 0)):
            return None
        cols.append(np.log(age))
        kinds.append(("age", 0))
    x = np.column_stack(cols) if cols else np.zeros((idx.size, 0))
    x0 = np.median(x, axis=0)
    first = int(idx[0])

    def features_at(xp: NDArray[np.float64]) -> tuple[_Signature, NDArray[np.float64]]:
        params = ctx.params(first)
        weight = float(w[0])
        age_p = None if math.isnan(float(age[0])) else float(age[0])
        for d, (kind, j) in enumerate(kinds):
            v = float(np.exp(xp[d]))
            if kind == "param":
                params[ctx.names[j]] = v
            elif kind == "weight":
                weight = v
            else:
                age_p = v
        patient = Patient(
            weight_kg=weight,
            age_years=age_p,
            sex=SEX_CODES[int(covs.sex[first])],  # type: ignore[arg-type]
            ancestry=covs.ancestry,  # type: ignore[arg-type]
        )
        return _features(ctx.model, ctx.regimen, params, patient, ctx.hint)

    try:
        sig0, f0 = features_at(x0)
        nz = f0 != 0
        logf0 = np.log(np.abs(f0[nz]))
        expo = np.zeros((x.shape[1], int(nz.sum())))
        for d in range(x.shape[1]):
            xp = x0.copy()
            xp[d] += _PROBE_STEP
            sig, f = features_at(xp)
            if sig != sig0 or not np.array_equal(f != 0, nz) or np.any(f[nz] * f0[nz] < 0):
                return None
            expo[d] = (np.log(np.abs(f[nz])) - logf0) / _PROBE_STEP
    except (DomainError, ValueError, ZeroDivisionError, OverflowError):
        return None

    def predict(rows: NDArray[np.intp]) -> NDArray[np.float64]:
        out = np.zeros((rows.size, f0.size))
        out[:, nz] = np.sign(f0[nz]) * np.exp(logf0 + (x[rows] - x0) @ expo)
        return out

    probes = {0, idx.size - 1}
    for d in range(x.shape[1]):
        probes.update((int(np.argmin(x[:, d])), int(np.argmax(x[:, d]))))
    probes.update(np.linspace(0, idx.size - 1, _N_SPACED_PROBES).astype(int).tolist())
    probe_rows = np.array(sorted(probes), dtype=np.intp)
    pa, pc, pamounts = _assemble(predict(probe_rows), sig0, ctx.site)
    for n, r in enumerate(probe_rows):
        if not ctx.matches(int(idx[r]), sig0, pa[n], pc[:, n], pamounts[n]):
            return None
    a, c, amounts = _assemble(predict(np.arange(idx.size, dtype=np.intp)), sig0, ctx.site)
    return Batch(idx, a, c, sig0[1], amounts)


def _slow_group(ctx: _Context, idx: NDArray[np.intp]) -> list[Batch]:
    groups: dict[_Signature, list[tuple[int, NDArray[np.float64]]]] = {}
    for i in idx:
        sig, f = ctx.patient_features(int(i))
        groups.setdefault(sig, []).append((int(i), f))
    out = []
    for sig, rows in groups.items():
        index = np.array([r[0] for r in rows], dtype=np.intp)
        a, c, amounts = _assemble(np.stack([r[1] for r in rows]), sig, ctx.site)
        out.append(Batch(index, a, c, sig[1], amounts))
    return out


def build_batches(
    model: PKModel,
    regimen: Regimen,
    site: EffectSite | None,
    covs: CovariateDraws,
    names: Sequence[str],
    values: NDArray[np.float64],
    *,
    fast: bool = True,
) -> tuple[list[Batch], bool]:
    """Systems of a chunk of patients, grouped by structure.

    Parameters
    ----------
    names, values : individual values (m, len(names)) of the parameters that vary
    fast : try the verified log-linear map before the per-patient builder

    Returns
    -------
    (batches, vectorised) ; the batches cover every patient exactly once;
    ``vectorised`` is False when some patients went through the per-patient builder.
    """
    ctx = _Context(model, regimen, site, covs, names, values)
    batches: list[Batch] = []
    m = values.shape[0]
    vectorised = True
    for code in np.unique(covs.sex):
        idx = np.flatnonzero(covs.sex == code).astype(np.intp)
        batch = _fast_group(ctx, idx) if fast and idx.size > 2 * _N_SPACED_PROBES else None
        if batch is None:
            vectorised = False
            batches.extend(_slow_group(ctx, idx))
        else:
            batches.append(batch)
    assert sum(b.index.size for b in batches) == m
    return batches, vectorised
