"""Predictive-performance metrics of a PK model (Varvel, Donoho & Shafer 1992).

Varvel JR, Donoho DL, Shafer SL. Measuring the predictive performance of
computer-controlled infusion pumps. J Pharmacokinet Biopharm 1992;20:63-94
(citation UNVERIFIED, DOI not retrieved; definitions confirmed in a TCI-performance
text). For subject i and sample j, with Cm measured and Cp predicted:

- ``PE_ij = (Cm_ij - Cp_ij) / Cp_ij * 100`` (%)
- ``MDPE_i = median_j PE_ij`` (bias)
- ``MDAPE_i = median_j |PE_ij|`` (inaccuracy)
- ``wobble_i = median_j |PE_ij - MDPE_i|`` (within-subject variability)
- ``divergence_i`` = least-squares slope of ``|PE_ij|`` against time, in %/h (positive:
  the error grows with time)
- ``signed_slope_i`` = the same slope for the signed ``PE_ij``, %/h: a time-varying bias
  that |PE| misses (a 2009 Br J Anaesth propofol comparison, doi:10.1093/bja/aep043, 1.4 %/h on
  |PE| against 13.2 %/h on signed PE).

Population values are the **median of the individual values** (not Varvel's
sample-number weighting); every summary says so in ``population_statistic``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ketaclinic.errors import InputError

__all__ = [
    "POPULATION_STATISTIC",
    "PerformanceSummary",
    "SubjectMetrics",
    "performance",
    "prediction_errors",
    "subject_metrics",
]

POPULATION_STATISTIC = "median of individual values"


def prediction_errors(measured: ArrayLike, predicted: ArrayLike) -> NDArray[np.float64]:
    """PE (%) = (measured - predicted) / predicted * 100; predicted must be > 0.

    >>> prediction_errors([110, 90], [100, 100]).tolist()
    [10.0, -10.0]
    """
    cm = np.asarray(measured, dtype=float)
    cp = np.asarray(predicted, dtype=float)
    if cm.shape != cp.shape or cm.ndim != 1:
        raise InputError.for_field(
            "measured", f"shape {cm.shape}", f"a 1-D array of the shape of predicted {cp.shape}"
        )
    if not np.all(np.isfinite(cm)):
        raise InputError.for_field("measured", "non-finite", "finite values")
    bad = ~(np.isfinite(cp) & (cp > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError.for_field(f"predicted[{i}]", float(cp[i]), "greater than 0")
    return np.asarray((cm - cp) / cp * 100.0)


def _slope_per_h(t_min: NDArray[np.float64], y: NDArray[np.float64]) -> float | None:
    if np.unique(t_min).size < 2:
        return None
    th = t_min / 60.0
    tc = th - th.mean()
    return float(np.sum(tc * (y - y.mean())) / np.sum(tc * tc))


@dataclass(frozen=True)
class SubjectMetrics:
    """Varvel metrics of one subject (or one subject in one phase); %, and %/h for the
    slopes (None with fewer than two distinct times)."""

    subject: Hashable
    n: int
    mdpe_pct: float
    mdape_pct: float
    wobble_pct: float
    divergence_pct_per_h: float | None
    signed_slope_pct_per_h: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject if isinstance(self.subject, int | str) else str(self.subject),
            "n": self.n,
            "mdpe_pct": self.mdpe_pct,
            "mdape_pct": self.mdape_pct,
            "wobble_pct": self.wobble_pct,
            "divergence_pct_per_h": self.divergence_pct_per_h,
            "signed_slope_pct_per_h": self.signed_slope_pct_per_h,
        }


def subject_metrics(
    subject: Hashable, time_min: ArrayLike, measured: ArrayLike, predicted: ArrayLike
) -> SubjectMetrics:
    """Varvel metrics of one subject.

    >>> m = subject_metrics(1, [0, 60, 120], [110, 80, 130], [100, 100, 100])
    >>> m.mdpe_pct, m.mdape_pct, m.wobble_pct, m.divergence_pct_per_h
    (10.0, 20.0, 20.0, 10.0)
    """
    t = np.asarray(time_min, dtype=float)
    pe = prediction_errors(measured, predicted)
    if t.shape != pe.shape:
        raise InputError.for_field("time_min", f"shape {t.shape}", f"shape {pe.shape}")
    if pe.size == 0:
        raise InputError.for_field("measured", "[]", "at least one sample")
    if not np.all(np.isfinite(t)):
        raise InputError.for_field("time_min", "non-finite", "finite values", unit="min")
    mdpe = float(np.median(pe))
    ape = np.abs(pe)
    return SubjectMetrics(
        subject=subject,
        n=int(pe.size),
        mdpe_pct=mdpe,
        mdape_pct=float(np.median(ape)),
        wobble_pct=float(np.median(np.abs(pe - mdpe))),
        divergence_pct_per_h=_slope_per_h(t, ape),
        signed_slope_pct_per_h=_slope_per_h(t, pe),
    )


def _median_or_none(values: Sequence[float | None]) -> float | None:
    v = [x for x in values if x is not None]
    return float(np.median(v)) if v else None


@dataclass(frozen=True)
class PerformanceSummary:
    """Per-subject metrics and their population medians, overall and by phase."""

    subjects: tuple[SubjectMetrics, ...]
    mdpe_pct: float
    mdape_pct: float
    wobble_pct: float
    divergence_pct_per_h: float | None
    signed_slope_pct_per_h: float | None
    by_phase: dict[str, PerformanceSummary]
    population_statistic: str = POPULATION_STATISTIC

    @classmethod
    def of(
        cls, subjects: Sequence[SubjectMetrics], by_phase: dict[str, PerformanceSummary]
    ) -> PerformanceSummary:
        return cls(
            subjects=tuple(subjects),
            mdpe_pct=float(np.median([s.mdpe_pct for s in subjects])),
            mdape_pct=float(np.median([s.mdape_pct for s in subjects])),
            wobble_pct=float(np.median([s.wobble_pct for s in subjects])),
            divergence_pct_per_h=_median_or_none([s.divergence_pct_per_h for s in subjects]),
            signed_slope_pct_per_h=_median_or_none([s.signed_slope_pct_per_h for s in subjects]),
            by_phase=by_phase,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "population_statistic": self.population_statistic,
            "mdpe_pct": self.mdpe_pct,
            "mdape_pct": self.mdape_pct,
            "wobble_pct": self.wobble_pct,
            "divergence_pct_per_h": self.divergence_pct_per_h,
            "signed_slope_pct_per_h": self.signed_slope_pct_per_h,
            "subjects": [s.to_dict() for s in self.subjects],
            "by_phase": {k: v.to_dict() for k, v in self.by_phase.items()},
        }


def performance(
    subject: Sequence[Hashable],
    time_min: ArrayLike,
    measured: ArrayLike,
    predicted: ArrayLike,
    phase: Sequence[str] | None = None,
) -> PerformanceSummary:
    """Varvel metrics for every subject, their population medians and, when ``phase``
    labels are given (e.g. induction, maintenance, recovery), the same by phase.

    Examples
    --------
    >>> s = performance([1, 1, 2, 2], [0, 60, 0, 60], [110, 120, 90, 100], [100] * 4)
    >>> s.mdpe_pct, s.mdape_pct
    (5.0, 10.0)
    """
    ids = list(subject)
    t = np.asarray(time_min, dtype=float)
    cm = np.asarray(measured, dtype=float)
    cp = np.asarray(predicted, dtype=float)
    n = len(ids)
    if n == 0:
        raise InputError.for_field("subject", "[]", "at least one sample")
    for name, arr in (("time_min", t), ("measured", cm), ("predicted", cp)):
        if arr.shape != (n,):
            raise InputError.for_field(name, f"shape {arr.shape}", f"shape ({n},) like subject")
    if phase is not None and len(phase) != n:
        raise InputError.for_field("phase", f"length {len(phase)}", f"length {n} like subject")
    order: dict[Hashable, list[int]] = {}
    for i, s in enumerate(ids):
        order.setdefault(s, []).append(i)
    subjects = [subject_metrics(s, t[idx], cm[idx], cp[idx]) for s, idx in order.items()]
    by_phase: dict[str, PerformanceSummary] = {}
    if phase is not None:
        for ph in dict.fromkeys(phase):
            sel = [i for i in range(n) if phase[i] == ph]
            by_phase[ph] = performance([ids[i] for i in sel], t[sel], cm[sel], cp[sel], phase=None)
    return PerformanceSummary.of(subjects, by_phase)
