"""PHQ-9 scoring against an independent formula for all 4^9 = 262,144 answer vectors.

Independent formula (Kroenke 2001, J Gen Intern Med 16:606): total = sum of the nine items;
band by the cut-points 5, 10, 15, 20; safety flag when item 9 > 0. Computed with numpy over
the whole answer space, then compared with :func:`score` vector by vector.
"""

import numpy as np
import pytest

from ketaclinic.instruments import PHQ9, score, score_matrix

LABELS = np.array(["minimal", "mild", "moderate", "moderately severe", "severe"])


def all_vectors() -> np.ndarray:
    # Row r holds the base-4 digits of r: every answer vector exactly once.
    r = np.arange(4**9)
    return (r[:, None] // 4 ** np.arange(9)[None, :]) % 4


def test_answer_space_is_complete() -> None:
    v = all_vectors()
    assert v.shape == (262_144, 9)
    assert len(np.unique(v @ (4 ** np.arange(9)))) == 262_144


def expected(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    total = v.sum(axis=1)
    band = LABELS[np.searchsorted([5, 10, 15, 20], total, side="right")]
    return total, band, v[:, 8] > 0


def test_vectorised_scoring_matches_the_formula_on_every_vector() -> None:
    v = all_vectors()
    expected_total, expected_band, expected_flag = expected(v)
    table = score_matrix(PHQ9, v)
    np.testing.assert_array_equal(table.totals, expected_total)
    np.testing.assert_array_equal(table.bands, expected_band)
    np.testing.assert_array_equal(table.flagged, expected_flag)


@pytest.mark.slow
def test_every_answer_vector_matches_the_formula() -> None:
    # score() one administration at a time, for all 262,144 vectors (a few seconds).
    v = all_vectors()
    expected_total, expected_band, expected_flag = expected(v)

    ids = [f"item{i}" for i in range(1, 10)]
    rows = v.tolist()
    totals = np.empty(len(rows), dtype=int)
    bands = np.empty(len(rows), dtype=object)
    flags = np.empty(len(rows), dtype=bool)
    for n, row in enumerate(rows):
        s = score(PHQ9, dict(zip(ids, row, strict=True)))
        totals[n] = s.total
        bands[n] = s.band
        flags[n] = any(f.code == "phq9-item9" for f in s.flags)

    np.testing.assert_array_equal(totals, expected_total)
    np.testing.assert_array_equal(bands.astype(str), expected_band)
    np.testing.assert_array_equal(flags, expected_flag)
    # Counting checks on the formula itself: 4^8 vectors have item 9 = 0; the number of
    # vectors per total is the coefficient of x^t in (1 + x + x^2 + x^3)^9.
    assert int(expected_flag.sum()) == 4**9 - 4**8
    poly = np.array([1])
    for _ in range(9):
        poly = np.convolve(poly, [1, 1, 1, 1])
    np.testing.assert_array_equal(np.bincount(expected_total, minlength=28), poly)
