"""Alembic migrations shipped in the package; run through ketaclinic.clinic.migrate."""
