"""Batched modal evaluation of many linear systems on one output grid (float32).

For a batch of patients sharing an input timing, each output is a sum of modes,
``y(t) = sum_i w_i(t)`` with ``dw_i/dt = lam_i w_i + sum_j R_ij u_j(t)``: ``lam_i`` are
the eigenvalues of the rate matrix and ``R_ij = c P_i e_j`` the residues of the transfer
function from input compartment ``j`` (``P_i`` the spectral projector, Sylvester's
formula ``P_i = prod_{l != i} (A - lam_l I) / (lam_i - lam_l)``). Between consecutive
nodes (output times and input breakpoints) the exact update is
``w <- exp(lam h) w + R u phi(lam, h)`` with ``phi = expm1(lam h) / lam``; on a uniform
grid whose breakpoints fall on the grid one ``exp(lam h)`` serves every step, so a step
costs one in-place multiply per mode (plus one add while an infusion runs).

Eigenvalues come from the strongly connected blocks of the rate matrix (a depot or an
effect site is a block of its own): closed forms for blocks of 1, 2 and 3 compartments,
LAPACK for larger ones. Patients whose eigenvalues are complex, non-negative or closer
than 1e-6 (relative; e.g. ``ka == k``) are solved one by one by the exact float64 solver
(:func:`ketaclinic.pk.linear.solve`).

Accuracy: float32 state, relative error of order 1e-5 of the output's scale after
thousands of steps (tested against the float64 solver).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse.csgraph
from numpy.typing import NDArray

from ketaclinic.pk.batch_build import Batch, Timing
from ketaclinic.pk.linear import Input, solve_detailed
from ketaclinic.pk.model import CompartmentSystem, Output
from ketaclinic.pk.quantiles import LogHistogram, scratch_size

__all__ = ["ROWS_PER_BLOCK", "Accumulator", "eigenvalues", "modes", "plan_steps", "run_batch"]

#: Output times per histogram update (also the time-block of residual-error draws).
ROWS_PER_BLOCK = 16
_GAP_TOL = 1e-6

#: noise(t0_row, rows, batch_index) -> (rows, m) standard normal float32 draws
NoiseFn = Callable[[int, int, NDArray[np.intp]], NDArray[np.float32]]


def _eig2(m: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    tr = m[:, 0, 0] + m[:, 1, 1]
    det = m[:, 0, 0] * m[:, 1, 1] - m[:, 0, 1] * m[:, 1, 0]
    disc = 0.25 * tr * tr - det
    bad = disc < 0
    s = np.sqrt(np.maximum(disc, 0.0))
    big = 0.5 * tr - np.where(tr >= 0, -1.0, 1.0) * s  # larger magnitude, no cancellation
    big = np.where(big == 0, 1.0, big)
    small = det / big
    return np.stack([big, small], axis=1), bad


def _eig3(m: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Real roots of det(lam I - M) = lam^3 + b lam^2 + c lam + d (trigonometric)."""
    b = -(m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2])
    c = (
        m[:, 0, 0] * m[:, 1, 1]
        - m[:, 0, 1] * m[:, 1, 0]
        + m[:, 0, 0] * m[:, 2, 2]
        - m[:, 0, 2] * m[:, 2, 0]
        + m[:, 1, 1] * m[:, 2, 2]
        - m[:, 1, 2] * m[:, 2, 1]
    )
    d = -np.linalg.det(m)
    p = c - b * b / 3.0
    q = 2.0 * b**3 / 27.0 - b * c / 3.0 + d
    bad = (p >= 0) | (4.0 * p**3 + 27.0 * q * q > 1e-12 * np.abs(p) ** 3)
    pn = np.where(p < 0, p, -1.0)
    r = np.sqrt(-pn / 3.0)
    arg = np.clip(1.5 * q / pn * np.sqrt(-3.0 / pn), -1.0, 1.0)
    theta = np.arccos(arg) / 3.0
    lam = np.stack(
        [2.0 * r * np.cos(theta - 2.0 * np.pi * j / 3.0) - b / 3.0 for j in range(3)], axis=1
    )
    for _ in range(2):  # Newton polish of every root on the characteristic polynomial
        f = ((lam + b[:, None]) * lam + c[:, None]) * lam + d[:, None]
        df = (3.0 * lam + 2.0 * b[:, None]) * lam + c[:, None]
        lam = lam - np.where(df != 0, f / np.where(df != 0, df, 1.0), 0.0)
    return lam, bad


def _block_eigenvalues(
    a: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], NDArray[np.bool_]]:
    """Eigenvalues (m, k) block by block: (lam, block of each mode, block of each
    compartment, per-mode mask of complex or non-negative eigenvalues)."""
    m, k, _ = a.shape
    pattern = np.any(a != 0, axis=0)
    n_blocks, label = scipy.sparse.csgraph.connected_components(
        pattern, directed=True, connection="strong"
    )
    lam = np.zeros((m, k))
    bad = np.zeros((m, k), dtype=bool)
    mode_block = np.zeros(k, dtype=np.intp)
    col = 0
    for blk in range(n_blocks):
        ids = np.flatnonzero(label == blk)
        sub = a[:, ids[:, None], ids[None, :]]
        size = ids.size
        if size == 1:
            vals, b = sub[:, :, 0], np.zeros(m, dtype=bool)
        elif size == 2:
            vals, b = _eig2(sub)
        elif size == 3:
            vals, b = _eig3(sub)
        else:
            ev = np.linalg.eigvals(sub)
            b = np.any(np.abs(ev.imag) > 1e-12 * np.abs(ev.real).max(axis=1, keepdims=True), axis=1)
            vals = np.asarray(ev.real, dtype=float)
        lam[:, col : col + size] = vals
        bad[:, col : col + size] = b[:, None]
        mode_block[col : col + size] = blk
        col += size
    bad |= ~(lam < 0)
    return lam, mode_block, np.asarray(label, dtype=np.intp), bad


def _too_close(lam: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Patients with two eigenvalues closer than _GAP_TOL (relative) among ``lam``."""
    if lam.shape[1] < 2:
        return np.zeros(lam.shape[0], dtype=bool)
    scale = np.abs(lam).max(axis=1)
    gap = np.diff(np.sort(lam, axis=1), axis=1).min(axis=1)
    return np.asarray(gap <= _GAP_TOL * scale)


def eigenvalues(a: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Eigenvalues (m, k) of a stack of rate matrices and a mask of patients whose
    eigenvalues are not real, negative and distinct."""
    lam, _, _, bad_mode = _block_eigenvalues(a)
    return lam, bad_mode.any(axis=1) | _too_close(lam)


def modes(
    a: NDArray[np.float64], c: NDArray[np.float64], columns: Sequence[int]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Eigenvalues, residues and a mask of patients that need the exact solver.

    Returns ``lam`` (m, k), ``R`` (n_out, k, m, J) -- the residue of output ``o``, mode
    ``i``, for a unit input into compartment ``columns[j]`` -- and ``bad`` (m,).

    The transfer function from ``j`` to ``o`` only involves the compartments on a path
    from ``j`` to ``o`` (reachable from ``j`` and reaching ``o``; whole strongly connected
    blocks), so each residue is computed by Sylvester's formula on that sub-system and
    every other mode gets exactly 0: an unused depot or a downstream effect site never
    leaks a rounding residue into plasma. Only modes on some path must be real,
    negative and distinct.
    """
    m, k, _ = a.shape
    lam, mode_block, comp_block, bad_mode = _block_eigenvalues(a)
    pattern = np.any(a != 0, axis=0) | np.eye(k, dtype=bool)
    reach = pattern.astype(np.int64)  # reach[dst, src]: a path src -> dst
    for _ in range(max(1, int(np.ceil(np.log2(k))) + 1)):
        reach = np.minimum(reach @ reach, 1)
    cols = list(columns)
    n_out = c.shape[0]
    res = np.zeros((n_out, k, m, len(cols)))
    bad = np.zeros(m, dtype=bool)
    used = np.zeros(k, dtype=bool)
    for o in range(n_out):
        out_comp = int(np.flatnonzero(np.any(c[o] != 0, axis=0))[0])
        for jj, j in enumerate(cols):
            on_path = (reach[:, j] > 0) & (reach[out_comp, :] > 0)
            if not on_path.any():
                continue
            blocks = np.unique(comp_block[on_path])
            sel = np.flatnonzero(np.isin(mode_block, blocks))
            used[sel] = True
            comps = np.flatnonzero(on_path)
            sub = a[:, comps[:, None], comps[None, :]]
            c_sub = c[o][:, comps]
            start = np.zeros(comps.size)
            start[int(np.flatnonzero(comps == j)[0])] = 1.0
            bad |= bad_mode[:, sel].any(axis=1) | _too_close(lam[:, sel])
            for i in sel:
                v = np.broadcast_to(start, (m, comps.size)).copy()
                denom = np.ones(m)
                for ell in sel:
                    if ell == i:
                        continue
                    v = np.einsum("mab,mb->ma", sub, v) - lam[:, ell, None] * v
                    denom *= lam[:, i] - lam[:, ell]
                denom = np.where(denom == 0, 1.0, denom)
                res[o, i, :, jj] = (c_sub * v).sum(axis=1) / denom
    # Modes on no path are never excited; a harmless decay keeps their state at 0.
    lam[:, ~used] = -1.0
    return lam, res, bad


@dataclass(frozen=True)
class StepPlan:
    """The node program of one (times, timing) pair.

    Node ``s`` is reached from node ``s - 1`` by a step of length ``h[step_h[s]]`` with the
    infusions ``sets[step_set[s]]`` running; then the boluses ``boluses[s]`` are added, and
    if ``out_row[s] >= 0`` the outputs are recorded in that row.
    """

    h: NDArray[np.float64]
    sets: tuple[tuple[int, ...], ...]
    step_h: NDArray[np.intp]
    step_set: NDArray[np.intp]
    boluses: tuple[tuple[int, ...], ...]
    out_row: NDArray[np.intp]


def plan_steps(times: NDArray[np.float64], timing: Timing) -> StepPlan:
    """Nodes = output times and input breakpoints up to the last output time."""
    t_last = float(times[-1])
    marks = {float(t) for t in times}
    for _, start, dur in timing:
        for v in (start, start + dur):
            if v <= t_last:
                marks.add(v)
    nodes = np.array(sorted(marks))
    diffs = np.diff(nodes)
    keys = np.round(diffs, 12)
    uniq, inverse = np.unique(keys, return_inverse=True) if diffs.size else (diffs, diffs)
    # the step actually used is the mean of the diffs sharing a key (they agree to 1e-12)
    h = np.array([diffs[inverse == u].mean() for u in range(uniq.size)]) if diffs.size else diffs
    sets: dict[tuple[int, ...], int] = {(): 0}
    step_set = np.zeros(nodes.size, dtype=np.intp)
    step_h = np.full(nodes.size, -1, dtype=np.intp)
    for s in range(1, nodes.size):
        mid = 0.5 * (nodes[s - 1] + nodes[s])
        active = tuple(
            n for n, (_, start, dur) in enumerate(timing) if dur > 0 and start <= mid < start + dur
        )
        step_set[s] = sets.setdefault(active, len(sets))
        step_h[s] = inverse[s - 1]
    boluses = tuple(
        tuple(n for n, (_, start, dur) in enumerate(timing) if dur == 0 and start == node)
        for node in nodes
    )
    row_of = {float(t): i for i, t in enumerate(times)}
    out_row = np.array([row_of.get(float(v), -1) for v in nodes], dtype=np.intp)
    ordered = tuple(sorted(sets, key=sets.__getitem__))
    return StepPlan(np.asarray(h, dtype=float), ordered, step_h, step_set, boluses, out_row)


class Accumulator:
    """Per-worker sums: one histogram per output, exceedance counts, scratch buffers."""

    def __init__(self, n_out: int, n_times: int, thresholds_mg_per_l: Sequence[float]) -> None:
        self.hist = [LogHistogram(n_times) for _ in range(n_out)]
        self.thresholds = tuple(float(t) for t in thresholds_mg_per_l)
        self.exceed = np.zeros((n_out, len(self.thresholds), n_times), dtype=np.int64)
        self._scratch: NDArray[np.intp] = np.empty(0, dtype=np.intp)

    def scratch(self, size: int) -> NDArray[np.intp]:
        if self._scratch.size < size:
            self._scratch = np.empty(size, dtype=np.intp)
        return self._scratch

    def merge(self, other: Accumulator) -> None:
        for mine, theirs in zip(self.hist, other.hist, strict=True):
            mine.merge(theirs)
        self.exceed += other.exceed

    def add(self, o: int, t0: int, rows: NDArray[np.float32]) -> None:
        for n, thr in enumerate(self.thresholds):
            self.exceed[o, n, t0 : t0 + rows.shape[0]] += np.count_nonzero(rows > thr, axis=1)
        self.hist[o].add_rows(t0, rows, self.scratch(scratch_size(rows.size)))


@dataclass(frozen=True)
class Residual:
    """Residual error on the plasma output: proportional, log-additive or additive
    (mg/L) with standard deviation ``sd``."""

    kind: str
    sd: float

    def apply(self, rows: NDArray[np.float32], eps: NDArray[np.float32]) -> None:
        if self.kind == "log-additive":
            eps *= np.float32(self.sd)
            np.exp(eps, out=eps)
            rows *= eps
        elif self.kind == "proportional":
            eps *= np.float32(self.sd)
            eps += np.float32(1.0)
            rows *= eps
        else:
            eps *= np.float32(self.sd)
            rows += eps
        np.maximum(rows, np.float32(0.0), out=rows)


def _flush(
    acc: Accumulator,
    y: NDArray[np.float32],
    t0: int,
    r: int,
    cmax: NDArray[np.float64],
    residual: Residual | None,
    noise: NoiseFn | None,
    index: NDArray[np.intp],
) -> None:
    for o in range(y.shape[0]):
        rows = y[o, :r]
        if o == 0:
            np.maximum(cmax, np.maximum.reduce(rows, axis=0), out=cmax)
            if residual is not None and noise is not None:
                residual.apply(rows, noise(t0, r, index))
        acc.add(o, t0, rows)


def _exact_one(
    a: NDArray[np.float64],
    c: NDArray[np.float64],
    timing: Timing,
    amounts: NDArray[np.float64],
    times: NDArray[np.float64],
) -> tuple[NDArray[np.float64], float]:
    """One patient by the float64 solver: (outputs (n_out, T) mg/L, plasma AUC), both
    from one exact solve (the area over the output window, output 0 = plasma)."""
    k = a.shape[0]
    outs = tuple(
        Output(f"out{o}", int(np.flatnonzero(c[o])[0]), 1.0 / float(c[o][c[o] != 0][0]))
        for o in range(c.shape[0])
    )
    system = CompartmentSystem(tuple(f"x{i}" for i in range(k)), a, outs)
    inputs = [Input(j, float(amt), s, d) for (j, s, d), amt in zip(timing, amounts, strict=True)]
    sol = solve_detailed(system, inputs, times)
    return sol.y, float(sol.auc[0])


def _run_exact(
    batch: Batch,
    rows_sel: NDArray[np.intp],
    times: NDArray[np.float64],
    acc: Accumulator,
    cmax: NDArray[np.float64],
    auc: NDArray[np.float64],
    residual: Residual | None,
    noise: NoiseFn | None,
) -> None:
    n_out = batch.c.shape[0]
    y = np.zeros((n_out, times.size, rows_sel.size), dtype=np.float32)
    for col, r in enumerate(rows_sel):
        yr, auc_r = _exact_one(batch.a[r], batch.c[:, r], batch.timing, batch.amounts[r], times)
        y[:, :, col] = yr
        auc[batch.index[r]] = auc_r
    sub_cmax = np.zeros(rows_sel.size)
    index = batch.index[rows_sel]
    for t0 in range(0, times.size, ROWS_PER_BLOCK):
        r = min(ROWS_PER_BLOCK, times.size - t0)
        block = np.ascontiguousarray(y[:, t0 : t0 + r])
        _flush(acc, block, t0, r, sub_cmax, residual, noise, index)
    cmax[index] = sub_cmax


def run_batch(
    batch: Batch,
    times: NDArray[np.float64],
    plan: StepPlan,
    acc: Accumulator,
    cmax: NDArray[np.float64],
    auc: NDArray[np.float64],
    *,
    residual: Residual | None = None,
    noise: NoiseFn | None = None,
) -> int:
    """Stream one batch into ``acc``; write plasma Cmax and exact AUC (mg/L, mg/L*min)
    at ``batch.index`` of ``cmax`` and ``auc``. Returns the number of patients that
    took the exact per-patient solver."""
    a, c, amounts, timing = batch.a, batch.c, batch.amounts, batch.timing
    columns = sorted({j for j, _, _ in timing})
    lam, res, bad = modes(a, c, columns)
    if bad.any():
        _run_exact(batch, np.flatnonzero(bad), times, acc, cmax, auc, residual, noise)
        keep = np.flatnonzero(~bad)
        if keep.size == 0:
            return int(bad.sum())
        batch = Batch(batch.index[keep], a[keep], c[:, keep], timing, amounts[keep])
        a, c, amounts, lam, res = batch.a, batch.c, batch.amounts, lam[keep], res[:, :, keep]
    m, k, _ = a.shape
    n_out = c.shape[0]
    col_of = {j: n for n, j in enumerate(columns)}
    lam_t = lam.T  # (k, m)

    def contrib(n: int, scale: NDArray[np.float64]) -> NDArray[np.float64]:
        return res[:, :, :, col_of[timing[n][0]]] * scale  # (n_out, k, m)

    e_cache = [
        np.ascontiguousarray(np.tile(np.exp(lam_t * h), (n_out, 1)), dtype=np.float32)
        for h in plan.h
    ]
    g_cache: dict[tuple[int, int], NDArray[np.float32]] = {}
    kk = n_out * k
    w = np.zeros((kk, m), dtype=np.float32)
    w3 = w.reshape(n_out, k, m)
    y = np.empty((n_out, ROWS_PER_BLOCK, m), dtype=np.float32)
    sub_cmax = np.zeros(m)
    w_first = np.zeros((kk, m), dtype=np.float32)
    last = int(np.flatnonzero(plan.out_row >= 0)[-1])
    r = 0
    t0 = 0
    # Python lists: numpy scalar indexing in this loop would cost more than the math.
    step_h = plan.step_h.tolist()
    step_set = plan.step_set.tolist()
    out_row = plan.out_row.tolist()
    boluses = plan.boluses
    add = np.add
    # y[o, r] = sum of the modes of output o: pairwise adds of rows (a reduce over the
    # short mode axis costs twice as much per patient)
    outs = [(w3[o][0], tuple(w3[o][1:]), y[o]) for o in range(n_out)]
    for s in range(last + 1):
        hi = step_h[s]
        if hi >= 0:
            w *= e_cache[hi]
            si = step_set[s]
            if si:
                g = g_cache.get((hi, si))
                if g is None:
                    h = plan.h[hi]
                    phi = np.expm1(lam_t * h) / lam_t
                    total = sum(contrib(n, amounts[:, n] / timing[n][2]) for n in plan.sets[si])
                    g = np.ascontiguousarray((total * phi).reshape(kk, m), dtype=np.float32)
                    g_cache[(hi, si)] = g
                w += g
        if boluses[s]:
            total = sum(contrib(n, amounts[:, n]) for n in boluses[s])
            w += np.asarray(total, dtype=np.float64).reshape(kk, m).astype(np.float32)
        row = out_row[s]
        if row >= 0:
            if row == 0:
                w_first[...] = w
            for w_first_mode, w_rest, yo in outs:
                yr = yo[r]
                if w_rest:
                    add(w_first_mode, w_rest[0], out=yr)
                    for wi in w_rest[1:]:
                        add(yr, wi, out=yr)
                else:
                    yr[...] = w_first_mode
            r += 1
            if r == ROWS_PER_BLOCK:
                _flush(acc, y, t0, r, sub_cmax, residual, noise, batch.index)
                t0 += r
                r = 0
    if r:
        _flush(acc, y, t0, r, sub_cmax, residual, noise, batch.index)
    cmax[batch.index] = sub_cmax
    # Exact AUC of the plasma output over [t_first, t_last]: integrate dw/dt = lam w + R u.
    t_a, t_b = float(times[0]), float(times[-1])
    u = np.zeros((k, m))
    for n, (_, start, dur) in enumerate(timing):
        if dur == 0:
            if t_a < start <= t_b:
                u += contrib(n, amounts[:, n])[0]
        else:
            overlap = max(0.0, min(start + dur, t_b) - max(start, t_a))
            if overlap > 0:
                u += contrib(n, amounts[:, n] / dur * overlap)[0]
    w_last = w[:k].astype(np.float64)
    auc[batch.index] = ((w_last - w_first[:k].astype(np.float64) - u) / lam_t).sum(axis=0)
    return int(bad.sum())
