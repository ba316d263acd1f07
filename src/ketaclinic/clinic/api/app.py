"""The app factory: ``create_app(settings)`` builds a FastAPI app from explicit config."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import Engine

from ketaclinic.clinic.api import (
    routes_admin,
    routes_auth,
    routes_courses,
    routes_patients,
    routes_sessions,
)
from ketaclinic.clinic.api.errors import install_error_handlers
from ketaclinic.clinic.api.writer import lifespan as writer_lifespan
from ketaclinic.clinic.audit_reads import ReadLog
from ketaclinic.clinic.db import make_engine, make_sessionmaker
from ketaclinic.clinic.security import hasher
from ketaclinic.clinic.services.auth import SessionPolicy
from ketaclinic.clinic.settings import Settings
from ketaclinic.clinic.tables import utcnow
from ketaclinic.clinic.throttle import LoginThrottle

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """Build the service. The database must already be migrated (``ketaclinic db upgrade``).

    Parameters
    ----------
    settings : Settings
        Validated configuration.
    engine : Engine, optional
        Use this engine instead of one built from ``settings.database_url``.
    clock : callable
        Returns the current aware UTC time (tests travel in time with it).
    """
    app = FastAPI(
        title="ketaclinic clinic service",
        version="1",
        description="Patients, chairs, monitored sessions and vital signs. "
        "Decision support; not a certified medical device.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=writer_lifespan,  # the batch writer thread and the SQLite WAL checkpointer
    )
    engine = engine or make_engine(
        settings.database_url,
        busy_timeout_ms=settings.busy_timeout_ms,
        sqlite_synchronous=settings.sqlite_synchronous,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.clock = clock
    app.state.audit_reads = None  # every read recorded (KETACLINIC_AUDIT_READ_WINDOW_S=0)
    if settings.audit_read_window_s > 0:
        app.state.audit_reads = ReadLog(settings.audit_read_window_s)
        app.state.audit_reads.install(app.state.sessionmaker)
    app.state.hasher = hasher(settings.argon2_params)
    app.state.session_policy = SessionPolicy(
        settings.session_idle_min, settings.session_absolute_min
    )
    app.state.login_throttle = LoginThrottle()
    install_error_handlers(app)
    from ketaclinic.clinic.api import routes_orders  # before routes_sessions' /{step} catch-all

    app.include_router(routes_orders.router, prefix=API_PREFIX)
    from ketaclinic.clinic.api import routes_checklist  # issue 4 checklist, rule sets

    app.include_router(routes_checklist.router, prefix=API_PREFIX)
    for module in (routes_auth, routes_admin, routes_patients, routes_courses, routes_sessions):
        app.include_router(module.router, prefix=API_PREFIX)
    from ketaclinic.clinic.api import routes_questionnaires  # issue 4/5 outcomes

    app.include_router(routes_questionnaires.router, prefix=API_PREFIX)
    from ketaclinic.clinic.api import routes_screening  # issue 4 screening/consent/meds

    app.include_router(routes_screening.router, prefix=API_PREFIX)
    from ketaclinic.clinic.api import routes_fhir  # FHIR R4 export

    app.include_router(routes_fhir.router, prefix=API_PREFIX)
    from ketaclinic.clinic.api import routes_breakglass, routes_mfa  # MFA, emergency access

    app.include_router(routes_mfa.router, prefix=API_PREFIX)
    app.include_router(routes_breakglass.router, prefix=API_PREFIX)
    from ketaclinic.clinic.web import mount_web  # the web UI (pages, /static, /api/v1/ui)

    mount_web(app, api_prefix=API_PREFIX)
    return app
