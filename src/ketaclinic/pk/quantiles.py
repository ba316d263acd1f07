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
    "scratch_size",
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
#: Memory of one histogram per output time (int32 counts).
BYTES_PER_TIME = 4 * N_BINS
# high halves (bits >> 16, arithmetic) are clipped to [_LO_KEY - 1, _HI_KEY], so that
# ``high - _BASE`` is the bucket in natural order: 0 (zero, below the range, negative),
# regular buckets, overflow (and NaN).
_BASE = _LO_KEY - 1
_ONE = np.int32(1)  # same dtype as the counts: add.at's fast path
#: Values counted per add.at call: a few rows, so that the keys stay in cache.
_CALL_VALUES = 1 << 16


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


def _row_offsets(t0: int, rows: int) -> NDArray[np.int32]:
    """(rows, 1) int32 offsets that turn clipped high halves into flat histogram indices."""
    r = np.arange(t0, t0 + rows, dtype=np.int32)[:, None]
    r *= np.int32(N_BINS)
    r -= np.int32(_BASE)
    return r


def scratch_size(n_values: int) -> int:
    """intp elements of the ``add_rows`` scratch buffer for ``n_values`` values: the
    bucket keys, then the int32 high halves."""
    return n_values + (n_values + 1) // 2


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
        # int32 counts: 4 bytes x 6,146 buckets per output time; n stays below 2^31.
        if n_times * N_BINS >= 2**31:
            raise InputError.for_field(
                "n_times", n_times, f"fewer than {2**31 // N_BINS:,} output times"
            )
        self._raw = np.zeros((n_times, N_BINS), dtype=np.int32)
        self._flat = self._raw.reshape(-1)  # a view: add.at counts into it

    @property
    def n_times(self) -> int:
        return int(self._raw.shape[0])

    @property
    def counts(self) -> NDArray[np.int32]:
        """(n_times, N_BINS) counts: bucket 0 zero/underflow, regular, overflow last."""
        return self._raw.copy()

    def add_rows(
        self, t0: int, y: NDArray[np.float32], scratch: NDArray[np.intp] | None = None
    ) -> None:
        """Count ``y`` (rows = consecutive output times from ``t0``, columns = patients).

        ``y`` must be a 2-D float32 array with C-contiguous rows; ``scratch`` an optional
        intp buffer of at least ``scratch_size(y.size)`` elements (avoids an allocation).
        Rows are counted a few at a time (about ``_CALL_VALUES`` values) so that the
        intermediate keys stay in cache.

        The bucket of a value is the high half of its bits (an arithmetic shift of the
        int32 view), clipped to the range, so that zeros, tiny and negative values fall
        in bucket 0 and large values (and NaN) in the overflow bucket; an unbuffered
        ``np.add.at`` then counts the keys straight into the flat histogram (faster than
        ``bincount``, which scans for its min/max and returns a new array per call).
        """
        if y.dtype != np.float32 or y.ndim != 2 or not y.flags.c_contiguous:
            raise InputError.for_field("y", str(y.dtype), "a C-contiguous 2-D float32 array")
        rows, m = y.shape
        if m == 0 or rows == 0:
            return
        if t0 < 0 or t0 + rows > self.n_times:
            raise InputError.for_field(
                "t0", t0, f"rows {t0}..{t0 + rows - 1} within the {self.n_times} output times"
            )
        g = max(1, min(rows, _CALL_VALUES // m))
        size = g * m
        if scratch is None or scratch.size < scratch_size(size):
            scratch = np.empty(scratch_size(size), dtype=np.intp)
        yi = y.view(np.int32)
        for r0 in range(0, rows, g):
            r1 = min(r0 + g, rows)
            size = (r1 - r0) * m
            high = scratch[size:].view(np.int32)[:size].reshape(r1 - r0, m)
            np.right_shift(yi[r0:r1], _SHIFT, out=high)
            np.clip(high, _BASE, _HI_KEY, out=high)
            # flat index of (row t0 + r, bucket): histogram rows are N_BINS apart
            np.add(high, _row_offsets(t0 + r0, r1 - r0), out=high)
            keys = scratch[:size]
            np.copyto(keys, high.reshape(size))  # add.at runs fastest on intp indices
            np.add.at(self._flat, keys, _ONE)

    def merge(self, other: LogHistogram) -> None:
        self._raw += other._raw

    @property
    def overflowed(self) -> bool:
        """True when some value reached the overflow bucket (>= 2^HIGH_EXPONENT mg/L)."""
        return bool(self._raw[:, -1].any())

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
        rep = _representatives()
        ranks = np.array([rank_index(n, q) + 1 for q in q_percent], dtype=np.int64)
        # Blocks of rows: cumulative sums along the buckets, row r shifted by r * n so
        # that the flattened block is sorted and one searchsorted serves every row.
        block = max(1, _CALL_VALUES // N_BINS)
        for t0 in range(0, self.n_times, block):
            t1 = min(t0 + block, self.n_times)
            cum = np.cumsum(self._raw[t0:t1], axis=1, dtype=np.int64)
            if np.any(cum[:, -1] != n):
                raise InputError("every output time must hold the same count", field="counts")
            shift = np.arange(t1 - t0, dtype=np.int64)[:, None] * n
            cum += shift
            flat = np.searchsorted(cum.reshape(-1), (ranks[None, :] + shift).reshape(-1))
            b = flat.reshape(t1 - t0, ranks.size) - np.arange(t1 - t0)[:, None] * N_BINS
            out[:, t0:t1] = rep[b].T
        return out
