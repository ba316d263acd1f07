"""The one unit registry, and the one number formatter.

Units are converted at the edges (CLI, API, files); the numerical core works in plain
magnitudes in canonical units: min, mg, L, mg/L, mg/min, L/min, 1/min, kg, years
(STYLE.md, convention 2). ``mg/L`` equals ``mcg/mL``; reports show ``ng/mL``
(1 mg/L = 1000 ng/mL).
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING, Any

from ketaclinic.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pint

__all__ = [
    "MG_PER_L_TO_NG_PER_ML",
    "convert",
    "format_number",
    "format_quantity",
    "registry",
]

#: 1 mg/L = 1 µg/mL = 1000 ng/mL.
MG_PER_L_TO_NG_PER_ML = 1000.0

# Display spelling: ISMP's list of error-prone abbreviations asks for "mcg", not "µg".
_DISPLAY_UNITS = {"ug": "mcg", "µg": "mcg", "microgram": "mcg", "ml": "mL", "l": "L"}


@cache
def registry() -> pint.UnitRegistry[float]:
    """The application's single pint registry (created lazily, never at import time)."""
    import pint

    reg: pint.UnitRegistry[float] = pint.UnitRegistry()
    reg.define("mcg = microgram")
    return reg


def convert(value: float, from_unit: str, to_unit: str, *, field: str = "value") -> float:
    """Convert a magnitude between units through the registry.

    >>> convert(1.0, "mg/kg/h", "mcg/kg/min")
    16.666666666666668
    """
    reg = registry()
    try:
        q = reg.Quantity(value, from_unit)
        return float(q.to(to_unit).magnitude)
    except Exception as exc:  # pint raises several unrelated types
        raise InputError(
            f"{field}: cannot convert {value} {from_unit} to {to_unit} ({exc})",
            field=field,
            value=value,
            unit=from_unit,
        ) from exc


def format_number(value: float, *, significant: int = 3, max_decimals: int = 2) -> str:
    """Format a number for a clinician (ISMP notation rules).

    Always a leading zero (``0.5``, never ``.5``), never a trailing zero (``5``, never
    ``5.0``): both are classic ten-fold-error sources. Large values keep their integer
    digits; thousands get a thin separator-free comma.

    >>> format_number(0.5)
    '0.5'
    >>> format_number(5.0)
    '5'
    >>> format_number(1234.567)
    '1,235'
    >>> format_number(0.01234)
    '0.0123'
    """
    if not math.isfinite(value):
        raise InputError.for_field("value", value, "a finite number")
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, significant - 1 - magnitude)
    if magnitude >= 0:
        decimals = min(decimals, max_decimals)
    rounded = round(value, decimals)
    text = f"{rounded:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in {"-0", ""}:
        text = "0"
    return text


def format_quantity(value: float, unit: str, **kwargs: Any) -> str:
    """Number and unit with one space between them, in display spelling.

    >>> format_quantity(0.5, "mg/kg")
    '0.5 mg/kg'
    >>> format_quantity(250, "ug")
    '250 mcg'
    """
    shown = _DISPLAY_UNITS.get(unit, unit)
    return f"{format_number(value, **kwargs)} {shown}"
