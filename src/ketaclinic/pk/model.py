"""What a published PK model is: data (citation, parameters with provenance) plus a
small builder that turns typical or individual parameter values and a patient into a
linear compartmental system with route rules.

Vocabulary (python-control): ``params`` are parameter values by name, the *system* is
the rate matrix ``A`` (1/min) of ``dx/dt = A x + u`` with amounts in mg.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ketaclinic.errors import InputError
from ketaclinic.pk.patient import Patient

__all__ = [
    "Citation",
    "CompartmentSystem",
    "EffectSite",
    "Individual",
    "Output",
    "PKModel",
    "Parameter",
    "Path",
    "Provenance",
    "RateDrift",
    "ResidualError",
    "RouteRule",
    "Validity",
]

#: Provenance tags of the literature sheet: read in the primary source [P], in a
#: secondary transcription [S], computed [C], or not confirmed (UNVERIFIED).
Provenance = Literal["P", "S", "C", "UNVERIFIED"]
Drug = Literal["racemic ketamine", "S-ketamine", "esketamine"]


@dataclass(frozen=True)
class Citation:
    authors: str
    year: int
    title: str
    journal: str
    doi: str | None = None
    pmid: str | None = None

    def short(self) -> str:
        ref = f"doi:{self.doi}" if self.doi else (f"PMID {self.pmid}" if self.pmid else "")
        first = self.authors.split(",")[0].split()[0] if self.authors else "?"
        return f"{first} {self.year}, {self.journal}" + (f", {ref}" if ref else "")


@dataclass(frozen=True)
class Parameter:
    """One published number with its unit and where it was read.

    ``iiv`` is the inter-individual variability: a CV% on the log scale
    (``iiv_scale="lognormal"``, omega = sqrt(ln(1 + CV^2))) or an SD on the logit scale
    (``"logit"``, for fractions).
    """

    name: str
    value: float
    unit: str
    provenance: Provenance
    source: str
    iiv: float | None = None
    iiv_scale: Literal["lognormal", "logit"] = "lognormal"
    note: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise InputError.for_field(f"parameter {self.name}", self.value, "finite")
        if self.iiv is not None and not (math.isfinite(self.iiv) and self.iiv >= 0):
            raise InputError.for_field(f"parameter {self.name} iiv", self.iiv, ">= 0")

    @property
    def omega(self) -> float | None:
        """SD of the random effect on its scale (None when no IIV was published)."""
        if self.iiv is None:
            return None
        if self.iiv_scale == "lognormal":
            cv = self.iiv / 100.0
            return math.sqrt(math.log1p(cv * cv))
        return self.iiv


@dataclass(frozen=True)
class EffectSite:
    """An effect compartment: dCe/dt = ke0 (Cp - Ce).

    ``kind`` keeps measured rate constants apart from constructed ones (chosen so that
    the bolus effect peaks at a set time): constructed values are labelled wherever shown.
    """

    id: str
    ke0_per_min: float
    kind: Literal["measured", "constructed"]
    endpoint: str
    source: str
    provenance: Provenance

    @property
    def half_life_min(self) -> float:
        return math.log(2) / self.ke0_per_min

    @property
    def constructed_warning(self) -> str | None:
        """The warning every result that uses this site carries when its ke0 is
        constructed (None for a measured one)."""
        if self.kind != "constructed":
            return None
        return (
            f"effect site {self.id} uses a CONSTRUCTED ke0 ({self.ke0_per_min:g} /min, "
            f"{self.source}); it is not a measured value"
        )

    @property
    def label(self) -> str:
        tag = "" if self.kind == "measured" else " (CONSTRUCTED, not measured)"
        return f"{self.id}: t1/2ke0 {self.half_life_min:.3g} min, {self.endpoint}{tag}"


@dataclass(frozen=True)
class ResidualError:
    analyte: str
    kind: Literal["proportional", "log-additive", "additive"]
    sd: float
    source: str


@dataclass(frozen=True)
class Validity:
    """Covariate ranges of the studied population; outside them a warning is recorded."""

    weight_kg: tuple[float, float]
    age_years: tuple[float, float]

    def warnings(self, patient: Patient, model_id: str) -> tuple[str, ...]:
        out: list[str] = []
        lo, hi = self.weight_kg
        if not lo <= patient.weight_kg <= hi:
            out.append(
                f"weight_kg {patient.weight_kg:g} kg is outside the {lo:g}-{hi:g} kg "
                f"studied for {model_id}; the prediction is an extrapolation"
            )
        if patient.age_years is not None:
            lo, hi = self.age_years
            if not lo <= patient.age_years <= hi:
                out.append(
                    f"age_years {patient.age_years:g} years is outside the {lo:g}-{hi:g} "
                    f"years studied for {model_id}; the prediction is an extrapolation"
                )
        return tuple(out)


@dataclass(frozen=True)
class Output:
    """An observed quantity: amount in ``compartment`` divided by ``volume_l`` (mg/L).

    For a concentration state (an effect site) ``volume_l`` is 1.
    """

    name: str
    compartment: int
    volume_l: float


@dataclass(frozen=True)
class CompartmentSystem:
    """A linear, time-invariant compartment system for one individual.

    ``a`` is the (n, n) rate matrix in 1/min: ``dx/dt = a @ x + u(t)``, amounts in mg.
    """

    compartments: tuple[str, ...]
    a: NDArray[np.float64]
    outputs: tuple[Output, ...]

    def __post_init__(self) -> None:
        a = np.asarray(self.a, dtype=float)
        n = len(self.compartments)
        if a.shape != (n, n):
            raise InputError.for_field("a", a.shape, f"shape ({n}, {n})")
        if not np.all(np.isfinite(a)):
            raise InputError("rate matrix has non-finite entries", field="a")
        a.setflags(write=False)
        object.__setattr__(self, "a", a)

    def index(self, name: str) -> int:
        return self.compartments.index(name)

    def output(self, name: str) -> Output:
        for o in self.outputs:
            if o.name == name:
                return o
        raise KeyError(name)

    def with_effect_site(
        self, site: EffectSite, source_output: str = "plasma"
    ) -> CompartmentSystem:
        """Append a concentration state Ce driven by ``source_output`` (mg/L)."""
        src = self.output(source_output)
        n = len(self.compartments)
        a = np.zeros((n + 1, n + 1))
        a[:n, :n] = self.a
        a[n, src.compartment] = site.ke0_per_min / src.volume_l
        a[n, n] = -site.ke0_per_min
        name = f"effect:{site.id}"
        return CompartmentSystem(
            (*self.compartments, name), a, (*self.outputs, Output(name, n, 1.0))
        )


@dataclass(frozen=True)
class Path:
    """Where a fraction of a dose goes: into ``compartment``, as a bolus or (when
    ``zero_order_min`` is set) at a constant rate over that time, after ``lag_min``."""

    compartment: str
    fraction: float
    zero_order_min: float | None = None
    lag_min: float = 0.0


@dataclass(frozen=True)
class RouteRule:
    """How one route enters the system.

    ``paths`` serve the first device of a session (or every dose for routes without
    devices); ``later_device_paths`` serve the second and later devices (Perez-Ruixo
    2021: the nasal fraction falls by x0.62 after the first spray).
    """

    paths: tuple[Path, ...]
    later_device_paths: tuple[Path, ...] | None = None
    device_mg: float | None = None
    min_device_interval_min: float | None = None
    label: str = ""


@dataclass(frozen=True)
class RateDrift:
    """Rate-matrix entries that change linearly with time after the first dose:
    ``a(t) = a + max(t - t_first, 0) * per_min2`` (``per_min2`` in 1/min^2, the shape
    of the system's ``a``; compartments appended later, e.g. an effect site, drift 0).

    Only the outputs named in ``outputs`` depend on the drifting entries; the others
    stay exact (Flint 2017: S-norketamine CL/Fm rises 0.870 %/h). Solved by
    ``ketaclinic.pk.nonlinear``.
    """

    per_min2: NDArray[np.float64]
    outputs: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Individual:
    """A model evaluated for one patient: the system and its route rules
    (``drift``: time-varying rate entries, None for a time-invariant system)."""

    system: CompartmentSystem
    routes: Mapping[str, RouteRule]
    params: Mapping[str, float]
    drift: RateDrift | None = None


Builder = Callable[[Mapping[str, float], Patient], Individual]


@dataclass(frozen=True)
class PKModel:
    """A published model: metadata, parameters with provenance, and a builder."""

    id: str
    drug: Drug
    citation: Citation
    population: str
    sampling_site: str
    structure: str
    covariates: str
    validity: Validity
    parameters: tuple[Parameter, ...]
    builder: Builder = field(repr=False, compare=False)
    routes: tuple[str, ...] = ("iv-bolus", "iv-infusion")
    route_notes: Mapping[str, str] = field(default_factory=dict)
    effect_sites: tuple[EffectSite, ...] = ()
    residual_error: tuple[ResidualError, ...] = ()
    metabolites: tuple[str, ...] = ()
    suitable_for_tci: bool = True
    notes: tuple[str, ...] = ()
    version: str = "1"
    #: Correlations between random effects as (name_a, name_b, r), e.g. Flint 2017
    #: CL(S-ketamine) and CL(S-norketamine), r = 0.506. Absent pairs are independent.
    iiv_correlations: tuple[tuple[str, str, float], ...] = ()

    def __post_init__(self) -> None:
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise InputError(f"model {self.id} repeats a parameter name", field="parameters")
        with_iiv = {p.name for p in self.parameters if p.iiv is not None}
        for a, b, r in self.iiv_correlations:
            if a not in with_iiv or b not in with_iiv or a == b:
                raise InputError.for_field(
                    "iiv_correlations", (a, b), "two different parameters with IIV"
                )
            if not (math.isfinite(r) and -1.0 < r < 1.0):
                raise InputError.for_field("iiv_correlations", r, "between -1 and 1")

    @property
    def typical_params(self) -> dict[str, float]:
        return {p.name: p.value for p in self.parameters}

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def has_iiv(self) -> bool:
        return any(p.iiv is not None for p in self.parameters)

    def effect_site(self, site_id: str | None = None) -> EffectSite | None:
        """The named effect site, or the default (first measured, else first listed)."""
        if not self.effect_sites:
            return None
        if site_id is None:
            for s in self.effect_sites:
                if s.kind == "measured":
                    return s
            return self.effect_sites[0]
        for s in self.effect_sites:
            if s.id == site_id:
                return s
        raise InputError.for_field(
            "effect_site", site_id, "one of " + ", ".join(s.id for s in self.effect_sites)
        )

    def individual(self, patient: Patient, params: Mapping[str, float] | None = None) -> Individual:
        """Build the system for ``patient`` with typical (or given individual) values."""
        values = self.typical_params if params is None else {**self.typical_params, **params}
        return self.builder(values, patient)
