"""Retention: finished jobs older than the retention period are pruned in the background.

Deletes go in batches (short write transactions, so workers are never blocked long).
On SQLite a large prune is followed by a WAL checkpoint, and by VACUUM when much of the
file is free pages, so the file does not grow without bound. The audit trail is kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs.contracts import Clock
from levqor_desktop.core.models.jobs import FINISHED, Job, ScheduleRun
from levqor_desktop.core.periodic import PeriodicService

log = logging.getLogger("levqor.queue.retention")

DEFAULT_RETENTION_DAYS = 30.0
BATCH = 1000
#: After deleting this many jobs, SQLite's WAL is checkpointed (and maybe vacuumed).
COMPACT_AFTER = 5000
#: VACUUM when free pages are more than this share of the file.
VACUUM_FREE_SHARE = 0.25


@dataclass(frozen=True)
class Pruned:
    jobs: int
    compacted: bool
    size_before: int | None
    size_after: int | None
    #: Rows the other sweeps removed (expired usage reservations, ...).
    swept: int = 0


def database_size(db: Database) -> int | None:
    """Bytes the database takes (SQLite: file + WAL; PostgreSQL: pg_database_size)."""
    if db.is_sqlite:
        path = db.url.database
        if not path or path == ":memory:":
            return None
        return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
    with db.engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    return int(size) if size is not None else None


class Retention(PeriodicService):
    """Background service (at start, then hourly) and the ``prune`` it runs."""

    name = "job-retention"
    thread_name = "levqor-retention"
    #: A prune in progress finishes its batch (short transactions) within this.
    stop_timeout_s = 30.0
    logger = log
    failure_message = "pruning finished jobs failed"

    def __init__(
        self, db: Database, clock: Clock, *, days: float = DEFAULT_RETENTION_DAYS,
        interval_s: float = 3600.0, paused: Callable[[], bool] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(interval_s)
        #: True during maintenance: nothing is pruned (a migration copies a still database).
        self.paused = paused
        #: Other domains' clean-ups run with each prune (the composition root adds them),
        #: each returning how many rows it removed.
        self.sweeps: list[Callable[[], int]] = []
        self.db = db
        self.clock = clock
        self.days = days

    def prune(self, *, compact_after: int = COMPACT_AFTER) -> Pruned:
        cutoff = self.clock() - dt.timedelta(days=self.days)
        before = database_size(self.db)
        total = 0
        while True:
            with self.db.write_session() as session:
                ids = session.scalars(
                    select(Job.id)
                    .where(Job.status.in_(FINISHED), Job.finished_at < cutoff)
                    .limit(BATCH)
                ).all()
                if ids:
                    session.execute(delete(Job).where(Job.id.in_(ids)))
            total += len(ids)
            if len(ids) < BATCH:
                break
        self._prune_schedule_runs(cutoff)
        swept = sum(sweep() for sweep in self.sweeps)
        compacted = bool(self.db.is_sqlite and total >= compact_after and self._compact())
        if total:
            log.info("pruned %d finished jobs older than %g days", total, self.days)
        if swept:
            log.info("removed %d expired rows", swept)
        return Pruned(total, compacted, before, database_size(self.db), swept)

    def _prune_schedule_runs(self, cutoff: dt.datetime) -> None:
        newest = select(func.max(ScheduleRun.id)).group_by(ScheduleRun.workflow_id)
        with self.db.write_session() as session:
            session.execute(
                delete(ScheduleRun).where(
                    ScheduleRun.due_at < cutoff, ScheduleRun.id.not_in(newest)
                )
            )

    def _compact(self) -> bool:
        # Outside any transaction (VACUUM refuses to run in one): the raw driver
        # connection, which Database opens in autocommit mode.
        raw = self.db.engine.raw_connection()
        try:
            conn = raw.driver_connection
            assert conn is not None
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = conn.execute("PRAGMA page_count").fetchone()[0] or 0
            free = conn.execute("PRAGMA freelist_count").fetchone()[0] or 0
            if pages and free / pages > VACUUM_FREE_SHARE:
                conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        return True

    def tick(self) -> Pruned | None:
        if self.paused is not None and self.paused():
            return None
        return self.prune()
