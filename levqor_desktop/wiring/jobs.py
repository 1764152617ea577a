"""Builds the jobs services for the App: ``app.jobs``, ``app.queue`` and the background
services (local pool, RQ dispatcher, crash recovery, scheduler, retention).

Other engineers' services (``app.actions``, ``app.workflows``, ``app.usage``,
``app.metrics``, ``app.maintenance``) are looked up when used, not when built, so the
order in which the App creates its attributes does not matter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from levqor_desktop.core.db import Database
from levqor_desktop.core.flags import FlagName, FlagStore
from levqor_desktop.core.jobs.contracts import Services
from levqor_desktop.core.jobs.local import LocalPool
from levqor_desktop.core.jobs.operations import JobOperations
from levqor_desktop.core.jobs.recovery import RecoveryService
from levqor_desktop.core.jobs.retention import DEFAULT_RETENTION_DAYS, Retention
from levqor_desktop.core.jobs.routing import QueueRouter
from levqor_desktop.core.jobs.rq_backend import Dispatcher, RqQueue
from levqor_desktop.core.jobs.runner import JobRunner, WorkflowLoader
from levqor_desktop.core.jobs.scheduler import Scheduler
from levqor_desktop.core.jobs.workflow_access import LazyActions, StoredAccess
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.errors import ConfigError
from levqor_desktop.settings import Settings

log = logging.getLogger("levqor.queue")

RETENTION_ENV = "LEVQOR_JOB_RETENTION_DAYS"


class AppLike(Protocol):
    settings: Settings
    flags: FlagStore
    db: Database


@dataclass
class JobsKit:
    """Every part of the jobs domain of one App."""

    service: JobOperations
    router: QueueRouter
    runner: JobRunner
    pool: LocalPool
    rq: RqQueue
    dispatcher: Dispatcher
    recovery: RecoveryService
    scheduler: Scheduler
    retention: Retention

    @property
    def background(self) -> list[Any]:
        """In start order: recovery first (so the pool finds requeued jobs at once)."""
        return [
            self.recovery,
            self.pool,
            self.dispatcher,
            self.scheduler,
            self.retention,
        ]

    @property
    def workers(self) -> list[Any]:
        """The services only a machine that runs the deployment's workers starts.

        The pool claims and runs jobs. Recovery declares a running job's worker dead by
        comparing its heartbeat with *this* machine's clock (a laptop whose clock runs
        ahead would requeue or fail jobs that are running fine), and retention prunes
        by *this* machine's ``LEVQOR_JOB_RETENTION_DAYS``: both belong to the processes
        that run the jobs (``levqor worker``, ``levqor serve``), which start them too.
        The scheduler and the RQ dispatcher stay everywhere: each due run and each
        dispatch is claimed by one guarded write, so any number of them act once.
        """
        return [self.recovery, self.pool, self.retention]


def retention_days(settings: Settings) -> float:
    raw = settings.environ.get(RETENTION_ENV)
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = float(raw)
    except ValueError:
        raise ConfigError(f"{RETENTION_ENV} must be a number of days, not {raw!r}") from None
    if days <= 0:
        raise ConfigError(f"{RETENTION_ENV} must be more than 0 days, not {raw!r}")
    return days


def build_jobs(app: AppLike) -> JobsKit:
    clock = utcnow
    services = Services(app)
    actions = LazyActions(app)
    stored = StoredAccess(app)
    runner = JobRunner(app.db, actions, WorkflowLoader(stored), clock=clock, services=services)
    pool = LocalPool(
        app.db, runner, size=app.settings.local_workers, clock=clock, services=services
    )
    rq = RqQueue(app.db, app.settings.redis_url, clock=clock)
    router = QueueRouter(app.flags, pool, rq)
    service = JobOperations(
        app.db, router, clock=clock, actions=actions, resolver=stored.resolve, services=services
    )
    service.config_file = app.settings.config_file
    dispatcher = Dispatcher(rq, wanted=lambda: app.flags.enabled(FlagName.NEW_QUEUE_ENABLED))

    def on_requeued(job_ids: list[int]) -> None:
        pool.wake()
        rq.wakeup.set()

    paused = services.maintenance_active
    recovery = RecoveryService(app.db, clock, on_requeued=on_requeued, paused=paused)
    scheduler = Scheduler(app.db, service, stored.scheduled, clock=clock, paused=paused)
    retention = Retention(app.db, clock, days=retention_days(app.settings), paused=paused)
    return JobsKit(service, router, runner, pool, rq, dispatcher, recovery, scheduler, retention)
