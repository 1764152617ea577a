"""The ops HTTP API: health, queue health, flags, billing, metrics — behind API keys.

``create_ops_app(app)`` builds the FastAPI application over an App's services; serve it
with :class:`~levqor_desktop.core.opsapi.server.OpsServer` (``levqor serve``, or the
window when its switch is on).
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime,
# and they name dependencies local to the router factory.
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry

from levqor_desktop import __version__
from levqor_desktop.core.apikeys import ApiKeyService, Principal
from levqor_desktop.core.canary.sources import LocalSources
from levqor_desktop.core.db import Database
from levqor_desktop.core.flags.service import FlagService
from levqor_desktop.core.jobs.service import JobService
from levqor_desktop.core.opsapi import errors
from levqor_desktop.core.opsapi.auth import Authenticator
from levqor_desktop.core.opsapi.config import OpsApiConfig
from levqor_desktop.core.opsapi.ratelimit import TokenBuckets
from levqor_desktop.core.opsapi.responses import errors as error_responses
from levqor_desktop.core.opsapi.routes_billing import billing_router
from levqor_desktop.core.opsapi.routes_flags import flags_router
from levqor_desktop.core.opsapi.routes_jobs import jobs_router
from levqor_desktop.core.opsapi.routes_metrics import metrics_router
from levqor_desktop.core.opsapi.routes_ops import ops_router
from levqor_desktop.core.permissions import Permission
from levqor_desktop.core.safety import Guard
from levqor_desktop.core.usage import UsageService

__all__ = ["OpsApiConfig", "create_ops_app"]


class _Canary(Protocol):
    sources: LocalSources


class _Metrics(Protocol):
    registry: CollectorRegistry


class OpsHost(Protocol):
    """What the ops API needs of the App."""

    db: Database
    api_keys: ApiKeyService
    flag_service: FlagService
    usage: UsageService
    guard: Guard

    @property
    def jobs(self) -> JobService: ...

    @property
    def canary(self) -> _Canary: ...

    @property
    def metrics(self) -> _Metrics: ...


def create_ops_app(
    app: OpsHost, config: OpsApiConfig | None = None, *, buckets: TokenBuckets | None = None
) -> FastAPI:
    config = config or OpsApiConfig()
    buckets = buckets or TokenBuckets(config.rate_per_second, config.burst)
    auth = Authenticator(app.api_keys, config, buckets)
    api = FastAPI(
        title="Levqor ops API",
        version=__version__,
        description="Health, queue health, flags, jobs, usage and limits, and metrics of a "
        "Levqor deployment. Every endpoint but the open ones (by default /metrics and "
        "/ops/health) needs an API key: `levqor apikeys create`.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    errors.install(api)
    api.include_router(ops_router(app.canary.sources, auth))
    api.include_router(flags_router(app.flag_service, auth, app.guard))
    api.include_router(jobs_router(app.jobs, auth))
    api.include_router(billing_router(app.db, app.usage, auth))
    api.include_router(
        metrics_router(app.metrics.registry, auth, max_age_s=config.metrics_cache_seconds)
    )

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = errors.replace_422(FastAPI.openapi(api))
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
    ReadKey = Annotated[Principal | None, Depends(auth.guard(Permission.READ))]  # noqa: N806

    @api.get(
        "/openapi.json",
        tags=["meta"],
        summary="This document",
        response_model=dict[str, Any],
        responses=error_responses(401, 403, 429),
    )
    def openapi_document(_: ReadKey) -> JSONResponse:
        return JSONResponse(api.openapi())

    return api
