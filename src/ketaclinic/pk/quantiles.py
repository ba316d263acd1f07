"""Streaming percentiles per output time: a log-bucket histogram of float32 values.

``numpy.percentile`` over a (patients x times) matrix sorts every column (about
4e7 values/s) and needs the whole matrix in memory. A population run instead streams
blocks of rows (one row = one output time, all patients of a chunk) into per-time
histograms whose buckets are the top 16 bits of the IEEE-754 float32 representation:
sign, 8 exponent bits and the 7 leading mantissa bits. A bucket therefore spans
``[x, x (1 + 2^-7))`` and reporting its midpoint bounds the relative error by
``2^-8 = 0.39%`` of the true order statistic.

Ranges (canonical mg/L; documented in ``docs/benchmarks.md``):

* values ``< 2^LOW_EXPONENT`` mg/L (2.3e-10 mg/L = 2.3e-7 ng/mL), exact zeros and
  negative rounding residues share bucket 0, reported as exactly 0 (absolute error
  below 2.3e-7 ng/mL; before the first dose every concentration is 0 and 0 is exact);
* values ``>= 2^HIGH_EXPONENT`` mg/L (65,536 mg/L, beyond any physiological value) fall
  in an overflow bucket, reported as that lower edge and flagged by ``overflowed``.

Percentiles follow ``numpy.percentile(method="inverted_cdf")``: the order statistic of
rank ``ceil(n q / 100)``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ketaclinic.errors import InputError

__all__ = [
    "BYTES_PER_TIME",
    "HIGH_EXPONENT",
    "LOW_EXPONENT",
    "MANTISSA_BITS",
    "N_BINS",
    "RELATIVE_ERROR_BOUND",
    "LogHistogram",
    "bin_edges",
    "rank_index",
]

MANTISSA_BITS = 7
LOW_EXPONENT = -32
HIGH_EXPONENT = 16
#: Bound on |reported - true| / true for a value inside the regular range.
RELATIVE_ERROR_BOUND = 2.0 ** -(MANTISSA_BITS + 1)

_SHIFT = 23 - MANTISSA_BITS  # the int16 high half is bits >> 16
_LO_KEY = (127 + LOW_EXPONENT) << MANTISSA_BITS
_HI_KEY = (127 + HIGH_EXPONENT) << MANTISSA_BITS
#: bucket 0 (zero / underflow), regular buckets, one overflow bucket.
_N_REGULAR = _HI_KEY - _LO_KEY
N_BINS = _N_REGULAR + 2
_HIGH_HALF = 1 if sys.byteorder == "little" else 0
#: Memory of one histogram per output time (int32 counts).
BYTES_PER_TIME = 4 * N_BINS
#: Rows counted per bincount call when no clamping is needed.
_GROUP = 2
_GROUP_OFFSETS = (_LO_KEY - np.arange(_GROUP, dtype=np.intp) * N_BINS)[:, None]
assert _SHIFT == 16  # the int16 view below relies on it


def bin_edges() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lower and upper edges (mg/L) of every bucket; bucket 0 is [0, 2^LOW_EXPONENT)."""
    keys = np.arange(_LO_KEY, _HI_KEY + 1, dtype=np.int32) << _SHIFT
    edges = keys.view(np.float32).astype(np.float64)
    lower = np.concatenate([[0.0], edges])
    upper = np.concatenate([edges, [np.inf]])
    return lower, upper


def _representatives() -> NDArray[np.float64]:
    lower, upper = bin_edges()
    rep = 0.5 * (lower + upper)
    rep[0] = 0.0
    rep[-1] = lower[-1]
    return rep


def rank_index(n: int, q_percent: float) -> int:
    """0-based index of the order statistic that ``numpy.percentile`` returns for
    ``method="inverted_cdf"`` (the same floating-point arithmetic)."""
    virtual = n * (np.float64(q_percent) / 100.0) - 1.0
    idx = int(np.ceil(virtual))
    return min(max(idx, 0), n - 1)


class LogHistogram:
    """Per-time bucket counts of non-negative float32 values.

    Parameters
    ----------
    n_times : number of output times (rows of the histogram)

    Examples
    --------
    >>> h = LogHistogram(1)
    >>> h.add_rows(0, np.array([[0.5, 1.0, 2.0, 4.0]], dtype=np.float32))
    >>> float(h.percentiles([50])[0, 0])   # rank 2 of 4 -> 1.0, within 0.39 %
    1.00390625
    """

    def __init__(self, n_times: int) -> None:
        # Internal order: regular buckets, then overflow, then zero/underflow last, so that
        # one unsigned minimum maps negative keys (below the range) to the zero bucket.
        # int32 counts: 4 bytes x 6,146 buckets per output time; n stays below 2^31.
        self._raw = np.zeros((n_times, N_BINS), dtype=np.int32)

    @property
    def n_times(self) -> int:
        return int(self._raw.shape[0])

    @property
    def counts(self) -> NDArray[np.int32]:
        """(n_times, N_BINS) counts: bucket 0 zero/underflow, regular, overflow last."""
        return np.roll(self._raw, 1, axis=1)

    def add_rows(
        self, t0: int, y: NDArray[np.float32], scratch: NDArray[np.intp] | None = None
    ) -> None:
        """Count ``y`` (rows = consecutive output times from ``t0``, columns = patients).

        ``y`` must be a 2-D float32 array with C-contiguous rows; ``scratch`` an optional
        intp buffer of at least ``2 * y.shape[1]`` elements (avoids an allocation).
        Rows are counted one at a time so that the keys stay in cache.
        """
        if y.dtype != np.float32 or y.ndim != 2 or not y.flags.c_contiguous:
            raise InputError.for_field("y", str(y.dtype), "a C-contiguous 2-D float32 array")
        rows, m = y.shape
        if m == 0 or rows == 0:
            return
        if scratch is None or scratch.size < _GROUP * m:
            scratch = np.empty(_GROUP * m, dtype=np.intp)
        keys = scratch[:m]
        ukeys = keys.view(np.uintp)
        high = y.view(np.int16)[:, _HIGH_HALF::2]
        # Values at or above 2^HIGH_EXPONENT (or NaN) need the slower three-way mapping;
        # when every value is inside the regular range no clamping is needed at all.
        no_overflow = float(y.max()) < 2.0**HIGH_EXPONENT
        inside = no_overflow and float(y.min()) >= 2.0**LOW_EXPONENT
        if inside:
            # keys are in range: count _GROUP rows per bincount call (fewer calls)
            offsets = _GROUP_OFFSETS
            for r0 in range(0, rows, _GROUP):
                g = min(_GROUP, rows - r0)
                block = scratch[: g * m].reshape(g, m)
                np.subtract(high[r0 : r0 + g], offsets[:g], out=block, dtype=np.intp)
                counts = np.bincount(block.ravel(), minlength=g * N_BINS)
                self._raw[t0 + r0 : t0 + r0 + g] += counts.reshape(g, N_BINS)
            return
        for r in range(rows):
            np.subtract(high[r], _LO_KEY, out=keys, dtype=np.intp)
            over = None if no_overflow else keys >= _N_REGULAR
            # below the range (zero, tiny, negative) -> huge unsigned -> zero bucket
            np.minimum(ukeys, N_BINS - 1, out=ukeys)
            if over is not None:
                keys[over] = _N_REGULAR
            self._raw[t0 + r] += np.bincount(keys, minlength=N_BINS)

    def merge(self, other: LogHistogram) -> None:
        self._raw += other._raw

    @property
    def overflowed(self) -> bool:
        """True when some value reached the overflow bucket (>= 2^HIGH_EXPONENT mg/L)."""
        return bool(self._raw[:, _N_REGULAR].any())

    def percentiles(self, q_percent: Sequence[float]) -> NDArray[np.float64]:
        """(len(q), n_times) percentiles in the unit of the data (inverted CDF)."""
        for q in q_percent:
            if not 0 <= q <= 100:
                raise InputError.for_field("percentiles", q, "between 0 and 100", unit="%")
        out = np.zeros((len(q_percent), self.n_times))
        if self.n_times == 0:
            return out
        n = int(self._raw[0].sum())
        if n == 0:
            return out
        rep = _representatives()[1:]  # regular buckets then overflow (raw order)
        ranks = np.array([rank_index(n, q) + 1 for q in q_percent], dtype=np.int64)
        cum = np.empty(N_BINS - 1, dtype=np.int64)
        # Row by row: a cumulative sum that stays in cache, then one search per row.
        for t in range(self.n_times):
            row = self._raw[t]
            zeros = int(row[-1])
            np.cumsum(row[:-1], out=cum, dtype=np.int64)
            if cum[-1] + zeros != n:
                raise InputError("every output time must hold the same count", field="counts")
            b = np.searchsorted(cum, ranks - zeros, side="left")
            out[:, t] = np.where(ranks <= zeros, 0.0, rep[np.minimum(b, N_BINS - 2)])
        return out
