"""Analytics: interval methods against published values, rates, time to event, AE rates.

Reference intervals: Newcombe RG. Two-sided confidence intervals for the single
proportion: comparison of seven methods. Stat Med 1998;17:857-872, Table II (method 3 =
Wilson score, method 5 = Clopper-Pearson exact), and 7/10 (a standard textbook example).
Poisson: exact 95% upper limit for 0 events = -ln(0.025) = 3.689; for 10 events
4.795-18.390 (Garwood 1936 tables).
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.errors import InputError
from ketaclinic.instruments import (
    AdverseEventRecord,
    Assessment,
    CourseRecord,
    SessionRecord,
    TimeToEvent,
    adverse_event_rates,
    clopper_pearson_interval,
    durability,
    kaplan_meier,
    poisson_interval,
    proportion,
    response_rates,
    time_to_response,
    wilson_interval,
)

NEWCOMBE = [
    # (k, n, wilson, clopper-pearson), 4 decimals
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0, 0.1611), (0.0, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
    (29, 29, (0.8830, 1.0), (0.8806, 1.0)),
    (7, 10, (0.3968, 0.8922), (0.3475, 0.9333)),
]


@pytest.mark.parametrize(("k", "n", "wilson", "exact"), NEWCOMBE)
def test_intervals_match_published_values(
    k: int, n: int, wilson: tuple[float, float], exact: tuple[float, float]
) -> None:
    assert [round(x, 4) for x in wilson_interval(k, n)] == list(wilson)
    assert [round(x, 4) for x in clopper_pearson_interval(k, n)] == list(exact)


def test_poisson_interval_known_values() -> None:
    assert poisson_interval(0, 1) == (0.0, pytest.approx(-math.log(0.025)))
    low, high = poisson_interval(10, 1)
    assert (round(low, 3), round(high, 3)) == (4.795, 18.39)
    low, high = poisson_interval(10, 100)  # per session over 100 sessions
    assert (round(low, 5), round(high, 5)) == (0.04795, 0.1839)


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_interval_properties(kn: tuple[int, int]) -> None:
    k, n = kn
    p = k / n
    for f in (wilson_interval, clopper_pearson_interval):
        low, high = f(k, n)
        assert 0 <= low <= p <= high <= 1
        # Symmetry: the interval for failures mirrors the one for successes.
        low2, high2 = f(n - k, n)
        assert low == pytest.approx(1 - high2, abs=1e-12)
        assert high == pytest.approx(1 - low2, abs=1e-12)


@pytest.mark.parametrize(("k", "n"), [(-1, 10), (11, 10), (0, 0), (True, 10), (1.5, 10)])
def test_bad_counts_are_refused(k: int, n: int) -> None:
    with pytest.raises(InputError):
        wilson_interval(k, n)


def course(
    cid: str,
    ind: str,
    proto: str,
    base: float,
    *points: tuple[float, float],
    instrument: str = "phq-9",
    boosters: tuple[float, ...] = (),
    last: float | None = None,
) -> CourseRecord:
    return CourseRecord(
        course_id=cid,
        indication=ind,
        protocol_id=proto,
        instrument_id=instrument,
        baseline_total=base,
        assessments=tuple(Assessment(d, t) for d, t in points),
        booster_days=boosters,
        last_follow_up_day=last,
    )


COURSES = [
    # depression / iv-40: 3 evaluable; responders c1, c2; remitter c2 (PHQ-9 < 5).
    course("c1", "depression", "iv-40", 20, (7, 12), (14, 9)),
    course("c2", "depression", "iv-40", 18, (7, 8), (14, 3)),
    course("c3", "depression", "iv-40", 16, (7, 14), (14, 12)),
    course("c4", "depression", "iv-40", 22),  # no follow-up: not evaluable
    # depression / spravato: 1 of 1 by MADRS.
    course("c5", "depression", "spravato", 30, (28, 9), instrument="madrs"),
    # PTSD: PCL-5 point rule; no remission rule.
    course("c6", "ptsd", "iv-40", 50, (21, 38)),
]
COURSES[5] = course("c6", "ptsd", "iv-40", 50, (21, 38), instrument="pcl-5")


def test_response_rates_by_indication_and_protocol() -> None:
    rates = {r.group: r for r in response_rates(COURSES)}
    dep = rates[("depression", "iv-40")]
    assert dep.courses == 4
    assert (dep.response.successes, dep.response.n) == (2, 3)
    assert (dep.remission.successes, dep.remission.n) == (1, 3)
    assert (dep.response.low, dep.response.high) == wilson_interval(2, 3)
    assert rates[("depression", "spravato")].remission.successes == 1
    ptsd = rates[("ptsd", "iv-40")]
    assert ptsd.response.successes == 1
    assert ptsd.remission is None
    by_ind = {
        r.group: r for r in response_rates(COURSES, by=("indication",), method="clopper-pearson")
    }
    assert (by_ind[("depression",)].response.successes, by_ind[("depression",)].response.n) == (
        3,
        4,
    )
    assert by_ind[("depression",)].response.method == "clopper-pearson"


def test_response_at_last_versus_any_follow_up() -> None:
    # Responded at day 7 (20 -> 10), relapsed by day 14 (20 -> 15).
    c = [course("x", "depression", "iv-40", 20, (7, 10), (14, 15))]
    assert response_rates(c)[0].response.successes == 0
    assert response_rates(c, at="any")[0].response.successes == 1


def test_time_to_response_and_censoring() -> None:
    assert time_to_response(COURSES[0]) == TimeToEvent("c1", 14, True)
    assert time_to_response(COURSES[1]) == TimeToEvent("c2", 7, True)
    assert time_to_response(COURSES[2]) == TimeToEvent("c3", 14, False)
    assert time_to_response(COURSES[3]) is None


def test_durability_relapse_booster_and_censoring() -> None:
    relapse = course("r", "depression", "iv-40", 20, (7, 8), (21, 9), (35, 14))
    assert durability(relapse) == TimeToEvent("r", 28, True)  # day 35 - day 7
    booster = course("b", "depression", "iv-40", 20, (7, 8), (35, 9), boosters=(28,))
    assert durability(booster) == TimeToEvent("b", 21, True)
    censored = course("c", "depression", "iv-40", 20, (7, 8), (21, 9), last=60)
    assert durability(censored) == TimeToEvent("c", 53, False)
    assert durability(COURSES[2]) is None  # never responded


def test_kaplan_meier_hand_computed() -> None:
    # Times 3, 5+, 7, 7, 10+, 12: at risk 6 -> S(3)=5/6; 7: at risk 4, 2 events -> 5/6*2/4
    # = 0.4167 (median 7); 12: at risk 1 -> 0.
    obs = [
        TimeToEvent("a", 3, True),
        TimeToEvent("b", 5, False),
        TimeToEvent("c", 7, True),
        TimeToEvent("d", 7, True),
        TimeToEvent("e", 10, False),
        TimeToEvent("f", 12, True),
    ]
    km = kaplan_meier(obs)
    assert km.times_days == (3, 7, 12)
    assert km.at_risk == (6, 4, 1)
    assert km.events == (1, 2, 1)
    assert km.survival == pytest.approx((5 / 6, 5 / 12, 0.0))
    assert km.median_days == 7
    assert kaplan_meier([TimeToEvent("a", 3, False)]).median_days is None


def test_adverse_event_rates_per_session() -> None:
    sessions = [SessionRecord(f"s{i}", "depression", "iv-40") for i in range(10)]
    sessions += [SessionRecord(f"t{i}", "depression", "spravato") for i in range(4)]
    events = [
        AdverseEventRecord("s0", "hypertension"),
        AdverseEventRecord("s0", "nausea"),
        AdverseEventRecord("s3", "nausea"),
        AdverseEventRecord("t1", "sedation", severity="moderate"),
    ]
    rates = {r.group: r for r in adverse_event_rates(sessions, events)}
    iv = rates[("depression", "iv-40")]
    assert (iv.sessions, iv.events, iv.events_per_session) == (10, 3, 0.3)
    assert (iv.low, iv.high) == poisson_interval(3, 10)
    assert iv.sessions_with_event == proportion(2, 10)
    nausea = adverse_event_rates(sessions, events, by=("protocol_id",), event_type="nausea")
    assert [(r.group, r.events) for r in nausea] == [(("iv-40",), 2), (("spravato",), 0)]
    with pytest.raises(InputError, match="adverse event session_id must be a known session"):
        adverse_event_rates(sessions, [AdverseEventRecord("zz", "nausea")])
