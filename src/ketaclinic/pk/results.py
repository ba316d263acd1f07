"""Simulation results as objects (python-control's ``resp.time``, ``resp.outputs``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ketaclinic.errors import InputError
from ketaclinic.units import MG_PER_L_TO_NG_PER_ML

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ketaclinic.pk.model import EffectSite
    from ketaclinic.pk.patient import Patient
    from ketaclinic.pk.regimen import Regimen

__all__ = ["SimulationResult", "Summary", "time_above"]


def time_above(time_min: NDArray[np.float64], conc: NDArray[np.float64], threshold: float) -> float:
    """Minutes during which ``conc`` exceeds ``threshold`` (same unit), with linear
    interpolation of the crossings between output times."""
    if isinstance(threshold, bool) or not np.isfinite(threshold):
        raise InputError.for_field("threshold", threshold, "a finite concentration")
    t = np.asarray(time_min, dtype=float)
    c = np.asarray(conc, dtype=float) - threshold
    if t.ndim != 1 or c.shape != t.shape:
        raise InputError.for_field(
            "conc", f"shape {c.shape}", f"one value per output time (shape {t.shape})"
        )
    if t.size < 2:
        return 0.0
    c0, c1 = c[:-1], c[1:]
    dt = np.diff(t)
    both = (c0 > 0) & (c1 > 0)
    total = float(dt[both].sum())
    up = (c0 <= 0) & (c1 > 0)
    down = (c0 > 0) & (c1 <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac_up = np.where(up, c1 / (c1 - c0), 0.0)
        frac_down = np.where(down, c0 / (c0 - c1), 0.0)
    total += float((dt * frac_up).sum() + (dt * frac_down).sum())
    return total


@dataclass(frozen=True)
class Summary:
    """Exposure summary of the plasma curve over the output window."""

    cmax_mg_per_l: float
    tmax_min: float
    auc_mg_min_per_l: float

    @property
    def cmax_ng_per_ml(self) -> float:
        return self.cmax_mg_per_l * MG_PER_L_TO_NG_PER_ML

    @property
    def auc_ng_h_per_ml(self) -> float:
        # mg/L * min -> ng/mL * h : x1000 / 60
        return self.auc_mg_min_per_l * MG_PER_L_TO_NG_PER_ML / 60.0

    def to_dict(self) -> dict[str, float]:
        return {
            "cmax_ng_per_ml": self.cmax_ng_per_ml,
            "tmax_min": self.tmax_min,
            "auc_ng_h_per_ml": self.auc_ng_h_per_ml,
        }


@dataclass(frozen=True)
class SimulationResult:
    """One patient's simulated concentrations (mg/L inside; ng/mL at the edges).

    Attributes
    ----------
    time_min : (n,) output times, min
    plasma_mg_per_l : (n,) parent drug in plasma
    effect_site_mg_per_l : (n,) or None, effect-site concentration
    metabolites_mg_per_l : name -> (n,) metabolite concentrations
    summary : Cmax, Tmax (on the output grid) and the exact AUC over the window
    warnings : everything the caller should see (covariates out of range, constructed
        ke0, ...)
    """

    model_id: str
    model_version: str
    citation: str
    patient: Patient
    regimen: Regimen
    time_min: NDArray[np.float64]
    plasma_mg_per_l: NDArray[np.float64]
    effect_site_mg_per_l: NDArray[np.float64] | None
    effect_site: EffectSite | None
    metabolites_mg_per_l: Mapping[str, NDArray[np.float64]]
    summary: Summary
    method: str
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def plasma_ng_per_ml(self) -> NDArray[np.float64]:
        return self.plasma_mg_per_l * MG_PER_L_TO_NG_PER_ML

    @property
    def effect_site_ng_per_ml(self) -> NDArray[np.float64] | None:
        if self.effect_site_mg_per_l is None:
            return None
        return self.effect_site_mg_per_l * MG_PER_L_TO_NG_PER_ML

    def time_above_ng_per_ml(self, threshold_ng_per_ml: float, *, site: str = "plasma") -> float:
        """Minutes above a threshold (ng/mL) in plasma or at the effect site."""
        if site == "plasma":
            conc = self.plasma_ng_per_ml
        elif site == "effect":
            ce = self.effect_site_ng_per_ml
            if ce is None:
                raise InputError.for_field("site", site, "'plasma' (this run has no effect site)")
            conc = ce
        else:
            raise InputError.for_field("site", site, "'plasma' or 'effect'")
        return time_above(self.time_min, conc, threshold_ng_per_ml)

    def to_dict(self) -> dict[str, Any]:
        """The CLI's ``--json`` object (ng/mL, minutes)."""
        ce = self.effect_site_ng_per_ml
        return {
            "model": self.model_id,
            "model_version": self.model_version,
            "citation": self.citation,
            "effect_site": None if self.effect_site is None else self.effect_site.label,
            "time_min": self.time_min.tolist(),
            "plasma_ng_per_ml": self.plasma_ng_per_ml.tolist(),
            "effect_site_ng_per_ml": None if ce is None else ce.tolist(),
            "metabolites": {
                f"{name}_ng_per_ml": (v * MG_PER_L_TO_NG_PER_ML).tolist()
                for name, v in self.metabolites_mg_per_l.items()
            },
            "summary": self.summary.to_dict(),
            "warnings": list(self.warnings),
        }

    def columns(self) -> dict[str, NDArray[np.float64]]:
        cols: dict[str, NDArray[np.float64]] = {
            "time_min": self.time_min,
            "plasma_ng_per_ml": self.plasma_ng_per_ml,
        }
        ce = self.effect_site_ng_per_ml
        if ce is not None:
            cols["effect_site_ng_per_ml"] = ce
        for name, v in self.metabolites_mg_per_l.items():
            cols[f"{name}_ng_per_ml"] = v * MG_PER_L_TO_NG_PER_ML
        return cols

    def to_pandas(self) -> pd.DataFrame:
        """A DataFrame with one row per output time (pandas is imported on demand)."""
        import pandas as pd

        return pd.DataFrame(self.columns())

    def to_csv(self, path: str) -> None:
        """Write the columns as CSV (a header line, then one row per time)."""
        cols = self.columns()
        data = np.column_stack(list(cols.values()))
        header = ",".join(cols)
        np.savetxt(path, data, delimiter=",", header=header, comments="", fmt="%.10g")
