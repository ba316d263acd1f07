"""The exact linear solver against closed forms.

References for every expected value here:

- Gibaldi M, Perrier D. Pharmacokinetics, 2nd ed. New York: Marcel Dekker, 1982: the
  1-, 2- and 3-compartment bolus, zero-order infusion and first-order absorption
  polyexponentials (as collected in section 5 of the project's PK/PD reference sheet);
- Abuhelwa AY, Foster DJR, Upton RN. ADVAN-style analytical solutions for common
  pharmacokinetic models. J Pharmacol Toxicol Methods 2015;73:42-48 (superposition of
  shifted unit responses for multiple doses, lag times);
- the 3-compartment eigenvalues by the trigonometric (Cardano/Viete) root formula, as
  the sheet gives it, for the Domino 1982 micro-constants (Anesth Analg 1982;61:87,
  PMID 7198883; V1 0.063 L/kg, k10 0.4381, k12 0.5921, k13 0.5900, k21 0.2470,
  k31 0.0146 /min) -> 1.7242, 0.15151, 0.0060475 /min.

Tolerances: the closed forms are evaluated in double precision too, so the solver must
match them to 1e-10 relative (with a floor of 1e-13 of the peak for values near zero).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from ketaclinic.errors import InputError
from ketaclinic.pk.dosing_inputs import expand_regimen
from ketaclinic.pk.linear import Input, check_times, integrate, solve, solve_detailed
from ketaclinic.pk.model import CompartmentSystem, Individual, Output, Path, RouteRule
from ketaclinic.pk.models import get_model
from ketaclinic.pk.models._build import mammillary, micro_system
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen

RTOL = 1e-10
METHODS = ["eigen", "expm"]

# Domino 1982 micro-constants (STANPUMP set) at 70 kg.
DOMINO = {"k10": 0.4381, "k12": 0.5921, "k13": 0.5900, "k21": 0.2470, "k31": 0.0146}
DOMINO_V1_L = 0.063 * 70.0

Array = NDArray[np.float64]


def assert_close(actual: Array, expected: Array, rtol: float = RTOL) -> None:
    """Pointwise relative agreement, with a floor of 1e-13 of the peak near zero."""
    expected = np.asarray(expected, dtype=float)
    floor = 1e-13 * float(np.max(np.abs(expected)))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=floor)


# ----------------------------------------------------------------- closed forms (sheet 5)


def trig_eigenvalues(
    k10: float, k12: float, k13: float, k21: float, k31: float
) -> tuple[float, float, float]:
    """Roots of l^3 - a2 l^2 + a1 l - a0 (sheet 5.3), as positive rates (1/min)."""
    a2 = k10 + k12 + k13 + k21 + k31
    a1 = k10 * k31 + k21 * k31 + k21 * k13 + k10 * k21 + k31 * k12
    a0 = k10 * k21 * k31
    p = a1 - a2 * a2 / 3.0
    q = 2.0 * a2**3 / 27.0 - a1 * a2 / 3.0 + a0
    r1 = math.sqrt(-(p**3) / 27.0)
    phi = math.acos(-q / (2.0 * r1)) / 3.0
    r2 = 2.0 * r1 ** (1.0 / 3.0)
    lam = [-(math.cos(phi + 2.0 * math.pi * m / 3.0) * r2 - a2 / 3.0) for m in range(3)]
    return lam[0], lam[1], lam[2]


def coefficients(lams: tuple[float, ...], k21: float, k31: float | None = None) -> list[float]:
    """A_i = (k21 - l_i)(k31 - l_i) / prod_{j != i}(l_j - l_i); drop k31 for 2 compartments."""
    out = []
    for i, li in enumerate(lams):
        num = (k21 - li) * (1.0 if k31 is None else (k31 - li))
        den = math.prod(lj - li for j, lj in enumerate(lams) if j != i)
        out.append(num / den)
    return out


def bolus(t: Array, dose: float, v1: float, lams: tuple[float, ...], a: list[float]) -> Array:
    """C = (D/V1) sum A_i exp(-l_i t) for t >= 0, else 0."""
    tt = np.maximum(t, 0.0)
    c = sum(ai * np.exp(-li * tt) for li, ai in zip(lams, a, strict=True)) * dose / v1
    return np.where(t >= 0, c, 0.0)


def infusion(
    t: Array, rate: float, dur: float, v1: float, lams: tuple[float, ...], a: list[float]
) -> Array:
    """Zero-order input R over [0, T] (sheet 5.4), during and after."""
    out = np.zeros_like(t, dtype=float)
    for li, ai in zip(lams, a, strict=True):
        during = (ai / li) * (1.0 - np.exp(-li * np.clip(t, 0.0, dur)))
        after = np.exp(-li * np.maximum(t - dur, 0.0))
        out += during * after
    return np.where(t >= 0, out * rate / v1, 0.0)


def infusion_integral(
    t: float, rate: float, dur: float, v1: float, lams: tuple[float, ...], a: list[float]
) -> float:
    """int_0^t of ``infusion`` in closed form (mg/L*min)."""
    total = 0.0
    for li, ai in zip(lams, a, strict=True):
        s = min(t, dur)
        total += (ai / li) * (s - (1.0 - math.exp(-li * s)) / li)
        if t > dur:
            level = (ai / li) * (1.0 - math.exp(-li * dur))
            total += level * (1.0 - math.exp(-li * (t - dur))) / li
    return total * rate / v1


def first_order(
    t: Array, dose_f: float, ka: float, v1: float, lams: tuple[float, ...], a: list[float]
) -> Array:
    """C = (F D ka/V1) sum A_i/(ka - l_i) (exp(-l_i t) - exp(-ka t)) (sheet 5.4)."""
    tt = np.maximum(t, 0.0)
    c = sum(
        ai / (ka - li) * (np.exp(-li * tt) - np.exp(-ka * tt))
        for li, ai in zip(lams, a, strict=True)
    )
    return np.where(t >= 0, c * dose_f * ka / v1, 0.0)


def with_depot(system: CompartmentSystem, ka: float) -> CompartmentSystem:
    """Append a first-order absorption depot (index n) draining into compartment 0."""
    n = len(system.compartments)
    a = np.zeros((n + 1, n + 1))
    a[:n, :n] = system.a
    a[n, n] = -ka
    a[0, n] = ka
    return CompartmentSystem((*system.compartments, "depot"), a, system.outputs)


def one_compartment(v: float = 10.0, k: float = 0.1) -> CompartmentSystem:
    return CompartmentSystem(("central",), np.array([[-k]]), (Output("plasma", 0, v),))


def domino() -> CompartmentSystem:
    return micro_system(DOMINO_V1_L, **DOMINO)


#: 1-s grid over 10 h (uniform: the block path) and an irregular grid (the direct path).
FINE = np.arange(36001) / 60.0
#: The expm method advances the state point by point: a 30-s grid keeps the suite fast.
COARSE = FINE[::30]


def grid_for(method: str, times: Array = FINE) -> Array:
    return times if method == "eigen" or times.size < 1000 else times[::30]


IRREGULAR = np.array([0.0, 0.01, 0.5, 1.0, 2.0, 3.7, 10.0, 29.9, 30.0, 30.1, 61.0, 240.0, 599.0])


# ----------------------------------------------------------------------------- eigenvalues


def test_domino_eigenvalues_by_the_trigonometric_formula() -> None:
    lam = sorted(trig_eigenvalues(**DOMINO), reverse=True)
    # As printed in the sheet (5 significant digits).
    np.testing.assert_allclose(lam, [1.7242, 0.15151, 0.0060475], rtol=5e-5)
    # The rate matrix built from the same micro-constants has exactly these eigenvalues.
    numeric = sorted((-np.linalg.eigvals(domino().a)).real.tolist(), reverse=True)
    np.testing.assert_allclose(numeric, lam, rtol=1e-12)
    # Terminal half-life 114.6 min (sheet, Domino derived values).
    assert math.log(2) / lam[-1] == pytest.approx(114.6, abs=0.05)


# ------------------------------------------------------------------------- one compartment


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("times", [FINE, IRREGULAR], ids=["uniform", "irregular"])
def test_one_compartment_bolus(method: str, times: Array) -> None:
    times = grid_for(method, times)
    y, used = solve(one_compartment(), [Input(0, 100.0, 0.0)], times, method=method)
    assert used == method
    assert_close(y[0], (100.0 / 10.0) * np.exp(-0.1 * times))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("times", [FINE, IRREGULAR], ids=["uniform", "irregular"])
def test_one_compartment_infusion_during_and_after(method: str, times: Array) -> None:
    times = grid_for(method, times)
    v, k, dose, dur = 10.0, 0.1, 60.0, 30.0
    rate = dose / dur
    y, _ = solve(one_compartment(v, k), [Input(0, dose, 0.0, dur)], times, method=method)
    c_end = rate / (k * v) * (1 - math.exp(-k * dur))
    expected = np.where(
        times <= dur,
        rate / (k * v) * (1 - np.exp(-k * times)),
        c_end * np.exp(-k * (times - dur)),
    )
    assert_close(y[0], expected)


@pytest.mark.parametrize("method", METHODS)
def test_one_compartment_first_order_absorption(method: str) -> None:
    v, k, ka, dose, f = 50.0, 0.02, 0.08, 200.0, 0.45
    sys1 = with_depot(one_compartment(v, k), ka)
    t = grid_for(method)
    y, _ = solve(sys1, [Input(1, f * dose, 0.0)], t, method=method)
    expected = f * dose * ka / (v * (ka - k)) * (np.exp(-k * t) - np.exp(-ka * t))
    assert_close(y[0], expected)


def test_first_order_absorption_with_ka_equal_to_k_falls_back_to_expm() -> None:
    """ka == k makes the rate matrix defective: eigenvectors are parallel, the modal
    form is meaningless and the expm method must take over (sheet 5.1, ka = k)."""
    v, k, dose, f = 50.0, 0.05, 100.0, 0.8
    sys1 = with_depot(one_compartment(v, k), k)
    y, used = solve(sys1, [Input(1, f * dose, 0.0)], IRREGULAR)
    assert used == "expm"
    assert_close(y[0], f * dose * k * IRREGULAR * np.exp(-k * IRREGULAR) / v)
    with pytest.raises(InputError, match="method") as err:
        solve(sys1, [Input(1, f * dose, 0.0)], IRREGULAR, method="eigen")
    assert err.value.field == "method"
    # The exact AUC falls back too: int_0^inf = F D / (V k).
    auc = integrate(sys1, [Input(1, f * dose, 0.0)], 0.0, 5000.0)[0]
    assert auc == pytest.approx(f * dose / (v * k) * (1 - 251 * math.exp(-250)), rel=1e-10)


# ------------------------------------------------------------------------ two compartments


@pytest.mark.parametrize("method", METHODS)
def test_two_compartment_bolus_and_first_order(method: str) -> None:
    v1, k10, k12, k21, ka = 12.0, 0.15, 0.3, 0.08, 0.7
    system = micro_system(v1, k10, k12, k21)
    s = k10 + k12 + k21
    alpha = 0.5 * (s + math.sqrt(s * s - 4 * k10 * k21))
    beta = 0.5 * (s - math.sqrt(s * s - 4 * k10 * k21))
    t = grid_for(method)
    y, _ = solve(system, [Input(0, 40.0, 0.0)], t, method=method)
    expected = (40.0 / v1) * (
        (alpha - k21) / (alpha - beta) * np.exp(-alpha * t)
        + (k21 - beta) / (alpha - beta) * np.exp(-beta * t)
    )
    assert_close(y[0], expected)
    # First-order absorption, the explicit two-compartment form of sheet 5.4.
    y, _ = solve(with_depot(system, ka), [Input(2, 25.0, 0.0)], t, method=method)
    explicit = (25.0 * ka / v1) * (
        (k21 - alpha) / ((ka - alpha) * (beta - alpha)) * np.exp(-alpha * t)
        + (k21 - beta) / ((ka - beta) * (alpha - beta)) * np.exp(-beta * t)
        + (k21 - ka) / ((alpha - ka) * (beta - ka)) * np.exp(-ka * t)
    )
    assert_close(y[0], explicit)
    general = first_order(t, 25.0, ka, v1, (alpha, beta), coefficients((alpha, beta), k21))
    assert_close(explicit, general, rtol=1e-12)


# ---------------------------------------------------------------------- three compartments


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("times", [FINE, IRREGULAR], ids=["uniform", "irregular"])
def test_three_compartment_domino_bolus_and_infusion(method: str, times: Array) -> None:
    times = grid_for(method, times)
    lams = trig_eigenvalues(**DOMINO)
    a = coefficients(lams, DOMINO["k21"], DOMINO["k31"])
    assert sum(a) == pytest.approx(1.0, rel=1e-12)  # the A_i sum to 1 (sheet 5.3)
    y, _ = solve(domino(), [Input(0, 140.0, 0.0)], times, method=method)
    assert_close(y[0], bolus(times, 140.0, DOMINO_V1_L, lams, a))
    y, _ = solve(domino(), [Input(0, 140.0, 0.0, 40.0)], times, method=method)
    assert_close(y[0], infusion(times, 140.0 / 40.0, 40.0, DOMINO_V1_L, lams, a))


@pytest.mark.parametrize("method", METHODS)
def test_three_compartment_first_order_absorption(method: str) -> None:
    lams = trig_eigenvalues(**DOMINO)
    a = coefficients(lams, DOMINO["k21"], DOMINO["k31"])
    ka = 0.03
    t = grid_for(method)
    y, _ = solve(with_depot(domino(), ka), [Input(3, 56.0, 0.0)], t, method=method)
    assert_close(y[0], first_order(t, 56.0, ka, DOMINO_V1_L, lams, a))


# -------------------------------------------------------------- lag times, multiple doses


@pytest.mark.parametrize("method", METHODS)
def test_lag_time_delays_the_first_order_curve(method: str) -> None:
    """A route with a lag: zero before it, the shifted closed form after."""
    v, k, ka, f, lag = 60.0, 0.01, 0.05, 0.3, 12.5
    system = with_depot(one_compartment(v, k), ka)
    ind = Individual(
        system,
        {"oral": RouteRule((Path("depot", f, lag_min=lag),))},
        {},
    )
    regimen = Regimen((Dose("oral", 200.0, start_min=30.0),))
    inputs = expand_regimen(ind, regimen, "test-model")
    assert inputs == [Input(1, f * 200.0, 30.0 + lag)]
    times = grid_for(method, np.arange(0, 24001) / 40.0)  # 1.5-s grid over 10 h
    y, _ = solve(system, inputs, times, method=method)
    tau = times - 30.0 - lag
    expected = f * 200.0 * ka / (v * (ka - k)) * (np.exp(-k * tau) - np.exp(-ka * tau))
    expected = np.where(tau >= 0, expected, 0.0)
    assert_close(y[0], expected)
    assert np.all(y[0][tau < 0] == 0.0)


@pytest.mark.parametrize("method", METHODS)
def test_multiple_doses_are_the_superposed_closed_forms(method: str) -> None:
    lams = trig_eigenvalues(**DOMINO)
    a = coefficients(lams, DOMINO["k21"], DOMINO["k31"])
    inputs = [
        Input(0, 20.0, 0.0),
        Input(0, 35.0, 30.0, 40.0),
        Input(0, 10.0, 60.0),  # during the infusion
        Input(0, 10.0, 70.0),  # at its end
        Input(0, 35.0, 24 * 60.0, 40.0),  # the next day
    ]
    t = grid_for(method, np.arange(0, 2 * 24 * 60 + 1, 0.5))
    y, _ = solve(domino(), inputs, t, method=method)
    expected = (
        bolus(t, 20.0, DOMINO_V1_L, lams, a)
        + infusion(t - 30.0, 35.0 / 40.0, 40.0, DOMINO_V1_L, lams, a)
        + bolus(t - 60.0, 10.0, DOMINO_V1_L, lams, a)
        + bolus(t - 70.0, 10.0, DOMINO_V1_L, lams, a)
        + infusion(t - 24 * 60.0, 35.0 / 40.0, 40.0, DOMINO_V1_L, lams, a)
    )
    assert_close(y[0], expected)
    # A bolus is included in the value at its own time (right-continuous).
    before, at = solve(domino(), inputs, [59.999, 60.0], method=method)[0][0]
    assert at - before > 0.99 * 10.0 / DOMINO_V1_L


# --------------------------------------------------------------------- methods, grids, AUC


def _systems() -> dict[str, CompartmentSystem]:
    kamp = get_model("kamp-2020")
    ind = kamp.individual(Patient(weight_kg=70))
    site = kamp.effect_site()
    assert site is not None
    # A cycle 1 -> 2 -> 3 -> 1 with elimination has complex eigenvalues.
    cyc = np.array([[-0.6, 0.0, 0.3], [0.5, -0.4, 0.0], [0.0, 0.4, -0.3]])
    return {
        "domino": domino(),
        "kamp+effect+depots": ind.system.with_effect_site(site),
        "domino+depot": with_depot(domino(), 0.02),
        "complex": CompartmentSystem(("a", "b", "c"), cyc, (Output("plasma", 0, 5.0),)),
    }


@pytest.mark.parametrize("name", ["domino", "kamp+effect+depots", "domino+depot", "complex"])
@pytest.mark.parametrize("times", [FINE, IRREGULAR], ids=["uniform", "irregular"])
def test_eigen_and_expm_agree(name: str, times: Array) -> None:
    system = _systems()[name]
    last = len(system.compartments) - 1
    inputs = [
        Input(0, 30.0, 0.0, 40.0),
        Input(0, 5.0, 90.0),
        Input(last if name.endswith("depot") else 0, 50.0, 150.0),
        Input(0, 12.0, 200.0, 15.5),
    ]
    a = solve_detailed(system, inputs, times, method="eigen")
    # The block form on the 1-s grid against expm at every 30th point (same window).
    b = solve_detailed(system, inputs, grid_for("expm", times), method="expm")
    assert (a.method, b.method) == ("eigen", "expm")
    assert_close(a.y if times.size < 1000 else a.y[:, ::30], b.y)
    np.testing.assert_allclose(a.auc, b.auc, rtol=RTOL)


def test_block_and_pointwise_evaluation_agree() -> None:
    """The uniform-grid block form and the pointwise form give the same numbers."""
    system = _systems()["kamp+effect+depots"]
    inputs = [Input(0, 35.0, 0.0, 40.0), Input(4, 56.0, 100.0)]  # intranasal depot
    grids = {
        "arange/60": np.arange(16801) / 60.0,
        "linspace": np.linspace(0.0, 280.0, 16801),
        "k*h": np.arange(16801) * (1.0 / 60.0),
    }
    for grid in grids.values():
        y = solve(system, inputs, grid)[0]
        pick = np.sort(np.random.default_rng(7).choice(grid.size, 50, replace=False))
        pointwise = solve(system, inputs, grid[pick])[0]  # 50 irregular points: direct
        assert_close(y[:, pick], pointwise, rtol=1e-13)


def test_reduction_to_reachable_compartments_changes_nothing() -> None:
    """An IV regimen on a model with absorption depots solves the disposition part only;
    the values are those of the depot-free system."""
    kamp = get_model("kamp-2020").individual(Patient(weight_kg=70)).system
    plain = CompartmentSystem(kamp.compartments[:3], kamp.a[:3, :3], kamp.outputs)
    inputs = [Input(0, 35.0, 0.0, 40.0)]
    assert_close(solve(kamp, inputs, FINE)[0], solve(plain, inputs, FINE)[0], rtol=1e-14)


@pytest.mark.parametrize("method", METHODS)
def test_exact_auc_against_closed_form_integrals(method: str) -> None:
    one = one_compartment(10.0, 0.1)
    auc = integrate(one, [Input(0, 100.0, 0.0)], 3.0, 47.5, method=method)[0]
    assert auc == pytest.approx(100.0 / (10.0 * 0.1) * (math.exp(-0.3) - math.exp(-4.75)))
    lams = trig_eigenvalues(**DOMINO)
    a = coefficients(lams, DOMINO["k21"], DOMINO["k31"])
    inputs = [Input(0, 140.0, 0.0, 40.0)]
    for t0, t1 in [(0.0, 20.0), (0.0, 40.0), (0.0, 280.0), (17.3, 280.0), (50.0, 1000.0)]:
        got = integrate(domino(), inputs, t0, t1, method=method)[0]
        ref = infusion_integral(t1, 3.5, 40.0, DOMINO_V1_L, lams, a) - infusion_integral(
            t0, 3.5, 40.0, DOMINO_V1_L, lams, a
        )
        assert got == pytest.approx(ref, rel=RTOL)
    # Over all time the area is dose / CL whatever the model (CL = k10 V1).
    total = integrate(domino(), inputs, 0.0, 1e5, method=method)[0]
    assert total == pytest.approx(140.0 / (DOMINO["k10"] * DOMINO_V1_L), rel=RTOL)


def test_solution_area_covers_the_output_window() -> None:
    sol = solve_detailed(one_compartment(10.0, 0.1), [Input(0, 100.0, 0.0)], [2.0, 5.0, 9.0])
    assert sol.auc[0] == pytest.approx(100.0 * (math.exp(-0.2) - math.exp(-0.9)), rel=1e-12)
    np.testing.assert_array_equal(sol.time_min, [2.0, 5.0, 9.0])


def test_no_inputs_and_times_before_the_first_input_are_zero() -> None:
    y, _ = solve(domino(), [], FINE)
    assert not y.any()
    y, _ = solve(domino(), [Input(0, 10.0, 100.0)], FINE)
    assert not y[0][FINE < 100.0].any()
    assert y[0][FINE == 100.0][0] == pytest.approx(10.0 / DOMINO_V1_L, rel=1e-14)


def test_check_times_accepts_valid_grids_unchanged() -> None:
    t = check_times([0, 1.5, 2])
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t, [0.0, 1.5, 2.0])
    np.testing.assert_array_equal(check_times(np.array([7])), [7.0])


def test_mammillary_builder_matches_micro_constants() -> None:
    """mammillary(V1, CL, [(Q, V)]) and micro_system give the same rate matrix."""
    v1 = DOMINO_V1_L
    q2, q3 = DOMINO["k12"] * v1, DOMINO["k13"] * v1
    m = mammillary(
        v1,
        DOMINO["k10"] * v1,
        [(q2, q2 / DOMINO["k21"]), (q3, q3 / DOMINO["k31"])],
    )
    np.testing.assert_allclose(m.a, domino().a, rtol=1e-15)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_overflow_is_reported_not_hidden() -> None:
    """A growing mode (not a compartmental system) overflows: the solution says so."""
    grow = CompartmentSystem(("x",), np.array([[1.0]]), (Output("plasma", 0, 1.0),))
    for method in METHODS:
        sol = solve_detailed(grow, [Input(0, 1.0, 0.0)], [0.0, 10.0, 1000.0], method=method)
        assert not sol.finite
        assert sol.y[0, 1] == pytest.approx(math.exp(10.0), rel=1e-12)
    assert solve_detailed(domino(), [Input(0, 1.0, 0.0)], FINE).finite


def test_many_inputs_a_stepped_infusion_program() -> None:
    """A TCI-like program (90 one-minute steps, more pieces than the scalar area loop
    takes) against the superposed closed forms, values and area."""
    lams = trig_eigenvalues(**DOMINO)
    a = coefficients(lams, DOMINO["k21"], DOMINO["k31"])
    amounts = 1.0 + 0.5 * np.sin(np.arange(90) / 7.0)
    inputs = [Input(0, float(d), float(k), 1.0) for k, d in enumerate(amounts)]
    t = np.arange(0, 300 * 60 + 1) / 60.0
    sol = solve_detailed(domino(), inputs, t)
    expected = sum(
        infusion(t - k, float(d), 1.0, DOMINO_V1_L, lams, a) for k, d in enumerate(amounts)
    )
    assert_close(sol.y[0], expected)
    area = sum(
        infusion_integral(300.0 - k, float(d), 1.0, DOMINO_V1_L, lams, a)
        for k, d in enumerate(amounts)
    )
    assert sol.auc[0] == pytest.approx(area, rel=RTOL)
    assert integrate(domino(), inputs, 0.0, 300.0, method="expm")[0] == pytest.approx(
        area, rel=RTOL
    )
    # A window opening and closing inside pieces.
    part = sum(
        infusion_integral(250.0 - k, float(d), 1.0, DOMINO_V1_L, lams, a)
        - infusion_integral(max(10.5 - k, 0.0), float(d), 1.0, DOMINO_V1_L, lams, a)
        for k, d in enumerate(amounts)
    )
    assert integrate(domino(), inputs, 10.5, 250.0)[0] == pytest.approx(part, rel=RTOL)
