"""Pharmacodynamic (Emax / Hill) models of ketamine with published values.

Each model says which analyte its C50 refers to. Olofsen 2022 found that R-ketamine
contributes nothing to antinociception and dissociation, so for a racemic PK model the
S-ketamine concentration is half the racemic one ("racemic doses give 50% S"); a model
of S-ketamine or esketamine is used as is.

What was *not* retrieved is not invented: Hill exponents that were not read in a source
are marked UNVERIFIED with the value used, and a model whose C50 or Emax is missing
(Kamp 2021, cardiac output) refuses to predict an effect.

There is no established concentration-response for the antidepressant effect
(:data:`ketaclinic.pk.bands.NO_ANTIDEPRESSANT_CR`); no model here predicts it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ketaclinic.errors import InputError
from ketaclinic.pk.dosing_inputs import expand_regimen
from ketaclinic.pk.linear import check_times, solve
from ketaclinic.pk.model import EffectSite, PKModel, Provenance
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Regimen
from ketaclinic.units import MG_PER_L_TO_NG_PER_ML

__all__ = [
    "DAHAN_2011_CHRONIC_PAIN",
    "KAMP_2021_CARDIAC_OUTPUT",
    "KETAMINE_NG_PER_NMOL",
    "OLOFSEN_2022_ANTINOCICEPTION",
    "OLOFSEN_2022_DISSOCIATION",
    "PD_MODELS",
    "SCHUTTLER_1987_EEG_RACEMIC",
    "SCHUTTLER_1987_EEG_S",
    "SIMONS_2022_DRUG_HIGH",
    "EffectPrediction",
    "PDModel",
    "analyte_fraction",
    "get_pd_model",
    "predict_effect",
]

#: 1 nmol/mL of ketamine base = 237.73 ng/mL (C13H16ClNO, 237.73 g/mol).
KETAMINE_NG_PER_NMOL = 237.73
#: Placeholder Hill exponent where none was retrieved (UNVERIFIED, value used: 1).
_GAMMA_UNVERIFIED = 1.0

Analyte = Literal["S-ketamine", "racemic ketamine"]


@dataclass(frozen=True)
class PDModel:
    """An Emax/Hill model: ``E = E0 +/- Emax C^g / (C50^g + C^g)`` of the effect-site
    concentration ``C`` of ``analyte``.

    ``emax`` None means the effect is reported as a fraction (0-1) of the unknown maximum.
    ``c50_mg_per_l`` None means the C50 was not retrieved: :meth:`effect` refuses.
    ``ke0_per_min`` None means no effect-site rate constant was retrieved: the model is
    driven by plasma (no hysteresis), and that is flagged.
    """

    id: str
    endpoint: str
    analyte: Analyte
    c50_mg_per_l: float | None
    gamma: float
    gamma_provenance: Provenance
    emax: float | None
    emax_unit: str
    direction: Literal["increase", "decrease"]
    ke0_per_min: float | None
    source: str
    provenance: Provenance
    notes: str = ""

    def __post_init__(self) -> None:
        if self.c50_mg_per_l is not None and not self.c50_mg_per_l > 0:
            raise InputError.for_field("c50_mg_per_l", self.c50_mg_per_l, "> 0", unit="mg/L")
        if not (math.isfinite(self.gamma) and self.gamma > 0):
            raise InputError.for_field("gamma", self.gamma, "> 0")
        if self.ke0_per_min is not None and not self.ke0_per_min > 0:
            raise InputError.for_field("ke0_per_min", self.ke0_per_min, "> 0", unit="1/min")

    @property
    def c50_ng_per_ml(self) -> float | None:
        return None if self.c50_mg_per_l is None else self.c50_mg_per_l * MG_PER_L_TO_NG_PER_ML

    @property
    def half_life_ke0_min(self) -> float | None:
        return None if self.ke0_per_min is None else math.log(2) / self.ke0_per_min

    @property
    def available(self) -> bool:
        return self.c50_mg_per_l is not None

    def _c50(self) -> float:
        if self.c50_mg_per_l is None:
            raise InputError(
                f"PD model {self.id} has no C50: it was not retrieved from {self.source}; "
                "ketaclinic does not invent it",
                field="pd_model",
                value=self.id,
                limit="a model with a retrieved C50",
            )
        return self.c50_mg_per_l

    def fraction(self, c_mg_per_l: ArrayLike) -> NDArray[np.float64]:
        """Fraction of the maximal effect, ``C^g / (C50^g + C^g)`` (0-1)."""
        c = np.asarray(c_mg_per_l, dtype=float)
        if np.any(~np.isfinite(c)) or np.any(c < 0):
            raise InputError.for_field("concentration", "negative or non-finite", ">= 0 mg/L")
        r = (c / self._c50()) ** self.gamma
        return np.asarray(r / (1.0 + r))

    def effect(self, c_mg_per_l: ArrayLike) -> NDArray[np.float64]:
        """Change from baseline in ``emax_unit`` (signed by ``direction``); a fraction of the
        maximum when ``emax`` is None."""
        f = self.fraction(c_mg_per_l)
        scale = 1.0 if self.emax is None else self.emax
        sign = 1.0 if self.direction == "increase" else -1.0
        return np.asarray(sign * scale * f)

    def concentration_for_fraction(self, fraction: float) -> float:
        """The concentration (mg/L) giving ``fraction`` (0 < f < 1) of the maximal effect."""
        if not 0 < fraction < 1:
            raise InputError.for_field("fraction", fraction, "between 0 and 1 (exclusive)")
        return float(self._c50() * (fraction / (1.0 - fraction)) ** (1.0 / self.gamma))

    def effect_site(self) -> EffectSite | None:
        if self.ke0_per_min is None:
            return None
        return EffectSite(
            id=f"pd:{self.id}",
            ke0_per_min=self.ke0_per_min,
            kind="measured",
            endpoint=self.endpoint,
            source=self.source,
            provenance=self.provenance,
        )

    @property
    def label(self) -> str:
        c50 = self.c50_ng_per_ml
        c50_txt = "C50 not retrieved" if c50 is None else f"C50 {c50:.3g} ng/mL {self.analyte}"
        g = f"gamma {self.gamma:g}" + (
            " (UNVERIFIED, value used)" if self.gamma_provenance == "UNVERIFIED" else ""
        )
        return f"{self.id}: {self.endpoint}; {c50_txt}; {g}"


_OLOFSEN = (
    "Olofsen 2022, Anesthesiology 136:792-801, doi:10.1097/ALN.0000000000004176: "
    "S-ketamine C50 0.51 (0.38-0.66) nmol/mL, t1/2ke0 8.3 (5.1-13.0) min, same PD for "
    "antinociception and external perception; R-ketamine contributes nothing"
)
#: Olofsen 2022: dissociation ("external perception") [P]. Emax reported as a fraction.
OLOFSEN_2022_DISSOCIATION = PDModel(
    id="olofsen-2022-dissociation",
    endpoint="dissociation (external perception)",
    analyte="S-ketamine",
    c50_mg_per_l=0.51 * KETAMINE_NG_PER_NMOL / MG_PER_L_TO_NG_PER_ML,
    gamma=_GAMMA_UNVERIFIED,
    gamma_provenance="UNVERIFIED",
    emax=None,
    emax_unit="fraction of maximal effect",
    direction="increase",
    ke0_per_min=math.log(2) / 8.3,
    source=_OLOFSEN,
    provenance="P",
    notes="Hill exponent not retrieved: UNVERIFIED, 1 used.",
)
#: Olofsen 2022: pressure-pain antinociception, the same PD as dissociation [P].
OLOFSEN_2022_ANTINOCICEPTION = replace(
    OLOFSEN_2022_DISSOCIATION,
    id="olofsen-2022-antinociception",
    endpoint="antinociception (pressure pain)",
)
#: Simons 2022 (oral thin film, part 2), Front Pain Res 3:946487 (article number; DOI
#: not retrieved): drug high C50 0.3 nmol/mL (~71 ng/mL) [P].
SIMONS_2022_DRUG_HIGH = PDModel(
    id="simons-2022-drug-high",
    endpoint="drug high",
    analyte="S-ketamine",
    c50_mg_per_l=0.3 * KETAMINE_NG_PER_NMOL / MG_PER_L_TO_NG_PER_ML,
    gamma=_GAMMA_UNVERIFIED,
    gamma_provenance="UNVERIFIED",
    emax=None,
    emax_unit="fraction of maximal effect",
    direction="increase",
    ke0_per_min=None,
    source="Simons 2022, Front Pain Res 3:946487 (drug high C50 0.3 nmol/mL)",
    provenance="P",
    notes="ke0 and Hill exponent not retrieved: driven by plasma (no hysteresis); gamma "
    "UNVERIFIED, 1 used.",
)
_SCHUTTLER = (
    "Schuttler 1987, J Pharmacokinet Biopharm 1987;15:241, doi:10.1007/BF01066320 "
    "(EEG median frequency, inhibitory sigmoid Emax; IC50 racemic 2.0, S 0.8, R 1.8 ug/mL; "
    "Emax 7.6, 8.3, 4.4 Hz)"
)
#: Schuttler 1987: EEG median frequency, racemic IC50 2.0 ug/mL, Emax 7.6 Hz [P].
SCHUTTLER_1987_EEG_RACEMIC = PDModel(
    id="schuttler-1987-eeg-racemic",
    endpoint="EEG median frequency (decrease)",
    analyte="racemic ketamine",
    c50_mg_per_l=2.0,
    gamma=_GAMMA_UNVERIFIED,
    gamma_provenance="UNVERIFIED",
    emax=7.6,
    emax_unit="Hz",
    direction="decrease",
    ke0_per_min=None,
    source=_SCHUTTLER,
    provenance="P",
    notes="ke0 not in the abstract (driven by plasma); Hill exponent UNVERIFIED, 1 used; "
    "baseline median frequency not retrieved, so the change from baseline is reported.",
)
#: Schuttler 1987: S-ketamine IC50 0.8 ug/mL, Emax 8.3 Hz [P].
SCHUTTLER_1987_EEG_S = PDModel(
    id="schuttler-1987-eeg-s",
    endpoint="EEG median frequency (decrease)",
    analyte="S-ketamine",
    c50_mg_per_l=0.8,
    gamma=_GAMMA_UNVERIFIED,
    gamma_provenance="UNVERIFIED",
    emax=8.3,
    emax_unit="Hz",
    direction="decrease",
    ke0_per_min=None,
    source=_SCHUTTLER,
    provenance="P",
    notes="As the racemic entry; for S-ketamine and esketamine models only.",
)
#: Dahan 2011, Eur J Pain 15:258-267 (DOI not retrieved): CRPS-1 pain,
#: S-ketamine C50 10.5 +/- 4.8 ng/mL, onset/offset t1/2 10.9 +/- 4.0 days [P].
DAHAN_2011_CHRONIC_PAIN = PDModel(
    id="dahan-2011-chronic-pain",
    endpoint="chronic pain relief (CRPS-1, NRS), slow onset/offset",
    analyte="S-ketamine",
    c50_mg_per_l=10.5 / MG_PER_L_TO_NG_PER_ML,
    gamma=_GAMMA_UNVERIFIED,
    gamma_provenance="UNVERIFIED",
    emax=None,
    emax_unit="fraction of maximal effect",
    direction="increase",
    ke0_per_min=math.log(2) / (10.9 * 24 * 60),
    source="Dahan A et al., Eur J Pain 2011;15:258-267 (C50 10.5 ng/mL, onset/offset t1/2 "
    "10.9 days)",
    provenance="P",
    notes="Hill exponent UNVERIFIED, 1 used; DOI not retrieved.",
)
#: Kamp 2021, Br J Anaesth 127:23-31: cardiac output; t1/2ke0 2.28 min [S, anasim];
#: C50 and Emax were NOT retrieved, so no effect is predicted.
KAMP_2021_CARDIAC_OUTPUT = PDModel(
    id="kamp-2021-cardiac-output",
    endpoint="cardiac output (S-ketamine raises it, S-norketamine lowers it)",
    analyte="S-ketamine",
    c50_mg_per_l=None,
    gamma=_GAMMA_UNVERIFIED,
    gamma_provenance="UNVERIFIED",
    emax=None,
    emax_unit="not retrieved",
    direction="increase",
    ke0_per_min=math.log(2) / 2.28,
    source="Kamp 2021, Br J Anaesth 2021;127:23-31 (t1/2ke0 2.28 min as read in anasim "
    "1.7; C50 and Emax not retrieved)",
    provenance="S",
    notes="C50 and Emax not retrieved: effect() refuses rather than invent them.",
)

PD_MODELS: tuple[PDModel, ...] = (
    OLOFSEN_2022_DISSOCIATION,
    OLOFSEN_2022_ANTINOCICEPTION,
    SIMONS_2022_DRUG_HIGH,
    SCHUTTLER_1987_EEG_RACEMIC,
    SCHUTTLER_1987_EEG_S,
    DAHAN_2011_CHRONIC_PAIN,
    KAMP_2021_CARDIAC_OUTPUT,
)


def get_pd_model(pd_id: str) -> PDModel:
    for m in PD_MODELS:
        if m.id == pd_id:
            return m
    raise InputError.for_field("pd_model", pd_id, "one of " + ", ".join(m.id for m in PD_MODELS))


def analyte_fraction(pk_drug: str, pd: PDModel) -> float:
    """The factor from the PK model's concentration to the PD model's analyte.

    Racemic PK -> S-ketamine PD: 0.5 (a racemate is 50% S; Olofsen 2022: R-ketamine adds
    nothing). S-ketamine or esketamine PK -> S-ketamine PD: 1. A racemic PD model with an
    S-ketamine PK model is refused (the racemic C50 includes the R enantiomer).
    """
    if pd.analyte == "S-ketamine":
        return 0.5 if pk_drug == "racemic ketamine" else 1.0
    if pk_drug == "racemic ketamine":
        return 1.0
    raise InputError.for_field("pd_model", pd.id, f"a model of S-ketamine for a {pk_drug} PK model")


@dataclass(frozen=True)
class EffectPrediction:
    """Effect over time for one regimen.

    ``concentration_mg_per_l`` is the analyte concentration driving the effect (at the
    effect site when the PD model has a ke0, else in plasma).
    """

    pd_model: PDModel
    time_min: NDArray[np.float64]
    concentration_mg_per_l: NDArray[np.float64]
    fraction: NDArray[np.float64]
    effect: NDArray[np.float64]
    analyte_factor: float
    warnings: tuple[str, ...]

    @property
    def peak_fraction(self) -> float:
        return float(self.fraction.max())

    @property
    def peak_time_min(self) -> float:
        return float(self.time_min[int(np.argmax(self.fraction))])


def predict_effect(
    pd: PDModel,
    model: PKModel,
    regimen: Regimen,
    patient: Patient,
    times: Sequence[float] | NDArray[np.float64],
    *,
    params: dict[str, float] | None = None,
) -> EffectPrediction:
    """Effect of ``regimen`` over ``times`` (min) through ``pd``, exactly (the effect
    compartment is appended to the linear PK system).

    Examples
    --------
    >>> from ketaclinic.pk.models import get_model
    >>> from ketaclinic.pk.regimen import Dose
    >>> r = Regimen((Dose("iv-infusion", 35, duration_min=40),))
    >>> p = predict_effect(OLOFSEN_2022_DISSOCIATION, get_model("kamp-2020"), r,
    ...                    Patient(weight_kg=70), [0, 45])
    >>> 0.4 < float(p.fraction[1]) < 0.55
    True
    """
    from ketaclinic.pk.models import models_by_route

    t = check_times(times)
    factor = analyte_fraction(model.drug, pd)
    warnings: list[str] = []
    if pd.gamma_provenance == "UNVERIFIED":
        warnings.append(f"{pd.id}: Hill exponent UNVERIFIED (value used: {pd.gamma:g})")
    ind = model.individual(patient, params)
    inputs = expand_regimen(ind, regimen, model.id, models_by_route())
    site = pd.effect_site()
    system = ind.system if site is None else ind.system.with_effect_site(site)
    if site is None:
        warnings.append(f"{pd.id}: no effect-site ke0 retrieved; driven by plasma")
    y, _ = solve(system, inputs, t)
    row = (
        len(system.outputs) - 1
        if site is not None
        else system.outputs.index(system.output("plasma"))
    )
    c = y[row] * factor
    frac = pd.fraction(c)
    return EffectPrediction(
        pd_model=pd,
        time_min=t,
        concentration_mg_per_l=c,
        fraction=frac,
        effect=pd.effect(c),
        analyte_factor=factor,
        warnings=tuple(warnings),
    )
