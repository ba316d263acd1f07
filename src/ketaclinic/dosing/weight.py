"""The dosing weight: actual, ideal (Devine) or adjusted body weight above a BMI.

Formulas and their sources (none of them is ketamine-specific; they come from
aminoglycoside dosing and are used across drug dosing by convention):

* Ideal body weight, Devine BJ. Gentamicin therapy. *Drug Intell Clin Pharm*
  1974;8:650-655: male IBW = 50 kg + 2.3 kg per inch of height over 5 ft; female
  IBW = 45.5 kg + 2.3 kg per inch over 5 ft (1 in = 2.54 cm). Below 5 ft (152.4 cm)
  the formula is extrapolated; a warning is recorded.
* Adjusted body weight, Bauer LA et al. Influence of weight on aminoglycoside
  pharmacokinetics in normal weight and morbidly obese patients. *Eur J Clin Pharmacol*
  1983;24:643-647: AdjBW = IBW + 0.4 (TBW - IBW).
* The BMI threshold: "consider ideal body weight when BMI > 30" is attributed to
  Sanacora G et al., *JAMA Psychiatry* 2017;74:399-405, and is **UNVERIFIED** against
  the full text. The threshold is a per-protocol, configurable setting.

Neither citation is in the project's reference sheets; check both against the primary
papers before clinical use.

Examples
--------
>>> round(ideal_body_weight_kg(175, "male"), 2)
70.46
>>> dw = dosing_weight(WeightPolicy("adjusted", 30.0), 120, height_cm=175, sex="male")
>>> dw.basis_used, round(dw.weight_kg, 2)
('adjusted', 90.28)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ketaclinic.errors import InputError, real_number

__all__ = [
    "ADJUSTED_FACTOR",
    "CM_PER_INCH",
    "DEVINE_HEIGHT_FLOOR_CM",
    "DosingWeight",
    "WeightBasis",
    "WeightPolicy",
    "adjusted_body_weight_kg",
    "bmi_kg_per_m2",
    "dosing_weight",
    "ideal_body_weight_kg",
]

WeightBasis = Literal["actual", "ideal", "adjusted"]
_BASES = ("actual", "ideal", "adjusted")

CM_PER_INCH = 2.54
#: Devine 1974 is defined from 5 ft (60 in) upward.
DEVINE_HEIGHT_FLOOR_CM = 60 * CM_PER_INCH
#: Bauer 1983: fraction of excess weight counted in the adjusted body weight.
ADJUSTED_FACTOR = 0.4

_DEVINE = {"male": 50.0, "female": 45.5}  # kg at 60 in (Devine 1974)
_DEVINE_KG_PER_INCH = 2.3


def _positive(name: str, value: object, unit: str) -> float:
    return real_number(name, value, unit, positive=True)


def ideal_body_weight_kg(height_cm: float, sex: str) -> float:
    """Devine (1974) ideal body weight in kg.

    Parameters
    ----------
    height_cm : float
        Height in cm.
    sex : {"female", "male"}

    Examples
    --------
    >>> ideal_body_weight_kg(152.4, "female")
    45.5
    """
    h = _positive("height_cm", height_cm, "cm")
    if sex not in _DEVINE:
        raise InputError.for_field("sex", sex, "'female' or 'male' (Devine 1974 needs it)")
    return _DEVINE[sex] + _DEVINE_KG_PER_INCH * (h / CM_PER_INCH - 60.0)


def adjusted_body_weight_kg(
    weight_kg: float, ideal_kg: float, factor: float = ADJUSTED_FACTOR
) -> float:
    """Adjusted body weight ``IBW + factor (TBW - IBW)`` in kg (Bauer 1983, factor 0.4).

    >>> adjusted_body_weight_kg(120, 70)
    90.0
    """
    w = _positive("weight_kg", weight_kg, "kg")
    ibw = _positive("ideal_kg", ideal_kg, "kg")
    return ibw + factor * (w - ibw)


def bmi_kg_per_m2(weight_kg: float, height_cm: float) -> float:
    """Body-mass index in kg/m2.

    >>> round(bmi_kg_per_m2(70, 175), 2)
    22.86
    """
    w = _positive("weight_kg", weight_kg, "kg")
    h = _positive("height_cm", height_cm, "cm") / 100.0
    return w / (h * h)


@dataclass(frozen=True)
class WeightPolicy:
    """Which weight a protocol doses on.

    Parameters
    ----------
    basis : {"actual", "ideal", "adjusted"}
        The weight used once the BMI threshold is passed.
    above_bmi : float or None
        Apply ``basis`` only when BMI (kg/m2) is strictly above this; ``None`` = always.
    basis_kind : {"published", "unverified", "local-default"}
        Provenance of the policy (see :mod:`ketaclinic.dosing.limits`).
    source : str
        Citation or reason.
    """

    basis: WeightBasis = "actual"
    above_bmi: float | None = None
    basis_kind: str = "local-default"
    source: str = "configurable local default: dose on actual body weight"

    def __post_init__(self) -> None:
        if self.basis not in _BASES:
            raise InputError.for_field(
                "weight_policy.basis", self.basis, "actual, ideal or adjusted"
            )
        if self.above_bmi is not None:
            v = _positive("weight_policy.above_bmi", self.above_bmi, "kg/m2")
            if not 10 <= v <= 80:
                raise InputError.for_field(
                    "weight_policy.above_bmi", v, "between 10 and 80 kg/m2", unit="kg/m2"
                )
        if self.basis_kind not in ("published", "unverified", "local-default"):
            raise InputError.for_field(
                "weight_policy.basis_kind",
                self.basis_kind,
                "published, unverified or local-default",
            )
        if not isinstance(self.source, str) or not self.source.strip():
            raise InputError.for_field("weight_policy.source", self.source, "a non-empty citation")

    def describe(self) -> str:
        if self.basis == "actual":
            return "actual body weight"
        name = (
            "ideal body weight (Devine 1974)"
            if self.basis == "ideal"
            else ("adjusted body weight IBW + 0.4 (TBW - IBW) (Bauer 1983)")
        )
        when = "always" if self.above_bmi is None else f"when BMI > {self.above_bmi:g} kg/m2"
        return f"{name} {when}, else actual body weight"


@dataclass(frozen=True)
class DosingWeight:
    """The weight a dose is computed on, and how it was chosen."""

    weight_kg: float
    basis_used: WeightBasis
    actual_kg: float
    ideal_kg: float | None = None
    adjusted_kg: float | None = None
    bmi_kg_per_m2: float | None = None
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "weight_kg": self.weight_kg,
            "basis_used": self.basis_used,
            "actual_kg": self.actual_kg,
            "ideal_kg": self.ideal_kg,
            "adjusted_kg": self.adjusted_kg,
            "bmi_kg_per_m2": self.bmi_kg_per_m2,
            "warnings": list(self.warnings),
        }


def dosing_weight(
    policy: WeightPolicy,
    weight_kg: float,
    *,
    height_cm: float | None = None,
    sex: str | None = None,
) -> DosingWeight:
    """Apply ``policy`` to a patient.

    The dosing weight is never above the actual weight (an ideal or adjusted weight above
    the actual one, in a lean tall patient, would raise the dose). Without a height the BMI
    is unknown: the actual weight is used and a warning says the policy was not applied.
    With a BMI above the threshold but no sex, Devine cannot be computed: refused.
    """
    w = _positive("weight_kg", weight_kg, "kg")
    if policy.basis == "actual":
        return DosingWeight(w, "actual", w)
    if height_cm is None:
        if policy.above_bmi is None:
            raise InputError.for_field(
                "height_cm", None, f"given: the dosing-weight policy uses {policy.describe()}"
            )
        return DosingWeight(
            w,
            "actual",
            w,
            warnings=(
                "height not given: BMI unknown, dosed on actual body weight; the protocol's "
                f"policy ({policy.describe()}) was not applied",
            ),
        )
    h = _positive("height_cm", height_cm, "cm")
    bmi = bmi_kg_per_m2(w, h)
    if policy.above_bmi is not None and bmi <= policy.above_bmi:
        return DosingWeight(w, "actual", w, bmi_kg_per_m2=bmi)
    if sex is None:
        raise InputError.for_field(
            "sex",
            None,
            f"'female' or 'male' to compute the ideal body weight (BMI {bmi:.1f} kg/m2)",
        )
    warnings: tuple[str, ...] = ()
    if h < DEVINE_HEIGHT_FLOOR_CM:
        warnings = (f"height {h:g} cm is below 152.4 cm: Devine 1974 is extrapolated",)
    ibw = ideal_body_weight_kg(h, sex)
    if ibw <= 0:
        raise InputError.for_field(
            "height_cm", h, "tall enough for a positive Devine IBW", unit="cm"
        )
    adj = adjusted_body_weight_kg(w, ibw)
    chosen = ibw if policy.basis == "ideal" else adj
    if chosen >= w:
        return DosingWeight(w, "actual", w, ibw, adj, bmi, warnings)
    return DosingWeight(chosen, policy.basis, w, ibw, adj, bmi, warnings)
