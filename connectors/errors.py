"""The errors every connector raises, one tree for all vendors.

    ConnectorError                  anything a connector call can fail with
    ├── ConfigurationError          a credential field is missing or invalid (no call made)
    ├── AuthError                   the vendor rejected the credentials (401, invalid_auth)
    ├── PermissionDenied            authenticated, but not allowed (403, missing_scope)
    ├── NotFound                    the object does not exist (404, 410, channel_not_found)
    ├── InvalidInput                the vendor or our own validation rejected the inputs
    ├── RateLimited                 too many calls; ``retry_after`` says when to come back
    ├── Unavailable                 the vendor is down or unreachable (5xx, connection errors)
    ├── Timeout                     the vendor did not answer in time
    └── UnexpectedResponse          the vendor answered with something we cannot read

Each class carries ``kind`` (a short stable string the core stores in usage records and
metrics) and ``retryable`` (whether re-running the same call later may succeed).
``str(error)`` is a sentence an operator can act on; it never contains a secret (the
HTTP layer passes vendor text through :func:`connectors.redaction.redact`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

__all__ = [
    "AuthError",
    "ConfigurationError",
    "ConnectorError",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "Timeout",
    "Unavailable",
    "UnexpectedResponse",
]


class ConnectorError(Exception):
    """Base class: ``message``, ``connector``, ``status_code`` and ``retry_after``."""

    kind: ClassVar[str] = "error"
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        connector: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.connector = connector
        self.status_code = status_code
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = self.message
        if self.status_code is not None:
            text = f"{text} (HTTP {self.status_code})"
        if self.retry_after is not None:
            text = f"{text}; retry after {self.retry_after:g} s"
        return f"{self.connector}: {text}" if self.connector else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, connector={self.connector!r}, "
            f"status_code={self.status_code!r}, retry_after={self.retry_after!r})"
        )


class ConfigurationError(ConnectorError):
    kind = "configuration"


class AuthError(ConnectorError):
    kind = "auth"


class PermissionDenied(ConnectorError):
    kind = "permission"


class NotFound(ConnectorError):
    kind = "not_found"


class InvalidInput(ConnectorError):
    """Also carries ``fields``: the dotted paths of the faulty inputs, when known."""

    kind = "invalid_input"

    def __init__(
        self,
        message: str,
        *,
        connector: str | None = None,
        status_code: int | None = None,
        fields: Sequence[str] = (),
    ) -> None:
        super().__init__(message, connector=connector, status_code=status_code)
        self.fields = tuple(fields)


class RateLimited(ConnectorError):
    kind = "rate_limited"
    retryable = True


class Unavailable(ConnectorError):
    kind = "unavailable"
    retryable = True


class Timeout(ConnectorError):
    kind = "timeout"
    retryable = True


class UnexpectedResponse(ConnectorError):
    kind = "unexpected_response"
