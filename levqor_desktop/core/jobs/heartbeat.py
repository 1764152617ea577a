"""Workers' heartbeats: one ``job_workers`` row per local thread or RQ worker.

State and counters change on every job, so they are kept in memory and written with
the heartbeat (every few seconds) together with the ``heartbeat_at`` of the jobs the
workers hold: two statements per beat, however many jobs ran in between.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs import store
from levqor_desktop.core.jobs.contracts import Clock
from levqor_desktop.core.models.jobs import JobWorker
from levqor_desktop.core.periodic import PeriodicService

log = logging.getLogger("levqor.queue.heartbeat")

#: How often a worker's row and its job's heartbeat are refreshed.
HEARTBEAT_S = 2.0


def this_host() -> str:
    return socket.gethostname()[:100]


@dataclass
class _Entry:
    state: str = "idle"
    current_job_id: int | None = None
    processed: int = 0
    failed: int = 0


class WorkerBoard:
    """The workers of one process of one kind, and their heartbeat writes."""

    def __init__(self, db: Database, clock: Clock, kind: str) -> None:
        self.db = db
        self.clock = clock
        self.kind = kind
        self.host = this_host()
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._started = clock()

    def make_id(self, suffix: str) -> str:
        return f"{self.kind}-{self.host}-{self.pid}-{suffix}"

    def register(self, worker_id: str) -> None:
        with self._lock:
            self._entries[worker_id] = _Entry()
        self.flush()

    def busy(self, worker_id: str, job_id: int) -> None:
        with self._lock:
            entry = self._entries[worker_id]
            entry.state, entry.current_job_id = "busy", job_id

    def idle(self, worker_id: str, *, ok: bool | None) -> None:
        with self._lock:
            entry = self._entries[worker_id]
            entry.state, entry.current_job_id = "idle", None
            if ok is True:
                entry.processed += 1
            elif ok is False:
                entry.failed += 1

    def unregister(self, worker_id: str) -> None:
        with self._lock:
            entry = self._entries.pop(worker_id, None)
        if entry is None:
            return
        with self.db.session() as session:
            session.execute(
                update(JobWorker)
                .where(JobWorker.id == worker_id)
                .values(
                    state="stopped",
                    current_job_id=None,
                    heartbeat_at=self.clock(),
                    processed=entry.processed,
                    failed=entry.failed,
                )
            )

    def worker_ids(self) -> list[str]:
        with self._lock:
            return list(self._entries)

    def flush(self) -> None:
        """Write every worker's row and refresh the heartbeat of the jobs they hold."""
        now = self.clock()
        with self._lock:
            rows = [
                {
                    "id": wid,
                    "kind": self.kind,
                    "host": self.host,
                    "pid": self.pid,
                    "state": e.state,
                    "current_job_id": e.current_job_id,
                    "started_at": self._started,
                    "heartbeat_at": now,
                    "processed": e.processed,
                    "failed": e.failed,
                }
                for wid, e in self._entries.items()
            ]
        if not rows:
            return
        changing = ("state", "current_job_id", "heartbeat_at", "processed", "failed")
        with self.db.session() as session:
            if self.db.is_sqlite:
                ins = sqlite.insert(JobWorker).values(rows)
                session.execute(
                    ins.on_conflict_do_update(
                        index_elements=["id"], set_={c: ins.excluded[c] for c in changing}
                    )
                )
            else:
                pg = postgresql.insert(JobWorker).values(rows)
                session.execute(
                    pg.on_conflict_do_update(
                        index_elements=["id"], set_={c: pg.excluded[c] for c in changing}
                    )
                )
        store.beat(self.db, [str(r["id"]) for r in rows if r["state"] == "busy"], now)


def forget_workers(db: Database, worker_ids: list[str]) -> None:
    """Remove the rows of workers known to be gone."""
    if worker_ids:
        with db.session() as session:
            session.execute(delete(JobWorker).where(JobWorker.id.in_(worker_ids)))


class Heartbeat(PeriodicService):
    """Flushes a board every ``interval`` seconds (and runs ``also``), starting one
    interval after :meth:`start`: registering already wrote the workers' rows."""

    name = "heartbeat"
    first_pass_at_start = False
    logger = log

    def __init__(
        self,
        board: WorkerBoard,
        *,
        interval: float = HEARTBEAT_S,
        also: Callable[[], None] | None = None,
        paused: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(interval)
        self.board = board
        self.also = also
        #: True while maintenance mode is on: the beat writes nothing (a migration
        #: compares the database before and after; heartbeats would look like changes).
        self.paused = paused
        self.thread_name = f"levqor-{board.kind}-heartbeat"
        self.failure_message = f"heartbeat of {board.kind} workers failed"

    def tick(self) -> None:
        if self.paused is not None and self.paused():
            return
        self.board.flush()
        if self.also is not None:
            self.also()
