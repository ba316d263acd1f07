"""Population simulation: against one-by-one exact simulation of the same virtual patients."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from ketaclinic.errors import InputError
from ketaclinic.pk.batch_build import build_batches
from ketaclinic.pk.covariates import (
    ADULTS_ASSUMED,
    HERD_2007_CHILDREN,
    CovariateDistribution,
    draw_covariates,
)
from ketaclinic.pk.modal import eigenvalues
from ketaclinic.pk.model import Individual, Parameter, PKModel, ResidualError
from ketaclinic.pk.models import get_model
from ketaclinic.pk.models._build import Depot, mammillary, with_depots
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.population import (
    RNG_BLOCK,
    _correlation_factor,
    _Draws,
    _individual_values,
    _varied,
    simulate_population,
)
from ketaclinic.pk.quantiles import RELATIVE_ERROR_BOUND
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import simulate

DEPRESSION = Regimen((Dose("iv-infusion", 35, duration_min=40),))
#: float32 state over ~1,500 steps: tested at 1e-4 of the curve's peak.
F32 = 1e-4


def _brute_force(model, regimen, times, n, seed, covs):
    """Every virtual patient solved alone by the float64 linear solver (same draws)."""
    from ketaclinic.pk.dosing_inputs import expand_regimen
    from ketaclinic.pk.linear import solve
    from ketaclinic.pk.simulate import exact_auc

    varied = _varied(model)
    u, eta = _Draws(seed, len(varied)).patients(0, n)
    cd = draw_covariates(covs, u)
    values = _individual_values(varied, eta @ _correlation_factor(model, varied).T)
    y = np.empty((n, len(times)))
    cmax = np.empty(n)
    auc = np.empty(n)
    for i in range(n):
        params = {p.name: float(values[i, j]) for j, p in enumerate(varied)}
        ind = model.individual(cd.patient(i), params)
        inputs = expand_regimen(ind, regimen, model.id)
        row = ind.system.outputs.index(ind.system.output("plasma"))
        y[i] = solve(ind.system, inputs, times)[0][row]
        cmax[i] = y[i].max()
        auc[i] = exact_auc(ind.system, inputs, float(times[0]), float(times[-1]))
    return y, cmax, auc


def _check_percentiles(result, y, qs=(5, 50, 95)):
    scale = y.max()
    for q in qs:
        exact = np.percentile(y, q, axis=0, method="inverted_cdf")
        err = np.abs(result.percentiles_mg_per_l[float(q)] - exact)
        assert np.all(err <= RELATIVE_ERROR_BOUND * exact + F32 * scale), q


def test_herd_2007_population_matches_one_by_one_simulation() -> None:
    model = get_model("herd-2007")
    times = np.arange(0.0, 361.0, 2.0)
    regimen = Regimen((Dose("iv-bolus", 10), Dose("iv-infusion", 20, 30, duration_min=40)))
    n = 600
    res = simulate_population(
        model,
        regimen,
        times,
        n=n,
        seed=11,
        covariates=HERD_2007_CHILDREN,
        thresholds_ng_per_ml=(100, 750),
        chunk_size=250,
    )
    y, cmax, auc = _brute_force(model, regimen, times, n, 11, HERD_2007_CHILDREN)
    _check_percentiles(res, y)
    for q in (5, 50, 95):
        assert res.cmax_percentiles_mg_per_l[float(q)] == pytest.approx(
            np.percentile(cmax, q, method="inverted_cdf"), rel=F32
        )
        assert res.auc_percentiles_mg_min_per_l[float(q)] == pytest.approx(
            np.percentile(auc, q, method="inverted_cdf"), rel=F32
        )
    for thr in (100, 750):
        exact = (y * 1000 > thr).mean(axis=0)
        near = (np.abs(y * 1000 - thr) <= F32 * thr).sum(axis=0) / n
        assert np.all(np.abs(res.exceedance[float(thr)] - exact) <= near)
    assert res.exceedance[100.0][0] > 0.5  # 10 mg bolus in children: above 100 ng/mL at t=0
    assert res.varied_parameters == ("V1", "V2", "CL", "Q")
    assert res.n == n
    assert res.seed == 11


def test_population_without_iiv_and_fixed_patient_is_the_single_patient_curve() -> None:
    model = get_model("kamp-2020")
    times = np.arange(0.0, 281.0)
    patient = Patient(weight_kg=70)
    res = simulate_population(
        model,
        DEPRESSION,
        times,
        n=50,
        seed=1,
        covariates=patient,
        effect_site="olofsen-2022",
    )
    one = simulate(model, DEPRESSION, patient, times, effect_site="olofsen-2022")
    peak = one.plasma_mg_per_l.max()
    for q in (5, 50, 95):
        got = res.percentiles_mg_per_l[float(q)]
        assert np.all(
            np.abs(got - one.plasma_mg_per_l)
            <= RELATIVE_ERROR_BOUND * one.plasma_mg_per_l + F32 * peak
        )
        ce = res.effect_site_percentiles_mg_per_l[float(q)]
        assert np.all(
            np.abs(ce - one.effect_site_mg_per_l)
            <= RELATIVE_ERROR_BOUND * one.effect_site_mg_per_l + F32 * peak
        )
    # the literature-sheet value at 40 min, 253.1 ng/mL, within the sketch bound
    assert res.percentiles[50.0][40] == pytest.approx(253.1, rel=RELATIVE_ERROR_BOUND + 1e-3)
    assert res.cmax_percentiles_mg_per_l[50.0] == pytest.approx(one.summary.cmax_mg_per_l, rel=F32)
    assert res.auc_percentiles_mg_min_per_l[50.0] == pytest.approx(
        one.summary.auc_mg_min_per_l, rel=F32
    )
    assert any("has no published IIV" in w for w in res.warnings)


def test_off_grid_breakpoints_and_uneven_times_are_exact() -> None:
    model = get_model("kamp-2020")
    patient = Patient(weight_kg=82)
    regimen = Regimen(
        (Dose("iv-bolus", 7.5, 3.3), Dose("iv-infusion", 30, 10.25, duration_min=37.7))
    )
    times = np.concatenate([[0.0, 0.5, 3.3, 7.0], np.geomspace(8, 900, 60)])
    res = simulate_population(model, regimen, times, n=5, seed=0, covariates=patient)
    one = simulate(model, regimen, patient, times, effect_site=False)
    exact = one.plasma_mg_per_l
    got = res.percentiles_mg_per_l[50.0]
    assert np.all(np.abs(got - exact) <= RELATIVE_ERROR_BOUND * exact + F32 * exact.max())
    assert got[2] > 0
    assert got[1] == 0.0


def test_reproducible_and_independent_of_chunk_size() -> None:
    model = get_model("herd-2007")
    times = np.arange(0.0, 241.0, 4.0)
    regimen = Regimen((Dose("iv-bolus", 20),))
    kw = {"n": 5000, "seed": 7, "covariates": HERD_2007_CHILDREN, "thresholds_ng_per_ml": (500,)}
    a = simulate_population(model, regimen, times, chunk_size=997, **kw)
    b = simulate_population(model, regimen, times, chunk_size=5000, **kw)
    c = simulate_population(model, regimen, times, **kw)
    for other in (b, c):
        for q in (5.0, 50.0, 95.0):
            assert np.array_equal(a.percentiles_mg_per_l[q], other.percentiles_mg_per_l[q])
            assert a.cmax_percentiles_mg_per_l[q] == other.cmax_percentiles_mg_per_l[q]
        assert np.array_equal(a.exceedance[500.0], other.exceedance[500.0])
    d = simulate_population(model, regimen, times, n=5000, seed=8, covariates=HERD_2007_CHILDREN)
    assert not np.array_equal(a.percentiles_mg_per_l[50.0], d.percentiles_mg_per_l[50.0])


def test_patient_draws_do_not_depend_on_n() -> None:
    d = _Draws(5, 4)
    u_small, e_small = d.patients(0, 10)
    u_big, e_big = d.patients(0, RNG_BLOCK + 10)
    assert np.array_equal(u_small, u_big[:10])
    assert np.array_equal(e_small, e_big[:10])
    u_mid, _ = d.patients(RNG_BLOCK - 3, RNG_BLOCK + 2)
    assert np.array_equal(u_mid, u_big[RNG_BLOCK - 3 : RNG_BLOCK + 2])


def test_seed_none_is_reported_and_reproduces() -> None:
    model = get_model("herd-2007")
    regimen = Regimen((Dose("iv-bolus", 20),))
    first = simulate_population(model, regimen, [0.0, 30.0], n=300, covariates=HERD_2007_CHILDREN)
    again = simulate_population(
        model, regimen, [0.0, 30.0], n=300, seed=first.seed, covariates=HERD_2007_CHILDREN
    )
    assert np.array_equal(first.percentiles_mg_per_l[50.0], again.percentiles_mg_per_l[50.0])


def test_lognormal_iiv_has_the_published_cv() -> None:
    model = get_model("herd-2007")
    varied = _varied(model)
    _, eta = _Draws(3, len(varied)).patients(0, 40000)
    values = _individual_values(varied, eta)
    v1 = values[:, [p.name for p in varied].index("V1")]
    # log-normal with CV 64 %: SD(log V1) = sqrt(ln(1 + 0.64^2)), median = typical 38.7 L
    assert np.std(np.log(v1)) == pytest.approx(math.sqrt(math.log1p(0.64**2)), rel=0.02)
    assert np.median(v1) == pytest.approx(38.7, rel=0.02)


def test_logit_iiv_keeps_fractions_inside_0_1() -> None:
    p = Parameter("F", 0.41, "1", "P", "test", iiv=0.8, iiv_scale="logit")
    eta = np.random.default_rng(0).standard_normal((20000, 1))
    f = _individual_values((p,), eta)[:, 0]
    assert np.all((f > 0) & (f < 1))
    assert np.median(f) == pytest.approx(0.41, abs=0.01)
    logit = np.log(f / (1 - f))
    assert np.std(logit) == pytest.approx(0.8, rel=0.03)


def test_fast_builder_equals_per_patient_builder() -> None:
    model = get_model("herd-2007")
    site = get_model("kamp-2020").effect_sites[0]
    varied = _varied(model)
    u, eta = _Draws(2, len(varied)).patients(0, 300)
    cd = draw_covariates(HERD_2007_CHILDREN, u)
    values = _individual_values(varied, eta)
    names = [p.name for p in varied]
    fast, vec = build_batches(model, DEPRESSION, site, cd, names, values)
    slow, vec_slow = build_batches(model, DEPRESSION, site, cd, names, values, fast=False)
    assert vec
    assert not vec_slow
    order = np.argsort(slow[0].index)
    np.testing.assert_allclose(fast[0].a, slow[0].a[order], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(fast[0].c, slow[0].c[:, order], rtol=1e-9)
    np.testing.assert_allclose(fast[0].amounts, slow[0].amounts[order], rtol=1e-9)


def _age_model() -> PKModel:
    """Herd 2007 with an (invented, test-only) age kink the log-linear map cannot follow."""
    herd = get_model("herd-2007")

    def build(p, patient):
        ind = herd.builder(p, patient)
        age = patient.age_years or 0.0
        a = np.array(ind.system.a)
        a[0, 0] -= 0.01 * max(age - 8.0, 0.0)
        return Individual(replace(ind.system, a=a), ind.routes, ind.params)

    return replace(herd, id="test-age-kink", builder=build)


def test_non_log_linear_model_takes_the_exact_builder_path() -> None:
    model = _age_model()
    times = np.arange(0.0, 121.0, 5.0)
    regimen = Regimen((Dose("iv-bolus", 20),))
    res = simulate_population(model, regimen, times, n=200, seed=4, covariates=HERD_2007_CHILDREN)
    assert any("per-patient model builder" in w for w in res.warnings)
    y, _, _ = _brute_force(model, regimen, times, 200, 4, HERD_2007_CHILDREN)
    _check_percentiles(res, y)


def _repeated_eigenvalue_model() -> PKModel:
    """One compartment with IM absorption where ka == k: a double eigenvalue."""
    herd = get_model("herd-2007")

    def build(p, patient):
        system = mammillary(10.0, 1.0)  # k = 0.1 /min
        return with_depots(system, [Depot("im", 0.5, 0.1)], p)

    return replace(
        herd,
        id="test-ka-equals-k",
        builder=build,
        routes=("iv-bolus", "iv-infusion", "im"),
        parameters=(Parameter("X", 1.0, "1", "C", "test"),),
    )


def test_repeated_eigenvalues_use_the_exact_solver() -> None:
    model = _repeated_eigenvalue_model()
    _lam, bad = eigenvalues(np.array([[[-0.1, 0.0], [0.1, -0.1]]]))
    assert bad[0]
    times = np.arange(0.0, 61.0, 3.0)
    regimen = Regimen((Dose("im", 100),))
    res = simulate_population(model, regimen, times, n=20, seed=0, covariates=Patient(70))
    assert any("solved one by one" in w for w in res.warnings)
    exact = 0.5 * 100 * 0.1 * times * np.exp(-0.1 * times) / 10.0  # F D k t e^-kt / V
    got = res.percentiles_mg_per_l[50.0]
    assert np.all(np.abs(got - exact) <= RELATIVE_ERROR_BOUND * exact + 1e-6)


def test_eigenvalues_match_lapack_on_random_compartment_systems() -> None:
    rng = np.random.default_rng(9)
    m = 200
    v1, v2, v3 = rng.uniform(5, 50, (3, m))
    cl, q2, q3 = rng.uniform(0.1, 3, (3, m))
    a = np.zeros((m, 5, 5))
    a[:, 0, 0] = -(cl + q2 + q3) / v1
    a[:, 0, 1], a[:, 1, 0], a[:, 1, 1] = q2 / v2, q2 / v1, -q2 / v2
    a[:, 0, 2], a[:, 2, 0], a[:, 2, 2] = q3 / v3, q3 / v1, -q3 / v3
    ka = rng.uniform(0.01, 0.5, m)
    a[:, 3, 3], a[:, 0, 3] = -ka, ka  # a depot
    ke0 = 0.0835
    a[:, 4, 0], a[:, 4, 4] = ke0 / v1, -ke0  # an effect site
    lam, bad = eigenvalues(a)
    ref = np.sort(np.linalg.eigvals(a).real, axis=1)
    ok = ~bad
    np.testing.assert_allclose(np.sort(lam, axis=1)[ok], ref[ok], rtol=1e-10)
    assert ok.mean() > 0.9
    # the Domino 1982 eigenvalues of the literature sheet (1.7242, 0.15151, 0.0060475 /min)
    v1d, k10, k12, k21, k13, k31 = 0.063 * 70, 0.4381, 0.5921, 0.2470, 0.5921, 0.0146
    dom = np.array(
        [[[-(k10 + k12 + k13), k21, k31], [k12, -k21, 0.0], [k13, 0.0, -k31]]]
    ) * np.ones((1, 1, 1))
    del v1d
    lam_d, bad_d = eigenvalues(dom)
    assert not bad_d[0]
    np.testing.assert_allclose(
        np.sort(-lam_d[0]), np.sort(-np.linalg.eigvals(dom[0]).real), rtol=1e-12
    )


def test_residual_error_widens_the_interval_reproducibly() -> None:
    herd = get_model("herd-2007")
    noisy = replace(
        herd,
        id="test-herd-residual",
        residual_error=(ResidualError("ketamine", "proportional", 0.3, "test only"),),
    )
    times = np.arange(0.0, 121.0, 10.0)
    regimen = Regimen((Dose("iv-bolus", 20),))
    kw = {"n": 4000, "seed": 3, "covariates": HERD_2007_CHILDREN}
    plain = simulate_population(noisy, regimen, times, **kw)
    with_err = simulate_population(noisy, regimen, times, residual_error=True, **kw)
    again = simulate_population(noisy, regimen, times, residual_error=True, chunk_size=1500, **kw)
    width = with_err.percentiles_mg_per_l[95.0] - with_err.percentiles_mg_per_l[5.0]
    base = plain.percentiles_mg_per_l[95.0] - plain.percentiles_mg_per_l[5.0]
    assert np.all(width > base)
    assert np.array_equal(with_err.percentiles_mg_per_l[95.0], again.percentiles_mg_per_l[95.0])
    assert with_err.residual_error == "proportional SD 0.3"
    # the exposure summary is of individual predictions, without residual error
    assert with_err.cmax_percentiles_mg_per_l == plain.cmax_percentiles_mg_per_l
    none = simulate_population(herd, regimen, times, residual_error=True, **kw)
    assert any("no published residual error" in w for w in none.warnings)


def test_to_dict_is_json_and_in_ng_per_ml() -> None:
    res = simulate_population(
        get_model("kamp-2020"),
        DEPRESSION,
        [0.0, 40.0],
        n=100,
        seed=1,
        thresholds_ng_per_ml=(100,),
        effect_site=True,
    )
    d = json.loads(json.dumps(res.to_dict()))
    assert d["model"] == "kamp-2020"
    assert d["n"] == 100
    assert d["seed"] == 1
    assert d["plasma_ng_per_ml"]["p50"][0] == 0.0
    assert 150 < d["plasma_ng_per_ml"]["p50"][1] < 400
    assert set(d["probability_above"]) == {"100_ng_per_ml"}
    assert d["summary"]["cmax_ng_per_ml"]["p50"] == pytest.approx(
        res.cmax_percentiles_mg_per_l[50.0] * 1000
    )
    assert d["effect_site"].startswith("olofsen-2022")
    frame = res.to_pandas()
    assert list(frame.columns[:4]) == [
        "time_min",
        "plasma_p5_ng_per_ml",
        "plasma_p50_ng_per_ml",
        "plasma_p95_ng_per_ml",
    ]
    assert "p_above_100_ng_per_ml" in frame.columns


def test_progress_reports_every_chunk() -> None:
    calls: list[tuple[int, int]] = []
    simulate_population(
        get_model("kamp-2020"),
        DEPRESSION,
        [0.0, 60.0],
        n=2500,
        seed=1,
        chunk_size=1000,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(1000, 2500), (2000, 2500), (2500, 2500)]


def test_validity_warnings_for_a_population_beyond_the_studied_range() -> None:
    res = simulate_population(
        get_model("herd-2007"), DEPRESSION, [0.0, 60.0], n=50, seed=1, covariates=ADULTS_ASSUMED
    )
    assert any("beyond the 5-80 kg studied for herd-2007" in w for w in res.warnings)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n": 0}, "n must be"),
        ({"n": True}, "n must be"),
        ({"n": 10, "seed": -1}, "seed must be"),
        ({"n": 10, "percentiles": (50, 101)}, "percentiles must be between 0 and 100"),
        ({"n": 10, "thresholds_ng_per_ml": (-5,)}, "thresholds_ng_per_ml must be"),
        ({"n": 10, "chunk_size": 0}, "chunk_size must be"),
        ({"n": 10, "effect_site": "nope"}, "effect_site must be"),
        ({"n": 10, "covariates": "adults"}, "covariates must be"),
    ],
)
def test_bad_input_is_refused(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError, match=field):
        simulate_population(get_model("kamp-2020"), DEPRESSION, [0.0, 1.0], **kwargs)  # type: ignore[arg-type]


def test_covariate_distribution_draws_inside_the_range() -> None:
    d = CovariateDistribution(weight_mean_kg=70, weight_sd_kg=30, weight_range_kg=(50, 90))
    u = np.random.default_rng(0).random((20000, 3))
    cd = draw_covariates(d, u)
    assert cd.weight_kg.min() >= 50
    assert cd.weight_kg.max() <= 90
    assert 0.45 < (cd.sex == 1).mean() < 0.55
    assert np.all((cd.age_years >= 18) & (cd.age_years <= 80))
    wide = draw_covariates(CovariateDistribution(weight_sd_kg=14, weight_range_kg=(1, 300)), u)
    assert wide.weight_kg.mean() == pytest.approx(70, rel=0.01)
    assert wide.weight_kg.std() == pytest.approx(14, rel=0.03)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"weight_mean_kg": -1},
        {"weight_sd_kg": float("nan")},
        {"weight_range_kg": (90, 50)},
        {"weight_range_kg": (0.1, 50)},
        {"female_fraction": 1.5},
        {"age_mean_years": 200},
    ],
)
def test_covariate_distribution_refuses_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        CovariateDistribution(**kwargs)  # type: ignore[arg-type]


def test_unused_depots_do_not_leak_into_plasma() -> None:
    """Regression: domino-1982 carries four route depots; with an IV infusion their modes
    must get exactly zero residue (Sylvester over the whole system leaked 0.5 %)."""
    model = get_model("domino-1982")
    patient = Patient(weight_kg=70, age_years=40, sex="male")
    times = np.arange(0.0, 481.0, 2.0)
    regimen = Regimen((Dose("iv-infusion", 20.0, 60, duration_min=30),))
    res = simulate_population(model, regimen, times, n=10, seed=1, covariates=patient)
    exact = simulate(model, regimen, patient, times, effect_site=False).plasma_mg_per_l
    got = res.percentiles_mg_per_l[50.0]
    assert np.all(np.abs(got - exact) <= RELATIVE_ERROR_BOUND * exact + F32 * exact.max())


def test_flint_2017_correlated_iiv_matches_one_by_one_simulation() -> None:
    model = get_model("flint-2017")
    varied = _varied(model)
    names = [p.name for p in varied]
    _, z = _Draws(1, len(varied)).patients(0, 40000)
    values = _individual_values(varied, z @ _correlation_factor(model, varied).T)
    logs = np.log(values[:, [names.index("CL"), names.index("CLsnk")]])
    # Flint 2017 Table 3: correlation 0.506 between the two clearance random effects
    assert np.corrcoef(logs.T)[0, 1] == pytest.approx(0.506, abs=0.02)
    times = np.arange(0.0, 241.0, 4.0)
    regimen = Regimen((Dose("iv-infusion", 10.0, duration_min=60),))
    covs = Patient(weight_kg=15, age_years=3)
    res = simulate_population(model, regimen, times, n=300, seed=5, covariates=covs)
    y, _, _ = _brute_force(model, regimen, times, 300, 5, covs)
    _check_percentiles(res, y)


def test_perez_ruixo_2021_intranasal_population_matches_one_by_one_simulation() -> None:
    """Logit FRn and device rules: the per-patient builder path, still exact."""
    model = get_model("perez-ruixo-2021")
    times = np.arange(0.0, 361.0, 6.0)
    regimen = Regimen((Dose("intranasal", 56.0),))
    covs = Patient(weight_kg=80, age_years=45, sex="female")
    res = simulate_population(model, regimen, times, n=120, seed=2, covariates=covs)
    y, _, _ = _brute_force(model, regimen, times, 120, 2, covs)
    _check_percentiles(res, y)


def test_too_many_output_times_for_the_histogram_memory_is_refused() -> None:
    from ketaclinic.pk.population import HISTOGRAM_BUDGET_BYTES
    from ketaclinic.pk.quantiles import BYTES_PER_TIME

    limit = HISTOGRAM_BUDGET_BYTES // BYTES_PER_TIME
    with pytest.raises(InputError, match=f"at most {limit:,} output times"):
        simulate_population(
            get_model("kamp-2020"), DEPRESSION, np.arange(limit + 1.0), n=10, seed=1
        )
