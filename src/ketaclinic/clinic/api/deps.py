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

__all__ = ["DB", "Caller", "Context", "SettingsDep", "Token"]

_bearer = HTTPBearer(
    auto_error=False, description="staff token (kcs_...) or device token (kcd_...)"
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _db(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as db:
        yield db


SettingsDep = Annotated[Settings, Depends(_settings)]
DB = Annotated[Session, Depends(_db)]


def _token(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise unauthorized("an Authorization: Bearer token is required")
    return creds.credentials


Token = Annotated[str, Depends(_token)]


def _caller(request: Request, db: DB, token: Token) -> Principal:
    return authenticate(
        db, token, policy=request.app.state.session_policy, now=request.app.state.clock()
    )


Caller = Annotated[Principal, Depends(_caller)]


def _context(request: Request, db: DB, caller: Caller, settings: SettingsDep) -> Ctx:
    return Ctx(
        db=db,
        principal=caller,
        audit_key=settings.secret_key.get_secret_value().encode(),
        node_id=settings.node_id,
        ip=request.client.host if request.client else None,
        clock=request.app.state.clock,
    )


Context = Annotated[Ctx, Depends(_context)]
