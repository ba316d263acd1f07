"""Flint 2017 S-ketamine / S-norketamine (Paediatr Anaesth 27:1098, doi:10.1111/pan.13239)
and the ODE path for its time-varying S-norketamine clearance.

Reference values (Table 3 via nlmixr2lib Flint_2017_s_ketamine [S]): CL 112 L/h/70 kg,
CLsnk/Fm 53.2 L/h/70 kg, Vsnk/Fm 1 L, +0.870 %/h on CLsnk/Fm after the first dose;
IIV 40.2% / 104%, r = 0.506; proportional error 41.9% / 47.5%.
"""

import math

import numpy as np
import pytest

from ketaclinic.pk.linear import Input, solve
from ketaclinic.pk.model import CompartmentSystem, Output, RateDrift
from ketaclinic.pk.models import get_model
from ketaclinic.pk.nonlinear import solve_drift
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import simulate

MODEL = get_model("flint-2017")
CHILD = Patient(weight_kg=7.0, age_years=0.5)
FC = (7.0 / 70.0) ** 0.75
#: 1 mg/kg/h of S-ketamine for 48 h.
INFUSION = Regimen((Dose("iv-infusion", 7.0 * 48, rate_mg_per_h=7.0),))


def test_drift_path_exact_for_linearly_rising_elimination() -> None:
    # One compartment, k(t) = k0 (1 + r t): x(t) = x0 exp(-k0 (t + r t^2 / 2)).
    k0, r = 0.05, 0.002
    one = CompartmentSystem(("c",), np.array([[-k0]]), (Output("plasma", 0, 2.0),))
    drift = RateDrift(np.array([[-k0 * r]]), ("plasma",), "test")
    t = np.array([0.0, 5.0, 30.0, 120.0, 400.0])
    y = solve_drift(one, drift, [Input(0, 10.0, 0.0)], t)
    exact = 10.0 / 2.0 * np.exp(-k0 * (t + r * t**2 / 2))
    # Tolerance-scaled: rtol 1e-8, and atol at the solver's 1e-12 x dose level.
    np.testing.assert_allclose(y[0], exact, rtol=1e-8, atol=1e-10)


def test_drift_starts_at_first_dose() -> None:
    k0, r = 0.05, 0.002
    one = CompartmentSystem(("c",), np.array([[-k0]]), (Output("plasma", 0, 1.0),))
    drift = RateDrift(np.array([[-k0 * r]]), ("plasma",), "test")
    t = np.array([0.0, 50.0, 100.0])
    y = solve_drift(one, drift, [Input(0, 1.0, 50.0)], t)
    np.testing.assert_allclose(y[0], [0.0, 1.0, math.exp(-k0 * (50 + r * 50**2 / 2))], rtol=1e-8)


def test_zero_drift_ode_path_equals_exact_solver() -> None:
    ind = MODEL.individual(CHILD, {"CLsnk_drift": 0.0})
    assert ind.drift is not None
    inputs = [Input(0, 7.0 * 48, 0.0, 48 * 60.0), Input(0, 5.0, 600.0)]
    t = np.linspace(0.0, 60 * 60.0, 301)
    exact, _ = solve(ind.system, inputs, t)
    ode = solve_drift(ind.system, ind.drift, inputs, t)
    np.testing.assert_allclose(ode, exact, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("hours", [10.0, 24.0, 47.5])
def test_snk_follows_rising_clearance(hours: float) -> None:
    # Vsnk/Fm = 1 L makes S-norketamine quasi-steady: C_snk = CL Cp / CLsnk(t).
    t = np.arange(0.0, 49 * 60.0, 1.0)
    r = simulate(MODEL, INFUSION, CHILD, t)
    assert r.method.endswith("+ode")
    i = int(hours * 60)
    snk = r.metabolites_mg_per_l["S-norketamine"][i]
    predicted = 112 * FC * r.plasma_mg_per_l[i] / (53.2 * FC * (1 + 0.0087 * hours))
    assert snk == pytest.approx(predicted, rel=1e-3)


def test_parent_is_exact_and_unaffected_by_drift() -> None:
    t = np.arange(0.0, 49 * 60.0, 30.0)
    with_drift = simulate(MODEL, INFUSION, CHILD, t)
    without = simulate(MODEL, INFUSION, CHILD, t, params={"CLsnk_drift": 0.0})
    np.testing.assert_array_equal(with_drift.plasma_mg_per_l, without.plasma_mg_per_l)
    # After 48 h the metabolite is lower by the factor 1 / (1 + 0.0087 x 48) = 0.705.
    i = int(np.searchsorted(t, 47 * 60.0))
    ratio = (
        with_drift.metabolites_mg_per_l["S-norketamine"][i]
        / (without.metabolites_mg_per_l["S-norketamine"][i])
    )
    assert ratio == pytest.approx(1 / (1 + 0.0087 * 47), rel=1e-3)


def test_published_variability_and_error() -> None:
    assert MODEL.parameter("CL").iiv == 40.2
    assert MODEL.parameter("CLsnk").iiv == 104.0
    assert MODEL.iiv_correlations == (("CL", "CLsnk", 0.506),)
    assert {(e.analyte, e.kind, e.sd) for e in MODEL.residual_error} == {
        ("S-ketamine", "proportional", 0.419),
        ("S-norketamine", "proportional", 0.475),
    }
    assert MODEL.drug == "S-ketamine"
    assert MODEL.metabolites == ("S-norketamine",)


def test_drift_clock_starts_at_first_dose_time_shift() -> None:
    """Time after the FIRST DOSE drives the drift: shifting the regimen shifts the curve."""
    t = np.arange(0.0, 12 * 60.0, 15.0)
    shift = 120.0
    early = simulate(MODEL, INFUSION, CHILD, t)
    late = simulate(
        MODEL,
        Regimen((Dose("iv-infusion", 7.0 * 48, start_min=shift, rate_mg_per_h=7.0),)),
        CHILD,
        t + shift,
    )
    np.testing.assert_allclose(
        late.metabolites_mg_per_l["S-norketamine"],
        early.metabolites_mg_per_l["S-norketamine"],
        rtol=1e-6,
        atol=1e-12,
    )
