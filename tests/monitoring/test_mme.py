"""MME/day conversion (CDC 2022 guideline table, doi:10.15585/mmwr.rr7103a1)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.errors import InputError, NotFoundError
from ketaclinic.monitoring.mme import OPIOIDS, DoseInterval, daily_mme, mme_series, opioid

#: CDC 2022 Clinical Practice Guideline, MME conversion factor table
CDC_2022_FACTORS = {
    "morphine": 1.0,
    "oxycodone": 1.5,
    "hydrocodone": 1.0,
    "hydromorphone": 5.0,
    "oxymorphone": 3.0,
    "tapentadol": 0.4,
    "tramadol": 0.2,
    "codeine": 0.15,
    "methadone": 4.7,
    "fentanyl-transdermal": 2.4,
}


def test_factors_match_the_guideline_table() -> None:
    assert {k: v.factor for k, v in OPIOIDS.items()} == CDC_2022_FACTORS
    assert all("mmwr.rr7103a1" in o.source for o in OPIOIDS.values())
    assert opioid("fentanyl-transdermal").dose_unit == "mcg/h"
    assert {o.dose_unit for k, o in OPIOIDS.items() if k != "fentanyl-transdermal"} == {"mg/day"}


@pytest.mark.parametrize(
    ("oid", "dose", "unit", "mme"),
    [
        # closed form dose x factor (50 and 90 MME/day are the guideline's caution levels)
        ("hydrocodone", 50.0, "mg/day", 50.0),
        ("oxycodone", 60.0, "mg/day", 90.0),
        ("tramadol", 400.0, "mg/day", 80.0),
        ("codeine", 240.0, "mg/day", 36.0),
        ("hydromorphone", 8.0, "mg/day", 40.0),
        ("tapentadol", 200.0, "mg/day", 80.0),
        ("oxymorphone", 20.0, "mg/day", 60.0),
        ("fentanyl-transdermal", 25.0, "mcg/h", 60.0),
        ("methadone", 20.0, "mg/day", 94.0),
    ],
)
def test_daily_mme(oid: str, dose: float, unit: str, mme: float) -> None:
    assert daily_mme(oid, dose, unit) == pytest.approx(mme, rel=1e-12)


def test_methadone_carries_a_caution() -> None:
    assert opioid("methadone").caution is not None
    (p,) = mme_series([DoseInterval("methadone", 10, "mg/day", date(2026, 1, 1))])
    assert p.flags
    assert "methadone" in p.flags[0]
    assert p.mme_per_day == pytest.approx(47.0)


def test_unknown_opioid_refused() -> None:
    with pytest.raises(NotFoundError) as exc:
        daily_mme("kratom", 10)
    assert exc.value.field == "opioid_id"
    assert "oxycodone" in str(exc.value.limit)


@pytest.mark.parametrize(
    ("dose", "unit"),
    [(0.0, "mg/day"), (-5.0, "mg/day"), (math.nan, "mg/day"), (math.inf, "mg/day"),
     (True, "mg/day"), (10.0, "mcg/h")],
)  # fmt: skip
def test_bad_dose_refused(dose: float, unit: str) -> None:
    with pytest.raises(InputError):
        daily_mme("morphine", dose, unit)


def test_interval_stop_after_start() -> None:
    with pytest.raises(InputError):
        DoseInterval("morphine", 10, "mg/day", date(2026, 1, 2), date(2026, 1, 2))


def test_series_steps() -> None:
    s = mme_series(
        [
            DoseInterval("oxycodone", 40, "mg/day", date(2026, 1, 1), date(2026, 2, 1)),
            DoseInterval("oxycodone", 20, "mg/day", date(2026, 2, 1)),
            DoseInterval("tramadol", 100, "mg/day", date(2026, 1, 15), date(2026, 3, 1)),
        ]
    )
    assert [(p.on, round(p.mme_per_day, 9)) for p in s] == [
        (date(2026, 1, 1), 60.0),
        (date(2026, 1, 15), 80.0),
        (date(2026, 2, 1), 50.0),
        (date(2026, 3, 1), 30.0),
    ]
    assert mme_series([]) == ()


@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(k for k in OPIOIDS if k != "fentanyl-transdermal")),
            st.floats(0.5, 500),
            st.integers(0, 60),
            st.integers(1, 60),
        ),
        max_size=6,
    ),
    st.integers(0, 130),
)
def test_series_equals_sum_of_active_doses(
    items: list[tuple[str, float, int, int]], probe: int
) -> None:
    """Property: the step series at any day equals the sum of that day's active doses."""
    d0 = date(2026, 1, 1)
    intervals = [
        DoseInterval(oid, dose, "mg/day", d0 + timedelta(a), d0 + timedelta(a + n))
        for oid, dose, a, n in items
    ]
    series = mme_series(intervals)
    day = d0 + timedelta(probe)
    expected = sum(daily_mme(i.opioid_id, i.daily_dose) for i in intervals if i.active_on(day))
    current = [p for p in series if p.on <= day]
    got = current[-1].mme_per_day if current else 0.0
    assert got == pytest.approx(expected, abs=1e-9)
    assert all(p.mme_per_day >= 0 for p in series)


def test_docstring_examples() -> None:
    import doctest

    from ketaclinic.monitoring import mme

    failed, attempted = doctest.testmod(mme)
    assert attempted >= 3
    assert failed == 0
