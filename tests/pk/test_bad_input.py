"""Bad input gets a clear error naming the field, the value, the unit and the limit, and no
partial output (issue 2, "Bad input"); out-of-range covariates within physiology only
warn, and the warning is recorded on the result (STYLE.md rule 5)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from ketaclinic.errors import DomainError, InputError, RouteError
from ketaclinic.pk.linear import Input, check_times, integrate, solve
from ketaclinic.pk.model import CompartmentSystem, Output
from ketaclinic.pk.models import get_model, models_by_route
from ketaclinic.pk.patient import PHYSIOLOGY, Patient
from ketaclinic.pk.regimen import MAX_SINGLE_DOSE_MG, Dose, Regimen
from ketaclinic.pk.simulate import simulate

KAMP = get_model("kamp-2020")
P70 = Patient(weight_kg=70)
INFUSION = Regimen((Dose("iv-infusion", 35.0, duration_min=40.0),))
ONE = CompartmentSystem(("central",), np.array([[-0.1]]), (Output("plasma", 0, 10.0),))

NAN, INF = math.nan, math.inf


def shown(value: Any) -> str:
    """How the error message renders a value (errors.format_value)."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "infinity" if value > 0 else "-infinity"
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


def check(err: DomainError, field: str, value: Any, unit: str | None) -> None:
    """The message names the field, the value and the unit; the structured fields agree."""
    text = str(err)
    assert err.field == field
    assert field in text
    assert shown(value) in text, text
    if unit is not None:
        assert err.unit == unit
        assert unit in text, text
    assert err.limit or "must" in text


# ------------------------------------------------------------------------- amounts, durations


@pytest.mark.parametrize("amount", [-5.0, 0.0, NAN, INF, -INF, MAX_SINGLE_DOSE_MG * 2])
@pytest.mark.parametrize("route", ["iv-bolus", "im", "oral"])
def test_bad_amounts_are_refused(route: str, amount: float) -> None:
    with pytest.raises(InputError) as err:
        Dose(route, amount)  # type: ignore[arg-type]
    check(err.value, "amount_mg", amount, "mg")


@pytest.mark.parametrize("duration", [-40.0, 0.0, NAN, INF])
def test_bad_infusion_durations_are_refused(duration: float) -> None:
    with pytest.raises(InputError) as err:
        Dose("iv-infusion", 35.0, duration_min=duration)
    check(err.value, "duration_min", duration, "min")


@pytest.mark.parametrize("rate", [-1.0, 0.0, NAN, INF])
def test_bad_infusion_rates_are_refused(rate: float) -> None:
    with pytest.raises(InputError) as err:
        Dose("iv-infusion", 35.0, rate_mg_per_h=rate)
    check(err.value, "rate_mg_per_h", rate, "mg/h")


@pytest.mark.parametrize("start", [-1.0, NAN, INF])
def test_bad_start_times_are_refused(start: float) -> None:
    with pytest.raises(InputError) as err:
        Dose("iv-bolus", 10.0, start_min=start)
    check(err.value, "start_min", start, "min")


def test_an_infusion_needs_exactly_one_of_duration_or_rate() -> None:
    with pytest.raises(InputError, match="exactly one of duration_min or rate_mg_per_h"):
        Dose("iv-infusion", 35.0)
    with pytest.raises(InputError, match="exactly one of duration_min or rate_mg_per_h"):
        Dose("iv-infusion", 35.0, duration_min=40.0, rate_mg_per_h=52.5)
    with pytest.raises(InputError) as err:
        Dose("iv-bolus", 10.0, duration_min=5.0)
    assert err.value.field == "duration_min"


@pytest.mark.parametrize(
    ("kwargs", "field", "unit"),
    [
        ({"amount_mg": -1.0}, "amount_mg", "mg"),
        ({"amount_mg": NAN}, "amount_mg", "mg"),
        ({"start_min": INF}, "start_min", "min"),
        ({"duration_min": -2.0}, "duration_min", "min"),
        ({"duration_min": NAN}, "duration_min", "min"),
    ],
)
def test_primitive_inputs_are_validated(kwargs: dict[str, float], field: str, unit: str) -> None:
    args: dict[str, Any] = {"compartment": 0, "amount_mg": 1.0, "start_min": 0.0}
    args.update(kwargs)
    with pytest.raises(InputError) as err:
        Input(**args)
    check(err.value, field, kwargs[field], unit)


def test_an_input_into_a_missing_compartment_is_refused() -> None:
    with pytest.raises(InputError) as err:
        solve(ONE, [Input(3, 1.0, 0.0)], [0.0, 1.0])
    assert err.value.field == "compartment"
    assert "3" in str(err.value)
    with pytest.raises(InputError):
        Input(-1, 1.0, 0.0)


# ----------------------------------------------------------------------------- booleans


@pytest.mark.parametrize(
    "build",
    [
        lambda: Dose("iv-bolus", True),  # type: ignore[arg-type]
        lambda: Dose("iv-bolus", 10.0, start_min=True),  # type: ignore[arg-type]
        lambda: Dose("iv-infusion", 10.0, duration_min=True),  # type: ignore[arg-type]
        lambda: Patient(weight_kg=True),  # type: ignore[arg-type]
        lambda: Patient(weight_kg=70, age_years=False),  # type: ignore[arg-type]
        lambda: Input(0, True, 0.0),  # type: ignore[arg-type]
        lambda: Input(True, 1.0, 0.0),  # type: ignore[arg-type]
        lambda: check_times([0.0, True, 2.0]),
        lambda: check_times(np.array([False, True])),
    ],
    ids=["amount", "start", "duration", "weight", "age", "input", "compartment", "times", "mask"],
)
def test_booleans_are_not_numbers(build: Any) -> None:
    with pytest.raises(InputError) as err:
        build()
    assert err.value.field is not None


def test_numpy_numbers_are_numbers() -> None:
    assert Patient(weight_kg=np.int64(70)).weight_kg == 70
    assert Dose("iv-bolus", np.float32(10.0)).amount_mg == 10.0


# ---------------------------------------------------------------------------- physiology


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("weight_kg", 0.1),
        ("weight_kg", 400.0),
        ("weight_kg", -70.0),
        ("weight_kg", NAN),
        ("weight_kg", INF),
        ("age_years", -1.0),
        ("age_years", 130.0),
        ("height_cm", 300.0),
    ],
)
def test_values_outside_physiology_are_refused(field: str, value: float) -> None:
    args: dict[str, Any] = {"weight_kg": 70.0, field: value}
    with pytest.raises(InputError) as err:
        Patient(**args)
    lo, hi, unit = PHYSIOLOGY[field]
    check(err.value, field, value, unit)
    assert err.value.limit == f"between {lo:g} and {hi:g} {unit}"


@pytest.mark.parametrize(
    ("patient", "fragment"),
    [
        (Patient(weight_kg=35.0), "weight_kg 35 kg is outside the 40-150 kg"),
        (Patient(weight_kg=70.0, age_years=95.0), "age_years 95 years is outside the 18-90"),
    ],
)
def test_outside_the_model_validity_a_warning_is_recorded(patient: Patient, fragment: str) -> None:
    r = simulate(KAMP, INFUSION, patient, [40.0])
    assert any(fragment in w and "kamp-2020" in w for w in r.warnings), r.warnings
    assert r.to_dict()["warnings"] == list(r.warnings)
    inside = simulate(KAMP, INFUSION, P70, [40.0])
    assert inside.warnings == ()


# -------------------------------------------------------------------------------- routes


def test_a_route_the_model_cannot_take_names_the_models_that_can() -> None:
    herd = get_model("herd-2007")
    assert "im" not in herd.routes
    with pytest.raises(RouteError) as err:
        simulate(herd, Regimen((Dose("im", 50.0),)), Patient(weight_kg=20, age_years=6))
    text = str(err.value)
    assert err.value.field == "route"
    assert err.value.value == "im"
    assert "herd-2007" in text
    assert "im" in text
    able = models_by_route()["im"].split(", ")
    assert able
    assert all(m in text for m in able)


def test_an_unknown_route_is_refused() -> None:
    with pytest.raises(InputError) as err:
        Dose("rectal", 10.0)  # type: ignore[arg-type]
    assert err.value.field == "route"
    assert "rectal" in str(err.value)


# ------------------------------------------------------------------------- output times


@pytest.mark.parametrize(
    ("times", "value"),
    [
        ([0.0, 10.0, 10.0], 10.0),
        ([0.0, 10.0, 5.0], 5.0),
        ([5.0, 4.0], 4.0),
        ([-1.0, 2.0], -1.0),
        ([0.0, NAN, 2.0], NAN),
        ([0.0, 1.0, INF], INF),
    ],
    ids=["repeated", "decreasing", "reversed", "negative", "nan", "infinite"],
)
def test_bad_output_times_are_refused(times: list[float], value: float) -> None:
    with pytest.raises(InputError) as err:
        simulate(KAMP, INFUSION, P70, times)
    check(err.value, "times", value, "min")
    with pytest.raises(InputError):
        solve(ONE, [Input(0, 1.0, 0.0)], times)


@pytest.mark.parametrize("times", [[], [[0.0, 1.0]], ["0", "1"]], ids=["empty", "2-D", "text"])
def test_malformed_output_times_are_refused(times: Any) -> None:
    with pytest.raises(InputError) as err:
        check_times(times)
    assert err.value.field == "times"


def test_bad_method_and_area_window_are_refused() -> None:
    with pytest.raises(InputError) as err:
        solve(ONE, [Input(0, 1.0, 0.0)], [0.0], method="fast")  # type: ignore[arg-type]
    check(err.value, "method", "fast", None)
    with pytest.raises(InputError) as err:
        integrate(ONE, [Input(0, 1.0, 0.0)], -1.0, 5.0)
    check(err.value, "t0", -1.0, "min")
    with pytest.raises(InputError) as err:
        integrate(ONE, [Input(0, 1.0, 0.0)], 0.0, NAN)
    check(err.value, "t1", NAN, None)


def test_an_empty_regimen_and_an_unknown_effect_site_are_refused() -> None:
    with pytest.raises(InputError) as err:
        Regimen(())
    assert err.value.field == "doses"
    with pytest.raises(InputError) as err:
        simulate(KAMP, INFUSION, P70, [1.0], effect_site="nonexistent")
    assert err.value.field == "effect_site"
    assert "olofsen-2022" in str(err.value)


def test_numbers_are_checked_alike_across_the_domain() -> None:
    """One check (errors.real_number): numpy scalars are numbers everywhere (a script's
    np.int64 target was refused by TCI but not by a regimen), booleans nowhere (True
    passed as 1 kg of mean weight in a covariate distribution)."""
    from ketaclinic.dosing.weight import ideal_body_weight_kg
    from ketaclinic.pk.covariates import CovariateDistribution
    from ketaclinic.pk.tci_types import PumpLimits, TargetStep

    assert TargetStep(np.int64(0), np.float32(200.0)).target_ng_per_ml == 200.0
    assert PumpLimits(max_rate_ml_per_h=np.int64(600)).max_rate_ml_per_h == 600
    devine = 50.0 + 2.3 * (175.0 / 2.54 - 60.0)  # Devine 1974, male, 175 cm
    assert ideal_body_weight_kg(np.float32(175.0), "male") == pytest.approx(devine)
    with pytest.raises(InputError, match="weight_mean_kg must be a number in kg, got true"):
        CovariateDistribution(weight_mean_kg=True)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"target_ng_per_ml must be a finite number in ng/mL"):
        TargetStep(0.0, np.float64("nan"))
    with pytest.raises(InputError, match="must be a finite number > 0 cm, got -170 cm"):
        ideal_body_weight_kg(-170.0, "male")
