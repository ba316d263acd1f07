"""The dose calculator on worked examples (hand-computed), refusals, overrides, and
properties (Hypothesis).

Worked example 1 (issue 3): 70 kg, 0.5 mg/kg over 40 min at 10 mg/mL:
dose 0.5 x 70 = 35 mg; volume 35 / 10 = 3.5 mL; rate 35 mg / 40 min = 52.5 mg/h
(= 0.75 mg/kg/h, the depression infusion rate of Zarate 2006); pump 52.5 / 10 = 5.25 mL/h.
The same order is the NONMEM example of the clinical-practice sheet (AMT=35, RATE=52.5).
"""

import math
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.dosing.calculator import calculate, check_order
from ketaclinic.dosing.library import default_library
from ketaclinic.dosing.limits import Override
from ketaclinic.dosing.weight import WeightPolicy
from ketaclinic.errors import InputError, LimitError, NotFoundError

LIB = default_library()
OK = Override("partial responder after 3 sessions", "Dr B", "Dr A")


def test_worked_example_depression_10_mg_per_ml() -> None:
    r = calculate("depression-iv-40min", 70, dose_mg_per_kg=0.5, concentration_mg_per_ml=10)
    assert r.dose_mg == 35.0
    assert r.volume_ml == 3.5
    assert r.rate_mg_per_h == 52.5
    assert r.rate_mg_per_kg_per_h == 0.75
    assert r.pump_rate_ml_per_h == 5.25
    assert r.end_min == 40.0
    assert r.protocol_ref == "depression-iv-40min v1"
    assert r.overridden == ()
    assert r.override is None
    text = "\n".join(r.lines())
    assert "dose: 35 mg (0.5 mg/kg)" in text
    assert "volume: 3.5 mL at 10 mg/mL" in text
    assert "rate: 52.5 mg/h (0.75 mg/kg/h) = pump 5.25 mL/h over 40 min" in text


def test_worked_example_depression_5_mg_per_ml() -> None:
    # 35 mg / 5 mg/mL = 7 mL; 7 mL over 40 min = 10.5 mL/h
    r = calculate("depression-iv-40min", 70, concentration_mg_per_ml=5)
    assert (r.dose_mg, r.volume_ml, r.pump_rate_ml_per_h) == (35.0, 7.0, 10.5)


def test_worked_example_crps() -> None:
    # Cohen 2018: 0.35 mg/kg/h x 4 h = 1.4 mg/kg; 70 kg -> 98 mg at 24.5 mg/h;
    # 1 mg/mL -> 98 mL at 24.5 mL/h.
    r = calculate("crps-iv-10day", 70, concentration_mg_per_ml=1)
    assert r.dose_mg == pytest.approx(98.0, rel=1e-12)
    assert r.rate_mg_per_h == pytest.approx(24.5, rel=1e-12)
    assert r.rate_mg_per_kg_per_h == pytest.approx(0.35, rel=1e-12)
    assert r.volume_ml == pytest.approx(98.0, rel=1e-12)
    assert r.pump_rate_ml_per_h == pytest.approx(24.5, rel=1e-12)
    assert r.end_min == 240.0


def test_worked_example_pain_at_5_mg_per_ml() -> None:
    # 80 kg x 2 mg/kg = 160 mg over 240 min = 40 mg/h (0.5 mg/kg/h); 5 mg/mL -> 32 mL, 8 mL/h
    r = calculate("pain-iv-lowdose", 80, dose_mg_per_kg=2.0, concentration_mg_per_ml=5)
    assert (r.dose_mg, r.rate_mg_per_h, r.volume_ml, r.pump_rate_ml_per_h) == (
        160.0,
        40.0,
        32.0,
        8.0,
    )
    assert r.rate_mg_per_kg_per_h == 0.5


def test_worked_example_im() -> None:
    # 70 kg x 0.5 mg/kg = 35 mg; at 50 mg/mL = 0.7 mL; no pump
    r = calculate("im-depression", 70, concentration_mg_per_ml=50)
    assert r.dose_mg == 35.0
    assert r.volume_ml == pytest.approx(0.7, rel=1e-12)
    assert r.pump_rate_ml_per_h is None
    assert r.duration_min is None
    assert "volume: 0.7 mL at 50 mg/mL" in r.lines()


def test_worked_example_sublingual_has_no_volume() -> None:
    r = calculate("kap-sublingual", 60, dose_mg_per_kg=2.0)
    assert r.dose_mg == 120.0
    assert r.volume_ml is None
    assert r.concentration_mg_per_ml is None
    with pytest.raises(InputError, match="concentration_mg_per_ml"):
        calculate("kap-sublingual", 60, concentration_mg_per_ml=10)


def test_obese_patient_dosed_on_ideal_weight() -> None:
    # 120 kg, 175 cm, male: BMI 39.2 > 30 -> Devine IBW 70.4646 kg -> 35.23 mg
    r = calculate("depression-iv-40min", 120, height_cm=175, sex="male")
    ibw = 50 + 2.3 * (175 / 2.54 - 60)
    assert r.weight.basis_used == "ideal"
    assert r.dose_mg == pytest.approx(0.5 * ibw, rel=1e-12)
    assert r.rate_mg_per_kg_per_h == 0.75


def test_weight_policy_is_configurable() -> None:
    r = calculate(
        "depression-iv-40min", 120, height_cm=175, sex="male", weight_policy=WeightPolicy("actual")
    )
    assert r.dose_mg == 60.0


def test_esketamine_first_session_defaults_to_56_mg() -> None:
    r = calculate("esketamine-nasal-trd", 70, start=datetime(2026, 1, 5, 9, 0))
    assert r.dose_mg == 56
    assert [(d.index, d.time_min, d.mg) for d in r.devices] == [(1, 0.0, 28), (2, 5.0, 28)]
    assert r.monitoring_until_min == 125.0  # 2 h from the last device
    assert r.end_time == datetime(2026, 1, 5, 9, 5)
    assert r.monitoring_until == datetime(2026, 1, 5, 11, 5)


def test_esketamine_84_mg_later_session() -> None:
    r = calculate("esketamine-nasal-trd", 70, dose_mg=84, session_number=3)
    assert [d.time_min for d in r.devices] == [0.0, 5.0, 10.0]
    assert r.monitoring_until_min == 130.0
    assert r.monitoring_until_min - r.devices[0].time_min >= 120


def test_esketamine_refusals() -> None:
    with pytest.raises(LimitError, match=r"dose_mg at session 1 must be one of 56, 28 mg"):
        calculate("esketamine-nasal-trd", 70, dose_mg=84, session_number=1)
    with pytest.raises(LimitError, match=r"whole number of 28 mg devices .* got 70 mg"):
        calculate("esketamine-nasal-trd", 70, dose_mg=70, session_number=2)
    with pytest.raises(LimitError, match=r"dose_mg must be <= 84 mg .*hard limit\), got 112 mg"):
        calculate("esketamine-nasal-trd", 70, dose_mg=112, session_number=2)
    with pytest.raises(LimitError, match=r"device_interval_min must be >= 5 min"):
        calculate("esketamine-nasal-trd", 70, device_interval_min=4)
    with pytest.raises(LimitError, match=r"monitoring_min must be >= 120 min"):
        calculate("esketamine-nasal-trd", 70, monitoring_min=90)
    with pytest.raises(InputError, match="dose_mg_per_kg"):
        calculate("esketamine-nasal-trd", 70, dose_mg_per_kg=0.8)


def test_esketamine_28_mg_needs_override() -> None:
    with pytest.raises(LimitError, match="soft limit"):
        calculate("esketamine-nasal-trd", 70, dose_mg=28)
    r = calculate(
        "esketamine-nasal-trd", 70, dose_mg=28, override=Override("age 72", "Dr B", "Dr A")
    )
    assert len(r.devices) == 1
    assert r.overridden[0].field == "dose_mg"


def test_mdsi_starts_at_84() -> None:
    r = calculate("esketamine-nasal-mdsi", 70)
    assert r.dose_mg == 84
    assert len(r.devices) == 3
    with pytest.raises(LimitError, match="dose_mg must be >= 56 mg"):
        calculate("esketamine-nasal-mdsi", 70, dose_mg=28, session_number=2)


def test_soft_override_recorded_on_result() -> None:
    r = calculate("depression-iv-40min", 70, dose_mg_per_kg=1.0, override=OK)
    assert r.dose_mg == 70.0
    assert r.rate_mg_per_kg_per_h == 1.5  # exactly on the hard maximum: allowed
    assert {v.field for v in r.overridden} == {"dose_mg_per_kg", "rate_mg_per_kg_per_h"}
    assert r.override == OK
    d = r.to_dict()
    assert d["override"]["second_clinician"] == "Dr B"
    assert d["overridden"][0]["severity"] == "soft"
    assert any("OVERRIDDEN" in line for line in r.lines())


def test_soft_without_override_refused() -> None:
    with pytest.raises(LimitError) as exc:
        calculate("depression-iv-40min", 70, dose_mg_per_kg=1.0)
    assert str(exc.value).startswith(
        "dose_mg_per_kg must be <= 0.75 mg/kg for protocol depression-iv-40min v1 (soft limit), "
        "got 1 mg/kg"
    )


@pytest.mark.parametrize(
    "override",
    [Override(None, "Dr B"), Override("reason", None), Override("reason", "Dr A", "Dr A")],
)
def test_incomplete_override_refused(override: Override) -> None:
    with pytest.raises(LimitError, match="override is refused"):
        calculate("depression-iv-40min", 70, dose_mg_per_kg=1.0, override=override)


def test_unneeded_override_not_recorded() -> None:
    r = calculate("depression-iv-40min", 70, override=OK)
    assert r.override is None
    assert r.overridden == ()
    assert any("no soft limit" in w for w in r.warnings)


def test_house_refusal_message() -> None:
    with pytest.raises(LimitError) as exc:
        calculate("depression-iv-40min", 70, dose_mg_per_kg=5)
    assert str(exc.value).startswith(
        "dose_mg_per_kg must be <= 1 mg/kg for protocol depression-iv-40min v1 (hard limit), "
        "got 5 mg/kg"
    )
    assert exc.value.field == "dose_mg_per_kg"
    assert exc.value.value == 5
    assert exc.value.unit == "mg/kg"


def test_concentration_not_in_list_refused() -> None:
    with pytest.raises(LimitError, match=r"concentration_mg_per_ml must be one of 10, 5 mg/mL"):
        calculate("depression-iv-40min", 70, concentration_mg_per_ml=1)


def test_hard_boundaries_through_the_calculator() -> None:
    # dose_mg_per_kg hard max 1 mg/kg: at the limit accepted (with the soft override),
    # one ulp above refused.
    calculate("depression-iv-40min", 70, dose_mg_per_kg=1.0, override=OK)
    with pytest.raises(LimitError, match="dose_mg_per_kg must be <= 1 mg/kg"):
        calculate("depression-iv-40min", 70, dose_mg_per_kg=math.nextafter(1.0, 2), override=OK)
    # duration hard min 30 min at 0.5 mg/kg: 1 mg/kg/h, inside every rate limit.
    calculate("depression-iv-40min", 70, duration_min=30, override=OK)
    with pytest.raises(LimitError, match="duration_min must be >= 30 min"):
        calculate("depression-iv-40min", 70, duration_min=29.9, override=OK)
    # absolute cap 100 mg: 1 mg/kg at a 100 kg dosing weight is exactly the cap.
    calculate("depression-iv-40min", 100, dose_mg_per_kg=1.0, override=OK)
    with pytest.raises(LimitError, match=r"dose_mg must be <= 100 mg .*got 101 mg"):
        calculate("depression-iv-40min", 101, dose_mg_per_kg=1.0, override=OK)
    # weight hard range 35-200 kg
    with pytest.raises(LimitError, match=r"weight_kg must be <= 200 kg .*got 200.1 kg"):
        calculate("depression-iv-40min", 200.1, override=OK)
    with pytest.raises(LimitError, match=r"weight_kg must be >= 35 kg"):
        calculate("depression-iv-40min", 34.9, override=OK)


def test_unknown_protocol() -> None:
    with pytest.raises(NotFoundError, match="known protocols: crps-iv-10day"):
        calculate("ketamine", 70)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"dose_mg_per_kg": -0.5}, "dose_mg_per_kg"),
        ({"dose_mg_per_kg": math.nan}, "dose_mg_per_kg"),
        ({"duration_min": 0}, "duration_min"),
        ({"concentration_mg_per_ml": math.inf}, "concentration_mg_per_ml"),
        ({"dose_mg": 35}, "dose_mg"),
        ({"session_number": 0}, "session_number"),
        ({"device_interval_min": 5}, "device_interval_min"),
        ({"sex": "m"}, "sex"),
        ({"height_cm": -170}, "height_cm"),
    ],
)
def test_bad_input_refused(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError, match=field):
        calculate("depression-iv-40min", 70, **kwargs)  # type: ignore[arg-type]


def test_duration_refused_for_bolus_routes() -> None:
    with pytest.raises(InputError, match="duration_min"):
        calculate("im-depression", 70, duration_min=10)


WEIGHT = st.floats(20, 260)
PROTOCOLS = [p for p in LIB if p.dose_basis == "mg_per_kg"]


@settings(max_examples=300, deadline=None)
@given(
    proto=st.sampled_from(PROTOCOLS),
    weight=WEIGHT,
    height=st.one_of(st.none(), st.floats(145, 205)),
    sex=st.sampled_from(["female", "male"]),
    factor=st.floats(0.05, 20),
    duration_factor=st.floats(0.2, 3),
)
def test_accepted_orders_are_inside_every_hard_limit(
    proto, weight: float, height: float | None, sex: str, factor: float, duration_factor: float
) -> None:
    """Accepted (even with an override) implies within hard limits; the numbers agree."""
    dose = proto.standard_doses[0] * factor
    duration = None
    if proto.default_duration_min is not None:
        duration = proto.default_duration_min * duration_factor
    try:
        r = calculate(
            proto,
            weight,
            height_cm=height,
            sex=sex,
            dose_mg_per_kg=dose,
            duration_min=duration,
            override=OK,
        )
    except LimitError:
        return
    assert r.dose_mg_per_kg is not None
    values = {
        "weight_kg": weight,
        "dose_mg_per_kg": r.dose_mg_per_kg,
        "dose_mg": r.dose_mg,
        "rate_mg_per_kg_per_h": r.rate_mg_per_kg_per_h,
        "rate_mg_per_h": r.rate_mg_per_h,
        "duration_min": r.duration_min,
    }
    for spec in proto.limits:
        v = values[spec.field]
        assert v is not None
        if spec.hard_max is not None:
            assert v <= spec.hard_max.value
        if spec.hard_min is not None:
            assert v >= spec.hard_min.value
    assert r.dose_mg == pytest.approx(r.dose_mg_per_kg * r.weight.weight_kg, rel=1e-12)
    assert r.weight.weight_kg <= weight
    if r.volume_ml is not None:
        assert r.concentration_mg_per_ml is not None
        assert r.volume_ml * r.concentration_mg_per_ml == pytest.approx(r.dose_mg, rel=1e-12)
    if r.pump_rate_ml_per_h is not None:
        assert r.duration_min is not None
        assert r.volume_ml is not None
        assert r.pump_rate_ml_per_h * r.duration_min / 60 == pytest.approx(r.volume_ml, rel=1e-12)


def test_check_order_lists_without_enforcing() -> None:
    r, violations = check_order("depression-iv-40min", 70, dose_mg_per_kg=5)
    assert r.dose_mg == 350.0
    assert {v.field for v in violations if v.severity == "hard"} == {
        "dose_mg_per_kg",
        "dose_mg",
        "rate_mg_per_kg_per_h",
        "rate_mg_per_h",
    }


@pytest.mark.parametrize("proto", list(LIB), ids=lambda p: p.id)
def test_tenfold_dose_refused_end_to_end_with_full_message(proto) -> None:
    dose = proto.standard_doses[0] * 10
    kwargs = {"dose_mg_per_kg": dose} if proto.dose_basis == "mg_per_kg" else {"dose_mg": dose}
    with pytest.raises(LimitError) as exc:
        calculate(proto, 70, session_number=2, override=OK, **kwargs)
    err = exc.value
    msg = str(err)
    assert err.field is not None
    assert msg.startswith(f"{err.field} must be ")
    assert f"for protocol {proto.ref} (hard limit), got " in msg
    assert err.unit is not None
    assert f" {err.unit}" in msg
    assert err.value is not None


def test_to_regimen_matches_the_order() -> None:
    reg = calculate("depression-iv-40min", 70).to_regimen()
    (d,) = reg.doses
    assert (d.route, d.amount_mg, d.duration_min) == ("iv-infusion", 35.0, 40.0)
    nasal = calculate("esketamine-nasal-trd", 70, dose_mg=84, session_number=2).to_regimen()
    assert nasal.doses[0].device_interval_min == 5.0
    assert nasal.total_mg == 84
    assert calculate("im-depression", 70).to_regimen().doses[0].route == "im"
