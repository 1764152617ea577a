"""ONE table from HTTP statuses and httpx exceptions to :mod:`connectors.errors`.

Connectors never write their own ``if status == 401`` chains: the client built by
:func:`connectors.http.build_client` calls :func:`raise_for_status` on every response and
:func:`map_exception` on every transport failure. A vendor whose errors arrive with
HTTP 200 (Slack's ``{"ok": false}``) keeps a small code table of its own and raises the
same classes.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

import httpx

from connectors.errors import (
    AuthError,
    ConnectorError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Timeout,
    Unavailable,
    UnexpectedResponse,
)
from connectors.redaction import redact

__all__ = [
    "EXCEPTION_ERRORS",
    "STATUS_ERRORS",
    "error_for_status",
    "error_from_response",
    "json_body",
    "map_exception",
    "parse_retry_after",
    "raise_for_status",
    "vendor_message",
]

STATUS_ERRORS: Final[Mapping[int, tuple[type[ConnectorError], str]]] = {
    400: (InvalidInput, "the request was rejected as invalid"),
    401: (AuthError, "the credentials were rejected; check or renew them"),
    403: (PermissionDenied, "the credentials lack permission for this call"),
    404: (NotFound, "the requested object was not found"),
    408: (Timeout, "the server timed out waiting for the request"),
    409: (InvalidInput, "the request conflicts with the current state"),
    410: (NotFound, "the requested object is gone"),
    422: (InvalidInput, "the request was rejected as invalid"),
    429: (RateLimited, "rate limited by the service"),
}

# Checked in order: the first matching class wins (TimeoutException is a TransportError).
EXCEPTION_ERRORS: Final[tuple[tuple[type[Exception], type[ConnectorError], str], ...]] = (
    (httpx.TimeoutException, Timeout, "the service did not answer in time"),
    (httpx.TransportError, Unavailable, "the service could not be reached"),
    (httpx.HTTPError, ConnectorError, "the HTTP call failed"),
)

_MAX_VENDOR_TEXT = 300


def error_for_status(status: int) -> tuple[type[ConnectorError], str]:
    """The error class and default sentence for an HTTP error status."""
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    if status >= 500:
        return Unavailable, "the service had an internal error"
    return ConnectorError, "the service refused the request"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _first_text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, Mapping):
        return vendor_message_from_json(value)
    if isinstance(value, list) and value:
        return _first_text(value[0])
    return None


def vendor_message_from_json(data: Mapping[str, Any]) -> str | None:
    """The vendor's own error text from common envelope shapes, or None."""
    for key in ("message", "error_description", "error", "errors", "description", "detail"):
        text = _first_text(data.get(key))
        if text:
            return text
    return None


def vendor_message(response: httpx.Response) -> str | None:
    """The vendor's error text in ``response`` (JSON envelopes or short plain text)."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        return None
    if not content:
        return None
    try:
        data = json.loads(content)
    except ValueError:
        ctype = response.headers.get("content-type", "")
        text = response.text.strip()
        if "html" in ctype or text.startswith("<"):
            return None
        return text[:_MAX_VENDOR_TEXT] or None
    found = vendor_message_from_json(data) if isinstance(data, Mapping) else _first_text(data)
    return found[:_MAX_VENDOR_TEXT] if found else None


def error_from_response(
    response: httpx.Response, *, connector: str | None = None, secrets: Iterable[str] = ()
) -> ConnectorError:
    """The mapped :class:`ConnectorError` for a 4xx/5xx response (its body already read)."""
    cls, sentence = error_for_status(response.status_code)
    text = vendor_message(response)
    message = redact(f"{sentence}: {text}" if text else sentence, secrets)
    if cls is InvalidInput:
        return InvalidInput(message, connector=connector, status_code=response.status_code)
    return cls(
        message,
        connector=connector,
        status_code=response.status_code,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )


def raise_for_status(
    response: httpx.Response, *, connector: str | None = None, secrets: Iterable[str] = ()
) -> None:
    """Raise the mapped :class:`ConnectorError` for a 4xx/5xx response; do nothing otherwise."""
    if response.status_code >= 400:
        response.read()
        raise error_from_response(response, connector=connector, secrets=secrets)


def map_exception(
    exc: Exception, *, connector: str | None = None, secrets: Iterable[str] = ()
) -> ConnectorError:
    """The :class:`ConnectorError` for an httpx exception (already-mapped errors pass through)."""
    if isinstance(exc, ConnectorError):
        if exc.connector is None:
            exc.connector = connector
        return exc
    for exc_type, cls, sentence in EXCEPTION_ERRORS:
        if isinstance(exc, exc_type):
            detail = redact(str(exc), secrets)
            return cls(f"{sentence}: {detail}" if detail else sentence, connector=connector)
    return ConnectorError(redact(f"unexpected failure: {exc}", secrets), connector=connector)


def json_body(
    response: httpx.Response, *, connector: str | None = None, secrets: Iterable[str] = ()
) -> Any:
    """The decoded JSON of a success response; :class:`UnexpectedResponse` if it is not JSON."""
    try:
        return response.json()
    except ValueError as exc:
        snippet = redact(response.text[:120], secrets)
        raise UnexpectedResponse(
            f"the service answered with a body that is not JSON: {snippet!r}",
            connector=connector,
            status_code=response.status_code,
        ) from exc
