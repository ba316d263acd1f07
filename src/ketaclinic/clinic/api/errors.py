"""One JSON error shape for every error the API returns.

``{"error": {"status", "code", "message", "field", "value", "unit", "limit", "errors"}}``;
``errors`` lists every validation problem (field, message, limit). A 500 never leaks
details (OWASP ASVS 5.0.0 16.5.1): the traceback goes to the server log only.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ketaclinic.clinic.services.errors import ServiceError
from ketaclinic.errors import DomainError, NotFoundError

__all__ = ["error_response", "install_error_handlers"]

log = logging.getLogger("ketaclinic.clinic")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
}
_LIMIT_KEYS = {"ge": ">= ", "gt": "> ", "le": "<= ", "lt": "< ", "max_length": "length <= "}


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("infinity" if value > 0 else "-infinity")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)[:200]


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    field: str | None = None,
    value: Any = None,
    unit: str | None = None,
    limit: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "status": status,
        "code": code or _CODES.get(status, "error"),
        "message": message,
        "field": field,
        "value": _json_safe(value),
        "unit": unit,
        "limit": limit,
        "errors": errors or [],
    }
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _limit(err: dict[str, Any]) -> str | None:
    ctx = err.get("ctx") or {}
    parts = [f"{_LIMIT_KEYS[k]}{ctx[k]}" for k in _LIMIT_KEYS if k in ctx]
    if "expected" in ctx:
        parts.append(f"one of {ctx['expected']}")
    if "pattern" in ctx:
        parts.append(f"matching {ctx['pattern']}")
    return ", ".join(parts) or None


def _validation(_req: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        field = ".".join(loc) or "body"
        msg = err.get("msg", "invalid")
        if err.get("type") == "json_invalid":
            msg = f"malformed JSON: {(err.get('ctx') or {}).get('error', msg)}"
        items.append(
            {
                "field": field,
                "message": msg,
                "type": err.get("type"),
                "value": _json_safe(err.get("input")),
                "limit": _limit(err),
            }
        )
    first = items[0] if items else {"field": None, "message": "invalid request", "limit": None}
    return error_response(
        422,
        f"{first['field']}: {first['message']}",
        field=first["field"],
        value=first.get("value"),
        limit=first["limit"],
        errors=items,
    )


def _service(_req: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return error_response(
        exc.status, exc.message, code=exc.code, field=exc.field, value=exc.value,
        unit=exc.unit, limit=exc.limit, headers=exc.headers or None,
    )  # fmt: skip


def _domain(_req: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = 404 if isinstance(exc, NotFoundError) else 422
    return error_response(
        status, exc.message, field=exc.field, value=exc.value, unit=exc.unit, limit=exc.limit
    )


def _http(_req: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else _CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, message, headers=dict(exc.headers or {}) or None)


def _internal(req: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", req.method, req.url.path, exc_info=exc)
    return error_response(500, "internal error; the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through ``error_response``."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ServiceError, _service)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _internal)
