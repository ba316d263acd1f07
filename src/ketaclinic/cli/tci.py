"""Command group: tci (see cli/app.py)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
