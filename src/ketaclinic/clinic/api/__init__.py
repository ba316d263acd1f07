"""The HTTP API (FastAPI) under /api/v1; build it with ``create_app(settings)``."""

from ketaclinic.clinic.api.app import create_app

__all__ = ["create_app"]
