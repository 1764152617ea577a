"""The ``local`` backend: N worker threads in this process that claim jobs from the database.

An enqueue in this process wakes a waiting thread at once (a condition variable with a
generation counter, so a wake-up that arrives while a thread is busy claiming is never
lost); jobs enqueued by other processes are found by polling. The pool can grow or
shrink while it runs; a thread above the new size leaves after its current job.
While maintenance mode is on, no thread claims anything.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs import claims, store
from levqor_desktop.core.jobs.claims import ClaimedJob
from levqor_desktop.core.jobs.contracts import Clock, Services
from levqor_desktop.core.jobs.heartbeat import HEARTBEAT_S, Heartbeat, WorkerBoard
from levqor_desktop.core.jobs.recovery import STALE_AFTER_S
from levqor_desktop.core.jobs.runner import JobRunner, RunReport
from levqor_desktop.core.models.jobs import Job, JobStatus, JobWorker
from levqor_desktop.core.status import QueueStatus
from levqor_desktop.errors import ValidationError

log = logging.getLogger("levqor.queue.local")

MAX_THREADS = 64
#: Jobs one thread may claim at once, and below which run time a job counts as short.
MAX_BATCH = 16
FAST_JOB_S = 0.01


class LocalPool:
    """The embedded worker pool; a BackgroundService and the ``local`` JobQueue."""

    name = "local"

    def __init__(
        self,
        db: Database,
        runner: JobRunner,
        *,
        size: int,
        clock: Clock,
        services: Services | None = None,
        poll_s: float = 1.0,
        heartbeat_s: float = HEARTBEAT_S,
    ) -> None:
        self.db = db
        self.runner = runner
        self.clock = clock
        self.services = services or Services()
        self.poll_s = poll_s
        #: False in processes that must not run local jobs (an RQ ``levqor worker``).
        self.autostart = True
        self.board = WorkerBoard(db, clock, "local")
        self._heartbeat = Heartbeat(
            self.board,
            interval=heartbeat_s,
            also=self._refresh_cancels,
            paused=self.services.maintenance_active,
        )
        self._size = _check_size(size)
        self._cond = threading.Condition()
        self._generation = 0
        self._stopping = False
        self._running = False
        self._threads: dict[int, threading.Thread] = {}
        self._cancels: dict[int, threading.Event] = {}
        #: Called (on the worker thread) after each job's run: the window and tests listen.
        self.listeners: list[Callable[[RunReport], None]] = []
        #: worker id -> how many jobs it claims next time (see _run_one)
        self._batch: dict[str, int] = {}
        #: job id -> number of the thread running it
        self._job_threads: dict[int, int] = {}

    # -- BackgroundService ----------------------------------------------------------------

    def start(self) -> None:
        if not self.autostart:
            return
        with self._cond:
            if self._running:
                return
            self._running, self._stopping = True, False
        self._spawn()
        self._heartbeat.start()
        log.info("local pool started with %d threads", self._size)

    def stop(self, timeout: float = 30.0) -> None:
        with self._cond:
            if not self._running:
                return
            # Running jobs see _stopping, stop at their next check and go back to the
            # queue untouched (a shutdown is not a cancel and not a failed attempt).
            self._stopping = True
            self._cond.notify_all()
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout=timeout)
        self._heartbeat.stop()
        with self._cond:
            self._running = False
            self._threads.clear()

    # -- JobQueue -------------------------------------------------------------------------

    def submit(self, job_id: int) -> None:
        self._signal(all_threads=False)

    def withdraw(self, job_id: int) -> None:
        with self._cond:
            event = self._cancels.get(job_id)
        if event is not None:
            event.set()

    def status(self) -> QueueStatus:
        with self._cond:
            busy = len(self._job_threads)
        if not self._running:
            # Another process (the window, `levqor worker`) may run the pool.
            elsewhere = self._online_elsewhere()
            if elsewhere:
                return QueueStatus("local", "ok", f"{elsewhere} thread(s) in other processes")
            return QueueStatus(
                "local",
                "stopped",
                "no local pool runs here "
                "(`levqor worker`, or the window on a profile that runs workers)",
            )
        if self.services.maintenance_active():
            return QueueStatus("local", "degraded", "maintenance: no jobs are claimed")
        return QueueStatus("local", "ok", f"{self._size} threads, {busy} busy")

    def _online_elsewhere(self) -> int:
        cutoff = self.clock() - dt.timedelta(seconds=STALE_AFTER_S)
        try:
            with self.db.session() as session:
                found = session.scalar(
                    select(func.count())
                    .select_from(JobWorker)
                    .where(
                        JobWorker.kind == "local",
                        JobWorker.state != "stopped",
                        JobWorker.heartbeat_at >= cutoff,
                    )
                )
        except DBAPIError:
            return 0
        return int(found or 0)

    # -- control --------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self._size

    @property
    def running(self) -> bool:
        return self._running

    def resize(self, size: int) -> None:
        """Grow at once; shrinking lets surplus threads finish their job first."""
        self._size = _check_size(size)
        if self._running:
            self._spawn()
            self.wake()
        log.info("local pool resized to %d threads", self._size)

    def wake(self) -> None:
        """Many jobs may be runnable: every idle thread looks."""
        self._signal(all_threads=True)

    def _signal(self, *, all_threads: bool) -> None:
        with self._cond:
            self._generation += 1
            if all_threads:
                self._cond.notify_all()
            else:
                self._cond.notify()

    def running_jobs(self) -> dict[int, int]:
        """{thread number: job id} of the jobs running now."""
        with self._cond:
            return {n: jid for jid, n in self._job_threads.items()}

    # -- threads --------------------------------------------------------------------------

    def _spawn(self) -> None:
        with self._cond:
            for n in range(1, self._size + 1):
                thread = self._threads.get(n)
                if thread is None or not thread.is_alive():
                    thread = threading.Thread(
                        target=self._work, args=(n,), name=f"levqor-local-{n}", daemon=True
                    )
                    self._threads[n] = thread
                    thread.start()

    def _shutting_down(self) -> bool:
        return self._stopping

    def _should_leave(self, n: int) -> bool:
        with self._cond:
            return self._stopping or n > self._size

    def _work(self, n: int) -> None:
        worker_id = self.board.make_id(str(n))
        self.board.register(worker_id)
        try:
            while not self._should_leave(n):
                with self._cond:
                    seen = self._generation
                if not self._run_one(worker_id):
                    with self._cond:
                        if self._generation == seen and not self._stopping and n <= self._size:
                            self._cond.wait(self.poll_s)
        finally:
            with self._cond:
                if self._threads.get(n) is threading.current_thread():
                    del self._threads[n]
            self.board.unregister(worker_id)

    def _run_one(self, worker_id: str) -> bool:
        """Claim and run a few jobs; False when there was nothing to do.

        Each thread claims one job at a time while jobs take a while; when they are very
        short it claims a few at once (up to MAX_BATCH), so a flood of tiny jobs does not
        pay one claim transaction each. Jobs still waiting in a batch at shutdown go back.
        """
        if self.services.maintenance_active():
            return False
        batch = self._batch.get(worker_id, 1)
        try:
            jobs = claims.claim_many(
                self.db,
                worker_id,
                self.clock(),
                "local",
                batch,
                meter=self.services.usage is not None,
            )
        except Exception:
            log.exception("claiming a job failed; retrying after %.1f s", self.poll_s)
            return False
        if not jobs:
            return False
        started = time.perf_counter()
        # In a batch the jobs' ends are written together at its end (one transaction);
        # a crash before that re-runs them, as at-least-once allows.
        deferred: list[store.Finish] | None = [] if len(jobs) > 1 else None
        reports: list[tuple[RunReport, bool | None]] = []
        with self._cond:
            # Every claimed job can be canceled while it waits for its turn in the batch.
            for job in jobs:
                self._cancels[job.id] = threading.Event()
        for n, job in enumerate(jobs):
            if self._stopping:
                for waiting in jobs[n:]:
                    claims.release(self.db, waiting.id, worker_id)
                    with self._cond:
                        self._cancels.pop(waiting.id, None)
                break
            reports.append(self._run_claimed(worker_id, job, deferred))
        if deferred:
            try:
                store.finish_many(self.db, worker_id, deferred)
            except Exception:
                # Left running: recovery finds them by their heartbeat and runs them
                # again (at-least-once); the thread carries on.
                log.exception("recording the end of %d jobs failed", len(deferred))
        for report, ok in reports:
            self.board.idle(worker_id, ok=ok)
            for listener in list(self.listeners):
                try:
                    listener(report)
                except Exception:
                    log.exception("a job listener failed")
        each = (time.perf_counter() - started) / len(jobs)
        self._batch[worker_id] = min(batch * 2, MAX_BATCH) if each < FAST_JOB_S else 1
        return True

    def _run_claimed(
        self, worker_id: str, job: ClaimedJob, deferred: list[store.Finish] | None
    ) -> tuple[RunReport, bool | None]:
        with self._cond:
            cancel = self._cancels.setdefault(job.id, threading.Event())
            self._job_threads[job.id] = int(worker_id.rsplit("-", 1)[1])
        self.board.busy(worker_id, job.id)
        ok: bool | None = None
        try:
            report = self.runner.run(job, worker_id, cancel.is_set, self._shutting_down, deferred)
            ok = report.status is JobStatus.SUCCEEDED if report.status is not None else None
        except Exception as exc:
            log.exception("job %s crashed the runner", job.id)
            report = RunReport(job.id, None, f"internal error: {exc!r}")
            ok = False
            try:
                report = self.runner.fail_unexpectedly(job, worker_id, report.error or "")
            except Exception:  # the database is away: recovery will find the job
                log.exception("recording the failure of job %s failed", job.id)
        finally:
            with self._cond:
                self._cancels.pop(job.id, None)
                self._job_threads.pop(job.id, None)
        return report, ok

    def _refresh_cancels(self) -> None:
        """Cancels asked for by other processes reach running jobs with the heartbeat."""
        with self._cond:
            running = list(self._cancels)
        if not running:
            return
        with self.db.session() as session:
            flagged = session.scalars(
                select(Job.id).where(Job.id.in_(running), Job.cancel_requested.is_(True))
            ).all()
        with self._cond:
            for job_id in flagged:
                event = self._cancels.get(job_id)
                if event is not None:
                    event.set()


def _check_size(size: int) -> int:
    if not 1 <= size <= MAX_THREADS:
        raise ValidationError(f"the local pool needs 1 to {MAX_THREADS} threads, not {size}")
    return size
