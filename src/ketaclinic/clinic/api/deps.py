"""FastAPI dependencies (``Annotated`` style): database session, caller, service context."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ketaclinic.clinic.services.auth import authenticate
from ketaclinic.clinic.services.context import Ctx, Principal
from ketaclinic.clinic.services.errors import unauthorized
from ketaclinic.clinic.settings import Settings

__all__ = ["DB", "Caller", "Context", "SettingsDep", "Token", "caller_for", "context_for"]

_bearer = HTTPBearer(
    auto_error=False, description="staff token (kcs_...) or device token (kcd_...)"
)


async def _settings(request: Request) -> Settings:  # async: no I/O, no thread-pool hop
    settings: Settings = request.app.state.settings
    return settings


def _db(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as db:
        yield db


SettingsDep = Annotated[Settings, Depends(_settings)]
DB = Annotated[Session, Depends(_db)]


async def _token(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    # async: no I/O here, so no thread-pool hop
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise unauthorized("an Authorization: Bearer token is required")
    return creds.credentials


Token = Annotated[str, Depends(_token)]


def caller_for(request: Request, db: Session, token: str) -> Principal:
    """The caller behind ``token`` (401 if none); also for routes that skip the DI chain."""
    return authenticate(
        db, token, policy=request.app.state.session_policy, now=request.app.state.clock()
    )


def _caller(request: Request, db: DB, token: Token) -> Principal:
    return caller_for(request, db, token)


Caller = Annotated[Principal, Depends(_caller)]


def context_for(request: Request, db: Session, caller: Principal) -> Ctx:
    """The service context of a request (also for routes that skip the DI chain)."""
    settings: Settings = request.app.state.settings
    return Ctx(
        db=db,
        principal=caller,
        audit_key=settings.secret_key.get_secret_value().encode(),
        node_id=settings.node_id,
        ip=request.client.host if request.client else None,
        clock=request.app.state.clock,
        reads=request.app.state.audit_reads,
    )


def _context(request: Request, db: DB, caller: Caller) -> Ctx:
    return context_for(request, db, caller)


Context = Annotated[Ctx, Depends(_context)]
