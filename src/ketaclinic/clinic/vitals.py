"""Refusal bounds for vital-sign readings, taken from the domain package.

The one source is ``ketaclinic.monitoring.vitals.PHYSIOLOGICAL_RANGES`` (values outside
cannot be a human measurement; not alarm limits). The API states them in its schema so
a client sees the limit before it posts.
"""

from __future__ import annotations

from ketaclinic.monitoring.vitals import PHYSIOLOGICAL_RANGES, VITAL_FIELDS, VITAL_UNITS

__all__ = ["VITAL_LIMITS", "VITAL_NAMES"]

#: name -> (lowest, highest, canonical unit)
VITAL_LIMITS: dict[str, tuple[float, float, str]] = {
    name: (*PHYSIOLOGICAL_RANGES[name], VITAL_UNITS[name][0]) for name in VITAL_FIELDS
}
VITAL_NAMES: tuple[str, ...] = tuple(VITAL_FIELDS)
