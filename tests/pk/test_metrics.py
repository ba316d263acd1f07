"""Varvel metrics on hand-computed examples (definitions: PK/PD literature sheet 4.8;
Varvel, Donoho & Shafer, J Pharmacokinet Biopharm 1992;20:63-94).
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.errors import InputError
from ketaclinic.pk.metrics import (
    POPULATION_STATISTIC,
    performance,
    prediction_errors,
    subject_metrics,
)


def test_pe_by_hand() -> None:
    # (120 - 100)/100 = 20 %, (45 - 50)/50 = -10 %, (300 - 200)/200 = 50 %
    np.testing.assert_allclose(prediction_errors([120, 45, 300], [100, 50, 200]), [20, -10, 50])


def test_subject_metrics_by_hand() -> None:
    # t = 0, 1, 2, 3 h; predicted 100; measured 90, 110, 130, 160 -> PE -10, 10, 30, 60
    m = subject_metrics("A", [0, 60, 120, 180], [90, 110, 130, 160], [100] * 4)
    assert m.n == 4
    assert m.mdpe_pct == pytest.approx(20.0)  # median(-10, 10, 30, 60)
    assert m.mdape_pct == pytest.approx(20.0)  # median(10, 10, 30, 60)
    # |PE - 20| = 30, 10, 10, 40 -> median 20
    assert m.wobble_pct == pytest.approx(20.0)
    # |PE| 10, 10, 30, 60 against 0..3 h: slope = sum((t-1.5)(y-27.5)) / sum((t-1.5)^2)
    # = (-1.5*-17.5 - 0.5*-17.5 + 0.5*2.5 + 1.5*32.5) / 5 = (26.25+8.75+1.25+48.75)/5 = 17
    assert m.divergence_pct_per_h == pytest.approx(17.0)
    # signed PE -10, 10, 30, 60: (-1.5*-32.5 - 0.5*-12.5 + 0.5*7.5 + 1.5*37.5)/5 = 23
    assert m.signed_slope_pct_per_h == pytest.approx(23.0)


def test_signed_slope_catches_a_time_varying_bias_divergence_misses() -> None:
    # PE goes -30 -> +30 linearly: |PE| is V-shaped (divergence 0), signed slope 20 %/h.
    m = subject_metrics(1, [0, 60, 120, 180], [70, 90, 110, 130], [100] * 4)
    assert m.divergence_pct_per_h == pytest.approx(0.0, abs=1e-12)
    assert m.signed_slope_pct_per_h == pytest.approx(20.0)


def test_population_is_median_of_individuals_and_by_phase() -> None:
    ids = [1, 1, 2, 2, 3, 3]
    t = [0, 60, 0, 60, 0, 60]
    pred = [100.0] * 6
    meas = [110, 130, 90, 100, 140, 160]  # PE: 10,30 | -10,0 | 40,60
    phase = ["induction", "maintenance"] * 3
    s = performance(ids, t, meas, pred, phase)
    assert s.population_statistic == POPULATION_STATISTIC == "median of individual values"
    assert [x.mdpe_pct for x in s.subjects] == [20.0, -5.0, 50.0]
    assert s.mdpe_pct == 20.0  # median(20, -5, 50)
    assert s.mdape_pct == 20.0  # median(20, 5, 50)
    assert s.wobble_pct == 10.0  # each subject: median(|PE - MDPE|) = 10, 5, 10
    assert s.divergence_pct_per_h == pytest.approx(20.0)  # slopes 20, -10, 20
    ind = s.by_phase["induction"]
    assert ind.mdpe_pct == 10.0  # median(10, -10, 40)
    assert ind.divergence_pct_per_h is None  # one sample per subject
    assert s.by_phase["maintenance"].mdape_pct == 30.0  # median(30, 0, 60)
    d = s.to_dict()
    assert d["by_phase"]["maintenance"]["subjects"][0]["mdpe_pct"] == 30.0


@given(
    st.lists(st.floats(0.1, 1000), min_size=1, max_size=20),
    st.floats(0.1, 10),
)
def test_scaling_measured_shifts_pe_exactly(pred: list[float], factor: float) -> None:
    meas = [p * factor for p in pred]
    m = subject_metrics(0, list(range(len(pred))), meas, pred)
    assert m.mdpe_pct == pytest.approx((factor - 1) * 100, abs=1e-9)
    assert m.wobble_pct == pytest.approx(0.0, abs=1e-9)
    assert m.mdape_pct == pytest.approx(abs(factor - 1) * 100, abs=1e-9)


def test_bad_input() -> None:
    with pytest.raises(InputError, match=r"predicted\[1\] must be greater than 0"):
        prediction_errors([1, 2], [1, 0])
    with pytest.raises(InputError, match="shape"):
        prediction_errors([1, 2], [1])
    with pytest.raises(InputError, match="time_min"):
        performance([1, 1], [0], [1, 2], [1, 2])
    with pytest.raises(InputError, match="phase"):
        performance([1], [0], [1], [1], phase=["a", "b"])
    with pytest.raises(InputError, match="measured"):
        subject_metrics(1, [0], [math.nan], [1])
