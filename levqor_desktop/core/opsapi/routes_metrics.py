"""``/metrics``: the App's Prometheus registry in the text exposition format."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime,
# and they name dependencies local to the router factory.
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from levqor_desktop.core.apikeys import Principal
from levqor_desktop.core.opsapi.auth import Authenticator
from levqor_desktop.core.opsapi.responses import errors
from levqor_desktop.core.permissions import Permission


class PrometheusText(PlainTextResponse):
    media_type = CONTENT_TYPE_LATEST


def metrics_router(registry: CollectorRegistry, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["metrics"])
    ReadKey = Annotated[Principal | None, Depends(auth.guard(Permission.READ))]  # noqa: N806

    @router.get(
        "/metrics",
        response_class=PrometheusText,
        summary="Prometheus metrics (text format 0.0.4)",
        responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
                   **errors(401, 429)},
    )  # fmt: skip
    def metrics(_: ReadKey) -> PrometheusText:
        return PrometheusText(generate_latest(registry))

    return router
