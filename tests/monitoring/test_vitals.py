"""Vital-sign readings: impossible values and wrong units are refused, naming field,
value, unit and range; plausible extremes (apnoea, SpO2 100 %) are accepted."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.errors import InputError
from ketaclinic.monitoring import PHYSIOLOGICAL_RANGES, VitalSigns

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hr_per_min", 400, "hr_per_min must be between 20 and 300 /min, got 400 /min"),
        ("hr_per_min", 5, "hr_per_min must be between 20 and 300 /min, got 5 /min"),
        ("spo2_pct", 101, "spo2_pct must be between 0 and 100 %, got 101 %"),
        ("rr_per_min", -1, "rr_per_min must be between 0 and 80 /min, got -1 /min"),
        ("temp_c", 98.6, "temp_c must be between 25 and 45 degC, got 98.6 degC"),
        ("sbp_mmhg", 350, "sbp_mmhg must be between 20 and 300 mmHg, got 350 mmHg"),
    ],
)
def test_impossible_values_name_field_value_unit_and_range(
    field: str, value: float, message: str
) -> None:
    extra = {"sbp_mmhg": 120, "dbp_mmhg": 80} if field != "sbp_mmhg" else {"dbp_mmhg": 80}
    with pytest.raises(InputError) as err:
        VitalSigns(T0, **{**extra, field: value})
    assert str(err.value) == message
    lo, hi = PHYSIOLOGICAL_RANGES[field]  # type: ignore[index]
    assert err.value.field == field
    assert err.value.value == value
    assert err.value.limit == f"between {lo:g} and {hi:g} {err.value.unit}"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True, "120", None.__class__])
def test_non_numbers_are_refused(bad: object) -> None:
    with pytest.raises(InputError, match="hr_per_min must be"):
        VitalSigns(T0, hr_per_min=bad)  # type: ignore[arg-type]


def test_wrong_units_are_refused() -> None:
    with pytest.raises(InputError) as err:
        VitalSigns.from_quantities(T0, {"temp_c": (98.6, "degF")})
    assert str(err.value) == "temp_c must be in degC (accepted units: degC, Cel, °C), got 98.6 degF"
    assert err.value.unit == "degF"
    with pytest.raises(InputError, match=r"sbp_mmhg must be in mmHg .* got 16 kPa"):
        VitalSigns.from_quantities(T0, {"sbp_mmhg": (16, "kPa"), "dbp_mmhg": (80, "mmHg")})
    with pytest.raises(InputError, match=r"spo2_pct must be in % .* got 0.97 1"):
        VitalSigns.from_quantities(T0, {"spo2_pct": (0.97, "1")})
    with pytest.raises(InputError, match="vital field must be one of"):
        VitalSigns.from_quantities(T0, {"glucose": (5.0, "mmol/L")})


def test_accepted_spellings() -> None:
    v = VitalSigns.from_quantities(
        T0,
        {
            "sbp_mmhg": (142, "mm[Hg]"),
            "dbp_mmhg": (88, "mmHg"),
            "hr_per_min": (72, "/min"),
            "spo2_pct": (97, "%"),
            "rr_per_min": (14, "/min"),
            "temp_c": (36.9, "Cel"),
        },
        source="device",
        received_at=T0 + timedelta(seconds=2),
    )
    assert v.values() == {
        "sbp_mmhg": 142,
        "dbp_mmhg": 88,
        "hr_per_min": 72,
        "spo2_pct": 97,
        "rr_per_min": 14,
        "temp_c": 36.9,
    }


def test_plausible_extremes_are_accepted() -> None:
    assert VitalSigns(T0, rr_per_min=0).rr_per_min == 0  # apnoea must be recordable
    assert VitalSigns(T0, spo2_pct=100).spo2_pct == 100
    assert VitalSigns(T0, spo2_pct=62).spo2_pct == 62


def test_blood_pressure_pair_and_order() -> None:
    with pytest.raises(InputError, match="dbp_mmhg must be given with its pair"):
        VitalSigns(T0, sbp_mmhg=120)
    with pytest.raises(
        InputError, match=r"dbp_mmhg must be below the systolic pressure \(90 mmHg\), got 95 mmHg"
    ):
        VitalSigns(T0, sbp_mmhg=90, dbp_mmhg=95)


def test_time_must_be_timezone_aware_and_reading_not_empty() -> None:
    with pytest.raises(InputError, match="measured_at must be a timezone-aware datetime"):
        VitalSigns(datetime(2026, 3, 2, 9, 0), hr_per_min=70)
    with pytest.raises(InputError, match="at least one measurement"):
        VitalSigns(T0)
    # Any timezone is accepted (stored as given; the service converts to UTC).
    assert VitalSigns(datetime(2026, 3, 2, 10, tzinfo=timezone(timedelta(hours=1))), hr_per_min=70)


@given(
    st.sampled_from(list(PHYSIOLOGICAL_RANGES)), st.floats(allow_nan=False, allow_infinity=False)
)
def test_every_field_accepts_inside_and_refuses_outside(field: str, value: float) -> None:
    lo, hi = PHYSIOLOGICAL_RANGES[field]  # type: ignore[index]
    kwargs = {field: value}
    if field in ("sbp_mmhg", "dbp_mmhg"):
        kwargs = {"sbp_mmhg": 300, "dbp_mmhg": 10, field: value}
        if field == "dbp_mmhg" and value >= 300:
            return
        if field == "sbp_mmhg" and value <= 10:
            return
    if lo <= value <= hi:
        assert VitalSigns(T0, **kwargs).values()[field] == value  # type: ignore[literal-required]
    else:
        with pytest.raises(InputError):
            VitalSigns(T0, **kwargs)


def test_json_style_lists_are_accepted_and_units_must_be_strings() -> None:
    v = VitalSigns.from_quantities(T0, {"hr_per_min": [72, "/min"]})
    assert v.hr_per_min == 72
    with pytest.raises(InputError, match="hr_per_min unit must be a unit string"):
        VitalSigns.from_quantities(T0, {"hr_per_min": [72, None]})
    with pytest.raises(InputError, match=r"hr_per_min must be a \(value, unit\) pair"):
        VitalSigns.from_quantities(T0, {"hr_per_min": 72})  # type: ignore[dict-item]
