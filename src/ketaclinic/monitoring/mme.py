"""Opioid doses as morphine milligram equivalents per day (MME/day).

Conversion factors: Dowell D, Ragan KR, Jones CM, Baldwin GT, Chou R. CDC Clinical Practice
Guideline for Prescribing Opioids for Pain - United States, 2022. MMWR Recomm Rep
2022;71(No. RR-3):1-95, doi:10.15585/mmwr.rr7103a1, Table ("Morphine milligram equivalent
doses for commonly prescribed opioids for pain management"). The factors are not in the
project's shared reference sheets. All ten factors were checked (2026-11-28) against two
independent reproductions of the guideline table: GlobalRPh "Morphine Milligram Equivalents
Calculator" (globalrph.com/medcalcs/morphine-milligram-equivalents-calculator) and Medscape
Education (medscape.org/viewarticle/987410), both quoting "TABLE. Morphine milligram
equivalent doses for commonly prescribed opioids for pain management" with identical values.
Not read in the MMWR PDF itself, so ``provenance="S"`` (secondary transcription).

MME/day = daily dose x factor (mg/day, or mcg/h for transdermal fentanyl). The guideline
warns that MME is a tool for comparing exposure, not for converting one opioid into
another. Methadone's equivalence rises with dose and varies between patients; the 2022
table gives one factor (4.7) and a caution, so a methadone result is always flagged.
Unknown opioids are refused, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from math import isfinite
from types import MappingProxyType
from typing import Literal

from ketaclinic.errors import InputError, NotFoundError

__all__ = [
    "CDC_2022",
    "OPIOIDS",
    "DoseInterval",
    "MmePoint",
    "OpioidFactor",
    "daily_mme",
    "mme_series",
    "opioid",
]

CDC_2022 = (
    "Dowell D et al. CDC Clinical Practice Guideline for Prescribing Opioids for Pain - "
    "United States, 2022. MMWR Recomm Rep 2022;71(RR-3):1-95, doi:10.15585/mmwr.rr7103a1, "
    "MME conversion factor table"
)

DoseUnit = Literal["mg/day", "mcg/h"]


@dataclass(frozen=True)
class OpioidFactor:
    """The MME conversion of one opioid: MME/day = daily dose (``dose_unit``) x ``factor``."""

    id: str
    label: str
    factor: float
    dose_unit: DoseUnit
    source: str
    provenance: str
    caution: str | None = None


_METHADONE_CAUTION = (
    "methadone: equivalence rises with dose and varies between patients; the single "
    "factor understates MME at higher doses (CDC 2022 table footnote). Interpret with care."
)


def _f(
    oid: str, label: str, factor: float, unit: DoseUnit = "mg/day", caution: str | None = None
) -> OpioidFactor:
    return OpioidFactor(oid, label, factor, unit, CDC_2022, "S", caution)


#: opioid id -> conversion (CDC 2022 table; provenance S, see the module docstring)
OPIOIDS: MappingProxyType[str, OpioidFactor] = MappingProxyType(
    {
        o.id: o
        for o in (
            _f("morphine", "Morphine", 1.0),
            _f("oxycodone", "Oxycodone", 1.5),
            _f("hydrocodone", "Hydrocodone", 1.0),
            _f("hydromorphone", "Hydromorphone", 5.0),
            _f("oxymorphone", "Oxymorphone", 3.0),
            _f("tapentadol", "Tapentadol", 0.4),
            _f("tramadol", "Tramadol", 0.2),
            _f("codeine", "Codeine", 0.15),
            _f("methadone", "Methadone", 4.7, caution=_METHADONE_CAUTION),
            _f("fentanyl-transdermal", "Fentanyl transdermal patch", 2.4, "mcg/h"),
        )
    }
)


def opioid(opioid_id: str) -> OpioidFactor:
    """The conversion for ``opioid_id``; an unknown opioid raises :class:`NotFoundError`."""
    try:
        return OPIOIDS[opioid_id]
    except (KeyError, TypeError):
        raise NotFoundError(
            f"opioid_id {opioid_id!r} has no MME conversion factor; known: " + ", ".join(OPIOIDS),
            field="opioid_id",
            value=opioid_id,
            limit="one of " + ", ".join(OPIOIDS),
        ) from None


def _check_dose(daily_dose: float, unit: str, conv: OpioidFactor) -> None:
    if isinstance(daily_dose, bool) or not isinstance(daily_dose, (int, float)):
        raise InputError.for_field("daily_dose", daily_dose, "a number", unit=unit)
    if not isfinite(daily_dose) or daily_dose <= 0:
        raise InputError.for_field("daily_dose", daily_dose, "finite and > 0", unit=unit)
    if unit != conv.dose_unit:
        raise InputError.for_field(
            "dose_unit", unit, f"{conv.dose_unit} for {conv.id} (CDC 2022 table)"
        )


def daily_mme(opioid_id: str, daily_dose: float, dose_unit: str = "mg/day") -> float:
    """MME/day of one opioid at a total daily dose.

    Parameters
    ----------
    opioid_id : str
        A key of :data:`OPIOIDS`.
    daily_dose : float
        Total daily dose in mg/day, or the patch rate in mcg/h for transdermal fentanyl.
    dose_unit : {"mg/day", "mcg/h"}
        Must match the opioid's unit.

    Returns
    -------
    float
        Morphine milligram equivalents per day (MME/day).

    Examples
    --------
    >>> daily_mme("oxycodone", 40)
    60.0
    >>> daily_mme("fentanyl-transdermal", 25, "mcg/h")
    60.0
    """
    conv = opioid(opioid_id)
    _check_dose(daily_dose, dose_unit, conv)
    return float(daily_dose) * conv.factor


@dataclass(frozen=True)
class DoseInterval:
    """An opioid taken at a constant daily dose from ``start`` until ``stop`` (exclusive).

    ``stop=None``: still taken.
    """

    opioid_id: str
    daily_dose: float
    dose_unit: str
    start: date
    stop: date | None = None

    def __post_init__(self) -> None:
        _check_dose(self.daily_dose, self.dose_unit, opioid(self.opioid_id))
        if self.stop is not None and self.stop <= self.start:
            raise InputError.for_field(
                "stop", self.stop.isoformat(), f"after start {self.start.isoformat()}"
            )

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.stop is None or day < self.stop)


@dataclass(frozen=True)
class MmePoint:
    """Total MME/day from ``on`` until the next point; ``flags`` name cautions (methadone)."""

    on: date
    mme_per_day: float
    flags: tuple[str, ...]


def mme_series(intervals: Iterable[DoseInterval]) -> tuple[MmePoint, ...]:
    """A step series of total MME/day: one point at every date the total may change.

    Examples
    --------
    >>> from datetime import date
    >>> s = mme_series([DoseInterval("morphine", 60, "mg/day", date(2026, 1, 1), date(2026, 2, 1)),
    ...                 DoseInterval("tramadol", 100, "mg/day", date(2026, 1, 15))])
    >>> [(p.on.isoformat(), p.mme_per_day) for p in s]
    [('2026-01-01', 60.0), ('2026-01-15', 80.0), ('2026-02-01', 20.0)]
    """
    items = tuple(intervals)
    days = sorted({i.start for i in items} | {i.stop for i in items if i.stop is not None})
    points: list[MmePoint] = []
    for day in days:
        active = [i for i in items if i.active_on(day)]
        total = sum(daily_mme(i.opioid_id, i.daily_dose, i.dose_unit) for i in active)
        flags = tuple(sorted({c for i in active if (c := opioid(i.opioid_id).caution) is not None}))
        if points and points[-1].mme_per_day == total and points[-1].flags == flags:
            continue
        points.append(MmePoint(day, total, flags))
    return tuple(points)
