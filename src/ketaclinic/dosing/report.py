"""The protocol library as Markdown (quoted verbatim in docs/dosing.md, checked by a test).

Run ``python -m ketaclinic.dosing.report`` to print it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ketaclinic.dosing.library import Protocol, ProtocolLibrary, default_library
from ketaclinic.units import format_number

__all__ = ["main", "protocol_markdown", "protocols_markdown"]

_TAG = {"published": "", "unverified": " (U)", "local-default": " (L)"}


def _num(x: float) -> str:
    return format_number(x, significant=6, max_decimals=4)


def protocol_markdown(p: Protocol) -> str:
    """One protocol: header facts, a limits table, the source of every bound, the schedule."""
    lines = [f"### {p.ref}: {p.title}", ""]
    lines.append(f"- Drug, route: {p.drug}, {p.route}. Indication: {p.indication}.")
    lines.append(f"- Source: {p.source}.")
    doses = ", ".join(_num(d) for d in p.standard_doses)
    lines.append(f"- Standard doses: {doses} {p.dose_unit} ({p.standard_doses_source}).")
    if p.first_session_doses:
        first = ", ".join(_num(d) for d in p.first_session_doses)
        lines.append(f"- Session 1: {first} {p.dose_unit} ({p.first_session_source}).")
    if p.default_duration_min is not None:
        lines.append(f"- Duration: {_num(p.default_duration_min)} min.")
    if p.concentrations_mg_per_ml:
        conc = ", ".join(_num(c) for c in p.concentrations_mg_per_ml)
        lines.append(
            f"- Standard concentrations: {conc} mg/mL, {p.concentrations_basis} "
            f"({p.concentrations_source})."
        )
    else:
        lines.append("- Standard concentrations: none (no volume is computed).")
    if p.device is not None:
        lines.append(f"- Device: {_num(p.device.mg_per_device)} mg ({p.device.source}).")
    wp = p.weight_policy
    lines.append(f"- Dosing weight: {wp.describe()}; {wp.basis_kind} ({wp.source}).")
    lines += [
        "",
        "| Limit | Unit | Hard min | Soft min | Soft max | Hard max |",
        "|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for spec in p.limits:
        cells = []
        for name in ("hard_min", "soft_min", "soft_max", "hard_max"):
            b = getattr(spec, name)
            if b is None:
                cells.append("")
                continue
            cells.append(f"{_num(b.value)}{_TAG[b.basis]}")
            notes.append(f"  - `{spec.field}` {name} {_num(b.value)} {spec.unit}: {b.source}")
        lines.append(f"| `{spec.field}` | {spec.unit} | " + " | ".join(cells) + " |")
    lines += ["", "- Sources of each bound ((U) unverified, (L) local default, not a standard):"]
    lines += notes
    if p.schedule:
        lines += ["", "Course:", ""]
        for ph in p.schedule:
            extra = []
            if ph.sessions is not None:
                extra.append(f"{ph.sessions} sessions")
            if ph.weeks:
                extra.append(f"weeks {ph.weeks}")
            if ph.min_interval_days is not None and ph.max_interval_days is not None:
                lo, hi = _num(ph.min_interval_days), _num(ph.max_interval_days)
                if lo == hi == "1":
                    extra.append("daily")
                else:
                    extra.append(f"every {lo} days" if lo == hi else f"every {lo}-{hi} days")
            facts = f" ({', '.join(extra)})" if extra else ""
            lines.append(f"- {ph.name}{facts}: {ph.description} [{ph.source}]")
    if p.notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {n}" for n in p.notes]
    return "\n".join(lines)


def protocols_markdown(library: ProtocolLibrary | None = None) -> str:
    """Every protocol of ``library`` (default: the shipped one)."""
    lib = library or default_library()
    return "\n\n".join(protocol_markdown(p) for p in lib)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the protocol section (``python -m ketaclinic.dosing.report``)."""
    del argv
    print(protocols_markdown())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
