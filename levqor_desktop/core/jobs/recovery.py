"""Crash recovery: a running job whose worker died is requeued or failed, never stuck.

A worker is presumed dead when its job's heartbeat is older than ``stale_after_s``, or
at once when the worker ran on this host and its process no longer exists (a restart
after a crash needs no waiting). A recovered job goes back to the queue if it has
attempts left (it resumes after its recorded steps) and is failed as "abandoned"
otherwise. Runs at start and then periodically, in every process with background
services; the updates are guarded so two recoverers never act on the same job twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import Select, or_, select, update

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs.claims import IS_RUNNING
from levqor_desktop.core.jobs.contracts import Clock
from levqor_desktop.core.jobs.heartbeat import forget_workers, this_host
from levqor_desktop.core.models.jobs import Job, JobStatus, JobWorker
from levqor_desktop.core.periodic import PeriodicService

log = logging.getLogger("levqor.queue.recovery")

#: A running job whose heartbeat is this old has lost its worker.
STALE_AFTER_S = 30.0
#: Workers' rows that have not beaten for this long are removed from the list.
FORGET_WORKERS_AFTER = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Recovered:
    requeued: list[int]
    failed: list[int]

    @property
    def count(self) -> int:
        return len(self.requeued) + len(self.failed)


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return True  # cannot tell (e.g. Windows without rights): rely on the heartbeat
    return True


def dead_local_workers(db: Database) -> set[str]:
    """Workers registered from this host whose process has gone."""
    host = this_host()
    with db.session() as session:
        rows = session.execute(
            select(JobWorker.id, JobWorker.pid).where(
                JobWorker.host == host, JobWorker.state != "stopped"
            )
        ).all()
    return {wid for wid, pid in rows if not pid_alive(pid)}


def abandoned(cutoff: dt.datetime, dead: Collection[str]) -> Select[int, str | None, int, int]:
    """Running jobs whose heartbeat is older than ``cutoff`` or whose worker is dead.

    The status is written into the SQL (not bound) so the query reads the partial index
    of running jobs on PostgreSQL's generic plans too.
    """
    lost_worker = or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < cutoff)
    if dead:
        lost_worker = or_(lost_worker, Job.worker_id.in_(sorted(dead)))
    return select(Job.id, Job.worker_id, Job.attempts, Job.max_attempts).where(
        IS_RUNNING, lost_worker
    )


def recover(db: Database, now: dt.datetime, *, stale_after_s: float = STALE_AFTER_S) -> Recovered:
    dead = dead_local_workers(db)
    cutoff = now - dt.timedelta(seconds=stale_after_s)
    with db.session() as session:
        rows = session.execute(abandoned(cutoff, dead)).all()
    requeued: list[int] = []
    failed: list[int] = []
    for job_id, worker_id, attempts, max_attempts in rows:
        note = f"abandoned: worker {worker_id} stopped responding during attempt {attempts}"
        guard = (Job.id == job_id, Job.status == JobStatus.RUNNING, Job.worker_id == worker_id)
        if attempts < max_attempts:
            values: dict[str, object] = {
                "status": JobStatus.QUEUED,
                "worker_id": None,
                "not_before": None,
                "dispatched": False,
                "error": note + "; requeued",
            }
        else:
            values = {
                "status": JobStatus.FAILED,
                "finished_at": now,
                "error": note + "; no attempts left",
            }
        with db.write_session() as session:
            done = session.execute(update(Job).where(*guard).values(values)).rowcount  # type: ignore[attr-defined]
        if done == 1:
            (requeued if attempts < max_attempts else failed).append(job_id)
    if dead:
        forget_workers(db, sorted(dead))
    _forget_silent(db, now)
    if requeued or failed:
        log.warning("recovered abandoned jobs: requeued %s, failed %s", requeued, failed)
    return Recovered(requeued, failed)


def _forget_silent(db: Database, now: dt.datetime) -> None:
    with db.session() as session:
        ids = session.scalars(
            select(JobWorker.id).where(JobWorker.heartbeat_at < now - FORGET_WORKERS_AFTER)
        ).all()
    forget_workers(db, list(ids))


class RecoveryService(PeriodicService):
    """Background service: recover at start (in :meth:`start`, before the workers it is
    started ahead of), then every ``interval_s``."""

    name = "job-recovery"
    thread_name = "levqor-recovery"
    first_pass_at_start = False
    logger = log
    failure_message = "crash recovery failed"

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        interval_s: float = 15.0,
        stale_after_s: float = STALE_AFTER_S,
        on_requeued: Callable[[list[int]], None] | None = None,
        paused: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(interval_s)
        self.db = db
        self.clock = clock
        self.stale_after_s = stale_after_s
        self.on_requeued = on_requeued
        #: True during maintenance: no recovery then, nor until heartbeats had
        #: ``stale_after_s`` to resume (they pause too), so no live worker looks dead.
        self.paused = paused
        self._quiet_until = 0.0

    def run_once(self) -> Recovered:
        found = recover(self.db, self.clock(), stale_after_s=self.stale_after_s)
        if found.requeued and self.on_requeued is not None:
            self.on_requeued(found.requeued)
        return found

    def start(self) -> None:
        try:
            self.run_once()
        except Exception:
            log.exception("crash recovery at start failed")
        super().start()

    def tick(self) -> Recovered | None:
        if self.paused is not None and self.paused():
            self._quiet_until = time.monotonic() + self.stale_after_s
            return None
        if time.monotonic() < self._quiet_until:
            return None
        return self.run_once()
