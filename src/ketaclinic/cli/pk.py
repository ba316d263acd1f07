"""Command group: pk (see cli/app.py)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""

    @app.command("models")
    def models_cmd(
        json_out: bool = typer.Option(False, "--json", help="One JSON array on stdout."),
    ) -> None:
        """List the published PK models: id, drug, routes, population, citation."""
        import json

        from ketaclinic.pk.models import all_models

        rows = [
            {
                "id": m.id,
                "drug": m.drug,
                "routes": list(m.routes),
                "population": m.population,
                "citation": m.citation.short(),
            }
            for m in all_models()
        ]
        if json_out:
            print(json.dumps(rows, indent=2))
            return
        for r in rows:
            print(f"{r['id']:<20} {r['drug']:<18} {','.join(r['routes']):<40} {r['citation']}")
