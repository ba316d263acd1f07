"""Command group: ``fhir`` (see cli/app.py).

``ketaclinic fhir export --patient MRN [--database-url URL] [--out FILE]`` writes the
patient's FHIR R4 Bundle (JSON) to stdout or to FILE. An unknown MRN exits 1 with one
line; nothing is written. The read is audited (actor ``system``, id ``cli:<user>``).
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from ketaclinic.cli.clinic import DbUrl, _engine, _settings
from ketaclinic.errors import InputError
from ketaclinic.interop.atomic import atomic_write

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    fhir_app = typer.Typer(help="FHIR R4 export.", no_args_is_help=True)
    app.add_typer(fhir_app, name="fhir")

    @fhir_app.command("export")
    def export(
        patient: Annotated[str, typer.Option("--patient", help="The patient's MRN.")],
        database_url: DbUrl = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="Write here instead of stdout.")
        ] = None,
    ) -> None:
        """Export one patient's record as a FHIR R4 Bundle (collection, JSON)."""
        from sqlalchemy.orm import Session

        from ketaclinic.clinic.services.fhir_export import export_by_mrn
        from ketaclinic.clinic.tables import utcnow

        settings = _settings(database_url, demo_secret=True)
        with Session(_engine(settings)) as db:
            bundle = export_by_mrn(
                db, patient, audit_key=settings.secret_key.get_secret_value().encode(),
                node_id=settings.node_id, operator=getpass.getuser(), now=utcnow(),
            )  # fmt: skip
        if bundle is None:
            raise InputError(f"no patient with MRN {patient!r}", field="--patient", value=patient)
        text = json.dumps(bundle, ensure_ascii=False, allow_nan=False, indent=1) + "\n"
        if out is None:
            typer.echo(text, nl=False)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, text.encode("utf-8"))
        print(f"wrote {len(bundle['entry'])} resources to {out}", flush=True)
