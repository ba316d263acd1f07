"""The non-exact path: systems whose rate matrix drifts with time.

STYLE.md rule 6: exact solutions for the linear, time-invariant part; an ODE solver only
for what is not. Flint 2017 (Paediatr Anaesth 27:1098, doi:10.1111/pan.13239) lets the
apparent S-norketamine clearance rise by 0.870 % per hour after the first dose, so the
metabolite obeys ``dx/dt = (a + (t - t_first) * drift) x + u(t)``. The parent drug does
not depend on the drifting entries and stays on the exact solver; only the outputs the
drift touches are recomputed here with ``scipy.integrate.solve_ivp`` (Radau with the
analytic Jacobian, rtol 1e-10), integrating from breakpoint to breakpoint so that bolus
jumps and infusion edges are never stepped over.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from ketaclinic.errors import InputError
from ketaclinic.pk.linear import Input, check_times
from ketaclinic.pk.model import CompartmentSystem, RateDrift

__all__ = ["RTOL", "apply_drift", "solve_drift"]

#: Relative tolerance of the ODE path; absolute tolerance is 1e-12 of the total dose.
RTOL = 1e-10


def _padded(drift: RateDrift, n: int) -> NDArray[np.float64]:
    d = np.asarray(drift.per_min2, dtype=float)
    if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape[0] > n:
        raise InputError.for_field("drift", d.shape, f"a square matrix of size <= {n}")
    out = np.zeros((n, n))
    out[: d.shape[0], : d.shape[0]] = d
    return out


def solve_drift(
    system: CompartmentSystem,
    drift: RateDrift,
    inputs: Sequence[Input],
    times: Sequence[float] | NDArray[np.float64],
) -> NDArray[np.float64]:
    """Concentrations of every output (mg/L) at ``times`` (min) with a drifting ``a``.

    The drift starts at the first input (time after first dose); before it the system
    is empty. A bolus at time t is included in the value at t (as ``linear.solve``).

    Returns
    -------
    y : (n_outputs, n_times) array, mg/L

    Examples
    --------
    >>> from ketaclinic.pk.model import Output
    >>> one = CompartmentSystem(("c",), np.array([[-0.1]]), (Output("plasma", 0, 1.0),))
    >>> still = RateDrift(np.zeros((1, 1)), ("plasma",), "none")
    >>> y = solve_drift(one, still, [Input(0, 1.0, 0.0)], [10.0])
    >>> round(float(y[0, 0]), 6)  # exp(-1)
    0.367879
    """
    t = check_times(times)
    a0 = np.asarray(system.a, dtype=float)
    n = a0.shape[0]
    d = _padded(drift, n)
    c = np.zeros((len(system.outputs), n))
    for i, o in enumerate(system.outputs):
        c[i, o.compartment] = 1.0 / o.volume_l
    out = np.zeros((n, t.size))
    if not inputs:
        return c @ out
    t_first = min(inp.start_min for inp in inputs)
    total = sum(inp.amount_mg for inp in inputs)
    atol = 1e-12 * max(total, 1e-300)
    edges = {t_first, float(t[-1])}
    for inp in inputs:
        edges.add(inp.start_min)
        if inp.duration_min > 0:
            edges.add(inp.start_min + inp.duration_min)
    grid = sorted(e for e in edges if e <= t[-1])
    x = np.zeros(n)
    for k, start in enumerate(grid):
        end = grid[k + 1] if k + 1 < len(grid) else start
        for inp in inputs:
            if inp.duration_min == 0 and inp.start_min == start:
                x[inp.compartment] += inp.amount_mg
        u = np.zeros(n)
        for inp in inputs:
            if inp.duration_min > 0 and inp.start_min <= start < inp.start_min + inp.duration_min:
                u[inp.compartment] += inp.rate_mg_per_min
        last = k + 1 == len(grid)
        mask = (t >= start) & ((t <= end) if last else (t < end))
        if end <= start:
            out[:, mask] = x[:, None]
            continue

        def rhs(
            s: float, y: NDArray[np.float64], u: NDArray[np.float64] = u
        ) -> NDArray[np.float64]:
            return (a0 + max(s - t_first, 0.0) * d) @ y + u

        def jac(s: float, y: NDArray[np.float64]) -> NDArray[np.float64]:
            return a0 + max(s - t_first, 0.0) * d

        wanted = t[mask]
        t_eval = np.append(wanted, end) if wanted.size == 0 or wanted[-1] != end else wanted
        sol = solve_ivp(
            rhs, (start, end), x, method="Radau", jac=jac, rtol=RTOL, atol=atol, t_eval=t_eval
        )
        if not sol.success:
            raise InputError(
                f"the ODE path failed between {start:g} and {end:g} min: {sol.message}",
                field="times",
                value=end,
                unit="min",
            )
        if wanted.size:
            out[:, mask] = sol.y[:, : wanted.size]
        x = np.asarray(sol.y[:, -1], dtype=float)
    return np.maximum(c @ out, 0.0)


def apply_drift(
    system: CompartmentSystem,
    drift: RateDrift,
    inputs: Sequence[Input],
    times: NDArray[np.float64],
    y: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``y`` from the exact solver with the rows of ``drift.outputs`` replaced by the
    ODE solution (the other outputs do not depend on the drifting entries)."""
    rows = [i for i, o in enumerate(system.outputs) if o.name in drift.outputs]
    if not rows:
        return y
    ode = solve_drift(system, drift, inputs, times)
    out = np.array(y, copy=True)
    out[rows] = ode[rows]
    return out
