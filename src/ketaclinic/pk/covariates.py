"""Covariate distributions of virtual patients (weight, age, sex).

A population run draws each virtual patient's covariates from a
:class:`CovariateDistribution` (or gives every patient the same fixed
:class:`~ketaclinic.pk.patient.Patient`). Draws are made by inverse CDF from uniforms,
so each patient consumes a fixed number of random numbers and a run is reproducible
from ``(seed, n)`` whatever the chunking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.special
from numpy.typing import NDArray

from ketaclinic.errors import InputError, real_number
from ketaclinic.pk.models.herd2007 import VALIDITY as _HERD_2007
from ketaclinic.pk.patient import PHYSIOLOGY, Patient

__all__ = [
    "ADULTS_ASSUMED",
    "HERD_2007_CHILDREN",
    "SEX_CODES",
    "CovariateDistribution",
    "CovariateDraws",
    "draw_covariates",
]

#: Sex codes in the covariate arrays: 0 unknown, 1 female, 2 male.
SEX_CODES: dict[int, str | None] = {0: None, 1: "female", 2: "male"}
#: Uniform draws consumed per patient (weight, age, sex), whatever the distribution.
N_UNIFORMS = 3


def _check_pair(name: str, pair: tuple[float, float], unit: str, physiology: str) -> None:
    lo, hi = pair
    plo, phi, _ = PHYSIOLOGY[physiology]
    if not (math.isfinite(lo) and math.isfinite(hi) and plo <= lo < hi <= phi):
        raise InputError.for_field(
            name,
            f"({lo:g}, {hi:g})",
            f"an increasing pair within {plo:g}-{phi:g} {unit}",
            unit=unit,
        )


@dataclass(frozen=True)
class CovariateDistribution:
    """How virtual patients' covariates are drawn.

    Weight is log-normal with the given arithmetic mean and SD, truncated to
    ``weight_range_kg``; age is normal, truncated to ``age_range_years`` (``None``: age
    unknown); sex is female with probability ``female_fraction`` (``None``: unknown).

    Examples
    --------
    >>> d = CovariateDistribution(weight_mean_kg=70, weight_sd_kg=10)
    >>> d.weight_range_kg
    (40.0, 150.0)
    """

    weight_mean_kg: float = 70.0
    weight_sd_kg: float = 14.0
    weight_range_kg: tuple[float, float] = (40.0, 150.0)
    age_mean_years: float | None = 42.0
    age_sd_years: float = 13.0
    age_range_years: tuple[float, float] = (18.0, 80.0)
    female_fraction: float | None = 0.5
    source: str = "ASSUMPTION"

    def __post_init__(self) -> None:
        for name in ("weight_mean_kg", "weight_sd_kg"):
            v = getattr(self, name)
            real_number(name, v, "kg", positive=True)
        object.__setattr__(self, "weight_range_kg", tuple(map(float, self.weight_range_kg)))
        object.__setattr__(self, "age_range_years", tuple(map(float, self.age_range_years)))
        _check_pair("weight_range_kg", self.weight_range_kg, "kg", "weight_kg")
        _check_pair("age_range_years", self.age_range_years, "years", "age_years")
        lo, hi = self.weight_range_kg
        if not lo <= self.weight_mean_kg <= hi:
            raise InputError.for_field(
                "weight_mean_kg", self.weight_mean_kg, f"within {lo:g}-{hi:g} kg", unit="kg"
            )
        if self.age_mean_years is not None:
            a = self.age_mean_years
            if not (math.isfinite(a) and math.isfinite(self.age_sd_years)):
                raise InputError.for_field("age_mean_years", a, "finite", unit="years")
            if self.age_sd_years < 0:
                raise InputError.for_field(
                    "age_sd_years", self.age_sd_years, "at least 0 years", unit="years"
                )
            alo, ahi = self.age_range_years
            if not alo <= a <= ahi:
                raise InputError.for_field(
                    "age_mean_years", a, f"within {alo:g}-{ahi:g} years", unit="years"
                )
        f = self.female_fraction
        if f is not None and not (math.isfinite(f) and 0 <= f <= 1):
            raise InputError.for_field("female_fraction", f, "between 0 and 1")

    def describe(self) -> str:
        lo, hi = self.weight_range_kg
        text = (
            f"weight log-normal mean {self.weight_mean_kg:g} kg SD {self.weight_sd_kg:g} kg "
            f"truncated to {lo:g}-{hi:g} kg"
        )
        if self.age_mean_years is not None:
            alo, ahi = self.age_range_years
            text += (
                f"; age normal mean {self.age_mean_years:g} SD {self.age_sd_years:g} years "
                f"truncated to {alo:g}-{ahi:g} years"
            )
        if self.female_fraction is not None:
            text += f"; {self.female_fraction:.0%} female"
        return f"{text} ({self.source})"


#: Default virtual adults. ASSUMPTION, not taken from a source: a generic adult
#: population around 70 kg (CV 20%), 18-80 years, half female. Weight range = the
#: kamp-2020 validity range. Use a study's own distribution when one is published.
ADULTS_ASSUMED = CovariateDistribution(
    source="ASSUMPTION: generic adults, not from a published population"
)

#: The children of Herd 2007 (Paediatr Anaesth 17:622, doi:10.1111/j.1460-9592.2006.02145.x):
#: 8.3 +/- 3.5 years, 32.5 +/- 15.6 kg [P]; truncated to the model's (UNVERIFIED) validity
#: range (``models.herd2007.VALIDITY``: 5-80 kg, 1-16 years).
HERD_2007_CHILDREN = CovariateDistribution(
    weight_mean_kg=32.5,
    weight_sd_kg=15.6,
    weight_range_kg=_HERD_2007.weight_kg,
    age_mean_years=8.3,
    age_sd_years=3.5,
    age_range_years=_HERD_2007.age_years,
    female_fraction=None,
    source="Herd 2007 study population mean +/- SD [P]; truncation UNVERIFIED",
)


@dataclass(frozen=True)
class CovariateDraws:
    """Covariates of a block of virtual patients (arrays of equal length).

    ``age_years`` holds NaN where unknown; ``sex`` holds :data:`SEX_CODES`.
    """

    weight_kg: NDArray[np.float64]
    age_years: NDArray[np.float64]
    sex: NDArray[np.int8]
    ancestry: str | None = None

    def patient(self, i: int) -> Patient:
        age = float(self.age_years[i])
        return Patient(
            weight_kg=float(self.weight_kg[i]),
            age_years=None if math.isnan(age) else age,
            sex=SEX_CODES[int(self.sex[i])],  # type: ignore[arg-type]
            ancestry=self.ancestry,  # type: ignore[arg-type]
        )


def _truncated(
    u: NDArray[np.float64], mu: float, sigma: float, lo: float, hi: float
) -> NDArray[np.float64]:
    """Inverse-CDF draws of N(mu, sigma) truncated to [lo, hi]."""
    if sigma == 0:
        return np.full(u.shape, min(max(mu, lo), hi))
    plo = scipy.special.ndtr((lo - mu) / sigma)
    phi = scipy.special.ndtr((hi - mu) / sigma)
    x = mu + sigma * scipy.special.ndtri(plo + u * (phi - plo))
    return np.asarray(np.clip(x, lo, hi), dtype=float)


def draw_covariates(
    covariates: CovariateDistribution | Patient, uniforms: NDArray[np.float64]
) -> CovariateDraws:
    """Covariates from ``uniforms`` of shape (n, 3) (weight, age, sex columns)."""
    n = uniforms.shape[0]
    if isinstance(covariates, Patient):
        p = covariates
        code = {None: 0, "female": 1, "male": 2}[p.sex]
        return CovariateDraws(
            np.full(n, float(p.weight_kg)),
            np.full(n, np.nan if p.age_years is None else float(p.age_years)),
            np.full(n, code, dtype=np.int8),
            p.ancestry,
        )
    d = covariates
    s2 = math.log1p((d.weight_sd_kg / d.weight_mean_kg) ** 2)
    mu = math.log(d.weight_mean_kg) - s2 / 2
    lo, hi = d.weight_range_kg
    weight = np.exp(_truncated(uniforms[:, 0], mu, math.sqrt(s2), math.log(lo), math.log(hi)))
    weight = np.clip(weight, lo, hi)
    if d.age_mean_years is None:
        age = np.full(n, np.nan)
    else:
        alo, ahi = d.age_range_years
        age = _truncated(uniforms[:, 1], d.age_mean_years, d.age_sd_years, alo, ahi)
    sex: NDArray[np.int8]
    if d.female_fraction is None:
        sex = np.zeros(n, dtype=np.int8)
    else:
        sex = np.where(uniforms[:, 2] < d.female_fraction, 1, 2).astype(np.int8)
    return CovariateDraws(weight, age, sex)
