"""The one error hierarchy of ketaclinic.

Every error extends a builtin (so ``except ValueError`` keeps working), carries structured
fields (``field``, ``value``, ``unit``, ``limit``) and pickles cleanly (pint's pattern:
``__reduce__`` returns the constructor arguments).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = [
    "DomainError",
    "InputError",
    "LimitError",
    "NotFoundError",
    "RouteError",
    "format_value",
    "real_number",
]


def format_value(value: Any) -> str:
    """Render a value for an error message: no trailing zeros, NaN/inf spelled out."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "infinity" if value > 0 else "-infinity"
        text = f"{value:.6g}"
        return text
    return str(value)


class DomainError(Exception):
    """Base of every ketaclinic error: names the field, the value, the unit and what is allowed."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = None,
        unit: str | None = None,
        limit: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.unit = unit
        self.limit = limit

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.to_dict()))

    def to_dict(self) -> dict[str, Any]:
        """Structured fields, for JSON error bodies and logs."""
        value = self.value
        if isinstance(value, float) and not math.isfinite(value):
            value = format_value(value)
        return {
            "field": self.field,
            "value": value,
            "unit": self.unit,
            "limit": self.limit,
        }

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[DomainError], message: str, fields: dict[str, Any]) -> DomainError:
    err = cls.__new__(cls)
    DomainError.__init__(err, message, **fields)
    return err


class InputError(DomainError, ValueError):
    """An input is malformed or outside what is physically meaningful."""

    @classmethod
    def for_field(
        cls,
        field: str,
        value: Any,
        requirement: str,
        *,
        unit: str | None = None,
    ) -> InputError:
        """Build the house message: "`field` must be <requirement>, got <value> <unit>"."""
        shown = format_value(value)
        unit_txt = f" {unit}" if unit and shown not in {"NaN", "infinity", "-infinity"} else ""
        message = f"{field} must be {requirement}, got {shown}{unit_txt}"
        return cls(message, field=field, value=value, unit=unit, limit=requirement)


class LimitError(DomainError, ValueError):
    """A value breaches a configured clinical limit (hard limits refuse)."""


class RouteError(DomainError, ValueError):
    """A model cannot take the requested route of administration."""


class NotFoundError(DomainError, LookupError):
    """A named thing (model, protocol, patient) does not exist."""


def real_number(
    name: str, value: object, unit: str | None = None, *, positive: bool = False
) -> float:
    """``value`` as a float if it is a finite real number (numpy scalars included,
    booleans not: True would pass as 1 mg), and > 0 when ``positive``; otherwise an
    ``InputError`` naming ``name``, the value, the unit and the requirement.

    Examples
    --------
    >>> real_number("weight_kg", 70, "kg")
    70.0
    >>> real_number("weight_kg", True, "kg")
    Traceback (most recent call last):
    ...
    ketaclinic.errors.InputError: weight_kg must be a number in kg, got true kg
    """
    in_unit = f" in {unit}" if unit else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError.for_field(name, value, f"a number{in_unit}", unit=unit)
    v = float(value)
    if positive and not (math.isfinite(v) and v > 0):
        above = f" {unit}" if unit else ""
        raise InputError.for_field(name, value, f"a finite number > 0{above}", unit=unit)
    if not math.isfinite(v):
        raise InputError.for_field(name, value, f"a finite number{in_unit}", unit=unit)
    return v
