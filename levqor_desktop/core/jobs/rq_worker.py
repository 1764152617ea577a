"""The RQ side: the task RQ workers run, and the worker class ``levqor worker`` starts.

The worker is RQ's :class:`SimpleWorker` (no fork per job, so it works the same on
Windows and in a frozen app), with the timer-based timeout where SIGALRM is missing. Each RQ
job carries only the database id; the task claims that job in the database (so a
duplicate message, or a job canceled meanwhile, does nothing), runs it with the same
:class:`JobRunner` as the local pool and records progress in the database. A job that
ends failed raises, so RQ files it under failed; a canceled one is moved to RQ's
canceled registry: RQ's registries tell the same story as the database.
"""

from __future__ import annotations

import contextvars
import logging
import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from rq import SimpleWorker
from rq.job import Job as RqJob
from rq.queue import Queue
from rq.timeouts import BaseDeathPenalty, TimerDeathPenalty, UnixSignalDeathPenalty
from sqlalchemy import select, update

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs import claims, store
from levqor_desktop.core.jobs.claims import ClaimedJob
from levqor_desktop.core.jobs.contracts import Clock, Services
from levqor_desktop.core.jobs.heartbeat import Heartbeat, WorkerBoard
from levqor_desktop.core.jobs.rq_backend import TASK
from levqor_desktop.core.jobs.runner import JobRunner
from levqor_desktop.core.models.jobs import Job, JobStatus
from levqor_desktop.errors import LevqorError

log = logging.getLogger("levqor.queue.rq")

_CONTEXT: contextvars.ContextVar[WorkerContext] = contextvars.ContextVar("levqor_rq_worker")


class JobFailed(Exception):
    """Raised to RQ for a job that ended failed (its reason is in the database)."""


class WorkerContext:
    """What the task needs in a worker process: the database, the runner, the board.

    The worker's database writes run beside RQ's own Redis bookkeeping instead of
    after it, on two background threads: a job's claim starts as soon as RQ hands the
    job over (the *claim lane*; on PostgreSQL the same statement meters the attempt as a
    job run) and is awaited only when the task runs; the job's end is written by the
    *write lane* while RQ files the result. Both lanes are drained before the worker
    reports itself stopped; a worker killed before its write lane wrote an end leaves
    the job running, and recovery runs it again (at-least-once).
    """

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
        self._claim_lane = ThreadPoolExecutor(1, thread_name_prefix="levqor-rq-claim")
        self._write_lane = ThreadPoolExecutor(1, thread_name_prefix="levqor-rq-write")
        self._claims: dict[int, Future[ClaimedJob | None]] = {}
        self._cancel = threading.Event()
        self._current: int | None = None
        self.last_status: dict[int, JobStatus | None] = {}

    def start(self) -> None:
        self.board.register(self.worker_id)
        self.heartbeat.start()

    def stop(self) -> None:
        self._claim_lane.shutdown(wait=True)
        self._write_lane.shutdown(wait=True)
        self.heartbeat.stop()
        self.board.unregister(self.worker_id)

    # -- the lanes --------------------------------------------------------------------------

    def prefetch(self, job_id: int) -> None:
        """RQ handed us ``job_id``: start claiming it (not while in maintenance)."""
        if self.services.maintenance_active():
            return
        self._claims[job_id] = self._claim_lane.submit(self._claim, job_id)

    def discard(self, job_id: int) -> None:
        """RQ is done with ``job_id``: a claim the task never used is given back."""
        pending = self._claims.pop(job_id, None)
        if pending is None:
            return
        try:
            job = pending.result()
        except Exception:
            return  # the claim failed: nothing to give back
        if job is not None:
            log.warning("RQ did not run job %s after it was claimed; it is queued again", job_id)
            claims.release(self.db, job_id, self.worker_id)

    def _claim(self, job_id: int) -> ClaimedJob | None:
        metering = self.services.usage is not None
        return claims.claim_by_id(self.db, job_id, self.worker_id, self.clock(), meter=metering)

    def _write_ends(self, ends: list[store.Finish]) -> None:
        for end in ends:
            try:
                store.finish(
                    self.db,
                    end.job_id,
                    self.worker_id,
                    end.status,
                    end.at,
                    error=end.error,
                    step=end.step,
                )
            except Exception:
                # Left running: recovery finds it by its heartbeat and runs it again.
                log.exception("recording the end of job %s failed", end.job_id)

    # -- the task ---------------------------------------------------------------------------

    def run(self, job_id: int) -> dict[str, Any]:
        pending = self._claims.pop(job_id, None)
        if pending is None:
            if self.services.maintenance_active():
                self._hold(job_id)
                return {"job_id": job_id, "status": "held (maintenance)"}
            job = self._claim(job_id)
        else:
            job = pending.result()
        if job is None:
            self._hold(job_id)
            return {"job_id": job_id, "status": "not runnable"}
        self._cancel.clear()
        self._current = job.id
        self.board.busy(self.worker_id, job.id)
        ends: list[store.Finish] = []
        try:
            report = self.runner.run(job, self.worker_id, self._cancel.is_set, deferred=ends)
        except BaseException as exc:  # RQ's timeout arrives as an asynchronous exception
            self._current = None
            self._write_lane.submit(self._write_ends, ends)  # what ended before, in order
            self._write_lane.submit(
                self.runner.fail_unexpectedly, job, self.worker_id, f"{type(exc).__name__}: {exc}"
            ).result()
            self.board.idle(self.worker_id, ok=False)
            raise
        self._current = None
        if ends:
            self._write_lane.submit(self._write_ends, ends)
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


def death_penalty() -> type[BaseDeathPenalty]:
    """RQ's job timeout: SIGALRM where it can be used (POSIX, the main thread), which
    costs nothing per job; otherwise a timer thread per job (Windows, a worker run in a
    thread)."""
    if hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread():
        return UnixSignalDeathPenalty
    return TimerDeathPenalty


def _database_id(job: RqJob) -> int | None:
    """The database id an RQ job of ours carries (None for anything else)."""
    if job.func_name != TASK:
        return None
    try:
        return int(job.id)
    except ValueError:
        return None


#: The least time between two of RQ's worker heartbeats sent on their own.
HEARTBEAT_EVERY_S = 1.0


class QuietHeartbeat(SimpleWorker):
    """SimpleWorker that sends RQ's worker heartbeat at most once a second.

    RQ refreshes the worker's key (HSET and two EXPIREs, three round trips) three
    times per job outside a pipeline: before and after each dequeue and after each job.
    With jobs of a few milliseconds that is most of the worker's Redis traffic. Here such
    a heartbeat is sent when the last one is a second old or a longer lifetime is asked
    for than the last one set, so the key never lives shorter than RQ asked minus that
    second (its TTL is a minute or more), and ``last_heartbeat`` is at most a second
    old. Heartbeats inside RQ's pipelines (with a job's own bookkeeping) and job
    heartbeats are unchanged. (A class of its own so the benchmark can give bare RQ the
    same heartbeat.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._beat_at = -HEARTBEAT_EVERY_S
        self._beat_ttl = 0

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        ttl = timeout or self.worker_ttl + 60
        moment = time.monotonic()
        if (
            pipeline is None
            and moment - self._beat_at < HEARTBEAT_EVERY_S
            and ttl <= self._beat_ttl
        ):
            return
        self._beat_at, self._beat_ttl = moment, ttl
        super().heartbeat(timeout, pipeline)


class LevqorWorker(QuietHeartbeat):
    """The worker of ``levqor worker``: our context for :func:`perform`, claims started
    as RQ hands a job over, RQ's canceled registry for jobs canceled in the database."""

    def __init__(self, queues: list[Queue], *, context: WorkerContext, **kwargs: Any) -> None:
        kwargs.setdefault("name", context.worker_id)
        super().__init__(queues, **kwargs)
        self.death_penalty_class = death_penalty()
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
        db_id = _database_id(job)
        if db_id is not None:
            self.context.prefetch(db_id)
        try:
            super().execute_job(job, queue)
        finally:
            if db_id is not None:
                self.context.discard(db_id)
        if db_id is not None and self.context.last_status.get(db_id) is JobStatus.CANCELED:
            try:
                job.cancel()
            except Exception as exc:  # the registry move is cosmetic; never stop the worker
                log.warning("could not file RQ job %s as canceled: %s", job.id, exc)
