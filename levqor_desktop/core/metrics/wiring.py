"""How the App builds its metrics: sources found on the App by their agreed names.

``app.jobs.depth()`` and ``app.jobs.worker_count()`` are used when the jobs service
offers them; until then the ``jobs`` and ``job_workers`` tables answer. Looked up at
scrape time, so the order in which services are wired does not matter.
"""

from __future__ import annotations

from typing import Any, Protocol

from levqor_desktop.core.db import Database
from levqor_desktop.core.flags import FlagName, FlagStore
from levqor_desktop.core.metrics.registry import Metrics
from levqor_desktop.core.metrics.sampler import Sampler
from levqor_desktop.core.metrics.server import MetricsServer
from levqor_desktop.core.metrics.sources import DatabaseDepthSource, DatabaseWorkerSource
from levqor_desktop.settings import Settings


class AppLike(Protocol):
    settings: Settings
    flags: FlagStore
    db: Database


def _service_method(app: object, service: str, method: str) -> Any:
    # getattr on the class first: never trigger a lazily built service just to look.
    if service not in vars(app) and not hasattr(type(app), service):
        return None
    return getattr(getattr(app, service, None), method, None)


def build_metrics(app: AppLike) -> Metrics:
    db_depth = DatabaseDepthSource(app.db)
    db_workers = DatabaseWorkerSource(app.db)

    def depth() -> Any:
        method = _service_method(app, "jobs", "depth")
        return method() if callable(method) else db_depth()

    def workers() -> int:
        method = _service_method(app, "jobs", "worker_count")
        return int(method()) if callable(method) else db_workers()

    return Metrics(
        advanced=lambda: app.flags.enabled(FlagName.ADVANCED_METRICS_ENABLED),
        database_status=lambda: (app.db.backend, app.db.ping().ok),
        depth_source=depth,
        worker_source=workers,
    )


def build_sampler(app: AppLike, metrics: Metrics) -> Sampler:
    return Sampler(metrics, app.db)


def build_server(app: AppLike, metrics: Metrics) -> MetricsServer:
    return MetricsServer(metrics.registry, port=app.settings.metrics_port)
