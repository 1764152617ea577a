"""The ``rq`` backend: jobs go to Redis through RQ, named by their database id.

Sending is two-phase so that no job is lost and none is sent twice by two senders:
the job's row is first marked ``dispatched`` (an atomic update that only one sender
wins), then the RQ job is pushed; if Redis does not answer the mark is undone and the
job is *held*. The :class:`Dispatcher` (a background service) sends held jobs once Redis
answers again, re-sends jobs whose RQ copy vanished (a Redis restarted without its
data), and sends retries when their backoff has passed. A worker claims the job from
the database before running it, so a duplicate message only ever runs once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

import redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job as RqJob
from sqlalchemy import select, update

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs.claims import runnable
from levqor_desktop.core.jobs.contracts import Clock
from levqor_desktop.core.models.jobs import Job, JobStatus
from levqor_desktop.core.status import QueueStatus

log = logging.getLogger("levqor.queue.rq")

#: The function RQ workers run (by name: the enqueuing process need not import it).
TASK = "levqor_desktop.core.jobs.rq_worker.perform"
#: RQ's own limit for one job; step timeouts are enforced by the step runner first.
RQ_JOB_TIMEOUT_S = 24 * 3600
QUEUE_PREFIX = "levqor-"
#: A dispatched job whose RQ copy is missing this long after sending is sent again.
RESEND_AFTER_S = 10.0
#: status() pings Redis itself when no answer is fresher than this.
STATUS_FRESH_S = 2.0
#: Bulk updates in a session of their own: no loaded objects to bring up to date.
_NO_SYNC = {"synchronize_session": False}


def rq_queue_name(queue: str) -> str:
    return f"{QUEUE_PREFIX}{queue}"


def connect(url: str) -> redis.Redis:
    # Short timeouts: an enqueue must not hang when Redis is gone, it holds the job.
    return redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=5.0)


class RqQueue:
    """The ``rq`` JobQueue: sends jobs to Redis, holds them while Redis is away."""

    name = "rq"

    def __init__(self, db: Database, redis_url: str, *, clock: Clock) -> None:
        self.db = db
        self.redis_url = redis_url
        self.clock = clock
        self.connection = connect(redis_url)
        self._queues: dict[str, Queue] = {}
        self._lock = threading.Lock()
        self._redis_error: str | None = None
        self._held = 0
        self._checked = float("-inf")
        #: Set when a job is held, so the dispatcher retries without waiting a full tick.
        self.wakeup = threading.Event()

    # -- JobQueue -------------------------------------------------------------------------

    def submit(self, job_id: int) -> None:
        if not self.dispatch(job_id):
            self.wakeup.set()

    def wake(self) -> None:
        self.wakeup.set()

    def withdraw(self, job_id: int) -> None:
        """Cancel the RQ copy of a canceled or deleted job (Redis may be down: then the
        worker's database claim refuses it anyway)."""
        try:
            rq_job = RqJob.fetch(str(job_id), connection=self.connection)
            if not rq_job.is_canceled:
                rq_job.cancel()
        except (NoSuchJobError, InvalidJobOperation):
            return
        except RedisError as exc:
            self._note_error(exc)

    def status(self) -> QueueStatus:
        # Look at Redis when nobody did lately (a one-shot command, an idle window).
        if time.monotonic() - self._checked > STATUS_FRESH_S:
            self.ping()
        if self._redis_error is not None:
            held = f"; {self._held} job(s) held until it answers" if self._held else ""
            return QueueStatus("rq", "degraded", f"Redis unreachable: {self._redis_error}{held}")
        return QueueStatus("rq", "ok", f"Redis at {self.redis_url.rsplit('@', 1)[-1]}")

    @property
    def degraded(self) -> bool:
        return self._redis_error is not None

    # -- sending --------------------------------------------------------------------------

    def queue(self, name: str) -> Queue:
        with self._lock:
            q = self._queues.get(name)
            if q is None:
                q = self._queues[name] = Queue(rq_queue_name(name), connection=self.connection)
            return q

    def dispatch(self, job_id: int) -> bool:
        """Send one held, runnable job; True if it is now in Redis."""
        now = self.clock()
        with self.db.write_session() as session:
            queue = session.execute(
                update(Job)
                .where(
                    Job.id == job_id,
                    Job.backend == "rq",
                    Job.dispatched.is_(False),
                    runnable(now),
                )
                .values(dispatched=True)
                .returning(Job.queue),
                # The session is new and holds no jobs: synchronizing it would only
                # compile the WHERE into a Python evaluator on every dispatch (a tenth
                # of the ops API's time on PostgreSQL + Redis under load).
                execution_options=_NO_SYNC,
            ).scalar_one_or_none()
        if queue is None:
            return False
        try:
            self._send(job_id, queue)
        except RedisError as exc:
            self._note_error(exc)
            with self.db.session() as session:
                session.execute(
                    update(Job).where(Job.id == job_id).values(dispatched=False),
                    execution_options=_NO_SYNC,
                )
            return False
        self._redis_error = None
        return True

    def _send(self, job_id: int, queue: str) -> None:
        rq_id = str(job_id)
        # An earlier attempt's RQ job (finished, failed, abandoned) is replaced, so
        # RQ's registries hold each database job once.
        if self.connection.exists(RqJob.key_for(rq_id)):
            with contextlib.suppress(NoSuchJobError):
                RqJob.fetch(rq_id, connection=self.connection).delete()
        self.queue(queue).enqueue(
            TASK,
            job_id,
            job_id=rq_id,
            job_timeout=RQ_JOB_TIMEOUT_S,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=f"levqor job {job_id}",
        )

    def dispatch_held(self, limit: int = 500) -> int:
        """Send every held job that may run now; the number sent."""
        now = self.clock()
        stmt = (
            select(Job.id)
            .where(Job.backend == "rq", Job.dispatched.is_(False), runnable(now))
            .order_by(Job.priority.desc(), Job.id)
            .limit(limit)
        )
        with self.db.session() as session:
            held = list(session.scalars(stmt))
        sent = 0
        for job_id in held:
            if not self.dispatch(job_id):
                if self.degraded:
                    break
                continue
            sent += 1
        self._held = self.count_held()
        return sent

    def has_queued(self) -> bool:
        with self.db.session() as session:
            found = session.scalar(
                select(Job.id).where(Job.status == JobStatus.QUEUED, Job.backend == "rq").limit(1)
            )
        return found is not None

    def count_held(self) -> int:
        with self.db.session() as session:
            return len(
                session.scalars(
                    select(Job.id)
                    .where(
                        Job.backend == "rq",
                        Job.status == JobStatus.QUEUED,
                        Job.dispatched.is_(False),
                    )
                    .limit(10_000)
                ).all()
            )

    def resend_lost(self, limit: int = 500) -> int:
        """Jobs marked dispatched but missing from Redis (lost with a Redis restart)."""
        cutoff = self.clock().timestamp() - RESEND_AFTER_S
        stmt = (
            select(Job.id, Job.created_at, Job.not_before)
            .where(Job.backend == "rq", Job.status == JobStatus.QUEUED, Job.dispatched.is_(True))
            .order_by(Job.id)
            .limit(limit)
        )
        with self.db.session() as session:
            rows = session.execute(stmt).all()
        candidates = [r.id for r in rows if (r.not_before or r.created_at).timestamp() < cutoff]
        if not candidates:
            return 0
        pipe = self.connection.pipeline(transaction=False)
        for job_id in candidates:
            pipe.exists(RqJob.key_for(str(job_id)))
        present = pipe.execute()
        lost = [jid for jid, there in zip(candidates, present, strict=True) if not there]
        if lost:
            log.warning("%d job(s) missing from Redis are sent again: %s", len(lost), lost[:20])
            with self.db.session() as session:
                session.execute(
                    update(Job)
                    .where(Job.id.in_(lost), Job.status == JobStatus.QUEUED)
                    .values(dispatched=False)
                )
        return len(lost)

    def ping(self) -> bool:
        self._checked = time.monotonic()
        try:
            self.connection.ping()
        except RedisError as exc:
            self._note_error(exc)
            return False
        self._redis_error = None
        return True

    def _note_error(self, exc: BaseException) -> None:
        if self._redis_error is None:
            log.warning("Redis at %s does not answer: %s", self.redis_url, exc)
        self._redis_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__

    def close(self) -> None:
        self.connection.close()


class Dispatcher:
    """Background service: send held jobs, re-send lost ones, watch Redis."""

    name = "rq-dispatcher"

    def __init__(
        self, queue: RqQueue, *, wanted: Callable[[], bool], interval_s: float = 1.0
    ) -> None:
        self.queue = queue
        #: False while nothing uses the rq backend: then Redis is left alone.
        self.wanted = wanted
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_resend = 0.0

    def start(self) -> None:
        self._stop.clear()
        # One round now, so jobs requeued by recovery at start are in Redis before a
        # worker in this process looks for work (a --burst worker would otherwise quit).
        try:
            self.tick()
        except Exception:
            log.exception("dispatching held jobs failed")
        self._thread = threading.Thread(target=self._loop, name="levqor-rq-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.queue.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.queue.close()

    def tick(self) -> int:
        """One round; the number of jobs sent."""
        if not self.wanted() and not self.queue.has_queued():
            return 0
        if not self.queue.ping():
            self.queue._held = self.queue.count_held()
            return 0
        if time.monotonic() - self._last_resend > RESEND_AFTER_S / 2:
            self._last_resend = time.monotonic()
            self.queue.resend_lost()
        return self.queue.dispatch_held()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("dispatching held jobs failed")
            self.queue.wakeup.wait(self.interval_s)
            self.queue.wakeup.clear()
