"""Dosing-weight policy: Devine IBW, adjusted body weight, the BMI switch.

References: Devine BJ, Drug Intell Clin Pharm 1974;8:650-655 (IBW = 50 kg (male) or
45.5 kg (female) + 2.3 kg per inch over 60 in); Bauer LA et al., Eur J Clin Pharmacol
1983;24:643-647 (AdjBW = IBW + 0.4 (TBW - IBW)).
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.dosing.weight import (
    WeightPolicy,
    adjusted_body_weight_kg,
    bmi_kg_per_m2,
    dosing_weight,
    ideal_body_weight_kg,
)
from ketaclinic.errors import InputError


@pytest.mark.parametrize(
    ("height_cm", "sex", "expected_kg"),
    [
        (152.4, "male", 50.0),  # exactly 60 in
        (152.4, "female", 45.5),
        (182.88, "male", 50.0 + 2.3 * 12),  # 72 in: 77.6 kg
        (165.1, "female", 45.5 + 2.3 * 5),  # 65 in: 57 kg
    ],
)
def test_devine_on_whole_inches(height_cm: float, sex: str, expected_kg: float) -> None:
    assert ideal_body_weight_kg(height_cm, sex) == pytest.approx(expected_kg, rel=1e-12)


def test_devine_175_cm_male() -> None:
    # 175 cm = 68.8976 in -> 50 + 2.3 x 8.8976 = 70.4646 kg
    assert ideal_body_weight_kg(175, "male") == pytest.approx(70.46457, abs=1e-5)


def test_adjusted_body_weight_closed_form() -> None:
    assert adjusted_body_weight_kg(120, 70) == pytest.approx(90.0)
    assert adjusted_body_weight_kg(70, 70) == pytest.approx(70.0)


def test_bmi() -> None:
    assert bmi_kg_per_m2(120, 175) == pytest.approx(120 / 1.75**2)


def test_actual_policy_ignores_height() -> None:
    dw = dosing_weight(WeightPolicy("actual"), 120, height_cm=175, sex="male")
    assert (dw.weight_kg, dw.basis_used) == (120, "actual")


def test_ideal_above_bmi_30() -> None:
    dw = dosing_weight(WeightPolicy("ideal", 30.0), 120, height_cm=175, sex="male")
    assert dw.basis_used == "ideal"
    assert dw.weight_kg == pytest.approx(70.46457, abs=1e-5)
    assert dw.bmi_kg_per_m2 == pytest.approx(39.18, abs=0.01)


def test_adjusted_above_bmi_30() -> None:
    dw = dosing_weight(WeightPolicy("adjusted", 30.0), 120, height_cm=175, sex="male")
    ibw = 50 + 2.3 * (175 / 2.54 - 60)
    assert dw.basis_used == "adjusted"
    assert dw.weight_kg == pytest.approx(ibw + 0.4 * (120 - ibw), rel=1e-12)


def test_bmi_exactly_at_threshold_uses_actual_weight() -> None:
    # BMI 30 exactly (weight 30 x 1.8^2 = 97.2 kg at 180 cm): "above 30" is not met.
    h = 180.0
    w = 30.0 * (h / 100) ** 2
    dw = dosing_weight(WeightPolicy("ideal", 30.0), w, height_cm=h, sex="male")
    assert dw.basis_used == "actual"
    assert dw.weight_kg == w
    above = dosing_weight(WeightPolicy("ideal", 30.0), w + 0.01, height_cm=h, sex="male")
    assert above.basis_used == "ideal"


def test_missing_height_falls_back_to_actual_with_warning() -> None:
    dw = dosing_weight(WeightPolicy("ideal", 30.0), 120)
    assert dw.weight_kg == 120
    assert dw.basis_used == "actual"
    assert any("height not given" in w for w in dw.warnings)


def test_missing_height_refused_when_policy_always_applies() -> None:
    with pytest.raises(InputError, match="height_cm"):
        dosing_weight(WeightPolicy("ideal", None), 120)


def test_missing_sex_refused_when_ibw_is_needed() -> None:
    with pytest.raises(InputError, match="sex"):
        dosing_weight(WeightPolicy("ideal", 30.0), 120, height_cm=175)


def test_short_patient_warns_devine_extrapolated() -> None:
    dw = dosing_weight(WeightPolicy("adjusted", 30.0), 90, height_cm=150, sex="female")
    assert any("extrapolated" in w for w in dw.warnings)


@pytest.mark.parametrize("bad", [0, -5, math.nan, math.inf, True, "70"])
def test_bad_weight_refused(bad: object) -> None:
    with pytest.raises(InputError, match="weight_kg"):
        dosing_weight(WeightPolicy("actual"), bad)  # type: ignore[arg-type]


def test_bad_policy_refused() -> None:
    with pytest.raises(InputError, match="basis"):
        WeightPolicy("lean")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="above_bmi"):
        WeightPolicy("ideal", 5.0)


@given(
    weight=st.floats(35, 200),
    height=st.floats(150, 210),
    sex=st.sampled_from(["female", "male"]),
    basis=st.sampled_from(["actual", "ideal", "adjusted"]),
    above=st.one_of(st.none(), st.floats(18, 45)),
)
def test_dosing_weight_never_exceeds_actual(
    weight: float, height: float, sex: str, basis: str, above: float | None
) -> None:
    dw = dosing_weight(WeightPolicy(basis, above), weight, height_cm=height, sex=sex)  # type: ignore[arg-type]
    assert 0 < dw.weight_kg <= weight
    if dw.basis_used == "adjusted":
        assert dw.ideal_kg is not None
        assert dw.ideal_kg <= dw.weight_kg <= weight
