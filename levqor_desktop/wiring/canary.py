"""How the composition root builds ``app.canary``.

The canary reads the App's services by their agreed names, looked up when used
(``app.jobs``, ``app.connectors`` and ``app.migrations`` may be wired after the
canary), and subscribes the automatic canary to risky flag changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from levqor_desktop.core.canary.results import Thresholds
from levqor_desktop.core.canary.runner import CanaryMetrics
from levqor_desktop.core.canary.service import AccountChecks, CanaryService
from levqor_desktop.core.canary.sources import (
    ConnectorChecker,
    JobStats,
    LocalSources,
    TableJobStats,
)
from levqor_desktop.core.canary.store import CanaryStore
from levqor_desktop.core.flags import FlagName

if TYPE_CHECKING:
    from levqor_desktop.app import App


class _LateJobStats:
    """``app.jobs`` when it offers the queue statistics, else the jobs tables."""

    def __init__(self, app: Any, fallback: JobStats) -> None:
        self._app = app
        self._fallback = fallback

    def _pick(self) -> JobStats:
        service = vars(self._app).get("jobs")
        return service if isinstance(service, JobStats) else self._fallback

    def depth(self) -> Mapping[str, int]:
        return self._pick().depth()

    def workers_online(self) -> int:
        return self._pick().workers_online()

    def oldest_queued_age(self) -> float | None:
        return self._pick().oldest_queued_age()

    def outcome_counts(self, since: dt.datetime) -> Mapping[str, int]:
        return self._pick().outcome_counts(since)


class _LateSecrets:
    """``app.secrets``, looked up at each use (build_app sets it after the App exists)."""

    def __init__(self, app: Any) -> None:
        self._app = app

    @property
    def backend(self) -> Any:
        return self._app.secrets.backend

    def check(self) -> float:
        return float(self._app.secrets.check())


def _connectors_of(app: App) -> Callable[[], ConnectorChecker | None]:
    def find() -> ConnectorChecker | None:
        service: Any = vars(app).get("connectors")
        if isinstance(service, ConnectorChecker):
            return service
        if callable(getattr(service, "accounts", None)) and callable(
            getattr(service, "check", None)
        ):
            return AccountChecks(service, lambda: app.actor)
        return None

    return find


def build_canary(app: App, *, thresholds: Thresholds | None = None) -> CanaryService:
    """The canary of ``app``; no I/O."""
    registry = app.metrics.registry
    sources = LocalSources(
        db=app.db,
        data_dir=app.settings.data_dir,
        redis_url=app.settings.redis_url,
        queue_backend=lambda: str(app.queue_backend),
        registry=registry,
        jobs=_LateJobStats(app, TableJobStats(app.db, lambda: str(app.queue_backend))),
        keyring=_LateSecrets(app),
        connectors=_connectors_of(app),
    )
    service = CanaryService(
        sources,
        CanaryStore(app.db),
        canary_mode=lambda: bool(app.flags.enabled(FlagName.CANARY_MODE)),
        default_actor=lambda: app.actor,
        environ=app.settings.environ,
        secrets=lambda: app.secrets,
        metrics=CanaryMetrics(registry),
        thresholds=thresholds,
    )
    service.auto.watch_flags(app.flag_service)
    # app.migrations is built lazily (a cached property): building it here does no I/O.
    migrations = getattr(app, "migrations", None)
    if migrations is not None and isinstance(getattr(migrations, "on_switched", None), list):
        service.auto.watch_migrations(
            migrations, lambda _result, change: service.switch_check(migrations, change)
        )
    return service
