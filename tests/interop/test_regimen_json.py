"""Regimen JSON files: the issue's example parses; every error names its JSON path."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.errors import InputError
from ketaclinic.interop.regimen_json import (
    describe_dose,
    describe_patient,
    describe_regimen,
    load_regimen,
    parse_regimen,
    regimen_from_obj,
    regimen_to_obj,
)
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen

# The example of issue 2, "Command line".
ISSUE_EXAMPLE = {
    "patient": {"weight_kg": 70, "age_years": 45, "sex": "female"},
    "doses": [
        {"route": "iv-infusion", "amount_mg": 35, "start_min": 0, "duration_min": 40},
        {"route": "iv-bolus", "amount_mg": 10, "start_min": 120},
        {"route": "intranasal", "amount_mg": 56, "start_min": 0},
    ],
}


def _with_dose(i: int, **changes: object) -> dict[str, object]:
    obj = json.loads(json.dumps(ISSUE_EXAMPLE))
    obj["doses"][i].update(changes)
    return obj


def test_issue_example_parses() -> None:
    rf = regimen_from_obj(ISSUE_EXAMPLE)
    assert rf.patient == Patient(weight_kg=70, age_years=45, sex="female")
    # Sorted by start time (stable: the infusion stays before the spray at 0 min).
    assert [(d.route, d.amount_mg, d.start_min) for d in rf.regimen.doses] == [
        ("iv-infusion", 35.0, 0.0),
        ("intranasal", 56.0, 0.0),
        ("iv-bolus", 10.0, 120.0),
    ]
    assert rf.regimen.doses[0].infusion_duration_min == 40.0
    assert rf.regimen.total_mg == 101.0


def test_load_from_file(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(ISSUE_EXAMPLE), encoding="utf-8")
    assert load_regimen(path).regimen.total_mg == 101.0


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (_with_dose(1, amount_mg=-5), "doses[1].amount_mg must be greater than 0 mg, got -5 mg"),
        (_with_dose(1, amount_mg=0), "doses[1].amount_mg must be greater than 0 mg, got 0 mg"),
        (_with_dose(0, amount_mg=float("nan")), "doses[0].amount_mg must be a finite number"),
        (_with_dose(0, amount_mg=float("inf")), "doses[0].amount_mg must be a finite number"),
        (_with_dose(2, amount_mg="56"), "doses[2].amount_mg must be a number in mg, got '56'"),
        (_with_dose(2, amount_mg=True), "doses[2].amount_mg must be a number in mg, got true"),
        (_with_dose(0, duration_min=-40), "doses[0].duration_min must be greater than 0 min"),
        (
            _with_dose(1, start_min=-1),
            "doses[1].start_min must be between 0 and 527040 min, got -1 min",
        ),
        (_with_dose(1, route="rectal"), "doses[1].route must be one of iv-bolus, iv-infusion"),
        (_with_dose(1, duration_min=5), "doses[1].duration_min must be left out for route"),
        (_with_dose(1, ammount_mg=10), "doses[1].ammount_mg is not a known key"),
        (
            _with_dose(0, amount_mg=6000),
            "doses[0].amount_mg must be at most 5000 mg, got 6000 mg",
        ),
    ],
)
def test_dose_errors_name_the_json_path(obj: object, message: str) -> None:
    with pytest.raises(InputError) as err:
        regimen_from_obj(obj)
    assert str(err.value).startswith(message), str(err.value)
    assert err.value.field is not None
    assert err.value.field.startswith("doses[")


def test_infusion_without_duration_names_the_dose() -> None:
    obj = _with_dose(0)
    del obj["doses"][0]["duration_min"]  # type: ignore[index]
    with pytest.raises(InputError, match=r"^doses\[0\]: an iv-infusion takes exactly one of"):
        regimen_from_obj(obj)


@pytest.mark.parametrize(
    ("patient", "message"),
    [
        ({"weight_kg": 500}, "patient.weight_kg must be between 0.3 and 350 kg, got 500 kg"),
        ({"weight_kg": -70}, "patient.weight_kg must be between 0.3 and 350 kg, got -70 kg"),
        ({"weight_kg": None}, "patient.weight_kg must be a number in kg, got null"),
        ({"weight_kg": 70, "age_years": 130}, "patient.age_years must be between 0 and 120"),
        ({"weight_kg": 70, "sex": "f"}, "patient.sex must be one of female, male, got 'f'"),
        ({"age_years": 40}, "patient.weight_kg is required"),
        ({"weight_kg": 70, "weight": 70}, "patient.weight is not a known key"),
        ([70], "patient must be an object, got an array"),
    ],
)
def test_patient_errors_name_the_json_path(patient: object, message: str) -> None:
    obj = dict(ISSUE_EXAMPLE, patient=patient)
    with pytest.raises(InputError) as err:
        regimen_from_obj(obj)
    assert str(err.value).startswith(message), str(err.value)


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "the regimen file must be an object"),
        ({"doses": ISSUE_EXAMPLE["doses"]}, "patient is required"),
        ({"patient": {"weight_kg": 70}}, "doses is required"),
        ({"patient": {"weight_kg": 70}, "doses": []}, "doses must be a non-empty array"),
        ({"patient": {"weight_kg": 70}, "doses": [5]}, "doses[0] must be an object, got 5"),
        (dict(ISSUE_EXAMPLE, times=[0, 1]), "times is not a known key; allowed keys are"),
        (dict(ISSUE_EXAMPLE, repeat_at_days=[0, -2]), "repeat_at_days[1] must be"),
        (dict(ISSUE_EXAMPLE, repeat_at_days="daily"), "repeat_at_days must be a non-empty"),
    ],
)
def test_structure_errors(obj: object, message: str) -> None:
    with pytest.raises(InputError) as err:
        regimen_from_obj(obj)
    assert str(err.value).startswith(message), str(err.value)


def test_repeat_at_days_builds_a_course() -> None:
    obj = {
        "patient": {"weight_kg": 70},
        "doses": [{"route": "iv-infusion", "amount_mg": 35, "duration_min": 40}],
        "repeat_at_days": [0, 2, 4, 7, 9, 11],
    }
    rf = regimen_from_obj(obj)
    assert [d.start_min for d in rf.regimen.doses] == [day * 1440.0 for day in (0, 2, 4, 7, 9, 11)]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"patient": {"weight_kg": 70},\n "doses": [\n   {"route": "iv-bolus",, }]}', 3, 25),
        ('{"patient": {"weight_kg": 70}\n "doses": []}', 2, 2),
        ("", 1, 1),
        ('{"patient": {"weight_kg": 70}, "doses": [', 1, 42),
    ],
)
def test_malformed_json_names_line_and_column(text: str, line: int, column: int) -> None:
    with pytest.raises(InputError) as err:
        parse_regimen(text, source="r.json")
    assert "r.json is not valid JSON: " in str(err.value)
    assert str(err.value).endswith(f"at line {line}, column {column}")


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot be read"):
        load_regimen(tmp_path / "missing.json")
    bad = tmp_path / "latin1.json"
    bad.write_bytes(b'{"patient": {"weight_kg": 70}, "doses": [], "x": "\xe9"}')
    with pytest.raises(InputError, match="is not UTF-8 text"):
        load_regimen(bad)


def test_descriptions() -> None:
    assert describe_dose(Dose("iv-infusion", 35, duration_min=40)) == (
        "35 mg IV infusion over 40 min at 0 min"
    )
    assert describe_dose(Dose("iv-bolus", 10, start_min=120)) == "10 mg IV bolus at 120 min"
    assert describe_patient(Patient(70, age_years=45, sex="female")) == "70 kg, 45 years, female"
    course = Regimen((Dose("iv-bolus", 10),)).repeat_at_days([0, 1, 2, 3, 4, 5])
    assert describe_regimen(course, max_doses=2).endswith("and 4 more (total 60 mg)")


_routes_without_duration = st.sampled_from(["iv-bolus", "im", "intranasal", "sublingual", "oral"])
_amount = st.floats(min_value=0.01, max_value=5000, allow_nan=False)
_start = st.floats(min_value=0, max_value=100_000, allow_nan=False)


@st.composite
def _doses(draw: st.DrawFn) -> Dose:
    if draw(st.booleans()):
        return Dose(
            "iv-infusion",
            draw(_amount),
            draw(_start),
            duration_min=draw(st.floats(min_value=0.1, max_value=1440)),
        )
    return Dose(draw(_routes_without_duration), draw(_amount), draw(_start))


@settings(max_examples=60, deadline=None)
@given(
    doses=st.lists(_doses(), min_size=1, max_size=6),
    weight=st.floats(min_value=0.3, max_value=350),
    sex=st.sampled_from([None, "female", "male"]),
)
def test_round_trip_through_json_text(doses: list[Dose], weight: float, sex: str | None) -> None:
    patient = Patient(weight_kg=weight, sex=sex)  # type: ignore[arg-type]
    regimen = Regimen(tuple(doses))
    text = json.dumps(regimen_to_obj(patient, regimen))
    back = parse_regimen(text)
    assert back.patient == patient
    assert back.regimen == regimen


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"patient": {"weight_kg": 70}, "doses": [{"route": "iv-bolus", "amount_mg": 35, '
            '"amount_mg": 350}]}',
            "doses[0].amount_mg appears more than once",
        ),
        (
            '{"patient": {"weight_kg": 70, "weight_kg": 7}, "doses": []}',
            "patient.weight_kg appears more than once",
        ),
        (
            '{"patient": {"weight_kg": 70}, "doses": [], "doses": []}',
            "doses appears more than once",
        ),
    ],
)
def test_duplicate_keys_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_regimen(text)
    assert str(err.value).startswith(message), str(err.value)
