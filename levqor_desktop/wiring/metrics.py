"""How the App builds its metrics, sampler and ``/metrics`` server."""

from __future__ import annotations

from typing import Protocol

from levqor_desktop.core.db import Database
from levqor_desktop.core.flags import FlagName, FlagStore
from levqor_desktop.core.metrics.registry import Metrics
from levqor_desktop.core.metrics.sampler import Sampler
from levqor_desktop.core.metrics.server import MetricsServer
from levqor_desktop.core.metrics.sources import DatabaseDepthSource, DatabaseWorkerSource
from levqor_desktop.settings import Settings


class _Maintenance(Protocol):
    @property
    def active(self) -> bool: ...


class AppLike(Protocol):
    settings: Settings
    flags: FlagStore
    db: Database
    maintenance: _Maintenance


def build_metrics(app: AppLike) -> Metrics:
    """Depth and workers come from the ``jobs`` and ``job_workers`` tables (the record,
    whatever the queue backend), over every organization: ``JobService.depth(actor)`` is
    per organization, which is right for a panel but not for an installation's gauge."""
    return Metrics(
        advanced=lambda: app.flags.enabled(FlagName.ADVANCED_METRICS_ENABLED),
        database_status=lambda: (app.db.backend, app.db.ping().ok),
        depth_source=DatabaseDepthSource(app.db),
        worker_source=DatabaseWorkerSource(app.db),
    )


def build_sampler(app: AppLike, metrics: Metrics) -> Sampler:
    # Maintenance is built after the metrics: look it up at each write.
    return Sampler(metrics, app.db, paused=lambda: app.maintenance.active)


def build_server(app: AppLike, metrics: Metrics) -> MetricsServer:
    return MetricsServer(metrics.registry, port=app.settings.metrics_port)
