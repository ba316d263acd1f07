"""The patient as the PK models see it: covariates in canonical units.

Physiological bounds here are *refusals* (no human has them); each model's own
validity range is narrower and only produces a recorded warning (STYLE.md rule 5).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace
from typing import Literal

from ketaclinic.errors import InputError

__all__ = ["PHYSIOLOGY", "Ancestry", "Patient", "Sex"]

Sex = Literal["female", "male"]
#: Perez-Ruixo 2021 covariates: Japanese (FRn x1.34) and other Asian (kel x0.36, CLn x0.81).
Ancestry = Literal["japanese", "other-asian", "non-asian"]

#: Refusal bounds: outside these a value is an input error, not a covariate.
#: Weight: 0.3 kg (extreme prematurity) to 350 kg; age 0 to 120 years; height 20 to 250 cm.
PHYSIOLOGY: dict[str, tuple[float, float, str]] = {
    "weight_kg": (0.3, 350.0, "kg"),
    "age_years": (0.0, 120.0, "years"),
    "height_cm": (20.0, 250.0, "cm"),
}


def _check_range(name: str, value: float | None) -> None:
    if value is None:
        return
    lo, hi, unit = PHYSIOLOGY[name]
    # Booleans are not numbers here (True would pass as 1 kg); numpy scalars are.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError.for_field(name, value, f"a number in {unit}", unit=unit)
    if not math.isfinite(value) or not lo <= value <= hi:
        raise InputError.for_field(name, value, f"between {lo:g} and {hi:g} {unit}", unit=unit)


@dataclass(frozen=True)
class Patient:
    """Covariates of one (real or virtual) patient.

    Examples
    --------
    >>> Patient(weight_kg=70, age_years=45, sex="female").weight_kg
    70
    """

    weight_kg: float
    age_years: float | None = None
    sex: Sex | None = None
    height_cm: float | None = None
    ancestry: Ancestry | None = None

    def __post_init__(self) -> None:
        _check_range("weight_kg", self.weight_kg)
        _check_range("age_years", self.age_years)
        _check_range("height_cm", self.height_cm)
        if self.sex is not None and self.sex not in ("female", "male"):
            raise InputError.for_field("sex", self.sex, "'female' or 'male'")
        if self.ancestry is not None and self.ancestry not in (
            "japanese",
            "other-asian",
            "non-asian",
        ):
            raise InputError.for_field(
                "ancestry", self.ancestry, "'japanese', 'other-asian' or 'non-asian'"
            )

    def replace(self, **changes: object) -> Patient:
        """A copy with some covariates changed, validated again."""
        return replace(self, **changes)  # type: ignore[arg-type]
