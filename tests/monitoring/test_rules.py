"""Monitoring rules on synthetic sessions: which reading raises which priority, escalation,
acknowledgement by a named user, and the silent-feed technical alert."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.errors import InputError, LimitError
from ketaclinic.monitoring import (
    DEFAULT_RULES,
    AlarmState,
    Alert,
    RuleSet,
    Threshold,
    VitalSigns,
    acknowledge,
    breaches,
    evaluate,
    ingest,
    stale_feed_alert,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def run(rule_set: RuleSet, readings: list[VitalSigns]) -> list[tuple[int, Alert]]:
    """Feed a session's readings in order; return (reading index, alert) for every raise."""
    state = AlarmState()
    out = []
    for i, v in enumerate(readings):
        state, raised = ingest(rule_set, state, v, chair_id="chair-3")
        out.extend((i, a) for a in raised)
    return out


def bp_series(systolics: list[float]) -> list[VitalSigns]:
    return [VitalSigns(at(10 * i), sbp_mmhg=s, dbp_mmhg=80) for i, s in enumerate(systolics)]


def test_rising_bp_with_default_rules_alerts_at_the_first_reading_above_180() -> None:
    # Default: SBP > 180 mmHg -> MEDIUM (example threshold; 180 itself is not above).
    raised = run(DEFAULT_RULES, bp_series([128, 146, 163, 175, 180, 184, 191, 188]))
    assert [(i, a.code, a.priority) for i, a in raised] == [(5, "sbp_mmhg > 180", "medium")]
    (_, alert) = raised[0]
    assert (alert.value, alert.limit, alert.unit, alert.raised_at) == (184, 180, "mmHg", at(50))
    assert alert.chair_id == "chair-3"
    assert "configurable default" not in alert.message  # message is about the reading
    assert "IEC 60601-1-8" in alert.source


TIERED = RuleSet(
    id="depression-iv-40min",
    thresholds=(
        Threshold("sbp_mmhg", "above", 160, "low", "clinic protocol"),
        Threshold("sbp_mmhg", "above", 180, "medium", "clinic protocol"),
        Threshold("sbp_mmhg", "above", 200, "high", "clinic protocol"),
    ),
)


def test_rising_bp_escalates_low_medium_high_at_the_right_readings() -> None:
    series = [130, 150, 161, 170, 179, 181, 195, 201, 210, 150]
    raised = run(TIERED, bp_series(series))
    assert [(i, a.priority, a.value) for i, a in raised] == [
        (2, "low", 161),
        (5, "medium", 181),
        (7, "high", 201),
    ]


def test_persisting_condition_is_not_raised_twice_and_ends_when_back_in_limits() -> None:
    state = AlarmState()
    state, r1 = ingest(TIERED, state, bp_series([185])[0])
    assert [a.priority for a in r1] == ["medium"]
    state, r2 = ingest(TIERED, state, VitalSigns(at(10), sbp_mmhg=170, dbp_mmhg=80))
    assert r2 == ()  # de-escalation raises nothing; the medium alert stays active
    assert state.get("sbp_mmhg:above") is not None
    # A reading without BP leaves the BP condition untouched.
    state, r3 = ingest(TIERED, state, VitalSigns(at(15), hr_per_min=80))
    assert r3 == ()
    assert state.get("sbp_mmhg:above") is not None
    state, r4 = ingest(TIERED, state, VitalSigns(at(20), sbp_mmhg=140, dbp_mmhg=80))
    assert r4 == ()
    assert state.active == ()
    # The condition returning later is a new alert.
    state, r5 = ingest(TIERED, state, VitalSigns(at(30), sbp_mmhg=165, dbp_mmhg=80))
    assert [(a.priority, a.raised_at) for a in r5] == [("low", at(30))]


def test_desaturation_is_high_priority_and_conditions_are_independent() -> None:
    readings = [
        VitalSigns(at(0), spo2_pct=97, hr_per_min=80, rr_per_min=14),
        VitalSigns(at(5), spo2_pct=93, hr_per_min=112, rr_per_min=12),
        VitalSigns(at(10), spo2_pct=91, hr_per_min=124, rr_per_min=9),
    ]
    raised = run(DEFAULT_RULES, readings)
    assert [(i, a.code, a.priority) for i, a in raised] == [
        (1, "hr_per_min >= 110", "low"),
        (2, "hr_per_min > 120", "medium"),
        (2, "spo2_pct < 92", "high"),
        (2, "rr_per_min < 10", "high"),
    ]


def test_evaluate_reports_the_highest_priority_per_condition() -> None:
    v = VitalSigns(at(0), sbp_mmhg=86, dbp_mmhg=50, hr_per_min=45, spo2_pct=95)
    assert sorted((a.code, a.priority) for a in evaluate(DEFAULT_RULES, v)) == [
        ("hr_per_min < 50", "medium"),
        ("sbp_mmhg < 90", "medium"),
    ]
    assert [t.code for t in breaches(DEFAULT_RULES, VitalSigns(at(0), hr_per_min=125))] == [
        "hr_per_min >= 110",
        "hr_per_min > 120",
    ]


def test_inclusive_limits() -> None:
    assert [
        a.code for a in evaluate(DEFAULT_RULES, VitalSigns(at(0), sbp_mmhg=150, dbp_mmhg=100))
    ] == ["dbp_mmhg >= 100"]
    assert evaluate(DEFAULT_RULES, VitalSigns(at(0), sbp_mmhg=150, dbp_mmhg=99)) == ()
    assert evaluate(DEFAULT_RULES, VitalSigns(at(0), spo2_pct=92)) == ()


def test_acknowledgement_records_user_and_time() -> None:
    state, (alert,) = ingest(DEFAULT_RULES, AlarmState(), VitalSigns(at(0), spo2_pct=89))
    state, acked = state.acknowledge("spo2_pct:below", user="nurse.kim", at=at(1), note="O2 on")
    assert acked.acknowledgement is not None
    assert (acked.acknowledgement.user, acked.acknowledgement.at) == ("nurse.kim", at(1))
    assert state.get("spo2_pct:below") == acked
    assert alert.acknowledgement is None  # the original value is unchanged (frozen)
    # The condition persists: no new alert, the acknowledgement stays.
    state, raised = ingest(DEFAULT_RULES, state, VitalSigns(at(2), spo2_pct=90))
    assert raised == ()
    assert state.get("spo2_pct:below").acknowledged
    # A different condition is still raised (acknowledging one alarm silences no other).
    state, raised = ingest(DEFAULT_RULES, state, VitalSigns(at(3), spo2_pct=90, rr_per_min=8))
    assert [a.code for a in raised] == ["rr_per_min < 10"]


def test_acknowledgement_refusals() -> None:
    (alert,) = evaluate(DEFAULT_RULES, VitalSigns(at(5), spo2_pct=89))
    with pytest.raises(InputError, match="user must be a named user"):
        acknowledge(alert, user="  ", at=at(6))
    with pytest.raises(InputError, match="acknowledged_at must be at or after raised_at"):
        acknowledge(alert, user="nurse.kim", at=at(4))
    with pytest.raises(InputError, match="timezone-aware"):
        acknowledge(alert, user="nurse.kim", at=datetime(2026, 3, 2, 9, 6))
    first = acknowledge(alert, user="nurse.kim", at=at(6))
    with pytest.raises(LimitError, match=r"already acknowledged by nurse\.kim"):
        acknowledge(first, user="dr.lee", at=at(7))
    with pytest.raises(InputError, match="condition must be an active alert condition"):
        AlarmState().acknowledge("spo2_pct:below", user="nurse.kim", at=at(6))


def test_stale_chair_technical_alert() -> None:
    kwargs = {"session_started_at": T0, "expected_interval_min": 15, "chair_id": "chair-3"}
    last = at(60)
    # Two intervals (30 min) of silence are tolerated; beyond that: technical MEDIUM.
    assert stale_feed_alert(now=at(90), last_reading_at=last, **kwargs) is None
    alert = stale_feed_alert(now=at(91), last_reading_at=last, **kwargs)
    assert alert is not None
    assert (alert.kind, alert.priority, alert.code, alert.chair_id) == (
        "technical",
        "medium",
        "feed-silent",
        "chair-3",
    )
    assert (alert.value, alert.limit, alert.unit, alert.raised_at) == (31.0, 30.0, "min", at(91))
    # No reading at all: silence counts from the session start.
    assert stale_feed_alert(now=at(29), last_reading_at=None, **kwargs) is None
    assert stale_feed_alert(now=at(31), last_reading_at=None, **kwargs) is not None
    # A device clock ahead of the server is refused rather than hiding a silent feed.
    with pytest.raises(InputError, match="last_reading_at must be not after now"):
        stale_feed_alert(now=at(10), last_reading_at=at(11), **kwargs)


def test_rule_set_validation() -> None:
    with pytest.raises(
        InputError, match="threshold sbp_mmhg limit must be between 20 and 300 mmHg"
    ):
        Threshold("sbp_mmhg", "above", 400, "high", "x")
    with pytest.raises(InputError, match=r"threshold\.priority"):
        Threshold("sbp_mmhg", "above", 180, "urgent", "x")  # type: ignore[arg-type]
    with pytest.raises(
        InputError, match=r"threshold sbp_mmhg > 200 priority must be at least medium"
    ):
        RuleSet(
            "x",
            (
                Threshold("sbp_mmhg", "above", 180, "medium", "x"),
                Threshold("sbp_mmhg", "above", 200, "low", "x"),
            ),
        )
    with pytest.raises(InputError, match="expected_interval_min must be > 0"):
        RuleSet("x", (), expected_interval_min=0)


def test_defaults_are_marked_configurable_and_sourced() -> None:
    assert "not a standard" in DEFAULT_RULES.note
    for t in DEFAULT_RULES.thresholds:
        assert t.source
        assert t.provenance in ("S", "UNVERIFIED")
    unverified = {t.code for t in DEFAULT_RULES.thresholds if t.provenance == "UNVERIFIED"}
    assert unverified == {"dbp_mmhg >= 100", "hr_per_min >= 110"}


def reference_raises(systolics: list[float]) -> list[tuple[int, int]]:
    """Independent model of TIERED: tier 1/2/3 above 160/180/200; raise when the tier rises
    above the active one; the active tier resets only when SBP is back within limits."""
    out, active = [], 0
    for i, s in enumerate(systolics):
        tier = (s > 160) + (s > 180) + (s > 200)
        if tier == 0:
            active = 0
        elif tier > active:
            out.append((i, tier))
            active = tier
    return out


@given(st.lists(st.integers(100, 240), max_size=25))
def test_ingest_matches_an_independent_model(systolics: list[int]) -> None:
    rank = {"low": 1, "medium": 2, "high": 3}
    raised = run(TIERED, bp_series(systolics))
    assert [(i, rank[a.priority]) for i, a in raised] == reference_raises(systolics)
