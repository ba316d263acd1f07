"""The therapeutic-window report of a regimen: time in each literature band, the predicted
peak dissociation and, over a population, the probability of crossing into each band.

The bands (:data:`ketaclinic.pk.bands.BANDS`) are descriptive plasma ranges of racemic
ketamine from the literature, not targets. The report always carries
:data:`~ketaclinic.pk.bands.NO_ANTIDEPRESSANT_CR` and never predicts an antidepressant
response: none has been established (Zarate 2012).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ketaclinic.errors import InputError
from ketaclinic.pk.bands import BANDS, NO_ANTIDEPRESSANT_CR, ConcentrationBand
from ketaclinic.pk.effect import OLOFSEN_2022_DISSOCIATION, PDModel, predict_effect
from ketaclinic.pk.model import PKModel
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Regimen
from ketaclinic.pk.results import time_above
from ketaclinic.pk.simulate import default_times, simulate
from ketaclinic.units import MG_PER_L_TO_NG_PER_ML

__all__ = [
    "BandCrossing",
    "BandTime",
    "WindowReport",
    "crossing_probabilities",
    "population_crossing",
    "time_in_band_min",
    "window_report",
]


def time_in_band_min(
    time_min: ArrayLike, conc_ng_per_ml: ArrayLike, band: ConcentrationBand
) -> float:
    """Minutes with ``low <= C < high`` (open above when ``high`` is None), crossings
    interpolated linearly between output times."""
    t = np.asarray(time_min, dtype=float)
    c = np.asarray(conc_ng_per_ml, dtype=float)
    above_low = time_above(t, c, band.low_ng_per_ml)
    if band.high_ng_per_ml is None:
        return above_low
    return max(0.0, above_low - time_above(t, c, band.high_ng_per_ml))


@dataclass(frozen=True)
class BandTime:
    """Typical-patient exposure to one band."""

    band: ConcentrationBand
    minutes: float
    reached: bool


@dataclass(frozen=True)
class BandCrossing:
    """Population: the fraction of virtual patients whose plasma peak reaches the band.

    ``low``/``high`` bound it when it was read from Cmax percentiles (resolution of the
    percentile grid); they equal ``probability`` when it was counted exactly.
    """

    band: ConcentrationBand
    probability: float
    n: int
    low: float | None = None
    high: float | None = None


def crossing_probabilities(
    peak_plasma_ng_per_ml: ArrayLike, bands: Sequence[ConcentrationBand] = BANDS
) -> tuple[BandCrossing, ...]:
    """P(peak >= band low) per band, from the peak plasma concentration of each virtual
    patient (ng/mL).

    >>> [c.probability for c in crossing_probabilities([50, 150, 700, 90])][:3]
    [0.5, 0.5, 0.25]
    """
    peaks = np.asarray(peak_plasma_ng_per_ml, dtype=float)
    if peaks.ndim != 1 or peaks.size == 0 or not np.all(np.isfinite(peaks)):
        raise InputError.for_field(
            "peak_plasma_ng_per_ml", f"shape {peaks.shape}", "a non-empty 1-D finite array"
        )
    out = []
    for b in bands:
        p = float(np.mean(peaks >= b.low_ng_per_ml))
        out.append(BandCrossing(b, p, int(peaks.size), p, p))
    return tuple(out)


def population_crossing(
    model: PKModel,
    regimen: Regimen,
    *,
    n: int,
    seed: int | None = None,
    covariates: Any = None,
    times: Sequence[float] | NDArray[np.float64] | None = None,
    resolution_pct: float = 0.5,
    bands: Sequence[ConcentrationBand] = BANDS,
) -> tuple[BandCrossing, ...]:
    """P(plasma peak >= band low) over ``n`` virtual patients of
    :func:`ketaclinic.pk.population.simulate_population` (reproducible from ``seed``).

    The population run keeps Cmax percentiles, not every patient's Cmax, so the
    probability is read from the Cmax distribution on a grid of ``resolution_pct``
    percentage points: ``low``/``high`` bracket it (the lower bound also uses the largest
    per-time exceedance, a count), ``probability`` is their midpoint.
    """
    return _population_run(
        model,
        regimen,
        n=n,
        seed=seed,
        covariates=covariates,
        times=times,
        resolution_pct=resolution_pct,
        bands=bands,
    )[0]


def _population_run(
    model: PKModel,
    regimen: Regimen,
    *,
    n: int,
    seed: int | None,
    covariates: Any,
    times: Sequence[float] | NDArray[np.float64] | None,
    resolution_pct: float,
    bands: Sequence[ConcentrationBand],
) -> tuple[tuple[BandCrossing, ...], tuple[str, ...]]:
    from ketaclinic.pk.population import simulate_population

    if not 0.01 <= resolution_pct <= 10:
        raise InputError.for_field(
            "resolution_pct", resolution_pct, "between 0.01 and 10 percentage points", unit="%"
        )
    steps = round(100.0 / resolution_pct)
    qs = np.linspace(0.0, 100.0, steps + 1)
    t = default_times(regimen, step_min=0.5) if times is None else times
    pop = simulate_population(
        model,
        regimen,
        t,
        n=n,
        seed=seed,
        covariates=covariates,
        percentiles=[float(q) for q in qs],
        thresholds_ng_per_ml=[b.low_ng_per_ml for b in bands],
    )
    cmax = np.array([pop.cmax_percentiles_mg_per_l[float(q)] for q in qs])
    cmax_ng = cmax * MG_PER_L_TO_NG_PER_ML
    out = []
    for b in bands:
        thr = b.low_ng_per_ml
        at_or_above = np.flatnonzero(cmax_ng >= thr)
        if at_or_above.size == 0:
            low = high = 0.0
        else:
            k = int(at_or_above[0])
            # Percentile q_k is the first grid value >= thr: F(thr-) lies in (q_{k-1}, q_k].
            low = 1.0 - qs[k] / 100.0
            high = 1.0 if k == 0 else 1.0 - qs[k - 1] / 100.0
        low = max(low, float(np.max(pop.exceedance[thr])))
        high = max(high, low)
        out.append(BandCrossing(b, 0.5 * (low + high), pop.n, low, high))
    return tuple(out), tuple(f"population (seed {pop.seed}): {w}" for w in pop.warnings)


@dataclass(frozen=True)
class WindowReport:
    """What a regimen does, for the clinician to read before giving it."""

    model_id: str
    regimen: Regimen
    bands: tuple[BandTime, ...]
    peak_plasma_ng_per_ml: float
    peak_plasma_time_min: float
    dissociation_model: PDModel
    peak_dissociation_fraction: float
    peak_dissociation_time_min: float
    peak_effect_site_s_ng_per_ml: float
    population: tuple[BandCrossing, ...] | None
    warnings: tuple[str, ...]
    statement: str = NO_ANTIDEPRESSANT_CR

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_id,
            "statement": self.statement,
            "peak_plasma_ng_per_ml": self.peak_plasma_ng_per_ml,
            "peak_plasma_time_min": self.peak_plasma_time_min,
            "bands": [
                {
                    "id": b.band.id,
                    "label": b.band.label,
                    "low_ng_per_ml": b.band.low_ng_per_ml,
                    "high_ng_per_ml": b.band.high_ng_per_ml,
                    "minutes": b.minutes,
                    "reached": b.reached,
                    "source": b.band.source,
                }
                for b in self.bands
            ],
            "dissociation": {
                "model": self.dissociation_model.label,
                "source": self.dissociation_model.source,
                "peak_fraction_of_max": self.peak_dissociation_fraction,
                "peak_time_min": self.peak_dissociation_time_min,
                "peak_effect_site_s_ketamine_ng_per_ml": self.peak_effect_site_s_ng_per_ml,
            },
            "population": None
            if self.population is None
            else [
                {
                    "band": c.band.id,
                    "probability_of_reaching": c.probability,
                    "low": c.low,
                    "high": c.high,
                    "n": c.n,
                }
                for c in self.population
            ],
            "warnings": list(self.warnings),
        }


def window_report(
    model: PKModel,
    regimen: Regimen,
    patient: Patient,
    *,
    times: Sequence[float] | NDArray[np.float64] | None = None,
    dissociation: PDModel = OLOFSEN_2022_DISSOCIATION,
    population_peaks_ng_per_ml: ArrayLike | None = None,
    population_n: int | None = None,
    seed: int | None = None,
    covariates: Any = None,
) -> WindowReport:
    """The therapeutic-window report of ``regimen`` for ``patient`` (typical parameters).

    Parameters
    ----------
    times : output grid, min (default every 0.25 min to 4 h after the last dose)
    dissociation : the PD model of dissociation (default Olofsen 2022)
    population_peaks_ng_per_ml : peak plasma concentrations of virtual patients (from a
        population run); when given, the report carries the probability of reaching
        each band (counted exactly)
    population_n, seed, covariates : run :func:`population_crossing` with ``n`` virtual
        patients (reproducible from ``seed``) for the probability of reaching each band

    Examples
    --------
    >>> from ketaclinic.pk.models import get_model
    >>> from ketaclinic.pk.regimen import Dose
    >>> r = window_report(get_model("kamp-2020"),
    ...                   Regimen((Dose("iv-infusion", 35, duration_min=40),)),
    ...                   Patient(weight_kg=70))
    >>> r.statement.startswith("No plasma concentration-response")
    True
    """
    t = default_times(regimen, step_min=0.25) if times is None else times
    sim = simulate(model, regimen, patient, t, effect_site=False)
    cp = sim.plasma_ng_per_ml
    k = int(np.argmax(cp))
    bands = tuple(
        BandTime(
            b,
            time_in_band_min(sim.time_min, cp, b),
            bool(cp.max() >= b.low_ng_per_ml),
        )
        for b in BANDS
    )
    eff = predict_effect(dissociation, model, regimen, patient, sim.time_min)
    j = int(np.argmax(eff.fraction))
    if population_peaks_ng_per_ml is not None and population_n is not None:
        raise InputError(
            "give population_peaks_ng_per_ml or population_n, not both",
            field="population_n",
            value=population_n,
            limit="one population source",
        )
    population: tuple[BandCrossing, ...] | None = None
    pop_warnings: tuple[str, ...] = ()
    if population_peaks_ng_per_ml is not None:
        population = crossing_probabilities(population_peaks_ng_per_ml)
    elif population_n is not None:
        population, pop_warnings = _population_run(
            model,
            regimen,
            n=population_n,
            seed=seed,
            covariates=covariates,
            times=None,
            resolution_pct=0.5,
            bands=BANDS,
        )
    return WindowReport(
        model_id=model.id,
        regimen=regimen,
        bands=bands,
        peak_plasma_ng_per_ml=float(cp[k]),
        peak_plasma_time_min=float(sim.time_min[k]),
        dissociation_model=dissociation,
        peak_dissociation_fraction=float(eff.fraction[j]),
        peak_dissociation_time_min=float(sim.time_min[j]),
        peak_effect_site_s_ng_per_ml=float(eff.concentration_mg_per_l[j] * MG_PER_L_TO_NG_PER_ML),
        population=population,
        warnings=tuple(dict.fromkeys((*sim.warnings, *eff.warnings, *pop_warnings))),
    )
