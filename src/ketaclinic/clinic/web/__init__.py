"""The clinicians' web UI: server-rendered page shells, local static assets, and the few
extra JSON endpoints the pages need (``api_extra``, under ``/api/v1/ui``).

Pages carry no patient data: each page's script signs in against ``/api/v1/auth/login``,
keeps the bearer token in ``sessionStorage`` (gone when the tab closes) and reads
everything through the API, so the API's role matrix and audit log apply to the UI too.
Every asset is served from this package (no CDN): the UI works on a clinic network
without internet.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

__all__ = ["STATIC_DIR", "TEMPLATE_DIR", "mount_web"]

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATE_DIR = Path(__file__).parent / "templates"


def mount_web(app: FastAPI, *, api_prefix: str = "/api/v1") -> None:
    """Add the UI pages, ``/static`` and the ``/api/v1/ui`` endpoints to ``app``."""
    from fastapi.staticfiles import StaticFiles

    from ketaclinic.clinic.web import api_extra, pages

    app.include_router(api_extra.router, prefix=api_prefix)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
