"""The ``ketaclinic`` command: one Typer app, one module per command group.

Each group module defines ``register(app)``. A domain error (``DomainError``) exits 1
with one line naming the field, the value, the unit and what is allowed, and no
traceback; a usage error exits 2 (click's convention).
"""

from __future__ import annotations

import sys

import typer

from ketaclinic.errors import DomainError

__all__ = ["app", "main"]

app = typer.Typer(
    name="ketaclinic",
    help="Decision support for ketamine therapy (not a certified medical device).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Decision support for ketamine therapy. Not a certified medical device: every
    number is shown with its model, inputs and limits; the clinician decides."""


def _register_groups() -> None:
    from ketaclinic.cli import clinic, dosing, fhir, pk, tci

    for group in (pk, dosing, tci, clinic, fhir):
        group.register(app)


_register_groups()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning domain errors into exit code 1."""
    try:
        app(args=argv, prog_name="ketaclinic")
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:  # standalone mode: 0 on success, 2 on a usage error
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
