"""Exact solution of linear compartment systems under piecewise-constant inputs.

Two exact methods (STYLE.md rule 6: exact solutions for linear models):

``eigen``
    Modal state advance. With ``A = V diag(lam) V^-1`` and modal coordinates
    ``z = V^-1 x``, between two breakpoints (an input starting or stopping) every mode
    obeys ``z(b + s) = z(b) exp(lam s) + r phi(lam, s)`` with ``r`` the modal input rate
    and ``phi(lam, s) = expm1(lam s) / lam`` (``= s`` at ``lam = 0``): the closed forms of
    Gibaldi & Perrier for bolus, zero-order and first-order inputs, and the ADVAN-style
    state advance of Abuhelwa, Foster & Upton (J Pharmacol Toxicol Methods 2015;73:42).
    On a uniform output grid the times are split into blocks ``s = a_q + c_j``, so that
    ``z(a_q + c_j) = z(a_q) exp(lam c_j) + r phi(lam, c_j)`` makes every output one small
    matrix product: a few hundred exponentials instead of one per point and mode, each
    value still a handful of correctly rounded operations. Areas come from the same
    modal form: over a piece of length L, ``int z = z phi(L) + r L^2 psi(lam L)`` with
    ``psi(x) = (exp(x) - 1 - x)/x^2`` (``integrate``; no re-solve, no quadrature).
``expm``
    State advance from breakpoint to breakpoint with ``exp(A h)`` and
    ``int_0^h exp(A s) ds`` taken together from the exponential of the augmented matrix
    ``[[A, I], [0, 0]] h`` (Van Loan, IEEE Trans Automat Contr 1978;23:395), as NONMEM's
    ADVAN routines advance the state. Robust when ``V`` is ill-conditioned (repeated
    eigenvalues, e.g. ``ka == k``); one step per output time, so slower on long grids.

``auto`` uses ``eigen`` unless the eigenvector matrix is ill-conditioned.

Both methods first drop the compartments the inputs cannot reach (an IV regimen never
fills a model's absorption depots; their values stay exactly 0). The eigen-decomposition
is cached by the content of the rate matrix, and the within-block exponentials by
(decomposition, step), so repeated runs of one model pay for neither again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ketaclinic.errors import InputError
from ketaclinic.pk.eigen import (
    _COND_LIMIT,
    _UNIFORM_TOL,
    _evaluate,
    _integral,
    _Modes,
    _modes,
    _schedule,
)
from ketaclinic.pk.expm import _expm_integral, discretize, solve_states
from ketaclinic.pk.model import CompartmentSystem, Output

__all__ = [
    "Input",
    "LinearSolution",
    "check_times",
    "discretize",
    "integrate",
    "solve",
    "solve_detailed",
    "solve_states",
]

Method = Literal["auto", "eigen", "expm"]


@dataclass(frozen=True)
class Input:
    """A primitive input: ``amount_mg`` into compartment index ``compartment`` starting at
    ``start_min``, as a bolus (``duration_min == 0``) or at a constant rate."""

    compartment: int
    amount_mg: float
    start_min: float
    duration_min: float = 0.0

    def __post_init__(self) -> None:
        # Fast path: plain non-negative finite floats and a plain int index.
        c, d, s, u = self.compartment, self.amount_mg, self.start_min, self.duration_min
        if (
            type(c) is int
            and c >= 0
            and type(d) is float
            and type(s) is float
            and type(u) is float
            and 0.0 <= d < math.inf
            and 0.0 <= s < math.inf
            and 0.0 <= u < math.inf
        ):
            return
        if isinstance(self.compartment, bool) or not isinstance(self.compartment, int | np.integer):
            raise InputError.for_field("compartment", self.compartment, "an integer index")
        if self.compartment < 0:
            raise InputError.for_field("compartment", self.compartment, "at least 0")
        for name, unit in (("amount_mg", "mg"), ("start_min", "min"), ("duration_min", "min")):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
                raise InputError.for_field(name, v, f"a number in {unit}", unit=unit)
            if not math.isfinite(v):
                raise InputError.for_field(name, v, f"a finite number in {unit}", unit=unit)
            if v < 0:
                raise InputError.for_field(name, v, f"at least 0 {unit}", unit=unit)

    @property
    def rate_mg_per_min(self) -> float:
        return self.amount_mg / self.duration_min if self.duration_min > 0 else 0.0


def _checked(
    times: Sequence[float] | NDArray[np.float64], field: str = "times"
) -> tuple[NDArray[np.float64], NDArray[np.float64], bool]:
    """(times, their steps, whether the steps are all equal to rounding); the fast
    path is one ``diff`` and two reductions."""
    if not isinstance(times, np.ndarray) and any(isinstance(x, bool) for x in times):
        raise InputError.for_field(field, "a boolean", "numbers in min (not booleans)")
    raw = np.asarray(times)
    if raw.dtype.kind not in "iuf":
        raise InputError.for_field(
            field, f"an array of {raw.dtype}", "numbers in min (not booleans or text)"
        )
    t = np.asarray(raw, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise InputError.for_field(field, f"array of shape {t.shape}", "a non-empty 1-D array")
    steps = t[1:] - t[:-1]
    if steps.size == 0:
        if t[0] >= 0 and math.isfinite(t[0]):
            return t, steps, False
    else:
        lo = float(steps.min())
        if t[0] >= 0 and math.isfinite(t[-1]) and lo > 0:
            return t, steps, float(steps.max()) - lo <= _UNIFORM_TOL * float(t[-1])
    if not np.all(np.isfinite(t)):
        bad = float(t[~np.isfinite(t)][0])
        raise InputError.for_field(field, bad, "finite numbers in min", unit="min")
    if t[0] < 0:
        raise InputError.for_field(field, float(t[0]), "at least 0 min", unit="min")
    i = int(np.argmax(steps <= 0))
    raise InputError(
        f"{field} must be strictly increasing, got {t[i]:g} min then {t[i + 1]:g} min "
        f"at positions {i} and {i + 1}",
        field=field,
        value=float(t[i + 1]),
        unit="min",
        limit="strictly increasing",
    )


def check_times(
    times: Sequence[float] | NDArray[np.float64], field: str = "times"
) -> NDArray[np.float64]:
    """Validate output times: numbers (not booleans), finite, >= 0 and strictly
    increasing (min)."""
    return _checked(times, field)[0]


@lru_cache(maxsize=512)
def _reachable(key: bytes, n: int, sources: tuple[int, ...]) -> tuple[int, ...]:
    """Compartments that drug entering ``sources`` can reach (``a[i, j] != 0`` is a flow
    from j to i). The others stay exactly empty, so dropping them changes no value."""
    a = np.frombuffer(key, dtype=float).reshape(n, n)
    seen = set(sources)
    stack = list(sources)
    while stack:
        j = stack.pop()
        for i in np.flatnonzero(a[:, j]).tolist():
            if i not in seen:
                seen.add(i)
                stack.append(i)
    return tuple(sorted(seen))


@dataclass(frozen=True)
class _Reduced:
    a: NDArray[np.float64]  # rate matrix of the reachable compartments
    c: NDArray[np.float64]  # output matrix restricted to them
    index: dict[int, int] | None  # old compartment index -> new (None: unchanged)
    modes: _Modes | None  # eigen-decomposition of a (None: ill-conditioned)
    cv: NDArray[Any] | None  # c @ v, outputs in modal coordinates


def _reduced(system: CompartmentSystem, inputs: Sequence[Input]) -> _Reduced:
    """The system restricted to the compartments the inputs can reach (e.g. an IV
    regimen never fills the absorption depots of a model that also has them)."""
    a = system.a
    n = a.shape[0]
    sources = tuple(sorted({i.compartment for i in inputs}))
    if sources and sources[-1] >= n:
        raise InputError.for_field(
            "compartment", sources[-1], f"an index below {n} (the system's compartments)"
        )
    return _reduce(np.ascontiguousarray(a, dtype=float).tobytes(), n, system.outputs, sources)


@lru_cache(maxsize=512)
def _reduce(key: bytes, n: int, outputs: tuple[Output, ...], sources: tuple[int, ...]) -> _Reduced:
    a = np.frombuffer(key, dtype=float).reshape(n, n)
    c = np.zeros((len(outputs), n))
    for i, o in enumerate(outputs):
        c[i, o.compartment] = 1.0 / o.volume_l
    keep = _reachable(key, n, sources)
    index = None
    if len(keep) < n:
        idx = np.array(keep, dtype=int)
        a = np.ascontiguousarray(a[np.ix_(idx, idx)])
        c = np.ascontiguousarray(c[:, idx])
        index = {old: new for new, old in enumerate(keep)}
    c.setflags(write=False)
    m = _modes(a) if a.size else None
    cv = None if m is None else c @ m.v
    if cv is not None:
        cv.setflags(write=False)
    return _Reduced(a, c, index, m, cv)


def _moved(inputs: Sequence[Input], index: dict[int, int] | None) -> list[Input]:
    if index is None:
        return list(inputs)
    return [Input(index[i.compartment], i.amount_mg, i.start_min, i.duration_min) for i in inputs]


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class LinearSolution:
    """Everything one exact solve yields.

    Attributes
    ----------
    time_min : (n_times,) validated output times, min
    y : (n_outputs, n_times) concentrations of the system's outputs, mg/L
    auc : (n_outputs,) exact area under each output between the first and last output
        time, mg/L*min
    method : the method used, "eigen" or "expm"
    finite : whether every value is finite (False only for unstable parameter sets
        that overflow)
    """

    time_min: NDArray[np.float64]
    y: NDArray[np.float64]
    auc: NDArray[np.float64]
    method: str
    finite: bool = True


def _check_method(method: str) -> None:
    if method not in ("auto", "eigen", "expm"):
        raise InputError.for_field("method", method, "'auto', 'eigen' or 'expm'")


def _used(method: str) -> str:
    return "expm" if method == "expm" else "eigen"


def _ill_conditioned() -> InputError:
    return InputError(
        "method must be 'expm' or 'auto' for this system: its eigenvector matrix is "
        f"ill-conditioned (condition number above {_COND_LIMIT:g}), got 'eigen'",
        field="method",
        value="eigen",
        limit="'expm' or 'auto'",
    )


def solve_detailed(
    system: CompartmentSystem,
    inputs: Sequence[Input],
    times: Sequence[float] | NDArray[np.float64],
    *,
    method: Method = "auto",
) -> LinearSolution:
    """Concentrations of every output at ``times`` (min) and their exact areas.

    Examples
    --------
    >>> from ketaclinic.pk.model import CompartmentSystem, Output
    >>> one = CompartmentSystem(("central",), np.array([[-0.1]]), (Output("plasma", 0, 10.0),))
    >>> sol = solve_detailed(one, [Input(0, 100.0, 0.0)], [0.0, 10.0])
    >>> round(float(sol.auc[0]), 4)   # (D/V)(1 - exp(-k t))/k
    63.2121
    """
    return _solve(system, inputs, times, method, with_auc=True)


def _solve(
    system: CompartmentSystem,
    inputs: Sequence[Input],
    times: Sequence[float] | NDArray[np.float64],
    method: Method,
    *,
    with_auc: bool,
) -> LinearSolution:
    _check_method(method)
    t, steps, uniform = _checked(times)
    red = _reduced(system, inputs)
    n_out = red.c.shape[0]
    if red.a.shape[0] == 0:  # nothing given: every output is exactly 0
        return LinearSolution(t, np.zeros((n_out, t.size)), np.zeros(n_out), _used(method))
    if method != "expm":
        m, cv = red.modes, red.cv
        if m is not None and cv is not None:
            with np.errstate(over="ignore" if not m.decaying else "warn"):
                sched = _schedule(m, red.c.shape[1], inputs, red.index)
                y = _evaluate(m, sched, cv, t, steps, uniform)
            lo = float(y.min())
            if lo < 0.0:  # exact values are >= 0: clip last-bit negatives of rounding
                np.maximum(y, 0.0, out=y)
            # NaN shows in the minimum; +inf needs a growing mode (never in a drained
            # compartmental system), so only then is every value checked.
            finite = not math.isnan(lo) and (m.decaying or bool(np.isfinite(y).all()))
            auc = _NO_AUC
            if with_auc:
                with np.errstate(over="ignore", invalid="ignore"):
                    auc = _integral(m, sched, cv, float(t[0]), float(t[-1]))
            return LinearSolution(t, y, auc, "eigen", finite)
        if method == "eigen":
            raise _ill_conditioned()
    moved = _moved(inputs, red.index)
    y = np.maximum(red.c @ solve_states(red.a, moved, t), 0.0)
    auc = _expm_integral(red.a, red.c, moved, float(t[0]), float(t[-1])) if with_auc else _NO_AUC
    return LinearSolution(t, y, auc, "expm", bool(np.isfinite(y).all()))


_NO_AUC = np.zeros(0)


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
    sol = _solve(system, inputs, times, method, with_auc=False)
    return sol.y, sol.method


def integrate(
    system: CompartmentSystem,
    inputs: Sequence[Input],
    t0: float,
    t1: float,
    *,
    method: Method = "auto",
) -> NDArray[np.float64]:
    """Exact area under every output (mg/L*min) between ``t0`` and ``t1`` (min).

    Examples
    --------
    >>> from ketaclinic.pk.model import CompartmentSystem, Output
    >>> one = CompartmentSystem(("central",), np.array([[-0.1]]), (Output("plasma", 0, 10.0),))
    >>> round(float(integrate(one, [Input(0, 100.0, 0.0)], 0.0, 1e4)[0]), 6)   # D/CL
    100.0
    """
    _check_method(method)
    for name, v in (("t0", t0), ("t1", t1)):
        if isinstance(v, bool) or not math.isfinite(v) or v < 0:
            raise InputError.for_field(name, v, "a finite number of at least 0 min", unit="min")
    red = _reduced(system, inputs)
    if red.a.shape[0] == 0:
        return np.zeros(red.c.shape[0])
    if method != "expm":
        m, cv = red.modes, red.cv
        if m is not None and cv is not None:
            sched = _schedule(m, red.c.shape[1], inputs, red.index)
            return _integral(m, sched, cv, float(t0), float(t1))
        if method == "eigen":
            raise _ill_conditioned()
    return _expm_integral(red.a, red.c, _moved(inputs, red.index), float(t0), float(t1))
