"""Alembic environment: always given a live connection by ketaclinic.clinic.migrate."""

from __future__ import annotations

from alembic import context

from ketaclinic.clinic.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable via the alembic CLI
    raise RuntimeError("run migrations through `ketaclinic db upgrade` (ketaclinic.clinic.migrate)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
