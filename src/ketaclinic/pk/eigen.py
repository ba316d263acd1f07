"""The ``eigen`` method of :mod:`ketaclinic.pk.linear`: modal state advance.

With ``A = V diag(lam) V^-1`` and modal coordinates ``z = V^-1 x``, between two
breakpoints every mode obeys ``z(b + s) = z(b) exp(lam s) + r phi(lam, s)``; on a uniform
output grid the times are split into blocks so that every output is one small matrix
product, and areas come from the same modal form (see the module docstring of
:mod:`ketaclinic.pk.linear` for the derivation and sources).
"""

from __future__ import annotations

import bisect
import cmath
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # pragma: no cover
    from ketaclinic.pk.linear import Input

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
    grid = _block_grid(m, (float(t[-1]) - float(t[0])) / (n_t - 1)) if uniform else None
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


def _block_grid(m: _Modes, h: float) -> _BlockGrid:
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
            grid = _block_grid(m, (float(t[i1 - 1]) - float(t[i0])) / (n - 1))
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
