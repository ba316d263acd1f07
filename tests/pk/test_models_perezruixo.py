"""Perez-Ruixo 2021 esketamine model (Clin Pharmacokinet 60:501, doi:10.1007/s40262-020-00953-4).

Reference values:
- abstract [P]: absolute F 54% (56 mg) and 51% (84 mg); Vss 752 L; CL 114 L/h.
- Table 3 identity [C, sheet item G and section 7]: F = FRn_eff + (1 - FRn_eff) Fgut
  (1 - E_h), FRn_eff = 0.54 (1 + (N - 1) 0.62) / N -> 0.537 and 0.509; E_h 0.722;
  CL = Qh E_h = 109 L/h; Fgut (1 - E_h) = 0.178; Vc + Vp1 + Vp2 = 752 L.
- typical-value simulation [C, sheet table 2b], +/-10%: Cmax 43.9 / 72.6 / 101 ng/mL,
  Tmax 36 / 41 / 44 min from the first spray (devices 5 min apart), AUC0-48h 157 / 271 /
  386 ng.h/mL; IV 28 mg/40 min Cmax 100 ng/mL, AUC 252; PO 84 mg Cmax 26 ng/mL at about
  87 min, AUC 135; noresketamine Cmax 59 / 120 / 181 ng/mL.
"""

import numpy as np
import pytest

from ketaclinic.errors import InputError, RouteError
from ketaclinic.pk.dosing_inputs import expand_regimen
from ketaclinic.pk.models import get_model, models_by_route
from ketaclinic.pk.models._build import clearance_l_per_min, steady_state_volume_l
from ketaclinic.pk.models.perezruixo2021 import absolute_bioavailability, hepatic_extraction
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import exact_auc, simulate

MODEL = get_model("perez-ruixo-2021")
PATIENT = Patient(weight_kg=74, age_years=45)
HORIZON_MIN = 60 * 24 * 60.0  # 60 days: the terminal half-life is hours
T48 = np.arange(0.0, 48 * 60 + 0.25, 0.25)


def _auc_ratio(route_dose: Dose, amount_mg: float, patient: Patient = PATIENT) -> float:
    ind = MODEL.individual(patient)
    x = expand_regimen(ind, Regimen((route_dose,)), MODEL.id)
    iv = expand_regimen(ind, Regimen((Dose("iv-bolus", amount_mg),)), MODEL.id)
    return exact_auc(ind.system, x, 0, HORIZON_MIN) / exact_auc(ind.system, iv, 0, HORIZON_MIN)


@pytest.mark.parametrize(("mg", "devices", "f"), [(56, 2, 0.537), (84, 3, 0.509)])
def test_absolute_bioavailability_from_auc_ratio(mg: int, devices: int, f: float) -> None:
    ratio = _auc_ratio(Dose("intranasal", float(mg)), float(mg))
    # The sheet prints 3 decimals truncated (0.53755 -> 0.537): agree to 6e-4.
    assert ratio == pytest.approx(f, abs=6e-4)
    # The simulated ratio is the closed-form identity (exact solver, infinite horizon).
    assert ratio == pytest.approx(absolute_bioavailability(devices), rel=1e-9)


def test_closed_form_identity_pieces() -> None:
    p = MODEL.typical_params
    e_h = hepatic_extraction(p)
    assert round(e_h, 3) == 0.722
    assert round(p["Fgut"] * (1 - e_h), 3) == 0.178
    frn_eff_56 = 0.54 * (1 + 0.62) / 2
    assert absolute_bioavailability(2) == pytest.approx(
        frn_eff_56 + (1 - frn_eff_56) * 0.64 * (1 - e_h), rel=1e-12
    )
    # Oral solution: F = Fgut (1 - E_h), simulated.
    assert _auc_ratio(Dose("oral", 84.0), 84.0) == pytest.approx(0.64 * (1 - e_h), rel=1e-9)


def test_closed_form_refuses_bad_device_count() -> None:
    with pytest.raises(InputError, match="n_devices"):
        absolute_bioavailability(0)


def test_vss_and_clearance() -> None:
    system = MODEL.individual(PATIENT).system
    assert steady_state_volume_l(system) == pytest.approx(752.0, rel=1e-9)
    # CL = Qh E_h = 109 L/h [C] (abstract 114 L/h).
    assert clearance_l_per_min(system) * 60 == pytest.approx(109.0, abs=0.05)


@pytest.mark.parametrize(
    ("mg", "cmax", "tmax", "auc", "nk_cmax"),
    [(28, 43.9, 36, 157, 59), (56, 72.6, 41, 271, 120), (84, 101, 44, 386, 181)],
)
def test_typical_intranasal_table(
    mg: int, cmax: float, tmax: float, auc: float, nk_cmax: float
) -> None:
    r = simulate(MODEL, Regimen((Dose("intranasal", float(mg)),)), PATIENT, T48)
    assert r.summary.cmax_ng_per_ml == pytest.approx(cmax, rel=0.10)
    assert r.summary.tmax_min == pytest.approx(tmax, rel=0.10)
    assert r.summary.auc_ng_h_per_ml == pytest.approx(auc, rel=0.10)
    nk = r.metabolites_mg_per_l["noresketamine"].max() * 1000
    assert nk == pytest.approx(nk_cmax, rel=0.10)


def test_iv_and_oral_typical_values() -> None:
    iv = simulate(MODEL, Regimen((Dose("iv-infusion", 28.0, duration_min=40.0),)), PATIENT, T48)
    assert iv.summary.cmax_ng_per_ml == pytest.approx(100, rel=0.10)
    assert iv.summary.auc_ng_h_per_ml == pytest.approx(252, rel=0.10)
    po = simulate(MODEL, Regimen((Dose("oral", 84.0),)), PATIENT, T48)
    assert po.summary.cmax_ng_per_ml == pytest.approx(26, rel=0.10)
    assert po.summary.tmax_min == pytest.approx(87, rel=0.10)
    assert po.summary.auc_ng_h_per_ml == pytest.approx(135, rel=0.10)


def test_second_device_absorbs_less() -> None:
    one = _auc_ratio(Dose("intranasal", 28.0), 28.0)
    two = _auc_ratio(Dose("intranasal", 56.0), 56.0)
    # 2 x AUC(56 mg) - AUC(first device): the second device alone, FRn x 0.62.
    second = 2 * two - one
    e = hepatic_extraction(MODEL.typical_params)
    frn2 = 0.54 * 0.62
    assert second == pytest.approx(frn2 + (1 - frn2) * 0.64 * (1 - e), rel=1e-9)


def test_device_rules() -> None:
    ind = MODEL.individual(PATIENT)
    with pytest.raises(InputError, match="28 mg devices"):
        expand_regimen(ind, Regimen((Dose("intranasal", 30.0),)), MODEL.id)
    with pytest.raises(InputError, match="at least 5 min"):
        expand_regimen(ind, Regimen((Dose("intranasal", 56.0, device_interval_min=3.0),)), MODEL.id)
    inputs = expand_regimen(ind, Regimen((Dose("intranasal", 84.0, start_min=10.0),)), MODEL.id)
    assert sorted({i.start_min for i in inputs}) == [10.0, 15.0, 20.0]


def test_covariates() -> None:
    p = MODEL.typical_params
    # Age above 60: Qh falls 2.19 L/h per year -> 151 - 21.9 at 70 years.
    old = MODEL.individual(Patient(weight_kg=74, age_years=70))
    assert old.params["Qh"] == pytest.approx(151 - 21.9)
    assert MODEL.individual(Patient(weight_kg=74, age_years=60)).params["Qh"] == 151
    japanese = Patient(weight_kg=60, ancestry="japanese")
    q = MODEL.individual(japanese).params
    assert q["FRn"] == pytest.approx(0.54 * 1.34)
    assert q["kel"] == pytest.approx(1.11 * 0.36)
    assert q["CLn"] == pytest.approx(38.0 * 0.81)
    other = MODEL.individual(Patient(weight_kg=60, ancestry="other-asian")).params
    assert other["FRn"] == p["FRn"]
    assert other["kel"] == pytest.approx(1.11 * 0.36)
    # Closed form follows the covariates, and the simulation follows the closed form.
    f_jp = absolute_bioavailability(2, patient=japanese)
    assert _auc_ratio(Dose("intranasal", 56.0), 56.0, japanese) == pytest.approx(f_jp, rel=1e-9)
    assert f_jp > absolute_bioavailability(2)


def test_iiv_and_residual_error_published() -> None:
    frn = MODEL.parameter("FRn")
    assert (frn.iiv, frn.iiv_scale) == (0.708, "logit")
    assert MODEL.parameter("kel").iiv == 120.0
    assert MODEL.parameter("kmet").iiv is None  # blank in Table 3
    assert {(e.analyte, e.sd) for e in MODEL.residual_error} == {
        ("esketamine", 0.276),
        ("noresketamine", 0.422),
    }


def test_sublingual_refused_naming_models_that_can() -> None:
    with pytest.raises(RouteError) as err:
        simulate(MODEL, Regimen((Dose("sublingual", 28.0),)), PATIENT, [0.0, 60.0])
    assert "kamp-2020" in str(err.value)
    assert err.value.field == "route"
    assert "perez-ruixo-2021" in models_by_route()["intranasal"]
