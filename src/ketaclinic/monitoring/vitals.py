"""Vital-sign readings as validated values.

A :class:`VitalSigns` is one set of simultaneous measurements from a chair monitor or a
nurse: systolic/diastolic blood pressure (mmHg), heart rate (/min), SpO2 (%), respiratory
rate (/min) and temperature (degrees Celsius). Any subset may be present.

The ranges in :data:`PHYSIOLOGICAL_RANGES` are *refusals*: a value outside them is not a
human measurement (a sensor fault, a typo, a wrong unit) and raises
:class:`~ketaclinic.errors.InputError` naming the field, value, unit and range. They are
deliberately wide and are not alarm limits (those are in :mod:`.rules`).

Units are checked, not converted: :meth:`VitalSigns.from_quantities` accepts the canonical
unit and its UCUM spelling (``mm[Hg]``, ``/min``, ``%``, ``Cel``) and refuses any other
(a temperature in degrees Fahrenheit must be converted at the edge, via
``ketaclinic.units``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Literal

from ketaclinic.errors import InputError

__all__ = [
    "PHYSIOLOGICAL_RANGES",
    "VITAL_FIELDS",
    "VITAL_UNITS",
    "VitalField",
    "VitalSigns",
    "check_utc",
]

VitalField = Literal["sbp_mmhg", "dbp_mmhg", "hr_per_min", "spo2_pct", "rr_per_min", "temp_c"]

VITAL_FIELDS: tuple[VitalField, ...] = (
    "sbp_mmhg",
    "dbp_mmhg",
    "hr_per_min",
    "spo2_pct",
    "rr_per_min",
    "temp_c",
)

#: Canonical unit first, then accepted spellings (UCUM codes from the FHIR vital-signs
#: profile: mm[Hg], /min, %, Cel; LOINC 8480-6, 8462-4, 8867-4, 59408-5, 9279-1, 8310-5).
VITAL_UNITS: dict[VitalField, tuple[str, ...]] = {
    "sbp_mmhg": ("mmHg", "mm[Hg]"),
    "dbp_mmhg": ("mmHg", "mm[Hg]"),
    "hr_per_min": ("/min", "bpm", "beats/min", "1/min"),
    "spo2_pct": ("%",),
    "rr_per_min": ("/min", "breaths/min", "1/min"),
    "temp_c": ("degC", "Cel", "°C"),
}

#: Refusal bounds (inclusive), canonical units. Wider than any survivable value so that no
#: real reading is refused: SBP 20-300 mmHg, DBP 10-250 mmHg, HR 20-300 /min, SpO2 0-100 %
#: (100 % is the physical maximum of a saturation), RR 0-80 /min (0 = apnoea, which must
#: be recorded, not refused), temperature 25-45 degC. Engineering choices, not clinical
#: limits.
PHYSIOLOGICAL_RANGES: dict[VitalField, tuple[float, float]] = {
    "sbp_mmhg": (20.0, 300.0),
    "dbp_mmhg": (10.0, 250.0),
    "hr_per_min": (20.0, 300.0),
    "spo2_pct": (0.0, 100.0),
    "rr_per_min": (0.0, 80.0),
    "temp_c": (25.0, 45.0),
}

LABELS: dict[VitalField, str] = {
    "sbp_mmhg": "systolic blood pressure",
    "dbp_mmhg": "diastolic blood pressure",
    "hr_per_min": "heart rate",
    "spo2_pct": "SpO2",
    "rr_per_min": "respiratory rate",
    "temp_c": "temperature",
}


def unit_of(name: VitalField) -> str:
    """The canonical unit of a vital field."""
    return VITAL_UNITS[name][0]


def check_utc(name: str, value: object) -> datetime:
    """Refuse anything but a timezone-aware datetime (UTC everywhere)."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InputError.for_field(name, value, "a timezone-aware datetime (UTC)")
    return value


def _check_value(name: VitalField, value: object) -> None:
    lo, hi = PHYSIOLOGICAL_RANGES[name]
    unit = unit_of(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError.for_field(name, value, f"a number in {unit}", unit=unit)
    if not math.isfinite(value) or not lo <= value <= hi:
        raise InputError.for_field(name, value, f"between {lo:g} and {hi:g} {unit}", unit=unit)


@dataclass(frozen=True)
class VitalSigns:
    """One set of vital signs measured at ``measured_at`` (timezone-aware, UTC).

    ``received_at`` is when the server received it (device readings carry both).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> v = VitalSigns(datetime(2026, 1, 1, 9, 0, tzinfo=UTC), sbp_mmhg=128, dbp_mmhg=82)
    >>> v.values()
    {'sbp_mmhg': 128, 'dbp_mmhg': 82}
    """

    measured_at: datetime
    sbp_mmhg: float | None = None
    dbp_mmhg: float | None = None
    hr_per_min: float | None = None
    spo2_pct: float | None = None
    rr_per_min: float | None = None
    temp_c: float | None = None
    source: Literal["manual", "device"] = "manual"
    received_at: datetime | None = None

    def __post_init__(self) -> None:
        check_utc("measured_at", self.measured_at)
        if self.received_at is not None:
            check_utc("received_at", self.received_at)
        if self.source not in ("manual", "device"):
            raise InputError.for_field("source", self.source, "'manual' or 'device'")
        present = self.values()
        if not present:
            raise InputError.for_field("vital signs", None, "at least one measurement")
        for name, value in present.items():
            _check_value(name, value)
        if (self.sbp_mmhg is None) != (self.dbp_mmhg is None):
            missing = "dbp_mmhg" if self.dbp_mmhg is None else "sbp_mmhg"
            raise InputError.for_field(
                missing, None, "given with its pair (blood pressure is systolic/diastolic)"
            )
        if (
            self.sbp_mmhg is not None
            and self.dbp_mmhg is not None
            and not self.dbp_mmhg < self.sbp_mmhg
        ):
            raise InputError.for_field(
                "dbp_mmhg",
                self.dbp_mmhg,
                f"below the systolic pressure ({self.sbp_mmhg:g} mmHg)",
                unit="mmHg",
            )

    def values(self) -> dict[VitalField, float]:
        """The measurements present, in canonical units."""
        out: dict[VitalField, float] = {}
        for name in VITAL_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    @classmethod
    def from_quantities(
        cls,
        measured_at: datetime,
        quantities: Mapping[str, tuple[float, str] | list[object]],
        *,
        source: Literal["manual", "device"] = "manual",
        received_at: datetime | None = None,
    ) -> VitalSigns:
        """Build from ``{field: (value, unit)}``, refusing unknown fields and wrong units.

        Examples
        --------
        >>> from datetime import datetime, UTC
        >>> t = datetime(2026, 1, 1, tzinfo=UTC)
        >>> VitalSigns.from_quantities(t, {"temp_c": (36.8, "Cel")}).temp_c
        36.8
        >>> VitalSigns.from_quantities(t, {"temp_c": (98.6, "degF")})
        Traceback (most recent call last):
        ...
        ketaclinic.errors.InputError: temp_c must be in degC (...), got 98.6 degF
        """
        known = {f.name for f in fields(cls)} & set(VITAL_FIELDS)
        values: dict[str, float] = {}
        for name, quantity in quantities.items():
            if name not in known:
                raise InputError.for_field("vital field", name, "one of " + ", ".join(VITAL_FIELDS))
            if not (isinstance(quantity, tuple | list) and len(quantity) == 2):
                raise InputError.for_field(name, quantity, "a (value, unit) pair")
            value, unit = quantity
            if not isinstance(unit, str):
                raise InputError.for_field(f"{name} unit", unit, "a unit string")
            field: VitalField = name  # type: ignore[assignment]
            accepted = VITAL_UNITS[field]
            if unit not in accepted:
                raise InputError.for_field(
                    name,
                    value,
                    f"in {accepted[0]} (accepted units: {', '.join(accepted)})",
                    unit=str(unit),
                )
            values[name] = value  # type: ignore[assignment]  # checked in __post_init__
        return cls(
            measured_at,
            source=source,
            received_at=received_at,
            **values,
        )
