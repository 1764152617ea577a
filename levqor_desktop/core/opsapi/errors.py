"""Every failure becomes a JSON body naming the fault; never a traceback, never a 422.

A bad or missing parameter is a 400 naming it (FastAPI's own 422 is replaced, in the
handlers and in the OpenAPI document); an operator error (:class:`LevqorError`) keeps its
message and hint with a fitting status; anything else is a bare 500 whose details go to
the log only, with a reference to find them.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from levqor_desktop.core.opsapi.schemas import ErrorBody
from levqor_desktop.errors import (
    ConfigError,
    DatabaseError,
    LevqorError,
    LimitExceeded,
    MaintenanceMode,
    NotFoundError,
    PermissionDenied,
    SecretStoreError,
    ValidationError,
)

log = logging.getLogger("levqor.api")

#: Most specific first.
_STATUS: tuple[tuple[type[LevqorError], int], ...] = (
    (ValidationError, 400),
    (NotFoundError, 404),
    (PermissionDenied, 403),
    (LimitExceeded, 429),
    (MaintenanceMode, 503),
    (DatabaseError, 503),  # DatabaseUnavailable and SchemaTooNew derive from it
    (SecretStoreError, 503),
    (ConfigError, 409),
)


class ApiError(Exception):
    """An HTTP error with our JSON body (raised by the auth and rate-limit layers)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(error=message, field=field, hint=hint)
        self.headers = headers


def status_of(exc: LevqorError) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 409


def error_response(
    status: int, body: ErrorBody, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _field(loc: Sequence[Any]) -> str:
    # ("query", "user") -> "user"; ("body", "value") -> "value"; ("body",) -> "body"
    parts = [str(p) for p in loc if p not in ("query", "path", "header", "body")]
    return ".".join(parts) if parts else str(loc[0]) if loc else "request"


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": ("request",), "msg": "invalid request"}
    field = _field(first.get("loc", ()))
    kind = first.get("type", "")
    message = (
        f"the parameter {field!r} is missing"
        if kind == "missing"
        else f"the parameter {field!r} is invalid: {first.get('msg', 'invalid')}"
    )
    if kind == "json_invalid":
        field, message = "body", "the request body is not valid JSON"
    return error_response(400, ErrorBody(error=message, field=field))


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.body, exc.headers)


async def _levqor(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LevqorError)
    return error_response(status_of(exc), ErrorBody(error=exc.message, hint=exc.hint))


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    text = {404: "no such endpoint", 405: "method not allowed on this endpoint"}.get(
        exc.status_code, str(exc.detail)
    )
    return error_response(exc.status_code, ErrorBody(error=text), dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    reference = secrets.token_hex(4)
    log.error(
        "unexpected error %s on %s %s",
        reference,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return error_response(
        500, ErrorBody(error=f"internal error (reference {reference}, see the api log)")
    )


def install(api: FastAPI) -> None:
    api.add_exception_handler(RequestValidationError, _validation)
    api.add_exception_handler(ApiError, _api_error)
    api.add_exception_handler(LevqorError, _levqor)
    api.add_exception_handler(StarletteHTTPException, _http)
    api.add_exception_handler(Exception, _unexpected)


def replace_422(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop FastAPI's 422 from every operation (we answer 400) and its unused schemas."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema
