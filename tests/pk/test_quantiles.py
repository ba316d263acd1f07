"""The per-time log-bucket histogram against numpy.percentile(method="inverted_cdf")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.errors import InputError
from ketaclinic.pk.quantiles import (
    HIGH_EXPONENT,
    LOW_EXPONENT,
    N_BINS,
    RELATIVE_ERROR_BOUND,
    LogHistogram,
    bin_edges,
    rank_index,
)

QS = (0, 1, 5, 25, 50, 75, 95, 99, 100)


def _sketch(y: np.ndarray, qs: tuple[float, ...] = QS, rows_per_call: int = 7) -> np.ndarray:
    """Percentiles per column of y (patients x times) through the histogram."""
    yt = np.ascontiguousarray(y.T, dtype=np.float32)  # time-major
    h = LogHistogram(yt.shape[0])
    for t0 in range(0, yt.shape[0], rows_per_call):
        h.add_rows(t0, yt[t0 : t0 + rows_per_call])
    return h.percentiles(qs)


def _assert_within_bound(est: np.ndarray, y: np.ndarray, qs: tuple[float, ...] = QS) -> None:
    y32 = y.astype(np.float32).astype(np.float64)
    floor = 2.0**LOW_EXPONENT
    for i, q in enumerate(qs):
        exact = np.percentile(y32, q, axis=0, method="inverted_cdf")
        small = exact < floor
        assert np.all(est[i][small] == 0.0)
        big = ~small
        rel = np.abs(est[i][big] - exact[big]) / exact[big]
        assert rel.max(initial=0.0) <= RELATIVE_ERROR_BOUND, (q, rel.max())


def test_bucket_edges_are_within_2_pow_minus_7_of_each_other() -> None:
    lower, upper = bin_edges()
    assert lower.size == N_BINS
    assert lower[1] == 2.0**LOW_EXPONENT
    assert lower[-1] == 2.0**HIGH_EXPONENT
    width = upper[1:-1] / lower[1:-1] - 1
    assert width.max() == pytest.approx(2.0**-7)
    assert width.min() == pytest.approx(1 / (2**7 + 127))


def test_rank_matches_numpy_inverted_cdf() -> None:
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 10, 99, 100, 1000, 1001):
        x = np.sort(rng.random(n))
        for q in (0, 0.1, 1, 5, 33.3, 50, 95, 99.9, 100):
            assert x[rank_index(n, q)] == np.percentile(x, q, method="inverted_cdf")


def test_lognormal_wide_range_within_bound() -> None:
    rng = np.random.default_rng(1)
    y = np.exp(rng.normal(-3, 2.5, size=(3001, 40)))  # within 2^-32..2^16 mg/L
    _assert_within_bound(_sketch(y), y)


def test_ties_and_zeros_within_bound_and_zero_exact() -> None:
    rng = np.random.default_rng(2)
    y = rng.choice([0.0, 0.25, 0.25, 1.0, 3.0, 1e-12], size=(500, 30))
    y[:, 0] = 0.0  # before the first dose: every patient at exactly 0
    y[:260, 1] = 0.0  # more than half zeros: median 0
    est = _sketch(y)
    assert np.all(est[:, 0] == 0.0)
    assert est[QS.index(50), 1] == 0.0
    _assert_within_bound(est, y)


def test_row_split_does_not_change_counts() -> None:
    rng = np.random.default_rng(4)
    y = rng.lognormal(size=(200, 33)).astype(np.float32)
    a = _sketch(y, rows_per_call=1)
    b = _sketch(y, rows_per_call=33)
    assert np.array_equal(a, b)


def test_negative_rounding_residues_count_as_zero() -> None:
    h = LogHistogram(1)
    h.add_rows(0, np.array([[-1e-9, -0.0, 0.0, 2.0]], dtype=np.float32))
    assert h.percentiles([50, 75])[:, 0].tolist() == [0.0, 0.0]
    assert h.percentiles([100])[0, 0] == pytest.approx(2.0, rel=RELATIVE_ERROR_BOUND)


def test_overflow_is_flagged() -> None:
    h = LogHistogram(1)
    assert not h.overflowed
    h.add_rows(0, np.array([[1.0, 1e6]], dtype=np.float32))
    assert h.overflowed
    assert h.percentiles([100])[0, 0] == 2.0**HIGH_EXPONENT


def test_merge_adds_counts() -> None:
    a, b = LogHistogram(1), LogHistogram(1)
    a.add_rows(0, np.array([[1.0, 2.0]], dtype=np.float32))
    b.add_rows(0, np.array([[3.0, 4.0]], dtype=np.float32))
    a.merge(b)
    assert a.percentiles([100])[0, 0] == pytest.approx(4.0, rel=RELATIVE_ERROR_BOUND)
    assert a.percentiles([0])[0, 0] == pytest.approx(1.0, rel=RELATIVE_ERROR_BOUND)


def test_bad_input_refused() -> None:
    h = LogHistogram(1)
    with pytest.raises(InputError, match="float32"):
        h.add_rows(0, np.ones((1, 2)))
    h.add_rows(0, np.ones((1, 2), dtype=np.float32))
    with pytest.raises(InputError, match="percentiles must be between 0 and 100"):
        h.percentiles([101])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(st.just(0.0), st.floats(1e-9, 1e4, allow_nan=False)),
        min_size=1,
        max_size=60,
    ),
    st.floats(0, 100),
)
def test_property_error_bound_any_sample(values: list[float], q: float) -> None:
    y = np.array(values)[:, None]
    est = _sketch(y, (q,))
    _assert_within_bound(est, y, (q,))


def test_nan_counts_as_overflow_and_rows_must_fit() -> None:
    h = LogHistogram(2)
    h.add_rows(0, np.array([[np.nan, 1.0], [0.5, 1.0]], dtype=np.float32))
    assert h.overflowed
    counts = h.counts
    assert counts[0, -1] == 1
    assert counts[1, -1] == 0
    assert counts.sum(axis=1).tolist() == [2, 2]
    with pytest.raises(InputError, match="t0"):
        h.add_rows(1, np.ones((2, 2), dtype=np.float32))


def test_counts_do_not_depend_on_rows_per_counting_call() -> None:
    """Regression: blocks wider than one counting call (about 65,000 values) are split
    into groups of rows; the counts must equal row-by-row counting."""
    rng = np.random.default_rng(5)
    y = rng.lognormal(-2, 3, size=(9, 20_000)).astype(np.float32)
    y[0] = 0.0
    y[1, ::7] = -1e-9
    whole, by_row = LogHistogram(9), LogHistogram(9)
    whole.add_rows(0, y)
    for t in range(9):
        by_row.add_rows(t, np.ascontiguousarray(y[t : t + 1]))
    assert np.array_equal(whole.counts, by_row.counts)
    assert whole.counts[0, 0] == 20_000
    exact = np.percentile(y.astype(np.float64), [5, 50, 95], axis=1, method="inverted_cdf")
    est = whole.percentiles([5, 50, 95])
    big = exact >= 2.0**LOW_EXPONENT
    assert np.all(est[~big] == 0.0)
    assert np.max(np.abs(est[big] - exact[big]) / exact[big]) <= RELATIVE_ERROR_BOUND
