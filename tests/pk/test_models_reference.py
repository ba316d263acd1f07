"""Published and computed reference values for the racemic ketamine models.

Sources (literature sheet items A-F, sections 2a, 5 and 7):
- Domino 1982 (STANPUMP set, opentiva 1.1.2 [S]): eigenvalues 1.7242, 0.15151,
  0.0060475 /min [C, cubic closed form = eigen-decomposition = expm].
- Hijazi 2003 (Br J Anaesth 90:155, doi:10.1093/bja/aeg028): CL 36.0 mL/min/kg [P] and
  terminal t1/2 4.95 h [C from the opentiva micro-constants; abstract 4.9 h].
- 0.5 mg/kg over 40 min at 70 kg, ng/mL at 40/80/110/230 min [C, sheet table 2a].
- Kamp 2020 meta-analysis (doi:10.1097/ALN.0000000000003577): CL 79 L/h (95% CI 69-90),
  Vd 252 L (200-304) at 70 kg [P].
- Olofsen 2022 t1/2ke0 8.3 min [P] with the Kamp set: effect peak 8.24 min [C].
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from ketaclinic.pk.dosing_inputs import expand_regimen
from ketaclinic.pk.models import get_model
from ketaclinic.pk.models._build import clearance_l_per_min, steady_state_volume_l
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import exact_auc, simulate

ADULT = Patient(weight_kg=70)
DEPRESSION = Regimen((Dose("iv-infusion", amount_mg=35.0, duration_min=40.0),))


def _disposition_block(model_id: str) -> np.ndarray:
    system = get_model(model_id).individual(ADULT).system
    idx = [i for i, c in enumerate(system.compartments) if not c.startswith("depot:")]
    return system.a[np.ix_(idx, idx)]


def test_domino_eigenvalues() -> None:
    lam = np.sort(-np.linalg.eigvals(_disposition_block("domino-1982")).real)[::-1]
    np.testing.assert_allclose(lam, [1.7242, 0.15151, 0.0060475], rtol=5e-5)


def test_domino_eigenvalues_match_cubic_closed_form() -> None:
    # Literature sheet section 5.3: trigonometric roots of the characteristic cubic.
    k10, k12, k13, k21, k31 = 0.4381, 0.5921, 0.5900, 0.2470, 0.0146
    a2 = k10 + k12 + k13 + k21 + k31
    a1 = k10 * k31 + k21 * k31 + k21 * k13 + k10 * k21 + k31 * k12
    a0 = k10 * k21 * k31
    p = a1 - a2**2 / 3
    q = 2 * a2**3 / 27 - a1 * a2 / 3 + a0
    r1 = math.sqrt(-(p**3) / 27)
    phi = math.acos(-q / (2 * r1)) / 3
    r2 = 2 * r1 ** (1 / 3)
    roots = sorted(-(math.cos(phi + 2 * math.pi * m / 3) * r2 - a2 / 3) for m in range(3))
    lam = np.sort(-np.linalg.eigvals(_disposition_block("domino-1982")).real)
    np.testing.assert_allclose(lam, roots, rtol=1e-10)


def test_hijazi_clearance_and_terminal_half_life() -> None:
    system = get_model("hijazi-2003").individual(ADULT).system
    cl_ml_min_kg = clearance_l_per_min(system) * 1000 / ADULT.weight_kg
    assert round(cl_ml_min_kg, 1) == 36.0
    lam_z = float(np.min(-np.linalg.eigvals(system.a).real))
    assert round(math.log(2) / lam_z / 60, 2) == 4.95
    # Vbeta = CL / lambda_z = 15.4 L/kg [C] (abstract: 16.0 (8.6) L/kg).
    assert round(clearance_l_per_min(system) / lam_z / ADULT.weight_kg, 1) == 15.4


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("kamp-2020", [253.1, 73.7, 54.3, 26.7]),
        ("domino-1982", [240.3, 45.8, 38.1, 18.4]),
        ("herd-2007", [253.4, 96.4, 74.3, 26.4]),
        ("clements-1981", [177.3, 84.7, 63.1, 35.9]),
        ("hijazi-2003", [225.3, 46.0, 17.1, 4.7]),
    ],
)
@pytest.mark.parametrize("method", ["eigen", "expm"])
def test_depression_infusion_table(model_id: str, expected: list[float], method: str) -> None:
    r = simulate(get_model(model_id), DEPRESSION, ADULT, [40, 80, 110, 230], method=method)
    # The table is printed to 0.1 ng/mL: the prediction must round to it.
    np.testing.assert_array_equal(np.round(r.plasma_ng_per_ml, 1), expected)


ADULT_RACEMIC = ["kamp-2020", "domino-1982", "hijazi-2003", "clements-1981"]


@pytest.mark.parametrize(
    ("model_id", "cl_l_per_h", "vss_l"),
    [
        ("kamp-2020", 84.0, 238.0),  # sheet item F [C]
        ("domino-1982", 115.9, 193.2),  # 27.6 mL/kg/min, Vss 193 L [C]
        ("hijazi-2003", 151.0, 297.4),  # 36.0 mL/min/kg [P]
        ("clements-1981", 80.2, 289.2),  # 19.1 mL/kg/min, 4.13 L/kg [C]
    ],
)
def test_adult_clearance_and_vss(model_id: str, cl_l_per_h: float, vss_l: float) -> None:
    system = get_model(model_id).individual(ADULT).system
    assert clearance_l_per_min(system) * 60 == pytest.approx(cl_l_per_h, abs=0.05)
    assert steady_state_volume_l(system) == pytest.approx(vss_l, abs=0.05)


@pytest.mark.parametrize("model_id", ADULT_RACEMIC)
def test_adult_racemic_models_near_kamp_meta_analysis(model_id: str) -> None:
    """Sheet section 7 item 4: every adult racemic model inside or near the bands."""
    system = get_model(model_id).individual(ADULT).system
    cl = clearance_l_per_min(system) * 60
    vss = steady_state_volume_l(system)
    # "Near": within a factor 2 of the weighted means (79 L/h, 252 L).
    assert 79 / 2 <= cl <= 79 * 2
    assert 252 / 2 <= vss <= 252 * 2


@pytest.mark.parametrize("model_id", ["kamp-2020", "clements-1981"])
def test_inside_kamp_confidence_intervals(model_id: str) -> None:
    system = get_model(model_id).individual(ADULT).system
    assert 69 <= clearance_l_per_min(system) * 60 <= 90
    assert 200 <= steady_state_volume_l(system) <= 304


def test_kamp_olofsen_effect_peak() -> None:
    model = get_model("kamp-2020")
    bolus = Regimen((Dose("iv-bolus", 1.0),))

    def cp_minus_ce(t: float) -> float:
        r = simulate(model, bolus, ADULT, [t], effect_site="olofsen-2022")
        assert r.effect_site_mg_per_l is not None
        return float(r.plasma_mg_per_l[0] - r.effect_site_mg_per_l[0])

    # The effect peak is where Cp = Ce (dCe/dt = ke0 (Cp - Ce) = 0).
    t_peak = brentq(cp_minus_ce, 2.0, 15.0, xtol=1e-9)
    assert t_peak == pytest.approx(8.24, abs=0.005)
    t = np.linspace(t_peak - 0.5, t_peak + 0.5, 2001)
    r = simulate(model, bolus, ADULT, t, effect_site="olofsen-2022")
    assert r.effect_site_mg_per_l is not None
    assert abs(float(t[int(np.argmax(r.effect_site_mg_per_l))]) - t_peak) <= 0.001
    # 9.00 ng/mL per mg at the peak (sheet section 4.7 [C]).
    assert round(float(r.effect_site_mg_per_l.max()) * 1000, 2) == 9.00


@pytest.mark.parametrize(
    ("model_id", "route", "f"),
    [
        ("kamp-2020", "im", 0.93),
        ("kamp-2020", "intranasal", 0.45),
        ("kamp-2020", "sublingual", 0.30),
        ("kamp-2020", "oral", 0.20),
        ("domino-1982", "im", 0.93),
        ("hornik-2018", "im", 0.41),
    ],
)
def test_route_bioavailability_from_auc_ratio(model_id: str, route: str, f: float) -> None:
    model = get_model(model_id)
    patient = Patient(weight_kg=20) if model_id == "hornik-2018" else ADULT
    ind = model.individual(patient)
    route_in = expand_regimen(ind, Regimen((Dose(route, 50.0),)), model_id)  # type: ignore[arg-type]
    iv_in = expand_regimen(ind, Regimen((Dose("iv-bolus", 50.0),)), model_id)
    horizon = 60 * 24 * 60.0
    ratio = exact_auc(ind.system, route_in, 0, horizon) / exact_auc(ind.system, iv_in, 0, horizon)
    assert ratio == pytest.approx(f, rel=1e-6)


@pytest.mark.parametrize(
    ("route", "tmax_min"), [("im", 15), ("intranasal", 20), ("sublingual", 45)]
)
def test_route_addon_time_to_peak(route: str, tmax_min: float) -> None:
    """The UNVERIFIED absorption half-lives reproduce the published Tmax with kamp-2020."""
    t = np.arange(0.0, 240.0, 0.25)
    r = simulate(get_model("kamp-2020"), Regimen((Dose(route, 50.0),)), ADULT, t)  # type: ignore[arg-type]
    assert abs(r.summary.tmax_min - tmax_min) <= 1.0
