"""Population simulation: virtual patients with covariates, IIV and residual error.

Each virtual patient ``p`` draws covariates (:mod:`ketaclinic.pk.covariates`) and random
effects from a generator keyed by its block ``p // RNG_BLOCK`` (numpy ``SeedSequence``
with ``spawn_key=(block,)``), so a run is reproducible from ``(seed, n)`` and patient
``p`` is the same patient whatever ``n`` and ``chunk_size``. Random effects are
log-normal, ``P_i = P exp(eta)``, with ``omega = sqrt(ln(1 + CV^2))`` for
``Parameter.iiv_scale == "lognormal"``, and logit-normal, ``P_i = expit(logit(P) +
eta)`` with ``omega = iiv``, for fractions (``"logit"``); etas are correlated as the
model publishes (``PKModel.iiv_correlations``, e.g. Flint 2017 CL and CL(S-NK) r 0.506),
otherwise independent.

Patients are processed in chunks (memory bounded whatever ``n``) by two worker threads;
each chunk is built as arrays (:mod:`ketaclinic.pk.batch_build`) and evaluated by the
batched modal recurrence (:mod:`ketaclinic.pk.modal`) into streaming per-time
histograms (:mod:`ketaclinic.pk.quantiles`, relative error <= 2^-8 = 0.39%). Exceedance
probabilities are exact counts; Cmax (on the output grid) and AUC (exact over the
output window) are kept per patient and summarised by exact percentiles.
"""

from __future__ import annotations

import math
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.special
from numpy.typing import NDArray

from ketaclinic.errors import InputError
from ketaclinic.pk.batch_build import build_batches
from ketaclinic.pk.covariates import (
    ADULTS_ASSUMED,
    N_UNIFORMS,
    CovariateDistribution,
    draw_covariates,
)
from ketaclinic.pk.linear import check_times
from ketaclinic.pk.modal import ROWS_PER_BLOCK, Accumulator, Residual, plan_steps, run_batch
from ketaclinic.pk.model import EffectSite, Parameter, PKModel
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.quantiles import BYTES_PER_TIME
from ketaclinic.pk.regimen import Regimen
from ketaclinic.pk.simulate import default_times
from ketaclinic.units import MG_PER_L_TO_NG_PER_ML

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "HISTOGRAM_BUDGET_BYTES",
    "MAX_PATIENTS",
    "RNG_BLOCK",
    "PopulationResult",
    "simulate_population",
]

#: Patients per random-number block (the unit of reproducibility).
RNG_BLOCK = 4096
#: Memory allowed for the per-time histograms of all workers together (the rest of a
#: run is a chunk per worker, tens of MB): keeps a run under 1 GB.
HISTOGRAM_BUDGET_BYTES = 640 * 2**20
#: Refusal bound on ``n``: 10^8 virtual patients is 100x the largest run benchmarked.
MAX_PATIENTS = 100_000_000
#: Largest default chunk: wide enough that the per-chunk fixed costs (the log-linear map's
#: probes through the model builder) stay small, small enough for the caches and memory.
_DEFAULT_CHUNK = 32768

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PopulationResult:
    """Percentiles and exceedance per time, and exposure distributions.

    Attributes
    ----------
    time_min : (T,) output times, min
    percentiles_mg_per_l : q -> (T,) plasma percentile, mg/L (``percentiles`` in ng/mL)
    effect_site_percentiles_mg_per_l : the same at the effect site, or None
    exceedance : threshold (ng/mL) -> (T,) fraction of patients above it (plasma)
    cmax_percentiles_mg_per_l, auc_percentiles_mg_min_per_l : q -> value over patients
    n, seed : the run's size and seed (``seed`` reproduces it)
    """

    model_id: str
    model_version: str
    time_min: NDArray[np.float64]
    percentiles_mg_per_l: dict[float, NDArray[np.float64]]
    effect_site_percentiles_mg_per_l: dict[float, NDArray[np.float64]] | None
    effect_site: EffectSite | None
    exceedance: dict[float, NDArray[np.float64]]
    effect_site_exceedance: dict[float, NDArray[np.float64]] | None
    cmax_percentiles_mg_per_l: dict[float, float]
    auc_percentiles_mg_min_per_l: dict[float, float]
    n: int
    seed: int
    covariates: str
    residual_error: str | None
    varied_parameters: tuple[str, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def percentiles(self) -> dict[float, NDArray[np.float64]]:
        """Plasma percentiles in ng/mL."""
        return {q: v * MG_PER_L_TO_NG_PER_ML for q, v in self.percentiles_mg_per_l.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (ng/mL, ng*h/mL, minutes)."""
        ng = MG_PER_L_TO_NG_PER_ML

        def qkey(q: float) -> str:
            return f"p{q:g}"

        ce = self.effect_site_percentiles_mg_per_l
        return {
            "model": self.model_id,
            "model_version": self.model_version,
            "n": self.n,
            "seed": self.seed,
            "covariates": self.covariates,
            "residual_error": self.residual_error,
            "varied_parameters": list(self.varied_parameters),
            "effect_site": None if self.effect_site is None else self.effect_site.label,
            "time_min": self.time_min.tolist(),
            "plasma_ng_per_ml": {
                qkey(q): (v * ng).tolist() for q, v in self.percentiles_mg_per_l.items()
            },
            "effect_site_ng_per_ml": None
            if ce is None
            else {qkey(q): (v * ng).tolist() for q, v in ce.items()},
            "probability_above": {
                f"{t:g}_ng_per_ml": v.tolist() for t, v in self.exceedance.items()
            },
            "effect_site_probability_above": None
            if self.effect_site_exceedance is None
            else {f"{t:g}_ng_per_ml": v.tolist() for t, v in self.effect_site_exceedance.items()},
            "summary": {
                "cmax_ng_per_ml": {
                    qkey(q): v * ng for q, v in self.cmax_percentiles_mg_per_l.items()
                },
                "auc_ng_h_per_ml": {
                    qkey(q): v * ng / 60.0 for q, v in self.auc_percentiles_mg_min_per_l.items()
                },
            },
            "warnings": list(self.warnings),
        }

    def to_pandas(self) -> pd.DataFrame:
        """One row per time: plasma (and effect-site) percentiles in ng/mL and the
        probability above each threshold."""
        import pandas as pd

        ng = MG_PER_L_TO_NG_PER_ML
        cols: dict[str, NDArray[np.float64]] = {"time_min": self.time_min}
        for q, v in self.percentiles_mg_per_l.items():
            cols[f"plasma_p{q:g}_ng_per_ml"] = v * ng
        for q, v in (self.effect_site_percentiles_mg_per_l or {}).items():
            cols[f"effect_site_p{q:g}_ng_per_ml"] = v * ng
        for t, v in self.exceedance.items():
            cols[f"p_above_{t:g}_ng_per_ml"] = v
        for t, v in (self.effect_site_exceedance or {}).items():
            cols[f"effect_site_p_above_{t:g}_ng_per_ml"] = v
        return pd.DataFrame(cols)


def _default_chunk(n: int) -> int:
    """Equal chunks of at most ``_DEFAULT_CHUNK`` patients, an even number of them when
    there are several, so that the two workers get the same amount of work."""
    n_chunks = -(-n // _DEFAULT_CHUNK)
    if n_chunks > 1:
        n_chunks += n_chunks % 2
    return -(-n // n_chunks)


def _varied(model: PKModel) -> tuple[Parameter, ...]:
    return tuple(p for p in model.parameters if p.omega is not None and p.omega > 0)


def _correlation_factor(model: PKModel, varied: Sequence[Parameter]) -> NDArray[np.float64]:
    """Cholesky factor L of the random effects' correlation matrix (identity when the
    model publishes no correlation): correlated etas are ``z @ L.T``."""
    index = {p.name: j for j, p in enumerate(varied)}
    corr = np.eye(len(varied))
    for a, b, r in model.iiv_correlations:
        if a in index and b in index:
            corr[index[a], index[b]] = corr[index[b], index[a]] = float(r)
    try:
        return np.asarray(np.linalg.cholesky(corr), dtype=float)
    except np.linalg.LinAlgError:
        raise InputError.for_field(
            "iiv_correlations", model.id, "a positive-definite correlation matrix"
        ) from None


def _individual_values(
    params: Sequence[Parameter], eta: NDArray[np.float64]
) -> NDArray[np.float64]:
    out = np.empty_like(eta)
    for j, p in enumerate(params):
        omega = float(p.omega or 0.0)
        if p.iiv_scale == "logit":
            if not 0 < p.value < 1:
                raise InputError.for_field(
                    f"parameter {p.name}", p.value, "a fraction in (0, 1) for a logit IIV"
                )
            out[:, j] = scipy.special.expit(scipy.special.logit(p.value) + omega * eta[:, j])
        else:
            out[:, j] = p.value * np.exp(omega * eta[:, j])
    return out


class _Draws:
    """Per-block generators: block b serves patients [b * RNG_BLOCK, (b + 1) * RNG_BLOCK)."""

    def __init__(self, entropy: int, n_params: int) -> None:
        self.entropy = entropy
        self.n_params = n_params

    def _gen(self, *key: int) -> np.random.Generator:
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(self.entropy, spawn_key=key))
        )

    def patients(self, p0: int, p1: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(uniforms (m, 3), standard-normal etas (m, P)) for patients p0..p1-1."""
        us, etas = [], []
        for b in range(p0 // RNG_BLOCK, (p1 - 1) // RNG_BLOCK + 1):
            g = self._gen(b, 0)
            u = g.random((RNG_BLOCK, N_UNIFORMS))
            e = g.standard_normal((RNG_BLOCK, self.n_params))
            lo = max(p0 - b * RNG_BLOCK, 0)
            hi = min(p1 - b * RNG_BLOCK, RNG_BLOCK)
            us.append(u[lo:hi])
            etas.append(e[lo:hi])
        return np.concatenate(us), np.concatenate(etas)

    def noise(self, t0: int, rows: int, patients: NDArray[np.intp]) -> NDArray[np.float32]:
        """Standard-normal residual draws (rows, len(patients)) for output rows t0.."""
        tau = t0 // ROWS_PER_BLOCK
        out = np.empty((rows, patients.size), dtype=np.float32)
        blocks = patients // RNG_BLOCK
        for b in np.unique(blocks):
            sel = np.flatnonzero(blocks == b)
            z = self._gen(int(b), 1, tau).standard_normal(
                (ROWS_PER_BLOCK, RNG_BLOCK), dtype=np.float32
            )
            out[:, sel] = z[:rows, patients[sel] - b * RNG_BLOCK]
        return out


def _residual(model: PKModel, wanted: bool, warnings: list[str]) -> Residual | None:
    if not wanted:
        return None
    if not model.residual_error:
        warnings.append(f"model {model.id} has no published residual error: none was applied")
        return None
    parent = model.residual_error[0]
    return Residual(parent.kind, float(parent.sd))


def _validity_warnings(model: PKModel, covs: CovariateDistribution | Patient) -> list[str]:
    if isinstance(covs, Patient):
        return list(model.validity.warnings(covs, model.id))
    out = []
    wlo, whi = model.validity.weight_kg
    lo, hi = covs.weight_range_kg
    if lo < wlo or hi > whi:
        out.append(
            f"weight_kg: virtual patients span {lo:g}-{hi:g} kg, beyond the {wlo:g}-{whi:g} kg "
            f"studied for {model.id}; part of the population is an extrapolation"
        )
    if covs.age_mean_years is not None:
        alo, ahi = model.validity.age_years
        lo, hi = covs.age_range_years
        if lo < alo or hi > ahi:
            out.append(
                f"age_years: virtual patients span {lo:g}-{hi:g} years, beyond the "
                f"{alo:g}-{ahi:g} years studied for {model.id}; part of the population is an "
                "extrapolation"
            )
    return out


def simulate_population(
    model: PKModel,
    regimen: Regimen,
    times: Sequence[float] | NDArray[np.float64] | None,
    *,
    n: int,
    seed: int | None = None,
    covariates: CovariateDistribution | Patient | None = None,
    residual_error: bool = False,
    thresholds_ng_per_ml: Sequence[float] = (),
    percentiles: Sequence[float] = (5, 50, 95),
    effect_site: str | bool | None = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> PopulationResult:
    """Simulate ``n`` virtual patients and summarise them per output time.

    Parameters
    ----------
    model : a published model; its IIV (``Parameter.iiv``) is applied when published
    regimen : the same doses (mg) for every virtual patient
    times : output times in min (None: every minute to 4 h after the last dose)
    n : number of virtual patients (1 to 10^8)
    seed : makes the run reproducible (None: drawn, and reported on the result)
    covariates : a distribution (default :data:`~ketaclinic.pk.covariates.ADULTS_ASSUMED`)
        or one fixed patient for everyone (variability from IIV only)
    residual_error : add the model's published residual error to plasma values
    thresholds_ng_per_ml : report the fraction of patients above each, per time
    percentiles : which percentiles to report (inverted CDF, error <= 0.39%)
    effect_site : None or False for plasma only; True for the model's default effect
        site, or an effect-site id
    chunk_size : patients per chunk (memory bound; does not change the result)
    progress : called as ``progress(done, total)`` after each chunk

    Examples
    --------
    >>> from ketaclinic.pk.models import get_model
    >>> from ketaclinic.pk.regimen import Dose
    >>> r = simulate_population(get_model("herd-2007"),
    ...     Regimen((Dose("iv-bolus", 30),)), [0.0, 10.0], n=1000, seed=1)
    >>> bool(r.percentiles[50.0][0] > r.percentiles[50.0][1] > 0)
    True
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_PATIENTS:
        raise InputError.for_field("n", n, f"an integer from 1 to {MAX_PATIENTS:,}")
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise InputError.for_field("chunk_size", chunk_size, "a positive integer")
    qs = tuple(float(q) for q in percentiles)
    for q in qs:
        if not (math.isfinite(q) and 0 <= q <= 100):
            raise InputError.for_field("percentiles", q, "between 0 and 100", unit="%")
    thresholds = tuple(float(x) for x in thresholds_ng_per_ml)
    for x in thresholds:
        if not (math.isfinite(x) and x > 0):
            raise InputError.for_field(
                "thresholds_ng_per_ml", x, "finite and greater than 0 ng/mL", unit="ng/mL"
            )
    if seed is None:
        entropy = int(np.random.SeedSequence().entropy) % (2**63)  # type: ignore[arg-type]
    elif isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError.for_field("seed", seed, "a non-negative integer")
    else:
        entropy = seed
    t = default_times(regimen) if times is None else check_times(times)
    covs = ADULTS_ASSUMED if covariates is None else covariates
    if not isinstance(covs, CovariateDistribution | Patient):
        raise InputError.for_field(
            "covariates", type(covs).__name__, "a CovariateDistribution or a Patient"
        )
    site: EffectSite | None = None
    if effect_site not in (None, False):
        site = model.effect_site(None if effect_site is True else str(effect_site))
        if site is None:
            raise InputError.for_field("effect_site", effect_site, f"left out: {model.id} has none")

    warnings = _validity_warnings(model, covs)
    varied = _varied(model)
    if not varied:
        warnings.append(
            f"model {model.id} has no published IIV: variability reflects covariates only"
        )
    if site is not None and site.constructed_warning:
        warnings.append(site.constructed_warning)
    residual = _residual(model, residual_error, warnings)
    n_out = 1 if site is None else 2
    thr_mg = [x / MG_PER_L_TO_NG_PER_ML for x in thresholds]
    draws = _Draws(entropy, len(varied))
    names = tuple(p.name for p in varied)
    chol = _correlation_factor(model, varied)
    chunk = chunk_size or _default_chunk(n)
    bounds = [(p0, min(p0 + chunk, n)) for p0 in range(0, n, chunk)]
    per_worker = n_out * t.size * BYTES_PER_TIME
    if per_worker > HISTOGRAM_BUDGET_BYTES:
        limit = HISTOGRAM_BUDGET_BYTES // (n_out * BYTES_PER_TIME)
        raise InputError.for_field(
            "times",
            f"{t.size} output times",
            f"at most {limit:,} output times for a population run "
            f"({'plasma and effect site' if n_out == 2 else 'plasma'}; the per-time "
            "histograms must fit in memory)",
        )
    workers = max(1, min(2, os.cpu_count() or 1, len(bounds), HISTOGRAM_BUDGET_BYTES // per_worker))
    accs: queue.Queue[Accumulator] = queue.Queue()
    for _ in range(workers):
        accs.put(Accumulator(n_out, t.size, thr_mg))
    cmax = np.zeros(n)
    auc = np.zeros(n)
    stats = {"exact": 0, "builder": 0}
    lock = threading.Lock()
    plans: dict[object, Any] = {}

    def one_chunk(p0: int, p1: int) -> int:
        u, eta = draws.patients(p0, p1)
        cd = draw_covariates(covs, u)
        values = _individual_values(varied, eta @ chol.T)
        batches, vectorised = build_batches(model, regimen, site, cd, names, values)
        if not vectorised:
            with lock:
                stats["builder"] += 1
        acc = accs.get()
        try:
            for b in batches:
                plan = plans.get(b.timing)
                if plan is None:
                    plan = plans.setdefault(b.timing, plan_steps(t, b.timing))
                n_exact = run_batch(
                    replace(b, index=b.index + p0),
                    t,
                    plan,
                    acc,
                    cmax,
                    auc,
                    residual=residual,
                    noise=draws.noise if residual is not None else None,
                )
                with lock:
                    stats["exact"] += n_exact
        finally:
            accs.put(acc)
        return p1 - p0

    done = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for k in pool.map(lambda b: one_chunk(*b), bounds):
            done += k
            if progress is not None:
                progress(done, n)
    total = accs.get()
    while not accs.empty():
        total.merge(accs.get())
    if stats["builder"]:
        warnings.append(
            "some chunks used the per-patient model builder (structure not log-linear in "
            "parameters and covariates): exact, but slower"
        )
    if stats["exact"]:
        warnings.append(
            f"{stats['exact']} patients had repeated or non-real eigenvalues and were solved "
            "one by one (exact float64)"
        )
    if any(h.overflowed for h in total.hist):
        warnings.append("some concentrations exceeded 65,536 mg/L: percentiles are clamped")
    pct = total.hist[0].percentiles(qs)
    ce_pct = total.hist[1].percentiles(qs) if site is not None else None
    exceed = {thr: total.exceed[0, i] / n for i, thr in enumerate(thresholds)}
    ce_exceed = {thr: total.exceed[1, i] / n for i, thr in enumerate(thresholds)} if site else None
    return PopulationResult(
        model_id=model.id,
        model_version=model.version,
        time_min=t,
        percentiles_mg_per_l={q: pct[i] for i, q in enumerate(qs)},
        effect_site_percentiles_mg_per_l=None
        if ce_pct is None
        else {q: ce_pct[i] for i, q in enumerate(qs)},
        effect_site=site,
        exceedance=exceed,
        effect_site_exceedance=ce_exceed,
        cmax_percentiles_mg_per_l={
            q: float(np.percentile(cmax, q, method="inverted_cdf")) for q in qs
        },
        auc_percentiles_mg_min_per_l={
            q: float(np.percentile(auc, q, method="inverted_cdf")) for q in qs
        },
        n=n,
        seed=entropy,
        covariates=covs.describe()
        if isinstance(covs, CovariateDistribution)
        else f"fixed patient {covs}",
        residual_error=None if residual is None else f"{residual.kind} SD {residual.sd:g}",
        varied_parameters=names,
        warnings=tuple(warnings),
    )
