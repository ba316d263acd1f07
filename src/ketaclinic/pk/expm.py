"""The ``expm`` method of :mod:`ketaclinic.pk.linear`: state advance with the matrix
exponential of the augmented matrix ``[[A, I], [0, 0]] h`` (Van Loan, IEEE Trans Automat
Contr 1978;23:395), as NONMEM's ADVAN routines advance the state; robust where the
eigenvector matrix is ill-conditioned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

if TYPE_CHECKING:  # pragma: no cover
    from ketaclinic.pk.linear import Input


def discretize(a: NDArray[np.float64], h: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Exact one-step propagators for step ``h`` (min).

    Returns ``(phi, psi)`` with ``phi = exp(A h)`` and ``psi = int_0^h exp(A s) ds``, so that
    ``x(t + h) = phi @ x(t) + psi @ u`` for a constant input rate vector ``u`` (mg/min).
    Van Loan's augmented exponential also covers a singular ``A``.
    """
    n = a.shape[0]
    aug = np.zeros((2 * n, 2 * n))
    aug[:n, :n] = a * h
    aug[:n, n:] = np.eye(n) * h
    e = scipy.linalg.expm(aug)
    return e[:n, :n], e[:n, n:]


def solve_states(
    a: NDArray[np.float64], inputs: Sequence[Input], t: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Exact states x (n, n_times) by state advance between breakpoints (``expm`` method)."""
    n = a.shape[0]
    edges = {0.0}
    for inp in inputs:
        edges.add(float(inp.start_min))
        if inp.duration_min > 0:
            edges.add(float(inp.start_min) + float(inp.duration_min))
    cuts = np.array(sorted(edges))
    # Input rate on [cuts[i], cuts[i+1]) per compartment, exactly 0 when nothing runs.
    rate = np.zeros((cuts.size, n))
    running = np.zeros((cuts.size, n), dtype=int)
    for inp in inputs:
        if inp.duration_min > 0:
            i0 = int(np.searchsorted(cuts, inp.start_min))
            i1 = int(np.searchsorted(cuts, float(inp.start_min) + float(inp.duration_min)))
            rate[i0:i1, inp.compartment] += inp.rate_mg_per_min
            running[i0:i1, inp.compartment] += 1
    rate[running == 0] = 0.0
    grid = np.union1d(cuts, t)
    piece = np.searchsorted(cuts, 0.5 * (grid[1:] + grid[:-1]), side="right") - 1
    cache: dict[float, tuple[NDArray[np.float64], NDArray[np.float64]]] = {}
    x = np.zeros(n)
    out = np.zeros((n, t.shape[0]))
    out_at = np.searchsorted(grid, t).tolist()
    boluses: dict[float, list[Input]] = {}
    for inp in inputs:
        if inp.duration_min == 0:
            boluses.setdefault(float(inp.start_min), []).append(inp)
    steps = np.diff(grid).tolist()
    pieces = piece.tolist()
    nxt = 0
    for k, now in enumerate(grid.tolist()):
        if k > 0:
            h = steps[k - 1]
            if h not in cache:
                cache[h] = discretize(a, h)
            phi, psi = cache[h]
            x = phi @ x + psi @ rate[pieces[k - 1]]
        for inp in boluses.get(now, ()):
            x[inp.compartment] += inp.amount_mg
        if nxt < len(out_at) and out_at[nxt] == k:
            out[:, nxt] = x
            nxt += 1
    return out


def _expm_integral(
    a: NDArray[np.float64],
    c: NDArray[np.float64],
    inputs: Sequence[Input],
    t0: float,
    t1: float,
) -> NDArray[np.float64]:
    """int_{t0}^{t1} of every output with accumulator states, by state advance."""
    n, n_out = c.shape[1], c.shape[0]
    if t1 <= t0:
        return np.zeros(n_out)
    aug = np.zeros((n + n_out, n + n_out))
    aug[:n, :n] = a
    aug[n:, :n] = c
    x = solve_states(aug, inputs, np.array([t0, t1]))
    return np.asarray(x[n:, 1] - x[n:, 0], dtype=float)
