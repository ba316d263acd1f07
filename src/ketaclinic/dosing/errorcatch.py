"""The error-catch matrix: do the protocol limits catch the classic programming errors?

For every protocol, every reference patient (50, 70, 120 kg) and every standard dose that
is itself a clean order (no limit breached), generate the error classes of the safety
reference table (Kuitunen et al., BMC Pediatr 2022, DERS limits tested with simulated
errors; ISMP error-prone designations; ISMP custom-concentration statement):

* ×2, ×5, ×10 (2-, 5-, 10-fold errors);
* ×16.67 (mg/kg/h typed as mcg/kg/min: 1 mg/kg/h = 16.67 mcg/kg/min);
* ×60 (per-min typed as per-h);
* ×1000 (mg typed as mcg);
* lb typed as kg (weight ×2.2046);
* wrong concentration programmed (a bag of ``c`` mg/mL programmed as a lower
  concentration: delivered dose ×(actual / programmed), ISMP's inverse relation).

Multiplier errors are applied to the entered dose (every route) and, for infusions, to the
rate at the same dose (the duration divided by the factor). Only overdoses are generated.
Each case is classified ``hard`` (refused), ``soft`` (needs an override), ``missed``
(accepted as is) or ``absorbed`` (accepted, but the delivered dose changes by less than
10 %, e.g. a weight error on a fixed-dose product).

Run ``python -m ketaclinic.dosing.errorcatch`` to print the report table (Markdown), the
one quoted in docs/dosing.md.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from ketaclinic.dosing.calculator import DoseResult, check_order
from ketaclinic.dosing.library import Protocol, ProtocolLibrary, default_library
from ketaclinic.dosing.limits import Violation
from ketaclinic.errors import DomainError
from ketaclinic.units import format_number

__all__ = [
    "ERROR_CLASSES",
    "PLAUSIBLE_STRENGTHS_MG_PER_ML",
    "REFERENCE_PATIENTS",
    "CatchCase",
    "ErrorClass",
    "Outcome",
    "RefPatient",
    "main",
    "markdown_report",
    "run_matrix",
    "summarize",
]

Outcome = Literal["hard", "soft", "missed", "absorbed"]
LB_PER_KG = 2.20462
#: Reporting threshold: an accepted error changing the delivered dose by < 10 % is "absorbed".
ABSORBED_BELOW = 1.1
#: Strengths a clinician could plausibly type: CHEO standard infusions 1 and 5 mg/mL;
#: marketed vials 10, 50 and 100 mg/mL (Ketalar, openFDA NDC 42023-113).
PLAUSIBLE_STRENGTHS_MG_PER_ML: tuple[float, ...] = (1.0, 5.0, 10.0, 50.0, 100.0)


@dataclass(frozen=True)
class ErrorClass:
    """One error mechanism and its multiplier on the intended value."""

    key: str
    label: str
    multiplier: float
    target: Literal["dose", "weight", "concentration"]
    source: str


ERROR_CLASSES: tuple[ErrorClass, ...] = (
    ErrorClass("x2", "2-fold", 2.0, "dose", "Kuitunen 2022 (2/5/10-fold rate errors)"),
    ErrorClass("x5", "5-fold", 5.0, "dose", "Kuitunen 2022"),
    ErrorClass("x10", "10-fold (decimal slip, trailing zero)", 10.0, "dose", "Kuitunen 2022; ISMP"),
    ErrorClass(
        "x16.67",
        "mg/kg/h typed as mcg/kg/min",
        1000.0 / 60.0,
        "dose",
        "1 mg/kg/h = 16.67 mcg/kg/min; ketamine is dosed both ways",
    ),
    ErrorClass("x60", "per min typed as per h", 60.0, "dose", "unit-of-time mix-up"),
    ErrorClass("x1000", "mg typed as mcg", 1000.0, "dose", "ISMP error-prone abbreviations"),
    ErrorClass(
        "lb-kg",
        "weight in lb typed as kg",
        LB_PER_KG,
        "weight",
        "generic error (UNVERIFIED for ketamine)",
    ),
    ErrorClass(
        "conc",
        "wrong concentration programmed",
        0.0,
        "concentration",
        "ISMP custom concentrations (inverse relation); dopamine label misread",
    ),
)


@dataclass(frozen=True)
class RefPatient:
    """A reference patient of the matrix."""

    label: str
    weight_kg: float
    height_cm: float
    sex: str


REFERENCE_PATIENTS: tuple[RefPatient, ...] = (
    RefPatient("50 kg", 50.0, 160.0, "female"),
    RefPatient("70 kg", 70.0, 175.0, "male"),
    RefPatient("120 kg", 120.0, 175.0, "male"),
)


@dataclass(frozen=True)
class CatchCase:
    """One generated erroneous order and what the limits did with it."""

    protocol: str
    patient: str
    intended: float
    error: str
    variant: str
    multiplier: float
    outcome: Outcome
    caught_by: str


@dataclass(frozen=True)
class _Order:
    """The entered fields of one order (what a programming error can corrupt)."""

    weight_kg: float
    dose: float
    duration_min: float | None = None
    concentration_mg_per_ml: float | None = None


def _check(p: Protocol, pt: RefPatient, o: _Order) -> tuple[DoseResult, tuple[Violation, ...]]:
    per_kg = p.dose_basis == "mg_per_kg"
    return check_order(
        p,
        o.weight_kg,
        height_cm=pt.height_cm,
        sex=pt.sex,
        dose_mg_per_kg=o.dose if per_kg else None,
        dose_mg=None if per_kg else o.dose,
        duration_min=o.duration_min,
        concentration_mg_per_ml=o.concentration_mg_per_ml,
        session_number=2,  # esketamine: every label dose allowed after session 1
    )


def _classify(
    p: Protocol, pt: RefPatient, o: _Order, intended_mg: float, multiplier: float | None
) -> tuple[Outcome, str, float]:
    try:
        result, violations = _check(p, pt, o)
    except DomainError as exc:
        return "hard", exc.field or type(exc).__name__, multiplier or 0.0
    m = multiplier if multiplier is not None else result.dose_mg / intended_mg
    hard = [v for v in violations if v.severity == "hard"]
    if hard:
        return "hard", hard[0].field, m
    if violations:
        return "soft", violations[0].field, m
    return ("absorbed" if m < ABSORBED_BELOW else "missed"), "", m


def _cases_for(p: Protocol, pt: RefPatient) -> Iterable[CatchCase]:
    for dose in p.standard_doses:
        base = _Order(pt.weight_kg, dose)
        try:
            intended, violations = _check(p, pt, base)
        except DomainError:
            continue
        if violations:
            continue  # the intended order itself needs an override: not a clean baseline
        for ec in ERROR_CLASSES:
            variants: list[tuple[str, _Order, float | None]] = []
            if ec.target == "dose":
                variants.append(("dose", replace(base, dose=dose * ec.multiplier), ec.multiplier))
                if intended.duration_min is not None:
                    slow = replace(base, duration_min=intended.duration_min / ec.multiplier)
                    variants.append(("rate", slow, ec.multiplier))
            elif ec.target == "weight":
                variants.append(
                    ("weight", replace(base, weight_kg=pt.weight_kg * ec.multiplier), None)
                )
            elif p.concentrations_mg_per_ml:
                candidates = sorted(
                    set(PLAUSIBLE_STRENGTHS_MG_PER_ML) | set(p.concentrations_mg_per_ml)
                )
                for actual in p.concentrations_mg_per_ml:
                    for programmed in candidates:
                        if programmed < actual:
                            name = f"{format_number(actual)} as {format_number(programmed)} mg/mL"
                            wrong = replace(base, concentration_mg_per_ml=programmed)
                            variants.append((name, wrong, actual / programmed))
            for variant, order, mult in variants:
                outcome, by, m = _classify(p, pt, order, intended.dose_mg, mult)
                yield CatchCase(p.ref, pt.label, dose, ec.key, variant, m, outcome, by)


def run_matrix(
    library: ProtocolLibrary | None = None,
    patients: Sequence[RefPatient] = REFERENCE_PATIENTS,
) -> tuple[CatchCase, ...]:
    """Every generated error case for every protocol (latest versions) and patient."""
    lib = library or default_library()
    return tuple(case for p in lib for pt in patients for case in _cases_for(p, pt))


def summarize(cases: Iterable[CatchCase]) -> dict[str, dict[str, int]]:
    """Counts per protocol: ``n``, ``hard``, ``soft``, ``missed``, ``absorbed``."""
    out: dict[str, dict[str, int]] = {}
    for c in cases:
        row = out.setdefault(c.protocol, {"n": 0, "hard": 0, "soft": 0, "missed": 0, "absorbed": 0})
        row["n"] += 1
        row[c.outcome] += 1
    return out


def _pct(part: int, whole: int) -> str:
    return "n/a" if whole == 0 else f"{format_number(100.0 * part / whole, significant=3)} %"


def markdown_report(cases: Sequence[CatchCase]) -> str:
    """The report quoted in docs/dosing.md (Markdown tables)."""
    lines = [
        "Per protocol (all generated overdose errors):",
        "",
        "| Protocol | Cases | Hard | Soft | Missed | Absorbed | Caught (hard + soft) | "
        "x2/x5: hard | x2/x5: hard + soft | >= x10: hard |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for proto in sorted({c.protocol for c in cases}):
        mine = [c for c in cases if c.protocol == proto]
        s = summarize(mine)[proto]
        small = [c for c in mine if c.error in ("x2", "x5")]
        big = [c for c in mine if c.multiplier >= 10]
        lines.append(
            f"| {proto} | {s['n']} | {s['hard']} | {s['soft']} | {s['missed']} | "
            f"{s['absorbed']} | {_pct(s['hard'] + s['soft'], s['n'])} | "
            f"{_pct(sum(c.outcome == 'hard' for c in small), len(small))} | "
            f"{_pct(sum(c.outcome in ('hard', 'soft') for c in small), len(small))} | "
            f"{_pct(sum(c.outcome == 'hard' for c in big), len(big))} |"
        )
    lines += [
        "",
        "Per error class (all protocols):",
        "",
        "| Error | Cases | Hard | Soft | Missed | Absorbed |",
        "|---|---|---|---|---|---|",
    ]
    for ec in ERROR_CLASSES:
        mine = [c for c in cases if c.error == ec.key]
        counts = {
            k: sum(c.outcome == k for c in mine) for k in ("hard", "soft", "missed", "absorbed")
        }
        lines.append(
            f"| {ec.key} ({ec.label}) | {len(mine)} | {counts['hard']} | {counts['soft']} | "
            f"{counts['missed']} | {counts['absorbed']} |"
        )
    missed = [c for c in cases if c.outcome == "missed"]
    lines += ["", "Missed cases (accepted without any alert):", ""]
    if not missed:
        lines.append("none")
    lines += [
        f"- {c.protocol}, {c.patient}, intended {format_number(c.intended)}, {c.error} "
        f"({c.variant}): delivered x{format_number(c.multiplier)}"
        for c in missed
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report (``python -m ketaclinic.dosing.errorcatch``)."""
    del argv
    print(markdown_report(run_matrix()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
