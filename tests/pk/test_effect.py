"""PD models: published values (PK/PD literature sheet, table J-O and section 3).

Olofsen 2022: S-ketamine C50 0.51 nmol/mL (= 121 ng/mL at 237.73 g/mol), t1/2ke0 8.3 min.
Simons 2022: drug high C50 0.3 nmol/mL (~71 ng/mL). Schuttler 1987: EEG IC50 racemic
2.0 ug/mL, Emax 7.6 Hz. Dahan 2011: C50 10.5 ng/mL, onset/offset t1/2 10.9 days.
Kamp 2021: cardiac-output t1/2ke0 2.28 min; C50/Emax not retrieved.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.errors import InputError
from ketaclinic.pk.effect import (
    DAHAN_2011_CHRONIC_PAIN,
    KAMP_2021_CARDIAC_OUTPUT,
    OLOFSEN_2022_ANTINOCICEPTION,
    OLOFSEN_2022_DISSOCIATION,
    PD_MODELS,
    SCHUTTLER_1987_EEG_RACEMIC,
    SCHUTTLER_1987_EEG_S,
    SIMONS_2022_DRUG_HIGH,
    analyte_fraction,
    get_pd_model,
    predict_effect,
)
from ketaclinic.pk.models import get_model
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import simulate

KAMP = get_model("kamp-2020")
P70 = Patient(weight_kg=70)
INFUSION = Regimen((Dose("iv-infusion", 35, duration_min=40),))


def test_published_values() -> None:
    assert OLOFSEN_2022_DISSOCIATION.c50_ng_per_ml == pytest.approx(121.2, abs=0.1)
    assert OLOFSEN_2022_DISSOCIATION.half_life_ke0_min == pytest.approx(8.3)
    assert OLOFSEN_2022_ANTINOCICEPTION.c50_mg_per_l == OLOFSEN_2022_DISSOCIATION.c50_mg_per_l
    assert SIMONS_2022_DRUG_HIGH.c50_ng_per_ml == pytest.approx(71.3, abs=0.1)
    assert SCHUTTLER_1987_EEG_RACEMIC.c50_ng_per_ml == pytest.approx(2000.0)
    assert SCHUTTLER_1987_EEG_RACEMIC.emax == 7.6
    assert SCHUTTLER_1987_EEG_S.c50_ng_per_ml == pytest.approx(800.0)
    assert SCHUTTLER_1987_EEG_S.emax == 8.3
    assert DAHAN_2011_CHRONIC_PAIN.c50_ng_per_ml == pytest.approx(10.5)
    assert DAHAN_2011_CHRONIC_PAIN.half_life_ke0_min == pytest.approx(10.9 * 24 * 60)
    assert KAMP_2021_CARDIAC_OUTPUT.half_life_ke0_min == pytest.approx(2.28)
    assert KAMP_2021_CARDIAC_OUTPUT.c50_mg_per_l is None


def test_unretrieved_hill_exponents_marked_unverified() -> None:
    for m in PD_MODELS:
        assert m.gamma_provenance == "UNVERIFIED"
        assert "UNVERIFIED" in m.label
        assert "value used" in m.label


def test_kamp_2021_refuses_to_invent_an_effect() -> None:
    assert not KAMP_2021_CARDIAC_OUTPUT.available
    with pytest.raises(InputError, match="not retrieved"):
        KAMP_2021_CARDIAC_OUTPUT.effect(0.1)
    assert "not retrieved" in KAMP_2021_CARDIAC_OUTPUT.label


def test_emax_closed_forms() -> None:
    c50 = OLOFSEN_2022_DISSOCIATION.c50_mg_per_l
    assert c50 is not None
    assert OLOFSEN_2022_DISSOCIATION.fraction(c50) == pytest.approx(0.5)
    assert OLOFSEN_2022_DISSOCIATION.fraction(3 * c50) == pytest.approx(0.75)
    assert OLOFSEN_2022_DISSOCIATION.fraction(0.0) == 0
    # Inhibitory EEG model: half of Emax 7.6 Hz at the IC50 of 2.0 ug/mL.
    assert SCHUTTLER_1987_EEG_RACEMIC.effect(2.0) == pytest.approx(-3.8)


@given(st.floats(0.001, 0.999))
def test_concentration_for_fraction_inverts_fraction(f: float) -> None:
    for m in (OLOFSEN_2022_DISSOCIATION, SIMONS_2022_DRUG_HIGH, DAHAN_2011_CHRONIC_PAIN):
        c = m.concentration_for_fraction(f)
        assert float(m.fraction(c)) == pytest.approx(f, rel=1e-9)


def test_racemic_doses_give_half_s_ketamine() -> None:
    assert analyte_fraction("racemic ketamine", OLOFSEN_2022_DISSOCIATION) == 0.5
    assert analyte_fraction("esketamine", OLOFSEN_2022_DISSOCIATION) == 1.0
    assert analyte_fraction("racemic ketamine", SCHUTTLER_1987_EEG_RACEMIC) == 1.0
    with pytest.raises(InputError, match="a model of S-ketamine for a esketamine PK model"):
        analyte_fraction("esketamine", SCHUTTLER_1987_EEG_RACEMIC)


def test_predict_effect_uses_half_of_the_olofsen_effect_site() -> None:
    t = np.arange(0.0, 121.0)
    p = predict_effect(OLOFSEN_2022_DISSOCIATION, KAMP, INFUSION, P70, t)
    sim = simulate(KAMP, INFUSION, P70, t, effect_site="olofsen-2022")
    assert sim.effect_site_mg_per_l is not None
    np.testing.assert_allclose(
        p.concentration_mg_per_l, 0.5 * sim.effect_site_mg_per_l, rtol=1e-9, atol=1e-12
    )
    c50 = 0.51 * 237.73 / 1000
    expected = 0.5 * sim.effect_site_mg_per_l / (c50 + 0.5 * sim.effect_site_mg_per_l)
    np.testing.assert_allclose(p.fraction, expected, rtol=1e-9, atol=1e-12)
    # The effect lags the plasma peak at 40 min (t1/2ke0 8.3 min).
    assert p.peak_time_min > 40
    assert any("UNVERIFIED" in w for w in p.warnings)


def test_plasma_driven_model_is_flagged() -> None:
    t = np.array([0.0, 40.0])
    p = predict_effect(SIMONS_2022_DRUG_HIGH, KAMP, INFUSION, P70, t)
    sim = simulate(KAMP, INFUSION, P70, t, effect_site=False)
    np.testing.assert_allclose(p.concentration_mg_per_l, 0.5 * sim.plasma_mg_per_l)
    assert any("driven by plasma" in w for w in p.warnings)


def test_dahan_effect_builds_over_days() -> None:
    # 100-h S-ketamine-like exposure: the slow effect compartment (t1/2 10.9 days) stays far
    # from equilibrium after 1 h and rises over days.
    reg = Regimen((Dose("iv-infusion", 1000, duration_min=100 * 60),))
    t = np.array([60.0, 100 * 60.0])
    p = predict_effect(DAHAN_2011_CHRONIC_PAIN, KAMP, reg, P70, t)
    assert p.fraction[0] < 0.1 * p.fraction[1]
    assert math.isfinite(p.peak_fraction)


def test_get_pd_model_and_bad_values() -> None:
    assert get_pd_model("simons-2022-drug-high") is SIMONS_2022_DRUG_HIGH
    with pytest.raises(InputError, match="pd_model must be one of"):
        get_pd_model("antidepressant-response")
    with pytest.raises(InputError, match="concentration"):
        OLOFSEN_2022_DISSOCIATION.fraction([-1.0])
    with pytest.raises(InputError, match="fraction must be between 0 and 1"):
        OLOFSEN_2022_DISSOCIATION.concentration_for_fraction(1.0)


def test_no_antidepressant_model() -> None:
    assert not any("antidepress" in m.id or "antidepress" in m.endpoint for m in PD_MODELS)
