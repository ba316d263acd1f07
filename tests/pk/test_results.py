"""Simulation results: the CLI JSON object, CSV and pandas round trips, time above a
threshold and the exact exposure summary.

The JSON keys are those issue 2 fixes for ``ketaclinic simulate --json`` (users script
against them), plus the documented extras model_version, citation, effect_site and
warnings. The exact AUC is checked against the closed-form integral of the
3-compartment zero-order infusion (Gibaldi & Perrier; literature sheet section 5.4) for
the Kamp 2020 set at 70 kg (Anesthesiology 2020;133:1192, doi:10.1097/ALN.0000000000003577).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from ketaclinic.errors import InputError
from ketaclinic.pk.models import get_model
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.results import time_above
from ketaclinic.pk.simulate import simulate
from tests.pk.test_effect_site import K10, K12, K13, K21, K31, V1
from tests.pk.test_linear import coefficients, infusion, infusion_integral, trig_eigenvalues

KAMP = get_model("kamp-2020")
P70 = Patient(weight_kg=70)
INFUSION = Regimen((Dose("iv-infusion", 35.0, duration_min=40.0),))
GRID = np.arange(0, 16801) / 60.0  # 1-s resolution to 280 min

#: Issue 2, "Command line": the keys of `ketaclinic simulate --json`.
REQUIRED = {"model", "time_min", "plasma_ng_per_ml", "effect_site_ng_per_ml", "metabolites"}
EXTRAS = {"model_version", "citation", "effect_site", "warnings"}
SUMMARY = {"cmax_ng_per_ml", "tmax_min", "auc_ng_h_per_ml"}


def test_to_dict_has_exactly_the_cli_json_keys() -> None:
    r = simulate(KAMP, INFUSION, P70, [0.0, 40.0, 80.0])
    d = r.to_dict()
    assert set(d) == REQUIRED | {"summary"} | EXTRAS
    assert set(d["summary"]) == SUMMARY
    assert d["model"] == "kamp-2020"
    assert d["time_min"] == [0.0, 40.0, 80.0]
    np.testing.assert_allclose(d["plasma_ng_per_ml"], r.plasma_mg_per_l * 1000.0, rtol=1e-15)
    assert round(d["plasma_ng_per_ml"][1], 1) == 253.1  # literature sheet 2a, Kamp at 40 min
    assert len(d["effect_site_ng_per_ml"]) == 3
    assert d["metabolites"] == {}
    assert d["summary"]["tmax_min"] == 40.0
    assert d["summary"]["cmax_ng_per_ml"] == d["plasma_ng_per_ml"][1]
    # One JSON object of plain numbers and strings.
    assert json.loads(json.dumps(d)) == d


def test_to_dict_without_effect_site_and_with_metabolites() -> None:
    flint = get_model("flint-2017")
    r = simulate(
        flint,
        Regimen((Dose("iv-bolus", 20.0),)),
        Patient(weight_kg=20, age_years=5),
        [0.0, 30.0, 60.0],
        effect_site=False,
    )
    d = r.to_dict()
    assert d["effect_site_ng_per_ml"] is None
    assert d["effect_site"] is None
    assert set(d["metabolites"]) == {"S-norketamine_ng_per_ml"}
    assert len(d["metabolites"]["S-norketamine_ng_per_ml"]) == 3
    assert d["metabolites"]["S-norketamine_ng_per_ml"][2] > 0


def test_csv_and_pandas_round_trip(tmp_path: Path) -> None:
    r = simulate(KAMP, INFUSION, P70, GRID[::60])
    df = r.to_pandas()
    assert list(df.columns) == ["time_min", "plasma_ng_per_ml", "effect_site_ng_per_ml"]
    np.testing.assert_array_equal(df["time_min"].to_numpy(), r.time_min)
    np.testing.assert_array_equal(df["plasma_ng_per_ml"].to_numpy(), r.plasma_ng_per_ml)
    assert r.effect_site_ng_per_ml is not None
    np.testing.assert_array_equal(df["effect_site_ng_per_ml"].to_numpy(), r.effect_site_ng_per_ml)
    path = tmp_path / "out.csv"
    r.to_csv(str(path))
    header = path.read_text().splitlines()[0]
    assert header == "time_min,plasma_ng_per_ml,effect_site_ng_per_ml"
    import pandas as pd

    back = pd.read_csv(path)
    assert list(back.columns) == list(df.columns)
    assert len(back) == len(df) == 281
    # Written with 10 significant digits.
    np.testing.assert_allclose(back.to_numpy(), df.to_numpy(), rtol=5e-10, atol=0)


def test_time_above_interpolates_crossings_linearly() -> None:
    # By hand: up through 1 at t = 0.5, down at 2.5, up again at 3 + 1/3.
    t = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    c = np.array([0.0, 2.0, 2.0, 0.0, 3.0])
    assert time_above(t, c, 1.0) == pytest.approx(0.5 + 1.0 + 0.5 + 2.0 / 3.0, rel=1e-15)
    # Touching the threshold is not being above it.
    assert time_above(t, c, 3.0) == 0.0
    assert time_above(t, c, -1.0) == 4.0
    assert time_above(np.array([5.0]), np.array([10.0]), 1.0) == 0.0
    with pytest.raises(InputError):
        time_above(t, c, math.nan)
    with pytest.raises(InputError):
        time_above(t, c[:3], 1.0)


def test_time_above_on_a_simulation_matches_the_closed_form_crossings() -> None:
    """Kamp, 0.5 mg/kg over 40 min: minutes above 100 ng/mL (analgesic band) from the
    1-s grid against the crossings of the closed form found by root finding."""
    from scipy.optimize import brentq

    lams = trig_eigenvalues(K10, K12, K13, K21, K31)
    a = coefficients(lams, K21, K31)

    def conc(t: float) -> float:
        return float(infusion(np.array([t]), 35.0 / 40.0, 40.0, V1, lams, a)[0]) * 1000.0 - 100.0

    up = brentq(conc, 0.1, 40.0, xtol=1e-12)
    down = brentq(conc, 40.0, 280.0, xtol=1e-12)
    r = simulate(KAMP, INFUSION, P70, GRID)
    # Chord interpolation errs by < (1 s)^2 |C''| / 8 at each crossing.
    assert r.time_above_ng_per_ml(100.0) == pytest.approx(down - up, abs=1e-5)
    with pytest.raises(InputError):
        r.time_above_ng_per_ml(100.0, site="liver")
    assert r.time_above_ng_per_ml(100.0, site="effect") > 0


def test_summary_auc_is_the_exact_integral() -> None:
    lams = trig_eigenvalues(K10, K12, K13, K21, K31)
    a = coefficients(lams, K21, K31)
    exact = infusion_integral(280.0, 35.0 / 40.0, 40.0, V1, lams, a)  # mg/L*min
    coarse = simulate(KAMP, INFUSION, P70, [0.0, 280.0])
    fine = simulate(KAMP, INFUSION, P70, GRID)
    for r in (coarse, fine):
        assert r.summary.auc_mg_min_per_l == pytest.approx(exact, rel=1e-10)
        assert r.summary.auc_ng_h_per_ml == pytest.approx(exact * 1000.0 / 60.0, rel=1e-10)
    # Not a trapezoid: two points would give a very different number ...
    trapezoid_coarse = 0.5 * 280.0 * float(coarse.plasma_mg_per_l.sum())
    assert abs(trapezoid_coarse - exact) > 0.5 * exact
    # ... while the trapezoid on the 1-s grid converges to the exact value.
    assert float(np.trapezoid(fine.plasma_mg_per_l, GRID)) == pytest.approx(exact, rel=1e-6)
    # Window starting later: exact over [40, 280].
    late = simulate(KAMP, INFUSION, P70, [40.0, 280.0])
    ref = exact - infusion_integral(40.0, 35.0 / 40.0, 40.0, V1, lams, a)
    assert late.summary.auc_mg_min_per_l == pytest.approx(ref, rel=1e-10)


def test_summary_cmax_and_tmax_on_the_output_grid() -> None:
    r = simulate(KAMP, INFUSION, P70, GRID)
    assert r.summary.tmax_min == 40.0  # the end of the infusion
    assert r.summary.cmax_ng_per_ml == pytest.approx(float(r.plasma_ng_per_ml.max()), rel=0)
    # literature sheet, table 2a: Kamp set, 0.5 mg/kg over 40 min at 70 kg, 253.1 ng/mL at 40 min
    assert round(r.summary.cmax_ng_per_ml, 1) == 253.1


def test_typical_individual_cache_tells_models_apart() -> None:
    """simulate() reuses the typical individual of a (model, patient): a different model
    object with the same id (here V1 doubled) must not get the cached system."""
    import dataclasses

    from ketaclinic.pk.model import Parameter

    doubled = tuple(
        dataclasses.replace(p, value=2 * p.value) if p.name == "V1" else p for p in KAMP.parameters
    )
    other = dataclasses.replace(KAMP, parameters=doubled)
    assert isinstance(other.parameter("V1"), Parameter)
    bolus = Regimen((Dose("iv-bolus", 10.0),))
    first = simulate(KAMP, bolus, P70, [0.0])
    second = simulate(other, bolus, P70, [0.0])
    again = simulate(KAMP, bolus, P70, [0.0])
    assert first.plasma_mg_per_l[0] == pytest.approx(10.0 / 25.0, rel=1e-14)
    assert second.plasma_mg_per_l[0] == pytest.approx(10.0 / 50.0, rel=1e-14)
    assert again.plasma_mg_per_l[0] == first.plasma_mg_per_l[0]
    # With individual parameters nothing is cached.
    fresh = simulate(KAMP, bolus, P70, [0.0], params={"V1": 40.0})
    assert fresh.plasma_mg_per_l[0] == pytest.approx(10.0 / 40.0, rel=1e-14)
