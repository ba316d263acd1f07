"""Exact solution of linear compartment systems under piecewise-constant inputs.

Two exact methods (STYLE.md rule 6: exact solutions for linear models):

``eigen``
    Modal superposition. With ``A = V diag(lam) V^-1``, a bolus ``D`` into compartment
    ``j`` at ``t0`` contributes ``C V diag(exp(lam tau)) V^-1 e_j D`` and a zero-order
    input of rate ``R`` over ``[t0, t0+T]`` contributes
    ``C V diag(phi(lam, min(tau, T)) exp(lam max(tau - T, 0))) V^-1 e_j R`` with
    ``phi(lam, s) = expm1(lam s) / lam`` (``= s`` at ``lam = 0``). Vectorised over
    output times, so any output grid costs one pass.
``expm``
    State advance from breakpoint to breakpoint with ``exp(A h)`` and
    ``int_0^h exp(A s) ds`` taken together from the exponential of the augmented matrix
    ``[[A, I], [0, 0]] h`` (Van Loan 1978; literature sheet section 5.6), as NONMEM's
    ADVAN routines advance the state. Robust when ``V`` is ill-conditioned (repeated
    eigenvalues, e.g. ``ka == k``).

``auto`` uses ``eigen`` unless the eigenvector matrix is ill-conditioned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from ketaclinic.errors import InputError
from ketaclinic.pk.model import CompartmentSystem

__all__ = ["Input", "check_times", "discretize", "solve", "solve_states"]

Method = Literal["auto", "eigen", "expm"]
#: Above this condition number of the eigenvector matrix, modal superposition loses
#: more than ~1e-6 relative accuracy; the expm method takes over.
_COND_LIMIT = 1e9


@dataclass(frozen=True)
class Input:
    """A primitive input: ``amount_mg`` into compartment index ``compartment`` starting at
    ``start_min``, as a bolus (``duration_min == 0``) or at a constant rate."""

    compartment: int
    amount_mg: float
    start_min: float
    duration_min: float = 0.0

    @property
    def rate_mg_per_min(self) -> float:
        return self.amount_mg / self.duration_min if self.duration_min > 0 else 0.0


def check_times(
    times: Sequence[float] | NDArray[np.float64], field: str = "times"
) -> NDArray[np.float64]:
    """Validate output times: finite, >= 0 and strictly increasing (min)."""
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise InputError.for_field(field, f"array of shape {t.shape}", "a non-empty 1-D array")
    if not np.all(np.isfinite(t)):
        bad = float(t[~np.isfinite(t)][0])
        raise InputError.for_field(field, bad, "finite", unit="min")
    if t[0] < 0:
        raise InputError.for_field(field, float(t[0]), "at least 0 min", unit="min")
    if t.size > 1:
        steps = np.diff(t)
        if np.any(steps <= 0):
            i = int(np.argmax(steps <= 0))
            raise InputError(
                f"{field} must be strictly increasing, got {t[i]:g} min then {t[i + 1]:g} min "
                f"at positions {i} and {i + 1}",
                field=field,
                value=float(t[i + 1]),
                unit="min",
                limit="strictly increasing",
            )
    return t


def _phi(lam: NDArray[np.complex128], s: NDArray[np.float64]) -> NDArray[np.complex128]:
    """expm1(lam*s)/lam, equal to s where lam == 0 (shape broadcast of lam and s)."""
    zero = lam == 0
    safe = np.where(zero, 1.0, lam)
    out = np.where(zero, s, np.expm1(lam * s) / safe)
    return np.asarray(out)


def _solve_eigen(
    a: NDArray[np.float64],
    c: NDArray[np.float64],
    inputs: Sequence[Input],
    t: NDArray[np.float64],
) -> NDArray[np.float64] | None:
    lam, v = np.linalg.eig(a)
    if np.linalg.cond(v) > _COND_LIMIT:
        return None
    w = np.linalg.inv(v)
    real = bool(np.all(np.abs(lam.imag) <= 1e-12 * np.maximum(1.0, np.abs(lam.real))))
    if real:
        lam = lam.real
        v = v.real
        w = w.real
    cv = c @ v  # (n_out, n_modes)
    modal = np.zeros((lam.shape[0], t.shape[0]), dtype=lam.dtype)
    lam_col = lam[:, None]
    for inp in inputs:
        tau = t - inp.start_min
        if inp.duration_min == 0:
            active = tau >= 0
            if not active.any():
                continue
            e = np.exp(lam_col * np.where(active, tau, 0.0)) * active
            modal += (w[:, inp.compartment] * inp.amount_mg)[:, None] * e
        else:
            s_in = np.clip(tau, 0.0, inp.duration_min)
            s_after = np.maximum(tau - inp.duration_min, 0.0)
            f = _phi(lam_col, s_in[None, :]) * np.exp(lam_col * s_after)
            modal += (w[:, inp.compartment] * inp.rate_mg_per_min)[:, None] * f
    y = cv @ modal
    return np.asarray(y.real, dtype=float)


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
        edges.add(inp.start_min)
        if inp.duration_min > 0:
            edges.add(inp.start_min + inp.duration_min)
    grid = np.union1d(np.fromiter(edges, float), t)
    cache: dict[float, tuple[NDArray[np.float64], NDArray[np.float64]]] = {}
    x = np.zeros(n)
    out = np.zeros((n, t.shape[0]))
    out_index = {float(v): i for i, v in enumerate(t)}
    boluses: dict[float, list[Input]] = {}
    for inp in inputs:
        if inp.duration_min == 0:
            boluses.setdefault(inp.start_min, []).append(inp)
    prev = float(grid[0])
    for k, now in enumerate(grid):
        now = float(now)
        if k > 0:
            h = now - prev
            u = np.zeros(n)
            mid = prev + 0.5 * h
            for inp in inputs:
                if inp.duration_min > 0 and inp.start_min <= mid < inp.start_min + inp.duration_min:
                    u[inp.compartment] += inp.rate_mg_per_min
            key = round(h, 12)
            if key not in cache:
                cache[key] = discretize(a, h)
            phi, psi = cache[key]
            x = phi @ x + psi @ u
        for inp in boluses.get(now, ()):
            x[inp.compartment] += inp.amount_mg
        if now in out_index:
            out[:, out_index[now]] = x
        prev = now
    return out


def solve(
    system: CompartmentSystem,
    inputs: Sequence[Input],
    times: Sequence[float] | NDArray[np.float64],
    *,
    method: Method = "auto",
) -> tuple[NDArray[np.float64], str]:
    """Concentrations of every output of ``system`` (mg/L) at ``times`` (min).

    Returns ``(y, method_used)`` with ``y`` of shape ``(len(system.outputs), len(times))``.
    A bolus at time t is included in the value at t (right-continuous).

    Examples
    --------
    >>> import numpy as np
    >>> from ketaclinic.pk.model import CompartmentSystem, Output
    >>> one = CompartmentSystem(("central",), np.array([[-0.1]]), (Output("plasma", 0, 10.0),))
    >>> y, _ = solve(one, [Input(0, 100.0, 0.0)], [0.0, 10.0])
    >>> np.round(y[0], 4).tolist()   # (D/V) exp(-k t)
    [10.0, 3.6788]
    """
    t = check_times(times)
    c = np.zeros((len(system.outputs), len(system.compartments)))
    for i, o in enumerate(system.outputs):
        c[i, o.compartment] = 1.0 / o.volume_l
    if method in ("auto", "eigen"):
        y = _solve_eigen(system.a, c, inputs, t)
        if y is not None:
            # Exact arithmetic gives y >= 0; clip the last-bit negatives of rounding.
            return np.maximum(y, 0.0), "eigen"
        if method == "eigen":
            raise InputError(
                "the eigenvector matrix is ill-conditioned; use method='expm'",
                field="method",
                value="eigen",
            )
    x = solve_states(system.a, inputs, t)
    return np.maximum(c @ x, 0.0), "expm"
