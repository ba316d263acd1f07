"""Inputs and results of target-controlled infusion (:mod:`ketaclinic.pk.tci`): the pump,
the target schedule, the effect-site bolus and the TCI result with its pump program."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ketaclinic.errors import InputError, LimitError, real_number
from ketaclinic.pk.bands import BANDS
from ketaclinic.pk.linear import Input, solve
from ketaclinic.pk.model import CompartmentSystem, EffectSite
from ketaclinic.units import MG_PER_L_TO_NG_PER_ML

__all__ = [
    "MAX_TARGET_NG_PER_ML",
    "SITES",
    "UPDATE_S_RANGE",
    "EffectBolus",
    "PumpLimits",
    "Site",
    "TCIResult",
    "TargetSchedule",
    "TargetStep",
]

Site = Literal["plasma", "effect", "effect-cp-limited"]
SITES: tuple[str, ...] = ("plasma", "effect", "effect-cp-limited")

_ANAESTHETIC = next(b for b in BANDS if b.id == "anaesthetic")
#: ketaclinic is a sub-anaesthetic tool: a target must lie below the lower edge of the
#: anaesthetic band, 1200 ng/mL (5 uM after 1-2 mg/kg IV; Zanos 2018 Pharmacol Rev
#: 70:621, Table 1, as carried by ketaclinic.pk.bands). At or above it a target is refused.
MAX_TARGET_NG_PER_ML = _ANAESTHETIC.low_ng_per_ml
_TARGET_LIMIT_TEXT = (
    f"below {MAX_TARGET_NG_PER_ML:g} ng/mL, the lower edge of the anaesthetic band "
    f"({_ANAESTHETIC.source}); ketaclinic targets sub-anaesthetic concentrations only"
)
#: Update interval bounds, s. STANPUMP-era pumps updated every 10-15 s (Shafer 1988,
#: Anesthesiology 68:261: a 15-s update had a 0.25 ng/mL maximum error for fentanyl);
#: below 1 s or above 60 s is refused.
UPDATE_S_RANGE = (1.0, 60.0)


def _number(name: str, value: object, unit: str) -> float:
    return real_number(name, value, unit)  # numpy scalars too, as in regimens


@dataclass(frozen=True)
class PumpLimits:
    """The pump and the prepared drug.

    Defaults are device settings, not clinical numbers: 1200 mL/h is a common syringe-pump
    maximum (UNVERIFIED, check the device), 1 mg/mL the usual ketamine infusion strength
    (CHEO drug manual: "usual 1 mg/mL"; safety-security reference, source [12]).
    """

    max_rate_ml_per_h: float = 1200.0
    concentration_mg_per_ml: float = 1.0

    def __post_init__(self) -> None:
        r = _number("max_rate_ml_per_h", self.max_rate_ml_per_h, "mL/h")
        if not 0 < r <= 2000:
            raise InputError.for_field(
                "max_rate_ml_per_h", r, "greater than 0 and at most 2000 mL/h", unit="mL/h"
            )
        c = _number("concentration_mg_per_ml", self.concentration_mg_per_ml, "mg/mL")
        # Ketalar strengths go up to 100 mg/mL (clinical-practice reference, section 4.2).
        if not 0 < c <= 100:
            raise InputError.for_field(
                "concentration_mg_per_ml", c, "greater than 0 and at most 100 mg/mL", unit="mg/mL"
            )

    @property
    def max_rate_mg_per_min(self) -> float:
        return self.max_rate_ml_per_h * self.concentration_mg_per_ml / 60.0

    def ml_per_h(self, rate_mg_per_min: NDArray[np.float64]) -> NDArray[np.float64]:
        """mg/min -> mL/h at this concentration."""
        return np.asarray(rate_mg_per_min * 60.0 / self.concentration_mg_per_ml)


@dataclass(frozen=True)
class TargetStep:
    """From ``start_min`` on, the target is ``target_ng_per_ml`` (0 stops the pump)."""

    start_min: float
    target_ng_per_ml: float

    def __post_init__(self) -> None:
        t = _number("start_min", self.start_min, "min")
        if t < 0:
            raise InputError.for_field("start_min", t, "at least 0 min", unit="min")
        c = _number("target_ng_per_ml", self.target_ng_per_ml, "ng/mL")
        if c < 0:
            raise InputError.for_field("target_ng_per_ml", c, "at least 0 ng/mL", unit="ng/mL")
        if c >= MAX_TARGET_NG_PER_ML:
            raise LimitError(
                f"target_ng_per_ml must be {_TARGET_LIMIT_TEXT}, got {c:g} ng/mL",
                field="target_ng_per_ml",
                value=c,
                unit="ng/mL",
                limit=f"< {MAX_TARGET_NG_PER_ML:g} ng/mL",
            )


@dataclass(frozen=True)
class TargetSchedule:
    """Target changes: the first at 0 min, start times strictly increasing.

    Examples
    --------
    >>> s = TargetSchedule.of([(0, 50), (30, 100), (60, 150), (90, 200)])
    >>> s.target_ng_per_ml_at(45.0)
    100.0
    """

    steps: tuple[TargetStep, ...]

    def __post_init__(self) -> None:
        if not self.steps:
            raise InputError.for_field("schedule", "[]", "at least one target")
        if self.steps[0].start_min != 0:
            raise InputError.for_field(
                "schedule[0].start_min", self.steps[0].start_min, "0 min (start at 0)", unit="min"
            )
        for i in range(1, len(self.steps)):
            prev, now = self.steps[i - 1].start_min, self.steps[i].start_min
            if now <= prev:
                raise InputError(
                    f"schedule start times must be strictly increasing, got {prev:g} min "
                    f"then {now:g} min at positions {i - 1} and {i}",
                    field=f"schedule[{i}].start_min",
                    value=now,
                    unit="min",
                    limit="strictly increasing",
                )

    @classmethod
    def constant(cls, target_ng_per_ml: float) -> TargetSchedule:
        return cls((TargetStep(0.0, target_ng_per_ml),))

    @classmethod
    def of(cls, pairs: Iterable[tuple[float, float]]) -> TargetSchedule:
        """From ``(start_min, target_ng_per_ml)`` pairs."""
        return cls(tuple(TargetStep(float(t), float(c)) for t, c in pairs))

    @classmethod
    def from_json(cls, data: object) -> TargetSchedule:
        """From ``[{"start_min": 0, "target_ng_per_ml": 50}, ...]`` (or a dict holding it
        under ``"schedule"``)."""
        if isinstance(data, Mapping):
            data = data.get("schedule")
        if not isinstance(data, list):
            raise InputError.for_field(
                "schedule", type(data).__name__, "a JSON list of {start_min, target_ng_per_ml}"
            )
        steps = []
        for i, item in enumerate(data):
            if not isinstance(item, Mapping) or set(item) != {"start_min", "target_ng_per_ml"}:
                raise InputError.for_field(
                    f"schedule[{i}]",
                    json.dumps(item),
                    "an object with exactly start_min and target_ng_per_ml",
                )
            steps.append(TargetStep(item["start_min"], item["target_ng_per_ml"]))
        return cls(tuple(steps))

    @property
    def last_change_min(self) -> float:
        return self.steps[-1].start_min

    def target_ng_per_ml_at(self, t_min: float) -> float:
        value = self.steps[0].target_ng_per_ml
        for s in self.steps:
            if s.start_min <= t_min + 1e-9:
                value = s.target_ng_per_ml
        return float(value)

    def to_list(self) -> list[dict[str, float]]:
        return [
            {"start_min": s.start_min, "target_ng_per_ml": s.target_ng_per_ml} for s in self.steps
        ]


@dataclass(frozen=True)
class EffectBolus:
    """The Shafer & Gregg effect-site bolus: ``dose_mg`` makes Ce peak at the target at
    ``t_peak_min``; ``peak_per_mg_ng_per_ml`` is the unit-bolus effect peak."""

    dose_mg: float
    t_peak_min: float
    peak_per_mg_ng_per_ml: float
    initial_plasma_ng_per_ml: float


@dataclass(frozen=True)
class TCIResult:
    """A TCI run.

    Attributes
    ----------
    time_min : (K+1,) update boundaries, min
    rate_mg_per_min : (K,) the rate during each interval
    plasma_mg_per_l, effect_site_mg_per_l : (K+1,) predictions at the boundaries
    target_mg_per_l : (K,) the target in force during each interval
    """

    model_id: str
    site: Site
    effect_site: EffectSite | None
    pump: PumpLimits
    schedule: TargetSchedule
    update_min: float
    time_min: NDArray[np.float64]
    rate_mg_per_min: NDArray[np.float64]
    plasma_mg_per_l: NDArray[np.float64]
    effect_site_mg_per_l: NDArray[np.float64] | None
    target_mg_per_l: NDArray[np.float64]
    system: CompartmentSystem = field(repr=False)
    central: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def rate_ml_per_h(self) -> NDArray[np.float64]:
        return self.pump.ml_per_h(self.rate_mg_per_min)

    @property
    def total_dose_mg(self) -> float:
        return float(self.rate_mg_per_min.sum() * self.update_min)

    @property
    def total_volume_ml(self) -> float:
        return self.total_dose_mg / self.pump.concentration_mg_per_ml

    @property
    def plasma_ng_per_ml(self) -> NDArray[np.float64]:
        return self.plasma_mg_per_l * MG_PER_L_TO_NG_PER_ML

    @property
    def effect_site_ng_per_ml(self) -> NDArray[np.float64] | None:
        ce = self.effect_site_mg_per_l
        return None if ce is None else ce * MG_PER_L_TO_NG_PER_ML

    def first_dose_mg(self) -> float:
        """Drug given from the start to the first pause (rate 0): the loading dose."""
        zero = np.flatnonzero(self.rate_mg_per_min <= 0)
        stop = int(zero[0]) if zero.size else self.rate_mg_per_min.size
        return float(self.rate_mg_per_min[:stop].sum() * self.update_min)

    def pump_program(self) -> list[tuple[float, float]]:
        """(start time min, rate mL/h) at every change of rate."""
        rates = self.rate_ml_per_h
        out: list[tuple[float, float]] = []
        for k, r in enumerate(rates):
            if not out or not math.isclose(out[-1][1], float(r), rel_tol=1e-12, abs_tol=1e-12):
                out.append((float(self.time_min[k]), float(r)))
        return out

    def inputs(self) -> list[Input]:
        """The program as primitive inputs into the central compartment."""
        h = self.update_min
        return [
            Input(self.central, float(u) * h, float(self.time_min[k]), h)
            for k, u in enumerate(self.rate_mg_per_min)
            if u > 0
        ]

    def predict(self, times: Sequence[float] | NDArray[np.float64]) -> NDArray[np.float64]:
        """Exact concentrations (mg/L) of every output at any ``times`` (min): rows are the
        system outputs (plasma first, the effect site last when present)."""
        y, _ = solve(self.system, self.inputs(), times)
        return y

    def to_dict(self) -> dict[str, Any]:
        """The CLI's ``--json`` object (ng/mL, min, mL/h)."""
        ce = self.effect_site_ng_per_ml
        return {
            "model": self.model_id,
            "site": self.site,
            "effect_site": None if self.effect_site is None else self.effect_site.label,
            "update_s": self.update_min * 60.0,
            "pump": {
                "max_rate_ml_per_h": self.pump.max_rate_ml_per_h,
                "concentration_mg_per_ml": self.pump.concentration_mg_per_ml,
            },
            "schedule": self.schedule.to_list(),
            "program": [{"start_min": t, "rate_ml_per_h": r} for t, r in self.pump_program()],
            "time_min": self.time_min.tolist(),
            "plasma_ng_per_ml": self.plasma_ng_per_ml.tolist(),
            "effect_site_ng_per_ml": None if ce is None else ce.tolist(),
            "total_dose_mg": self.total_dose_mg,
            "total_volume_ml": self.total_volume_ml,
            "warnings": list(self.warnings),
        }
