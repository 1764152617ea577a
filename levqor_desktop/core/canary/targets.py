"""What the canary runs against: this app in process, or a deployment by URL.

Both give the same reports (:mod:`.reports`); the remote target uses only the ops API,
with an API key, so it works against any ``levqor serve`` the operator can reach.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from levqor_desktop.core.canary.reports import (
    ConnectorsReport,
    HealthReport,
    ProbeReport,
    QueueHealthReport,
    SystemReport,
)
from levqor_desktop.core.canary.sources import LocalSources
from levqor_desktop.errors import LevqorError, ValidationError

LOCAL_KEY = "local"
REMOTE_TIMEOUT = httpx.Timeout(10.0, connect=5.0)

M = TypeVar("M", bound=BaseModel)

FaultKind = Literal["unreachable", "auth", "missing", "error"]


class TargetError(LevqorError):
    """The target could not give an observation. ``kind`` says why:

    unreachable (no answer), auth (key refused), missing (the target does not offer
    it: no data), error (anything else).
    """

    def __init__(self, message: str, *, kind: FaultKind, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.kind: FaultKind = kind


class CanaryTarget(Protocol):
    #: "local", or the deployment's base URL: runs with the same key share a baseline.
    key: str
    label: str

    def health(self) -> HealthReport: ...

    def queue_health(self, window_minutes: int) -> QueueHealthReport: ...

    def metrics_text(self) -> str: ...

    def system(self) -> SystemReport: ...

    def db_probe(self) -> ProbeReport: ...

    def connector_checks(self) -> ConnectorsReport: ...


class InProcessTarget:
    """This app, observed directly through its services."""

    key = LOCAL_KEY

    def __init__(self, sources: LocalSources, label: str = "this app") -> None:
        self.sources = sources
        self.label = label

    def _call(self, fn: Callable[[], M]) -> M:
        try:
            return fn()
        except LevqorError as exc:
            raise TargetError(str(exc), kind="error") from None

    def health(self) -> HealthReport:
        return self._call(self.sources.health)

    def queue_health(self, window_minutes: int) -> QueueHealthReport:
        return self._call(lambda: self.sources.queue_health(window_minutes))

    def metrics_text(self) -> str:
        try:
            return self.sources.metrics_text()
        except Exception as exc:  # a collector may raise anything while collecting
            raise TargetError(
                f"collecting the metrics failed: {type(exc).__name__}: {exc}",
                kind="error",
                hint="a metrics collector is broken: see the log",
            ) from None

    def system(self) -> SystemReport:
        return self._call(self.sources.system)

    def db_probe(self) -> ProbeReport:
        return self._call(self.sources.db_probe)

    def connector_checks(self) -> ConnectorsReport:
        return self._call(self.sources.connector_checks)


def normalize_url(url: str) -> str:
    """``https://host:port`` without a trailing slash; raises ValidationError otherwise."""
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            f"{url!r} is not a deployment URL", hint="use http(s)://host:port of a levqor serve"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError(f"{url!r}: give only scheme, host, port (and a path prefix)")
    return text


class RemoteTarget:
    """A Levqor deployment, observed through its ops API with an API key."""

    def __init__(
        self,
        url: str,
        api_key: str | None,
        *,
        label: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.key = normalize_url(url)
        self.label = label or self.key
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.key, headers=headers, timeout=REMOTE_TIMEOUT, transport=transport
        )

    def close(self) -> None:
        self._client.close()

    def _request(
        self, method: str, path: str, params: dict[str, int] | None = None
    ) -> httpx.Response:
        try:
            response = self._client.request(method, path, params=params)
        except httpx.TimeoutException:
            raise TargetError(
                f"{self.key}{path} timed out", kind="unreachable", hint="is the server overloaded?"
            ) from None
        except httpx.HTTPError as exc:
            raise TargetError(
                f"cannot reach {self.key}: {exc}",
                kind="unreachable",
                hint="check the URL and that levqor serve runs there",
            ) from None
        if response.status_code in (401, 403):
            raise TargetError(
                f"{path}: the API key was refused ({response.status_code}: {_error(response)})",
                kind="auth",
                hint="pass a valid key (levqor apikeys create on the deployment)",
            )
        if response.status_code == 404:
            raise TargetError(f"{path} is not offered by {self.key}", kind="missing")
        if response.status_code >= 400:
            raise TargetError(
                f"{path} answered {response.status_code}: {_error(response)}", kind="error"
            )
        return response

    def _model(self, model: type[M], method: str, path: str, **params: int) -> M:
        response = self._request(method, path, params or None)
        try:
            return model.model_validate_json(response.content)
        except PydanticValidationError as exc:
            raise TargetError(
                f"{path} answered something that is not a {model.__name__}: "
                f"{exc.errors()[0]['msg']}",
                kind="error",
                hint="is this a Levqor ops API of a matching version?",
            ) from None

    def health(self) -> HealthReport:
        return self._model(HealthReport, "GET", "/ops/health")

    def queue_health(self, window_minutes: int) -> QueueHealthReport:
        return self._model(
            QueueHealthReport, "GET", "/ops/queue_health", window_minutes=window_minutes
        )

    def metrics_text(self) -> str:
        return self._request("GET", "/metrics").text

    def system(self) -> SystemReport:
        return self._model(SystemReport, "GET", "/api/v1/ops/system")

    def db_probe(self) -> ProbeReport:
        return self._model(ProbeReport, "POST", "/api/v1/ops/db_probe")

    def connector_checks(self) -> ConnectorsReport:
        return self._model(ConnectorsReport, "GET", "/api/v1/ops/connectors")


def _error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])
    return str(body)[:200]
