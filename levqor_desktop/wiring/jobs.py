"""Builds the jobs services for the App: ``app.jobs``, ``app.queue`` and the background
services (local pool, RQ dispatcher, crash recovery, scheduler, retention).

Other engineers' services (``app.actions``, ``app.workflows``, ``app.usage``,
``app.metrics``, ``app.maintenance``) are looked up when used, not when built, so the
order in which the App creates its attributes does not matter.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from levqor_desktop.core.db import Database
from levqor_desktop.core.flags import FlagName, FlagStore
from levqor_desktop.core.jobs.contracts import Clock, JobQueue, Services
from levqor_desktop.core.jobs.local import LocalPool
from levqor_desktop.core.jobs.operations import JobOperations
from levqor_desktop.core.jobs.recovery import RecoveryService
from levqor_desktop.core.jobs.retention import DEFAULT_RETENTION_DAYS, Retention
from levqor_desktop.core.jobs.routing import QueueRouter
from levqor_desktop.core.jobs.runner import JobRunner, WorkflowLoader
from levqor_desktop.core.jobs.scheduler import Scheduler
from levqor_desktop.core.jobs.workflow_access import LazyActions, StoredAccess
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.errors import ConfigError
from levqor_desktop.settings import Settings

if TYPE_CHECKING:
    from levqor_desktop.core.jobs.rq_backend import Dispatcher, RqQueue

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


class _LateRq:
    """The rq backend, built on first use: rq and redis cost ~90 ms to import, which a
    command on the local backend (``levqor flags list``, most of them) never needs."""

    name = "rq"

    def __init__(self, build: Callable[[], RqQueue]) -> None:
        self._build = build
        self._queue: RqQueue | None = None
        self._lock = threading.Lock()

    @property
    def is_built(self) -> bool:
        return self._queue is not None

    def built(self) -> RqQueue:
        with self._lock:
            if self._queue is None:
                self._queue = self._build()
            return self._queue

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.built(), attr)


class _LateDispatcher:
    """The rq dispatcher, built when started (or first used); stopping one never built
    does nothing, as stopping a dispatcher never started did."""

    name = "rq-dispatcher"

    def __init__(self, rq: _LateRq, wanted: Callable[[], bool]) -> None:
        self._rq = rq
        self._wanted = wanted
        self._dispatcher: Dispatcher | None = None
        self._lock = threading.Lock()

    def built(self) -> Dispatcher:
        with self._lock:
            if self._dispatcher is None:
                from levqor_desktop.core.jobs.rq_backend import Dispatcher

                self._dispatcher = Dispatcher(self._rq.built(), wanted=self._wanted)
            return self._dispatcher

    def start(self) -> None:
        self.built().start()

    def stop(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.stop()

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.built(), attr)


def _build_rq(app: AppLike, clock: Clock) -> RqQueue:
    from levqor_desktop.core.jobs.rq_backend import RqQueue

    return RqQueue(app.db, app.settings.redis_url, clock=clock)


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
    late_rq = _LateRq(lambda: _build_rq(app, clock))
    rq = cast("RqQueue", late_rq)
    router = QueueRouter(app.flags, pool, cast(JobQueue, late_rq))
    service = JobOperations(
        app.db, router, clock=clock, actions=actions, resolver=stored.resolve, services=services
    )
    service.config_file = app.settings.config_file
    wanted = lambda: app.flags.enabled(FlagName.NEW_QUEUE_ENABLED)  # noqa: E731
    dispatcher = cast("Dispatcher", _LateDispatcher(late_rq, wanted))

    def on_requeued(job_ids: list[int]) -> None:
        pool.wake()
        if late_rq.is_built:  # else no dispatcher waits on it
            rq.wakeup.set()

    paused = services.maintenance_active
    recovery = RecoveryService(app.db, clock, on_requeued=on_requeued, paused=paused)
    scheduler = Scheduler(app.db, service, stored.scheduled, clock=clock, paused=paused)
    retention = Retention(app.db, clock, days=retention_days(app.settings), paused=paused)
    return JobsKit(service, router, runner, pool, rq, dispatcher, recovery, scheduler, retention)
