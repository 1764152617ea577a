"""``/metrics``: the App's Prometheus registry in the text exposition format.

A scrape renders the registry at most once per ``metrics_cache_seconds`` (0.5 s by
default): rendering pulls the queue depth and the worker count from the database, and
a scraper that asks more often than that learns nothing new. Prometheus scrapes every
15 s or so; many clients asking at once share one rendering.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime,
# and they name dependencies local to the router factory.
import threading
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool

from levqor_desktop.core.apikeys import Principal
from levqor_desktop.core.opsapi.auth import Authenticator
from levqor_desktop.core.opsapi.responses import errors
from levqor_desktop.core.permissions import Permission


class PrometheusText(PlainTextResponse):
    media_type = CONTENT_TYPE_LATEST


class ScrapeCache:
    """The registry's exposition, rendered again once it is older than ``max_age_s``."""

    def __init__(
        self,
        registry: CollectorRegistry,
        max_age_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._rendered: tuple[float, bytes] | None = None

    def fresh(self) -> bytes | None:
        """The last rendering if it is young enough; never blocks."""
        rendered = self._rendered
        if rendered is not None and 0 <= self._clock() - rendered[0] < self._max_age_s:
            return rendered[1]
        return None

    def render(self) -> bytes:
        """A young enough rendering, made now if needed (one at a time: callers that
        queue behind a rendering take its result)."""
        with self._lock:
            body = self.fresh()
            if body is None:
                at = self._clock()
                body = generate_latest(self._registry)
                self._rendered = (at, body)
            return body


def metrics_router(
    registry: CollectorRegistry, auth: Authenticator, *, max_age_s: float = 0.0
) -> APIRouter:
    router = APIRouter(tags=["metrics"])
    ReadKey = Annotated[Principal | None, Depends(auth.guard(Permission.READ))]  # noqa: N806
    cache = ScrapeCache(registry, max_age_s)

    @router.get(
        "/metrics",
        response_class=PrometheusText,
        summary="Prometheus metrics (text format 0.0.4)",
        responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
                   **errors(401, 429)},
    )  # fmt: skip
    async def metrics(_: ReadKey) -> PrometheusText:
        # On the event loop when the last rendering is young; rendering asks the
        # database, so it goes to a thread.
        body = cache.fresh()
        if body is None:
            body = await run_in_threadpool(cache.render)
        return PrometheusText(body)

    return router
