"""The RQ side: the task RQ workers run, and the worker class ``levqor worker`` starts.

The worker is RQ's :class:`SimpleWorker` (no fork per job, so it works the same on
Windows and in a frozen app) with the timer-based timeout instead of SIGALRM. Each RQ
job carries only the database id; the task claims that job in the database (so a
duplicate message, or a job canceled meanwhile, does nothing), runs it with the same
:class:`JobRunner` as the local pool and records progress in the database. A job that
ends failed raises, so RQ files it under failed; a canceled one is moved to RQ's
canceled registry: RQ's registries tell the same story as the database.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from typing import Any

from rq import SimpleWorker
from rq.job import Job as RqJob
from rq.queue import Queue
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import select, update

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs import store
from levqor_desktop.core.jobs.contracts import Clock, Services
from levqor_desktop.core.jobs.heartbeat import Heartbeat, WorkerBoard
from levqor_desktop.core.jobs.runner import JobRunner
from levqor_desktop.core.models.jobs import Job, JobStatus
from levqor_desktop.errors import LevqorError

log = logging.getLogger("levqor.queue.rq")

_CONTEXT: contextvars.ContextVar[WorkerContext] = contextvars.ContextVar("levqor_rq_worker")


class JobFailed(Exception):
    """Raised to RQ for a job that ended failed (its reason is in the database)."""


class WorkerContext:
    """What the task needs in a worker process: the database, the runner, the board."""

    def __init__(
        self, db: Database, runner: JobRunner, *, clock: Clock, services: Services
    ) -> None:
        self.db = db
        self.runner = runner
        self.clock = clock
        self.services = services
        self.board = WorkerBoard(db, clock, "rq")
        self.worker_id = self.board.make_id("w")
        self.heartbeat = Heartbeat(
            self.board, also=self._refresh_cancel, paused=services.maintenance_active
        )
        self._cancel = threading.Event()
        self._current: int | None = None
        self.last_status: dict[int, JobStatus | None] = {}

    def start(self) -> None:
        self.board.register(self.worker_id)
        self.heartbeat.start()

    def stop(self) -> None:
        self.heartbeat.stop()
        self.board.unregister(self.worker_id)

    def run(self, job_id: int) -> dict[str, Any]:
        if self.services.maintenance_active():
            self._hold(job_id)
            return {"job_id": job_id, "status": "held (maintenance)"}
        job = store.claim_by_id(self.db, job_id, self.worker_id, self.clock())
        if job is None:
            self._hold(job_id)
            return {"job_id": job_id, "status": "not runnable"}
        self._cancel.clear()
        self._current = job.id
        self.board.busy(self.worker_id, job.id)
        try:
            report = self.runner.run(job, self.worker_id, self._cancel.is_set)
        except BaseException as exc:  # RQ's timeout arrives as an asynchronous exception
            self._current = None
            self.runner.fail_unexpectedly(job, self.worker_id, f"{type(exc).__name__}: {exc}")
            self.board.idle(self.worker_id, ok=False)
            raise
        self._current = None
        self.last_status = {job_id: report.status}
        ok = None if report.status is None else report.status is JobStatus.SUCCEEDED
        self.board.idle(self.worker_id, ok=ok)
        if report.status is JobStatus.FAILED:
            raise JobFailed(report.error or "failed")
        return {"job_id": job_id, "status": report.status.value if report.status else "lost"}

    def _hold(self, job_id: int) -> None:
        """A queued job this worker may not run yet goes back to the dispatcher."""
        with self.db.session() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
                .values(dispatched=False)
            )

    def _refresh_cancel(self) -> None:
        current = self._current
        if current is None:
            return
        with self.db.session() as session:
            flag = session.scalar(select(Job.cancel_requested).where(Job.id == current))
        if flag:
            self._cancel.set()


def perform(job_id: int) -> dict[str, Any]:
    """The RQ task: run database job ``job_id`` in this worker's context."""
    try:
        context = _CONTEXT.get()
    except LookupError:
        raise LevqorError("Levqor jobs run only in a worker started with `levqor worker`") from None
    return context.run(int(job_id))


class LevqorWorker(SimpleWorker):
    """SimpleWorker with the timer timeout and our context for :func:`perform`."""

    death_penalty_class = TimerDeathPenalty

    def __init__(self, queues: list[Queue], *, context: WorkerContext, **kwargs: Any) -> None:
        kwargs.setdefault("name", context.worker_id)
        super().__init__(queues, **kwargs)
        self.context = context

    def work(self, *args: Any, **kwargs: Any) -> bool:
        token = _CONTEXT.set(self.context)
        self.context.start()
        try:
            return bool(super().work(*args, **kwargs))
        finally:
            self.context.stop()
            _CONTEXT.reset(token)

    def execute_job(self, job: RqJob, queue: Queue) -> None:
        super().execute_job(job, queue)
        try:
            db_id = int(job.id)
        except ValueError:
            return
        if self.context.last_status.get(db_id) is JobStatus.CANCELED:
            try:
                job.cancel()
            except Exception as exc:  # the registry move is cosmetic; never stop the worker
                log.warning("could not file RQ job %s as canceled: %s", job.id, exc)
