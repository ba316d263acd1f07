"""Hard and soft dose limits, and the override rule.

A *hard* limit refuses: no override exists (ISMP smart-pump guidance; Pharmacy Skills Lab,
"Programming an IV Smart Pump"). A *soft* limit warns; it can be overridden only with a
reason **and** a second clinician different from the ordering one (ISMP high-alert handling:
independent double checks; HL7 EHR-S FM R2.1.1 CP.4.2.4: the override reason SHALL be
captured). Both are recorded on the result.

Every bound carries where it comes from: ``basis`` is ``"published"`` (a paper, guideline or
label, named in ``source``), ``"unverified"`` (a published-looking number nobody has
confirmed against the primary text) or ``"local-default"`` (a configurable clinic default,
*not* a standard).

Examples
--------
>>> spec = LimitSpec("dose_mg_per_kg", "mg/kg",
...     hard_max=Bound(1.0, "unverified", "common clinic practice"))
>>> [v.message for v in check_value(spec, 5.0, "depression-iv-40min v1")]
['dose_mg_per_kg must be <= 1 mg/kg for protocol depression-iv-40min v1 (hard limit), got 5 mg/kg']
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from ketaclinic.errors import InputError, LimitError, real_number
from ketaclinic.units import format_quantity

__all__ = [
    "BASES",
    "LIMIT_FIELDS",
    "Basis",
    "Bound",
    "LimitSpec",
    "Override",
    "Severity",
    "Violation",
    "check_choice",
    "check_value",
    "enforce",
]

Basis = Literal["published", "unverified", "local-default"]
BASES: tuple[str, ...] = ("published", "unverified", "local-default")
Severity = Literal["hard", "soft"]

#: The limit fields a protocol may set, with their canonical unit.
LIMIT_FIELDS: dict[str, str] = {
    "weight_kg": "kg",
    "dose_mg_per_kg": "mg/kg",
    "dose_mg": "mg",
    "rate_mg_per_kg_per_h": "mg/kg/h",
    "rate_mg_per_h": "mg/h",
    "duration_min": "min",
    "device_interval_min": "min",
    "monitoring_min": "min",
}


def _show(value: float, unit: str) -> str:
    # Enough digits that a value just over a limit never prints as the limit itself.
    return format_quantity(value, unit, significant=6, max_decimals=4)


@dataclass(frozen=True)
class Bound:
    """One limit value with its provenance.

    Parameters
    ----------
    value : float
        The limit, in the unit of its :class:`LimitSpec`.
    basis : {"published", "unverified", "local-default"}
        Where the number comes from; ``local-default`` means a configurable clinic default.
    source : str
        Paper, guideline or label and section; for a local default, the reasoning.
    """

    value: float
    basis: Basis
    source: str

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise InputError.for_field("value", self.value, "a number")
        if not math.isfinite(self.value) or self.value < 0:
            raise InputError.for_field("value", self.value, "a finite number >= 0")
        if self.basis not in BASES:
            raise InputError.for_field("basis", self.basis, f"one of {', '.join(BASES)}")
        if not isinstance(self.source, str) or not self.source.strip():
            raise InputError.for_field("source", self.source, "a non-empty citation or reason")


@dataclass(frozen=True)
class LimitSpec:
    """Soft and hard bounds on one field (any of them may be absent).

    The order ``hard_min <= soft_min <= soft_max <= hard_max`` is enforced.
    """

    field: str
    unit: str
    soft_min: Bound | None = None
    soft_max: Bound | None = None
    hard_min: Bound | None = None
    hard_max: Bound | None = None

    def __post_init__(self) -> None:
        if self.field not in LIMIT_FIELDS:
            raise InputError.for_field(
                "field", self.field, f"one of {', '.join(LIMIT_FIELDS)}", unit=None
            )
        if self.unit != LIMIT_FIELDS[self.field]:
            raise InputError.for_field(
                f"{self.field}.unit", self.unit, f"'{LIMIT_FIELDS[self.field]}'"
            )
        chain = [
            (name, b.value)
            for name, b in (
                ("hard_min", self.hard_min),
                ("soft_min", self.soft_min),
                ("soft_max", self.soft_max),
                ("hard_max", self.hard_max),
            )
            if b is not None
        ]
        for (n1, v1), (n2, v2) in itertools.pairwise(chain):
            if v1 > v2:
                raise InputError(
                    f"{self.field}: {n1} ({_show(v1, self.unit)}) must be <= "
                    f"{n2} ({_show(v2, self.unit)})",
                    field=f"{self.field}.{n1}",
                    value=v1,
                    unit=self.unit,
                    limit=f"<= {n2}",
                )

    def bounds(self) -> Iterable[tuple[str, Bound]]:
        """The bounds present, as ``(name, bound)`` pairs."""
        for name in ("hard_min", "soft_min", "soft_max", "hard_max"):
            b = getattr(self, name)
            if b is not None:
                yield name, b


@dataclass(frozen=True)
class Violation:
    """One breached limit: what, by how much, and where the limit comes from."""

    field: str
    value: float
    unit: str
    limit: float
    side: Literal["min", "max"]
    severity: Severity
    protocol: str
    basis: Basis
    source: str

    @property
    def requirement(self) -> str:
        op = ">=" if self.side == "min" else "<="
        return f"{op} {_show(self.limit, self.unit)}"

    @property
    def message(self) -> str:
        """The house refusal line: field, limit, unit, protocol version, value."""
        return (
            f"{self.field} must be {self.requirement} for protocol {self.protocol} "
            f"({self.severity} limit), got {_show(self.value, self.unit)}"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "value": self.value,
            "unit": self.unit,
            "limit": self.limit,
            "side": self.side,
            "severity": self.severity,
            "protocol": self.protocol,
            "basis": self.basis,
            "source": self.source,
            "message": self.message,
        }

    def error(self, suffix: str = "") -> LimitError:
        """This violation as a :class:`LimitError` (the refusal)."""
        return LimitError(
            self.message + suffix,
            field=self.field,
            value=self.value,
            unit=self.unit,
            limit=f"{self.requirement} ({self.severity} limit, {self.protocol})",
        )


def check_value(spec: LimitSpec, value: float, protocol: str) -> list[Violation]:
    """The bounds of ``spec`` that ``value`` breaches (hard first; at most one per side).

    A value exactly on a bound is inside it.
    """
    value = real_number(spec.field, value, spec.unit)
    out: list[Violation] = []
    for side in ("min", "max"):
        for severity in ("hard", "soft"):
            bound: Bound | None = getattr(spec, f"{severity}_{side}")
            if bound is None:
                continue
            breached = value < bound.value if side == "min" else value > bound.value
            if breached:
                out.append(
                    Violation(
                        field=spec.field,
                        value=float(value),
                        unit=spec.unit,
                        limit=bound.value,
                        side=side,
                        severity=severity,
                        protocol=protocol,
                        basis=bound.basis,
                        source=bound.source,
                    )
                )
                break  # the hard breach already implies the soft one on this side
    return out


def check_choice(
    field: str, value: float, allowed: Sequence[float], unit: str, protocol: str
) -> None:
    """Refuse (hard) a value that is not one of the protocol's standard choices."""
    if any(math.isclose(value, a, rel_tol=1e-9, abs_tol=0.0) for a in allowed):
        return
    shown = ", ".join(_show(a, unit).rsplit(" ", 1)[0] for a in allowed) or "(none)"
    raise LimitError(
        f"{field} must be one of {shown} {unit} for protocol {protocol} (hard limit), "
        f"got {_show(value, unit)}",
        field=field,
        value=value,
        unit=unit,
        limit=f"one of {shown} {unit} (hard limit, {protocol})",
    )


@dataclass(frozen=True)
class Override:
    """A soft-limit override: a reason and a second clinician, both recorded.

    Parameters
    ----------
    reason : str
        Why the soft limit is exceeded (free text, not blank).
    second_clinician : str
        Who independently checked the order; must differ from ``ordering_clinician``.
    ordering_clinician : str or None
        Who ordered the dose, when known.
    """

    reason: str | None
    second_clinician: str | None
    ordering_clinician: str | None = None

    def missing(self) -> str | None:
        """What makes this override invalid, or ``None`` when it is complete."""
        if self.reason is None or not str(self.reason).strip():
            return "an override reason"
        if self.second_clinician is None or not str(self.second_clinician).strip():
            return "a second clinician"
        if (
            self.ordering_clinician is not None
            and self.second_clinician.strip().casefold()
            == self.ordering_clinician.strip().casefold()
        ):
            return "a second clinician different from the ordering clinician"
        return None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "reason": self.reason,
            "second_clinician": self.second_clinician,
            "ordering_clinician": self.ordering_clinician,
        }


def enforce(violations: Sequence[Violation], override: Override | None) -> tuple[Violation, ...]:
    """Apply the limit policy; return the soft violations that were overridden.

    Raises
    ------
    LimitError
        On any hard violation; on a soft violation without a complete override.
    """
    hard = [v for v in violations if v.severity == "hard"]
    if hard:
        others = ", ".join(v.field for v in hard[1:])
        extra = f"; also over hard limits: {others}" if others else ""
        raise hard[0].error(extra)
    soft = tuple(v for v in violations if v.severity == "soft")
    if not soft:
        return ()
    if override is None:
        raise soft[0].error("; an override needs a reason and a second clinician")
    missing = override.missing()
    if missing is not None:
        raise soft[0].error(f"; the override is refused: it needs {missing}")
    return soft
