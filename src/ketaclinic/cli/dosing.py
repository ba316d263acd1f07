"""Command group: dosing (see cli/app.py).

``ketaclinic protocols [--json]`` lists the protocol library with its limits and sources;
``ketaclinic dose ...`` computes and checks one order. A refused order raises a
``DomainError``, which ``main()`` turns into exit code 1 and one line on stderr.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

__all__ = ["register"]


def _limits_line(proto: object) -> list[str]:
    from ketaclinic.dosing.library import Protocol
    from ketaclinic.units import format_number

    assert isinstance(proto, Protocol)
    out = []
    for spec in proto.limits:
        parts = []
        for name, b in spec.bounds():
            tag = "" if b.basis == "published" else f" [{b.basis}]"
            parts.append(f"{name} {format_number(b.value, significant=6, max_decimals=4)}{tag}")
        out.append(f"    {spec.field} ({spec.unit}): " + ", ".join(parts))
    return out


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""

    @app.command("protocols")
    def protocols_cmd(
        json_out: Annotated[bool, typer.Option("--json", help="One JSON array on stdout.")] = False,
    ) -> None:
        """List the dosing protocols: id, version, route, doses, limits and sources."""
        import json

        from ketaclinic.dosing.library import default_library
        from ketaclinic.units import format_number

        lib = default_library()
        if json_out:
            print(json.dumps([p.to_dict() for p in lib], indent=2))
            return
        for p in lib:
            doses = ", ".join(format_number(d) for d in p.standard_doses)
            print(f"{p.ref}  {p.route}  {p.drug}: {p.title}")
            print(f"  doses: {doses} {p.dose_unit}")
            if p.default_duration_min is not None:
                print(f"  duration: {format_number(p.default_duration_min)} min")
            if p.concentrations_mg_per_ml:
                conc = ", ".join(format_number(c) for c in p.concentrations_mg_per_ml)
                print(f"  standard concentrations: {conc} mg/mL [{p.concentrations_basis}]")
            if p.device is not None:
                print(f"  device: {format_number(p.device.mg_per_device)} mg")
            print(f"  dosing weight: {p.weight_policy.describe()} [{p.weight_policy.basis_kind}]")
            print("  limits ([unverified] / [local-default] = not a published standard):")
            for line in _limits_line(p):
                print(line)
            print(f"  source: {p.source}")

    @app.command("dose")
    def dose_cmd(
        protocol: Annotated[str, typer.Option("--protocol", help="Protocol id.")],
        weight_kg: Annotated[float, typer.Option("--weight-kg", help="Actual weight, kg.")],
        height_cm: Annotated[
            float | None, typer.Option("--height-cm", help="Height, cm (dosing-weight policy).")
        ] = None,
        sex: Annotated[
            str | None, typer.Option("--sex", help="female or male (Devine IBW).")
        ] = None,
        dose_mg_per_kg: Annotated[
            float | None, typer.Option("--dose-mg-per-kg", help="Dose, mg/kg (weight-based).")
        ] = None,
        dose_mg: Annotated[
            float | None, typer.Option("--dose-mg", help="Dose, mg (fixed-dose protocols).")
        ] = None,
        duration_min: Annotated[
            float | None, typer.Option("--duration-min", help="Infusion duration, min.")
        ] = None,
        concentration_mg_per_ml: Annotated[
            float | None,
            typer.Option("--concentration-mg-per-ml", help="Standard concentration, mg/mL."),
        ] = None,
        session: Annotated[
            int, typer.Option("--session", help="Session number in the course (1 = first).")
        ] = 1,
        ordered_by: Annotated[
            str | None, typer.Option("--ordered-by", help="Ordering clinician.")
        ] = None,
        override_reason: Annotated[
            str | None, typer.Option("--override-reason", help="Reason to pass a soft limit.")
        ] = None,
        second_clinician: Annotated[
            str | None,
            typer.Option("--second-clinician", help="Second clinician for a soft-limit override."),
        ] = None,
        start: Annotated[
            str | None, typer.Option("--start", help="Start time, ISO 8601 (for end times).")
        ] = None,
        json_out: Annotated[
            bool, typer.Option("--json", help="One JSON object on stdout.")
        ] = False,
    ) -> None:
        """Compute and check one dose; a refused dose exits 1 with the refusal line."""
        import json

        from ketaclinic.dosing.calculator import calculate
        from ketaclinic.dosing.limits import Override
        from ketaclinic.errors import InputError

        start_dt = None
        if start is not None:
            try:
                start_dt = datetime.fromisoformat(start)
            except ValueError as exc:
                raise InputError.for_field("start", start, "an ISO 8601 date-time") from exc
        override = None
        if override_reason is not None or second_clinician is not None:
            override = Override(override_reason, second_clinician, ordered_by)
        result = calculate(
            protocol,
            weight_kg,
            height_cm=height_cm,
            sex=sex,
            dose_mg_per_kg=dose_mg_per_kg,
            dose_mg=dose_mg,
            duration_min=duration_min,
            concentration_mg_per_ml=concentration_mg_per_ml,
            session_number=session,
            override=override,
            start=start_dt,
        )
        if json_out:
            print(json.dumps(result.to_dict(), indent=2))
            return
        for line in result.lines():
            print(line)
