"""Effect-site invariants and published peak times.

- Shafer SL, Gregg KM, J Pharmacokinet Biopharm 1992;20:147 (effect-site targeting):
  after a bolus the effect-site concentration peaks when it equals the plasma
  concentration (dCe/dt = ke0 (Cp - Ce) = 0), so Cp = Ce at t_peak.
- Olofsen E et al., Anesthesiology 2022;136:792 (doi:10.1097/ALN.0000000000004176):
  t1/2ke0 8.3 min, ke0 = ln 2 / 8.3 /min (measured).
- Kamp J et al., Anesthesiology 2020;133:1192 (doi:10.1097/ALN.0000000000003577), the
  3-compartment typical set at 70 kg (V1 25 L, V2 56 L, V3 157 L, CL 84 L/h, Q2 161 L/h,
  Q3 79 L/h): with the Olofsen ke0 a bolus peaks at the effect site at 8.24 min with
  9.00 ng/mL per mg; with opentiva 1.1.2's constructed ke0 2.791 /min at 1.00 min with
  32.3 ng/mL per mg (values computed in the project's literature sheet, TCI table 4.7).
- Unit-bolus effect-site response in closed form: Ce(t) = sum (A_i/V1) ke0/(ke0 - l_i)
  (exp(-l_i t) - exp(-ke0 t)) (Gibaldi & Perrier; sheet section 5.4).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from ketaclinic.pk.linear import Input, solve
from ketaclinic.pk.model import CompartmentSystem
from ketaclinic.pk.models import get_model
from ketaclinic.pk.models.kamp2020 import OLOFSEN_2022_KE0
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import simulate
from tests.pk.test_linear import coefficients, trig_eigenvalues

KAMP = get_model("kamp-2020")
P70 = Patient(weight_kg=70)
OPENTIVA_KE0 = 2.791  # /min, constructed for a 1-min time to peak (opentiva 1.1.2)

# Kamp 2020 micro-constants at 70 kg (1/min).
V1, V2, V3 = 25.0, 56.0, 157.0
CL, Q2, Q3 = 84.0 / 60.0, 161.0 / 60.0, 79.0 / 60.0
K10, K12, K21, K13, K31 = CL / V1, Q2 / V1, Q2 / V2, Q3 / V1, Q3 / V3


def _system(ke0: float) -> CompartmentSystem:
    site = next(s for s in KAMP.effect_sites if s.ke0_per_min == ke0) if ke0 else None
    assert site is not None
    return KAMP.individual(P70).system.with_effect_site(site)


def _peak(ke0: float) -> tuple[float, float, float]:
    """(t_peak min, Ce at the peak mg/L, Cp at the peak mg/L) after a 1 mg bolus."""
    system = _system(ke0)
    bolus = [Input(0, 1.0, 0.0)]

    def gap(t: float) -> float:
        y, _ = solve(system, bolus, [t])
        return float(y[0, 0] - y[1, 0])  # Cp - Ce: positive before the peak

    t_peak = brentq(gap, 0.05, 60.0, xtol=1e-12, rtol=1e-14)
    y, _ = solve(system, bolus, [t_peak])
    return t_peak, float(y[1, 0]), float(y[0, 0])


def test_olofsen_ke0_is_the_measured_half_life() -> None:
    assert OLOFSEN_2022_KE0.kind == "measured"
    assert OLOFSEN_2022_KE0.ke0_per_min == pytest.approx(math.log(2) / 8.3, rel=1e-15)
    assert OLOFSEN_2022_KE0.ke0_per_min == pytest.approx(0.0835, abs=5e-5)


def test_kamp_bolus_peaks_at_8_24_min_with_the_olofsen_ke0() -> None:
    t_peak, ce, cp = _peak(OLOFSEN_2022_KE0.ke0_per_min)
    assert round(t_peak, 2) == 8.24
    assert round(ce * 1000.0, 2) == 9.00  # ng/mL per mg
    assert cp == pytest.approx(ce, rel=1e-10)  # Cp = Ce at the effect-site peak


def test_kamp_bolus_peaks_at_1_00_min_with_the_constructed_ke0() -> None:
    t_peak, ce, cp = _peak(OPENTIVA_KE0)
    assert round(t_peak, 2) == 1.00
    assert round(ce * 1000.0, 1) == 32.3  # ng/mL per mg
    assert cp == pytest.approx(ce, rel=1e-10)


@pytest.mark.parametrize("ke0", [OLOFSEN_2022_KE0.ke0_per_min, OPENTIVA_KE0])
def test_effect_site_peak_is_where_plasma_and_effect_site_cross(ke0: float) -> None:
    """On a 1-ms grid around the peak, the largest Ce is where Cp - Ce changes sign."""
    t_peak, _, _ = _peak(ke0)
    grid = np.round(t_peak, 3) + np.arange(-500, 501) * 1e-3
    y, _ = solve(_system(ke0), [Input(0, 1.0, 0.0)], grid)
    i = int(np.argmax(y[1]))
    assert abs(grid[i] - t_peak) <= 1e-3
    assert y[0, i - 1] > y[1, i - 1]
    assert y[0, i + 1] < y[1, i + 1]


@pytest.mark.parametrize("ke0", [OLOFSEN_2022_KE0.ke0_per_min, OPENTIVA_KE0])
def test_unit_bolus_effect_site_closed_form(ke0: float) -> None:
    lams = trig_eigenvalues(K10, K12, K13, K21, K31)
    a = coefficients(lams, K21, K31)
    t = np.arange(0, 14401) / 60.0  # 1-s grid over 4 h
    expected = sum(
        (ai / V1) * ke0 / (ke0 - li) * (np.exp(-li * t) - np.exp(-ke0 * t))
        for li, ai in zip(lams, a, strict=True)
    )
    y, _ = solve(_system(ke0), [Input(0, 1.0, 0.0)], t)
    np.testing.assert_allclose(y[1], expected, rtol=1e-10, atol=1e-13 * expected.max())


def test_simulate_labels_a_constructed_effect_site() -> None:
    regimen = Regimen((Dose("iv-bolus", 20.0),))
    measured = simulate(KAMP, regimen, P70, [0.0, 8.0])
    assert measured.effect_site is not None
    assert measured.effect_site.kind == "measured"
    assert measured.warnings == ()
    constructed = simulate(KAMP, regimen, P70, [0.0, 1.0], effect_site="opentiva-tpeak-1min")
    assert constructed.effect_site is not None
    assert "CONSTRUCTED" in constructed.effect_site.label
    assert any("CONSTRUCTED ke0 (2.791 /min" in w for w in constructed.warnings)
    none = simulate(KAMP, regimen, P70, [0.0, 1.0], effect_site=False)
    assert none.effect_site_mg_per_l is None
    assert none.effect_site_ng_per_ml is None
    # Dose linearity through simulate: 20 mg peaks at 20 x 9.00 ng/mL at 8.24 min.
    peak = simulate(KAMP, regimen, P70, [_peak(OLOFSEN_2022_KE0.ke0_per_min)[0]])
    assert peak.effect_site_ng_per_ml is not None
    assert peak.effect_site_ng_per_ml[0] == pytest.approx(180.0, abs=0.1)
