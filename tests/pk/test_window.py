"""The therapeutic-window report: time in each literature band, peak dissociation,
population crossing probabilities, and the antidepressant statement always present.

Reference: Kamp 2020 set, 0.5 mg/kg over 40 min at 70 kg peaks at 253.1 ng/mL at 40 min
(PK/PD literature sheet section 2a, [C]).
"""

import json

import numpy as np
import pytest

from ketaclinic.errors import InputError
from ketaclinic.pk.bands import BANDS, NO_ANTIDEPRESSANT_CR
from ketaclinic.pk.effect import OLOFSEN_2022_DISSOCIATION
from ketaclinic.pk.models import get_model
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import simulate
from ketaclinic.pk.window import (
    crossing_probabilities,
    population_crossing,
    time_in_band_min,
    window_report,
)

KAMP = get_model("kamp-2020")
P70 = Patient(weight_kg=70)
INFUSION = Regimen((Dose("iv-infusion", 35, duration_min=40),))
BAND = {b.id: b for b in BANDS}


def test_time_in_band_on_a_triangle() -> None:
    # 0 -> 400 -> 0 ng/mL over 0-20-40 min: above 100 for 30 min, above 250 for 15 min.
    t = [0.0, 20.0, 40.0]
    c = [0.0, 400.0, 0.0]
    assert time_in_band_min(t, c, BAND["analgesic"]) == pytest.approx(30.0)
    assert time_in_band_min(t, c, BAND["psychotomimetic"]) == pytest.approx(15.0)
    assert time_in_band_min(t, c, BAND["anaesthetic"]) == 0.0


def test_report_for_the_depression_infusion() -> None:
    r = window_report(KAMP, INFUSION, P70)
    assert r.statement == NO_ANTIDEPRESSANT_CR
    assert r.peak_plasma_ng_per_ml == pytest.approx(253.1, abs=0.1)
    assert r.peak_plasma_time_min == pytest.approx(40.0)
    bands = {b.band.id: b for b in r.bands}
    assert set(bands) == {b.id for b in BANDS}
    sim = simulate(KAMP, INFUSION, P70, np.arange(0, 280.25, 0.25), effect_site=False)
    assert bands["analgesic"].minutes == pytest.approx(sim.time_above_ng_per_ml(100.0), rel=1e-9)
    above_250 = sim.time_above_ng_per_ml(250.0)
    assert above_250 > 0  # the peak 253 ng/mL just crosses the top of the band
    assert bands["psychotomimetic"].minutes == pytest.approx(
        sim.time_above_ng_per_ml(100.0) - above_250, rel=1e-9
    )
    assert not bands["anaesthetic"].reached
    assert bands["anaesthetic"].minutes == 0
    assert r.population is None


def test_peak_dissociation_from_olofsen_with_half_s() -> None:
    r = window_report(KAMP, INFUSION, P70)
    t = np.arange(0, 280.25, 0.25)
    sim = simulate(KAMP, INFUSION, P70, t, effect_site="olofsen-2022")
    assert sim.effect_site_mg_per_l is not None
    s_peak = 0.5 * float(sim.effect_site_mg_per_l.max())
    assert r.peak_effect_site_s_ng_per_ml == pytest.approx(s_peak * 1000, rel=1e-9)
    expected = float(OLOFSEN_2022_DISSOCIATION.fraction(s_peak))
    assert r.peak_dissociation_fraction == pytest.approx(expected, rel=1e-9)
    assert 40 < r.peak_dissociation_time_min < 50


def test_report_never_presents_an_antidepressant_prediction() -> None:
    d = window_report(KAMP, INFUSION, P70, population_peaks_ng_per_ml=[100, 300]).to_dict()
    text = json.dumps(d)
    assert d["statement"] == NO_ANTIDEPRESSANT_CR
    keys: list[str] = []

    def walk(o: object) -> None:
        if isinstance(o, dict):
            for k, v in o.items():
                keys.append(k)
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(d)
    assert not any("antidepress" in k or "response" in k for k in keys)
    assert text.count("antidepressant") == NO_ANTIDEPRESSANT_CR.count("antidepressant")


def test_crossing_probabilities_hand_example() -> None:
    got = {c.band.id: c.probability for c in crossing_probabilities([50, 150, 700, 1300])}
    assert got == {
        "analgesic": 0.75,
        "psychotomimetic": 0.75,
        "awakening": 0.5,
        "anaesthetic": 0.25,
    }
    with pytest.raises(InputError, match="peak_plasma_ng_per_ml"):
        crossing_probabilities([])


def test_population_with_one_fixed_patient_and_no_iiv_is_exact() -> None:
    # Kamp 2020 carries no IIV: with one fixed 70-kg patient every virtual patient peaks at
    # 253.1 ng/mL, so the analgesic and psychotomimetic bands are reached with P = 1 and
    # the awakening and anaesthetic bands with P = 0.
    got = population_crossing(KAMP, INFUSION, n=200, seed=3, covariates=P70)
    p = {c.band.id: c for c in got}
    assert p["analgesic"].probability == 1.0
    assert p["psychotomimetic"].probability == 1.0
    assert p["awakening"].probability == 0.0
    assert p["anaesthetic"].probability == 0.0
    assert all(c.n == 200 for c in got)


def test_population_crossing_with_iiv_is_bracketed_and_reproducible() -> None:
    model = get_model("perez-ruixo-2021")
    reg = Regimen((Dose("iv-infusion", 35, duration_min=40),))
    a = population_crossing(model, reg, n=1000, seed=11)
    b = population_crossing(model, reg, n=1000, seed=11)
    assert a == b
    for c in a:
        assert c.low is not None
        assert c.high is not None
        assert 0.0 <= c.low <= c.probability <= c.high <= 1.0
        assert c.high - c.low <= 0.005 + 1e-12
    p = [c.probability for c in a]  # bands ordered by their lower edges
    assert p[0] >= p[2] >= p[3]
    assert 0.0 < p[0] < 1.0  # IIV spreads the peaks around 100 ng/mL


def test_window_report_with_population_run() -> None:
    r = window_report(KAMP, INFUSION, P70, population_n=100, seed=1, covariates=P70)
    assert r.population is not None
    assert [c.probability for c in r.population] == [1.0, 1.0, 0.0, 0.0]
    with pytest.raises(InputError, match="not both"):
        window_report(KAMP, INFUSION, P70, population_n=10, population_peaks_ng_per_ml=[1.0])
