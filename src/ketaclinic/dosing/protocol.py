"""One dosing protocol: a frozen, validated dataclass (loaded by :mod:`.library`).

Rules checked when a protocol is built (ISMP smart-pump guidance, see docs/dosing.md):

* every protocol has a hard maximum on its dose per kg (if weight-based) **and** an
  absolute hard cap in mg (a weight typo defeats per-kg limits);
* every infusion has hard maxima in mg/kg/h and mg/h and a hard minimum duration;
* the standard concentrations of one protocol differ by less than a factor of 10, so
  picking the wrong standard concentration is never a ten-fold error;
* standard doses lie within the protocol's own hard limits; nasal doses are whole devices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from ketaclinic.dosing.limits import Basis, Bound, LimitSpec
from ketaclinic.dosing.weight import WeightPolicy
from ketaclinic.errors import InputError

__all__ = [
    "CONCENTRATION_RATIO_MAX",
    "ROUTES",
    "Device",
    "DoseBasis",
    "Phase",
    "Protocol",
    "is_esketamine_drug",
]

DoseBasis = Literal["mg_per_kg", "mg"]
ROUTES = ("iv-infusion", "im", "sublingual", "oral", "intranasal")
#: Standard concentrations within one protocol differ by less than this factor.
CONCENTRATION_RATIO_MAX = 10.0


def is_esketamine_drug(drug: str) -> bool:
    """Whether a drug name is esketamine (S-ketamine alone), as opposed to racemic
    ketamine: the one rule for the 2-h esketamine monitoring minimum, the REMS checklist
    item, the PK model and the exported medication.

    >>> is_esketamine_drug("esketamine"), is_esketamine_drug("racemic ketamine")
    (True, False)
    """
    return "esketamine" in drug.lower()


@dataclass(frozen=True)
class Device:
    """A unit-dose device (esketamine nasal spray: 28 mg per device)."""

    mg_per_device: float
    source: str


@dataclass(frozen=True)
class Phase:
    """One phase of a treatment course (induction, maintenance, boosters, ...)."""

    name: str
    description: str
    source: str
    sessions: int | None = None
    weeks: str | None = None
    min_interval_days: float | None = None
    max_interval_days: float | None = None


@dataclass(frozen=True)
class Protocol:
    """One versioned dosing protocol with its own limits (one per care profile).

    Examples
    --------
    >>> from ketaclinic.dosing.library import default_library
    >>> crps = default_library().get("crps-iv-10day")
    >>> crps.ref, crps.limit("rate_mg_per_kg_per_h").soft_max.value
    ('crps-iv-10day v1', 0.35)
    """

    id: str
    version: int
    title: str
    drug: str
    route: str
    indication: str
    source: str
    dose_basis: DoseBasis
    standard_doses: tuple[float, ...]
    standard_doses_source: str
    weight_policy: WeightPolicy
    limits: tuple[LimitSpec, ...]
    default_duration_min: float | None = None
    concentrations_mg_per_ml: tuple[float, ...] = ()
    concentrations_basis: Basis = "local-default"
    concentrations_source: str = ""
    device: Device | None = None
    first_session_doses: tuple[float, ...] = ()
    first_session_source: str = ""
    schedule: tuple[Phase, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def esketamine(self) -> bool:
        """Whether this protocol gives esketamine (:func:`is_esketamine_drug`)."""
        return is_esketamine_drug(self.drug)

    def __post_init__(self) -> None:
        where = self.ref
        if self.route not in ROUTES:
            raise InputError.for_field(f"{where}: route", self.route, f"one of {ROUTES}")
        if self.dose_basis not in ("mg_per_kg", "mg"):
            raise InputError.for_field(f"{where}: dose_basis", self.dose_basis, "mg_per_kg or mg")
        names = [s.field for s in self.limits]
        if len(set(names)) != len(names):
            raise InputError.for_field(f"{where}: limits", names, "each field at most once")
        dose_unit = "mg/kg" if self.dose_basis == "mg_per_kg" else "mg"
        required = ["weight_kg", "dose_mg"]
        if self.dose_basis == "mg_per_kg":
            required.append("dose_mg_per_kg")
        if self.is_infusion:
            required += ["rate_mg_per_kg_per_h", "rate_mg_per_h", "duration_min"]
        for name in required:
            spec = self.limit(name)
            if spec is None or (spec.hard_max is None and name != "duration_min"):
                raise InputError.for_field(
                    f"{where}: limits.{name}.hard_max", None, "set (library rule)"
                )
            if name in ("weight_kg", "duration_min") and spec.hard_min is None:
                raise InputError.for_field(
                    f"{where}: limits.{name}.hard_min", None, "set (library rule)"
                )
        if not self.is_infusion:
            for name in ("rate_mg_per_kg_per_h", "rate_mg_per_h", "duration_min"):
                if self.limit(name) is not None:
                    raise InputError.for_field(
                        f"{where}: limits.{name}", "set", f"absent for route {self.route}"
                    )
            if self.default_duration_min is not None:
                raise InputError.for_field(
                    f"{where}: default_duration_min",
                    self.default_duration_min,
                    f"absent for route {self.route}",
                )
        elif self.default_duration_min is None:
            raise InputError.for_field(
                f"{where}: default_duration_min", None, "set for an infusion"
            )
        if not self.standard_doses:
            raise InputError.for_field(f"{where}: standard_doses", [], "at least one dose")
        key = "dose_mg_per_kg" if self.dose_basis == "mg_per_kg" else "dose_mg"
        spec = self.limit(key)
        assert spec is not None
        for d in self.standard_doses:
            lo = spec.hard_min.value if spec.hard_min else 0.0
            hi = spec.hard_max.value if spec.hard_max else math.inf
            if not (d > 0 and lo <= d <= hi):
                raise InputError.for_field(
                    f"{where}: standard_doses",
                    d,
                    f"within the hard limits of {key}",
                    unit=dose_unit,
                )
        conc = self.concentrations_mg_per_ml
        if conc:
            if min(conc) <= 0:
                raise InputError.for_field(
                    f"{where}: concentrations_mg_per_ml", min(conc), "> 0 mg/mL", unit="mg/mL"
                )
            if max(conc) / min(conc) >= CONCENTRATION_RATIO_MAX:
                raise InputError.for_field(
                    f"{where}: concentrations_mg_per_ml",
                    list(conc),
                    "within a factor of less than 10 of each other (library rule: a wrong "
                    "standard concentration must never be a ten-fold error)",
                    unit="mg/mL",
                )
            if not self.concentrations_source.strip():
                raise InputError.for_field(
                    f"{where}: concentrations_source", "", "a citation or local-default reason"
                )
        elif self.route in ("iv-infusion", "im"):
            raise InputError.for_field(
                f"{where}: concentrations_mg_per_ml", [], "at least one standard concentration"
            )
        if self.route == "intranasal":
            if self.device is None:
                raise InputError.for_field(f"{where}: device", None, "set for intranasal")
            for d in self.standard_doses:
                n = d / self.device.mg_per_device
                if abs(n - round(n)) > 1e-9:
                    raise InputError.for_field(
                        f"{where}: standard_doses",
                        d,
                        f"a multiple of {self.device.mg_per_device:g} mg (one device)",
                        unit="mg",
                    )
        for d in self.first_session_doses:
            if d not in self.standard_doses:
                raise InputError.for_field(
                    f"{where}: first_session_doses", d, "one of standard_doses", unit=dose_unit
                )

    @property
    def ref(self) -> str:
        """``"<id> v<version>"``, the name shown in every refusal."""
        return f"{self.id} v{self.version}"

    @property
    def is_infusion(self) -> bool:
        return self.route == "iv-infusion"

    @property
    def dose_unit(self) -> str:
        return "mg/kg" if self.dose_basis == "mg_per_kg" else "mg"

    def limit(self, name: str) -> LimitSpec | None:
        """The limits on ``name`` (``None`` when this protocol sets none)."""
        for spec in self.limits:
            if spec.field == name:
                return spec
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""

        def bound(b: Bound | None) -> dict[str, Any] | None:
            return None if b is None else {"value": b.value, "basis": b.basis, "source": b.source}

        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "drug": self.drug,
            "route": self.route,
            "indication": self.indication,
            "source": self.source,
            "dose_basis": self.dose_basis,
            "dose_unit": self.dose_unit,
            "standard_doses": list(self.standard_doses),
            "standard_doses_source": self.standard_doses_source,
            "default_duration_min": self.default_duration_min,
            "concentrations_mg_per_ml": list(self.concentrations_mg_per_ml),
            "concentrations_basis": self.concentrations_basis,
            "concentrations_source": self.concentrations_source,
            "weight_policy": {
                "basis": self.weight_policy.basis,
                "above_bmi": self.weight_policy.above_bmi,
                "basis_kind": self.weight_policy.basis_kind,
                "source": self.weight_policy.source,
                "description": self.weight_policy.describe(),
            },
            "limits": {
                s.field: {"unit": s.unit} | {name: bound(b) for name, b in s.bounds()}
                for s in self.limits
            },
            "device": None
            if self.device is None
            else {"mg_per_device": self.device.mg_per_device, "source": self.device.source},
            "first_session_doses": list(self.first_session_doses),
            "first_session_source": self.first_session_source,
            "schedule": [
                {
                    "phase": p.name,
                    "sessions": p.sessions,
                    "weeks": p.weeks,
                    "min_interval_days": p.min_interval_days,
                    "max_interval_days": p.max_interval_days,
                    "description": p.description,
                    "source": p.source,
                }
                for p in self.schedule
            ],
            "notes": list(self.notes),
        }
