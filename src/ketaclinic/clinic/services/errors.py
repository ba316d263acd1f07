"""Service errors carrying an HTTP status and a stable code (rendered by api/errors.py)."""

from __future__ import annotations

from typing import Any

__all__ = ["ServiceError", "conflict", "forbidden", "not_found", "precondition", "unauthorized"]


class ServiceError(Exception):
    """An expected failure: status, machine code, message, and the field/value/limit."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        value: Any = None,
        unit: str | None = None,
        limit: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.value = value
        self.unit = unit
        self.limit = limit
        self.headers = headers or {}


def not_found(kind: str, ident: object) -> ServiceError:
    return ServiceError(
        404, "not_found", f"{kind} {ident} does not exist", field="id", value=str(ident)
    )


def forbidden(message: str) -> ServiceError:
    return ServiceError(403, "forbidden", message)


def unauthorized(message: str) -> ServiceError:
    return ServiceError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def conflict(message: str, *, field: str | None = None, value: Any = None) -> ServiceError:
    return ServiceError(409, "conflict", message, field=field, value=value)


def precondition(message: str, *, value: Any = None, limit: str | None = None) -> ServiceError:
    return ServiceError(
        412, "precondition_failed", message, field="If-Match", value=value, limit=limit
    )
