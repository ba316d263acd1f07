"""Doses and regimens: what was given, by which route, when.

Times are minutes from the regimen's origin; amounts are mg of the drug the model
describes (ketamine base for racemic models, esketamine base for esketamine models).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from ketaclinic.errors import InputError, real_number

__all__ = ["ROUTES", "Dose", "Regimen", "Route"]

Route = Literal["iv-bolus", "iv-infusion", "im", "intranasal", "sublingual", "oral"]
ROUTES: tuple[str, ...] = get_args(Route)

#: Refusal bound on a single dose: 5,000 mg is ten times the largest anaesthetic
#: induction dose for a 250 kg adult (2 mg/kg); anything above is a unit error.
MAX_SINGLE_DOSE_MG = 5000.0
#: A regimen spans at most one year of minutes.
MAX_TIME_MIN = 366 * 24 * 60.0


def _finite(name: str, value: object, unit: str) -> float:
    return real_number(name, value, unit)


@dataclass(frozen=True)
class Dose:
    """One administration.

    An IV infusion takes ``duration_min`` or ``rate_mg_per_h``, never both (the other
    follows from ``amount_mg``). Other routes take neither. ``devices`` and
    ``device_interval_min`` apply to intranasal devices (e.g. Spravato: 28 mg each,
    at least 5 minutes apart); when left out the model's device rule decides.

    Examples
    --------
    >>> Dose("iv-infusion", amount_mg=35, duration_min=40).rate_mg_per_min
    0.875
    """

    route: Route
    amount_mg: float
    start_min: float = 0.0
    duration_min: float | None = None
    rate_mg_per_h: float | None = None
    device_interval_min: float | None = None

    def __post_init__(self) -> None:
        if self.route not in ROUTES:
            raise InputError.for_field("route", self.route, f"one of {', '.join(ROUTES)}")
        amount = _finite("amount_mg", self.amount_mg, "mg")
        if amount <= 0:
            raise InputError.for_field("amount_mg", amount, "greater than 0 mg", unit="mg")
        if amount > MAX_SINGLE_DOSE_MG:
            raise InputError.for_field(
                "amount_mg", amount, f"at most {MAX_SINGLE_DOSE_MG:g} mg", unit="mg"
            )
        start = _finite("start_min", self.start_min, "min")
        if not 0 <= start <= MAX_TIME_MIN:
            raise InputError.for_field(
                "start_min", start, f"between 0 and {MAX_TIME_MIN:g} min", unit="min"
            )
        if self.route == "iv-infusion":
            if (self.duration_min is None) == (self.rate_mg_per_h is None):
                raise InputError(
                    "an iv-infusion takes exactly one of duration_min or rate_mg_per_h, "
                    f"got duration_min={self.duration_min}, rate_mg_per_h={self.rate_mg_per_h}",
                    field="duration_min",
                    value=self.duration_min,
                    unit="min",
                )
            if self.duration_min is not None:
                d = _finite("duration_min", self.duration_min, "min")
                if d <= 0:
                    raise InputError.for_field("duration_min", d, "greater than 0 min", unit="min")
            else:
                r = _finite("rate_mg_per_h", self.rate_mg_per_h, "mg/h")
                if r <= 0:
                    raise InputError.for_field(
                        "rate_mg_per_h", r, "greater than 0 mg/h", unit="mg/h"
                    )
        else:
            for name in ("duration_min", "rate_mg_per_h"):
                if getattr(self, name) is not None:
                    raise InputError.for_field(
                        name, getattr(self, name), f"left out for route {self.route}"
                    )
        if self.device_interval_min is not None:
            if self.route != "intranasal":
                raise InputError.for_field(
                    "device_interval_min",
                    self.device_interval_min,
                    "left out for routes other than intranasal",
                )
            gap = _finite("device_interval_min", self.device_interval_min, "min")
            if gap <= 0:
                raise InputError.for_field(
                    "device_interval_min", gap, "greater than 0 min", unit="min"
                )

    @property
    def infusion_duration_min(self) -> float:
        """Duration of an IV infusion in min (0 for every other route)."""
        if self.route != "iv-infusion":
            return 0.0
        if self.duration_min is not None:
            return float(self.duration_min)
        assert self.rate_mg_per_h is not None
        return float(self.amount_mg) / float(self.rate_mg_per_h) * 60.0

    @property
    def rate_mg_per_min(self) -> float:
        """Infusion rate in mg/min (IV infusions only)."""
        if self.route != "iv-infusion":
            raise InputError.for_field("route", self.route, "iv-infusion to have a rate")
        return float(self.amount_mg) / self.infusion_duration_min

    @property
    def end_min(self) -> float:
        return float(self.start_min) + self.infusion_duration_min

    def shifted(self, by_min: float) -> Dose:
        """The same dose ``by_min`` later."""
        return Dose(
            self.route,
            self.amount_mg,
            float(self.start_min) + by_min,
            self.duration_min,
            self.rate_mg_per_h,
            self.device_interval_min,
        )

    def scaled(self, factor: float) -> Dose:
        """The same dose with the amount (and rate) multiplied by ``factor``."""
        rate = None if self.rate_mg_per_h is None else self.rate_mg_per_h * factor
        return Dose(
            self.route,
            self.amount_mg * factor,
            self.start_min,
            self.duration_min,
            rate,
            self.device_interval_min,
        )


@dataclass(frozen=True)
class Regimen:
    """An ordered collection of doses (a session or a whole course).

    Examples
    --------
    >>> one = Regimen((Dose("iv-infusion", 35, duration_min=40),))
    >>> course = one.repeat_at_days([0, 2, 4, 7, 9, 11])
    >>> len(course.doses), course.doses[-1].start_min
    (6, 15840.0)
    """

    doses: tuple[Dose, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not isinstance(self.doses, tuple):
            object.__setattr__(self, "doses", tuple(self.doses))
        if not self.doses:
            raise InputError("a regimen needs at least one dose", field="doses", value=[])
        for i, d in enumerate(self.doses):
            if not isinstance(d, Dose):
                raise InputError.for_field(f"doses[{i}]", d, "a Dose")
        ordered = tuple(sorted(self.doses, key=lambda d: float(d.start_min)))
        object.__setattr__(self, "doses", ordered)

    @classmethod
    def of(cls, doses: Iterable[Dose]) -> Regimen:
        return cls(tuple(doses))

    @property
    def routes(self) -> frozenset[str]:
        return frozenset(d.route for d in self.doses)

    @property
    def total_mg(self) -> float:
        return float(sum(float(d.amount_mg) for d in self.doses))

    @property
    def end_min(self) -> float:
        """When the last administration ends (absorption may go on)."""
        return max(d.end_min for d in self.doses)

    def repeat_at_days(self, days: Sequence[float]) -> Regimen:
        """This regimen given again at each day offset (e.g. six infusions over 12 days)."""
        out: list[Dose] = []
        for day in days:
            offset = _finite("days", day, "days") * 24 * 60
            if offset < 0:
                raise InputError.for_field("days", day, "at least 0 days", unit="days")
            out.extend(d.shifted(offset) for d in self.doses)
        return Regimen(tuple(out))

    def scaled(self, factor: float) -> Regimen:
        return Regimen(tuple(d.scaled(factor) for d in self.doses))
