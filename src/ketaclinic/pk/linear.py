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

import bisect
import cmath
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from ketaclinic.errors import InputError
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
#: Above this condition number of the eigenvector matrix the modal form could lose more
#: than ~1e-10 relative accuracy (error ~ cond * 2.2e-16); the expm method takes over.
_COND_LIMIT = 1e5
#: Segments with at least this many uniformly spaced output times use the block form,
#: in blocks of _BLOCK points (64: the fastest OpenBLAS shape for an inner dimension of
#: 4-6 on the 2-core test machine; 256 and 512 were 3-5x slower).
_BLOCK_MIN = 64
_BLOCK = 64
_EPS = float(np.finfo(float).eps)
#: Steps that differ by at most this times the last time count as equal: a grid built as
#: ``k * h``, ``k / r`` or by ``linspace`` differs from ``t0 + k h`` by a few units of
#: roundoff.
_UNIFORM_TOL = 8.0 * _EPS


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


# --------------------------------------------------------------------------- modal form


@dataclass(frozen=True)
class _Modes:
    lam: NDArray[Any]  # (m,) eigenvalues, float or complex
    v: NDArray[Any]  # (n, m) eigenvectors
    w: NDArray[Any]  # (m, n) = v^-1
    inv_lam: NDArray[Any]  # 1/lam, 0 where lam == 0
    zero: NDArray[Any]  # 1 where lam == 0, else 0
    has_zero: bool
    lam_list: tuple[Any, ...]  # lam as Python numbers, for the scalar loops
    decaying: bool  # no mode grows (Re lam <= 0): values cannot overflow


@lru_cache(maxsize=512)
def _decompose(key: bytes, n: int) -> _Modes | None:
    """Eigen-decomposition of the (n, n) matrix stored in ``key``, or None when the
    eigenvector matrix is too ill-conditioned. Content-addressed, so caching is safe."""
    a = np.frombuffer(key, dtype=float).reshape(n, n)
    lam, v = np.linalg.eig(a)
    if not np.all(np.isfinite(lam)) or np.linalg.cond(v) > _COND_LIMIT:
        return None
    w = np.linalg.inv(v)
    if np.all(np.abs(lam.imag) <= 1e-12 * np.maximum(1.0, np.abs(lam.real))):
        lam, v, w = lam.real.copy(), v.real.copy(), w.real.copy()
    zero = lam == 0
    inv_lam = np.divide(1.0, lam, out=np.zeros_like(lam), where=~zero)
    arrays = (lam, v, w, inv_lam, zero.astype(lam.dtype))
    for arr in arrays:
        arr.setflags(write=False)
    return _Modes(
        *arrays,
        has_zero=bool(zero.any()),
        lam_list=tuple(lam.tolist()),
        decaying=bool(np.all(lam.real <= 0)),
    )


def _modes(a: NDArray[np.float64]) -> _Modes | None:
    a = np.ascontiguousarray(a, dtype=float)
    return _decompose(a.tobytes(), a.shape[0])


def _phi(m: _Modes, s: NDArray[Any]) -> NDArray[Any]:
    """phi(lam, s) = expm1(lam s)/lam (= s at lam = 0); ``s`` broadcasts against (m,)."""
    out: NDArray[Any] = np.expm1(m.lam * s)
    out *= m.inv_lam
    if m.has_zero:
        out += m.zero * s
    return out


def _expm1_scalar(x: complex) -> complex:
    """expm1 for a real or complex Python number (cmath has no expm1); overflow gives
    infinity, as numpy does, rather than an exception."""
    try:
        return _expm1_finite(x)
    except OverflowError:
        return math.inf


def _expm1_finite(x: complex) -> complex:
    if isinstance(x, float):
        return math.expm1(x)
    re, im = x.real, x.imag
    if im == 0.0:
        return complex(math.expm1(re))
    # e^(re + i im) - 1 = expm1(re) cos(im) - 2 sin^2(im / 2) + i e^re sin(im)
    half = math.sin(0.5 * im)
    return complex(math.expm1(re) * math.cos(im) - 2.0 * half * half, math.exp(re) * math.sin(im))


def _exp_scalar(x: complex) -> complex:
    try:
        return math.exp(x) if isinstance(x, float) else cmath.exp(x)
    except OverflowError:
        return math.inf


def _phi_scalar(lam: complex, s: float) -> complex:
    """phi(lam, s) = expm1(lam s)/lam, = s at lam = 0, for one mode."""
    return s if lam == 0 else _expm1_scalar(lam * s) / lam


def _psi_scalar(x: complex, em1: complex) -> complex:
    """(exp(x) - 1 - x)/x^2 given em1 = expm1(x): series below |x| = 0.05."""
    if abs(x) < _PSI_SWITCH:
        out: complex = 0.0
        for coef in _PSI_COEF:
            out = out * x + coef
        return out
    return (em1 - x) / (x * x)


#: Taylor coefficients 1/(k+2)!, k = 7..0, of psi(x) = (exp(x) - 1 - x)/x^2; below
#: |x| = 0.05 eight terms leave a relative truncation error under 0.05^8/10! < 1e-16, and
#: above it the direct form loses under 1e-14 to cancellation.
_PSI_COEF = tuple(1.0 / math.factorial(k + 2) for k in range(7, -1, -1))
_PSI_SWITCH = 0.05


def _phi2(m: _Modes, length: NDArray[Any], x: NDArray[Any], em1: NDArray[Any]) -> NDArray[Any]:
    """int_0^L phi(lam, s) ds = L^2 psi(x) with x = lam L and em1 = expm1(x) given."""
    small = np.abs(x) < _PSI_SWITCH
    xd = np.where(small, 1.0, x)
    out: NDArray[Any] = (em1 - xd) / (xd * xd)
    if small.any():
        xs = np.where(small, x, 0.0)
        series: NDArray[Any] = np.zeros_like(xs)
        for coef in _PSI_COEF:
            series = series * xs + coef
        out = np.where(small, series, out)
    out *= length * length
    return out


@dataclass(frozen=True)
class _Schedule:
    """Breakpoints ``b`` (k,), modal rates ``r`` on [b_k, b_k+1) and modal states ``z``
    at b_k (boluses at b_k included); ``forced[k]`` tells whether any input runs."""

    b: NDArray[np.float64]
    r: NDArray[Any]
    z: NDArray[Any]
    forced: tuple[bool, ...]


def _schedule(
    m: _Modes, n: int, inputs: Sequence[Input], index: dict[int, int] | None = None
) -> _Schedule:
    """Modal states at every breakpoint, by exact modal advance from one to the next
    (``index`` maps the inputs' compartments to rows of a reduced system)."""
    starts: dict[float, list[Input]] = {}
    stops: dict[float, list[Input]] = {}
    for inp in inputs:
        starts.setdefault(float(inp.start_min), []).append(inp)
        if inp.duration_min > 0:
            stops.setdefault(float(inp.start_min) + float(inp.duration_min), []).append(inp)
    b = sorted(starts.keys() | stops.keys())
    k = len(b)
    rates: list[list[float]] = []
    boluses: list[list[float]] = []
    rate = [0.0] * n
    running = [0] * n  # infusions running per compartment: exact zero when none
    forced: list[bool] = []
    for time in b:
        for inp in stops.get(time, ()):
            j = inp.compartment if index is None else index[inp.compartment]
            running[j] -= 1
            rate[j] = rate[j] - inp.amount_mg / inp.duration_min if running[j] else 0.0
        given = [0.0] * n
        for inp in starts.get(time, ()):
            j = inp.compartment if index is None else index[inp.compartment]
            if inp.duration_min > 0:
                running[j] += 1
                rate[j] += inp.amount_mg / inp.duration_min
            else:
                given[j] += inp.amount_mg
        rates.append(rate.copy())
        boluses.append(given)
        forced.append(any(running))
    wt = m.w.T  # state rows -> modal rows
    r = np.array(rates) @ wt
    z = np.array(boluses) @ wt
    if k > 1:
        # Modal advance z_i = z_(i-1) exp(lam h) + r_(i-1) phi(lam, h) + boluses at b_i,
        # one mode at a time in scalars: cheaper than array calls on a handful of modes.
        zl, rl = z.tolist(), r.tolist()
        for i in range(1, k):
            h = b[i] - b[i - 1]
            prev, cur = zl[i - 1], zl[i]
            drive = rl[i - 1] if forced[i - 1] else None
            for mu, lam in enumerate(m.lam_list):
                cur[mu] += prev[mu] * _exp_scalar(lam * h)
                if drive is not None:
                    cur[mu] += drive[mu] * _phi_scalar(lam, h)
        z = np.array(zl, dtype=z.dtype)
    return _Schedule(np.array(b, dtype=float), r, z, tuple(forced))


def _evaluate(
    m: _Modes,
    sched: _Schedule,
    cv: NDArray[Any],
    t: NDArray[np.float64],
    steps: NDArray[np.float64],
    uniform: bool,
) -> NDArray[np.float64]:
    """Outputs (n_out, n_t) from the schedule; zero before the first input. ``uniform``
    says that all ``steps`` are equal (to rounding), else each segment is checked."""
    n_out, n_t = cv.shape[0], t.size
    # _BLOCK spare columns: a segment may fill its last block completely, past its end;
    # the next segment (processed after it) overwrites that, and the spare columns at
    # the very end are not part of the returned view. Saves a ragged tail per segment.
    buf = np.empty((n_out, n_t + _BLOCK))
    y = buf[:, :n_t]
    if sched.b.size == 0:
        y.fill(0.0)
        return y
    bounds = np.searchsorted(t, sched.b).tolist()
    y[:, : bounds[0]] = 0.0
    bounds.append(n_t)
    # On a uniform grid every segment shares one step h and block size: the exponentials
    # over a block, exp(lam c_j) and phi(lam, c_j), depend on the model and grid only.
    grid = _block_grid(m, (float(t[-1]) - float(t[0])) / (n_t - 1), n_t) if uniform else None
    for k, bk in enumerate(sched.b.tolist()):
        i0, i1 = bounds[k], bounds[k + 1]
        if i1 > i0:
            rk = sched.r[k] if sched.forced[k] else None
            _segment(m, cv, sched.z[k], rk, bk, t, steps, grid, i0, i1, buf)
    return y


@dataclass(frozen=True)
class _BlockGrid:
    """Within-block offsets c_j = j h (j < B) and exp(lam c_j), phi(lam, c_j), (m, B)."""

    modes: _Modes
    size: int
    e: NDArray[Any]
    p: NDArray[Any]


_BLOCK_GRIDS: dict[tuple[int, float, int], _BlockGrid] = {}


def _block_grid(m: _Modes, h: float, n: int) -> _BlockGrid:
    size = _BLOCK
    key = (id(m), h, size)
    hit = _BLOCK_GRIDS.get(key)
    if hit is not None and hit.modes is m:
        return hit
    c = np.arange(size) * h
    e = np.exp(m.lam[:, None] * c)
    p = _phi(m, c[:, None]).T
    for arr in (e, p):
        arr.setflags(write=False)
    grid = _BlockGrid(m, size, e, p)
    if len(_BLOCK_GRIDS) >= 64:
        for old in list(_BLOCK_GRIDS)[: len(_BLOCK_GRIDS) // 2]:  # FIFO, half at a time
            _BLOCK_GRIDS.pop(old, None)
    _BLOCK_GRIDS[key] = grid
    return grid


def _segment(
    m: _Modes,
    cv: NDArray[Any],
    zk: NDArray[Any],
    rk: NDArray[Any] | None,
    bk: float,
    t: NDArray[np.float64],
    steps: NDArray[np.float64],
    grid: _BlockGrid | None,
    i0: int,
    i1: int,
    y: NDArray[np.float64],
) -> None:
    """Fill y[:, i0:i1] for times in [bk, next breakpoint) from the modal state ``zk`` at
    ``bk`` and the modal rate ``rk`` (None when no input runs); ``y`` has _BLOCK spare
    columns beyond the last output time."""
    n, n_out = i1 - i0, cv.shape[0]
    if grid is None and n >= _BLOCK_MIN:
        seg = steps[i0 : i1 - 1]
        if float(seg.max() - seg.min()) <= _UNIFORM_TOL * float(t[i1 - 1]):
            grid = _block_grid(m, (float(t[i1 - 1]) - float(t[i0])) / (n - 1), n)
    if grid is None or n < _BLOCK_MIN:
        s = t[i0:i1] - bk
        zs = np.exp(m.lam[:, None] * s)
        zs *= zk[:, None]
        if rk is not None:
            zs += _phi(m, s[:, None]).T * rk[:, None]
        out = cv @ zs
        y[:, i0:i1] = out if out.dtype.kind == "f" else out.real
        return
    # Block form: s = a_q + c_j, a_q the actual block starts, c_j = j h, and
    # z(a_q + c_j) = z(a_q) exp(lam c_j) + r phi(lam, c_j). The steps differ by at most
    # _UNIFORM_TOL * t_last, so within a block the grid deviates from a_q + j h by at
    # most B * 8 eps * t_last (8e-12 min for 280 min at 1 s, B = 64).
    bsz = grid.size
    a = t[i0:i1:bsz] - bk  # (nq,) block starts, nq = ceil(n / B)
    x = a[:, None] * m.lam  # (nq, m)
    za = np.exp(x)  # -> modal state at the block starts
    za *= zk
    nm = za.shape[1]
    if rk is None:
        left = cv[:, None, :] * za  # (n_out, nq, m)
        right = grid.e  # (m, B), shared by the outputs
    else:
        em1 = np.expm1(x)
        em1 *= rk * m.inv_lam  # r phi(lam, a) for the nonzero modes
        za += em1
        if m.has_zero:
            za += a[:, None] * (rk * m.zero)
        # The input's own contribution during c_j, (cv * r) @ phi(lam, c_j), rides along
        # as one more column of ones: a broadcast add afterwards costs a full extra pass.
        left = np.empty((n_out, za.shape[0], nm + 1), dtype=za.dtype)
        np.multiply(cv[:, None, :], za, out=left[:, :, :nm])
        left[:, :, nm] = 1.0
        right = np.empty((n_out, nm + 1, bsz), dtype=za.dtype)
        right[:, :nm] = grid.e
        np.matmul(cv * rk, grid.p, out=right[:, nm])
    # Whole blocks, the last one running past i1 into the next segment or the spare
    # columns (see _evaluate).
    full = y[:, i0 : i0 + a.size * bsz].reshape(n_out, a.size, bsz)
    if left.dtype.kind == "f":
        np.matmul(left, right, out=full)
    else:
        full[...] = (left @ right).real


def _integral(
    m: _Modes, sched: _Schedule, cv: NDArray[Any], t0: float, t1: float
) -> NDArray[np.float64]:
    """Exact int_{t0}^{t1} of every output (mg/L*min) from the modal form: over a piece of
    length L starting in state z with modal rate r, int z = z phi(L) + r phi2(L)."""
    b = sched.b.tolist()
    if not b or t1 <= t0 or t1 <= b[0]:
        return np.zeros(cv.shape[0])
    first = max(bisect.bisect_right(b, t0) - 1, 0)
    last = bisect.bisect_left(b, t1)  # pieces first..last-1 overlap (t0, t1)
    if last - first <= _SCALAR_PIECES:
        return _integral_scalar(m, sched, cv, t0, t1, first, last)
    lo = b[first:last]
    z = sched.z[first:last]
    if lo[0] < t0:  # the window opens inside the first piece: advance its state
        off = np.array([t0 - lo[0]])
        z = z.copy()
        z[0] = z[0] * np.exp(m.lam * off) + sched.r[first] * _phi(m, off)
        lo[0] = t0
    length = np.array([*lo[1:], t1]) - np.array(lo)
    length = length[:, None]
    x = m.lam * length
    em1 = np.expm1(x)
    phi = em1 * m.inv_lam
    if m.has_zero:
        phi += m.zero * length
    total = (z * phi).sum(axis=0)
    if any(sched.forced[first:last]):
        r = sched.r[first:last]
        total += (r * _phi2(m, length, x, em1)).sum(axis=0)
    out = cv @ total
    return np.asarray(out if out.dtype.kind == "f" else out.real, dtype=float)


#: Up to this many pieces the area is summed in scalars (fewer array calls).
_SCALAR_PIECES = 32


def _integral_scalar(
    m: _Modes, sched: _Schedule, cv: NDArray[Any], t0: float, t1: float, first: int, last: int
) -> NDArray[np.float64]:
    """``_integral`` for a few pieces, one mode at a time in scalars."""
    b = sched.b.tolist()
    zl = sched.z[first:last].tolist()
    rl = sched.r[first:last].tolist()
    total: list[complex] = [0.0] * len(m.lam_list)
    for p in range(last - first):
        start = b[first + p]
        lo = max(start, t0)
        hi = min(b[first + p + 1], t1) if first + p + 1 < len(b) else t1
        length, off = hi - lo, lo - start
        forced = sched.forced[first + p]
        for mu, lam in enumerate(m.lam_list):
            z0 = zl[p][mu]
            r0 = rl[p][mu] if forced else 0.0
            if off > 0:
                z0 = z0 * _exp_scalar(lam * off) + r0 * _phi_scalar(lam, off)
            x = lam * length
            em1 = _expm1_scalar(x)
            phi = length if lam == 0 else em1 / lam
            area = z0 * phi
            if r0:
                area += r0 * length * length * _psi_scalar(x, em1)
            total[mu] += area
    out = cv @ np.array(total)
    return np.asarray(out if out.dtype.kind == "f" else out.real, dtype=float)


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


def _output_matrix(system: CompartmentSystem) -> NDArray[np.float64]:
    c = np.zeros((len(system.outputs), len(system.compartments)))
    for i, o in enumerate(system.outputs):
        c[i, o.compartment] = 1.0 / o.volume_l
    return c


# --------------------------------------------------------------------------- expm form


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
