"""Where pulled metrics come from: queue depth, worker count, database status.

Each is a plain callable so the App wires whatever exists (``app.jobs.depth()`` once the
jobs service is there, a query over the ``jobs`` table meanwhile) and tests pass a
lambda. :func:`normalize_depth` accepts the shapes a depth source may reasonably return.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import MetaData, Table, func, inspect, select
from sqlalchemy.exc import DBAPIError, NoSuchTableError

from levqor_desktop.core.db import Database

log = logging.getLogger(__name__)

#: One row of queue depth: (queue, state, count).
DepthRow = tuple[str, str, int]
DepthSource = Callable[[], Any]
WorkerSource = Callable[[], int]

#: Job states that still count towards a queue's depth.
OPEN_STATES = ("queued", "running")
#: A worker whose heartbeat is older than this is not counted as alive.
WORKER_STALE_AFTER = dt.timedelta(seconds=60)


def normalize_depth(raw: Any, default_queue: str = "default") -> list[DepthRow]:
    """Turn what a depth source returned into ``(queue, state, count)`` rows.

    Accepted: ``{state: n}``, ``{queue: {state: n}}``, ``{(queue, state): n}``, an
    iterable of ``(queue, state, n)`` tuples, or of objects with ``queue``, ``state`` and
    ``count`` attributes.
    """
    rows: list[DepthRow] = []
    if raw is None:
        return rows
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            if isinstance(key, tuple) and len(key) == 2:
                rows.append((str(key[0]), str(key[1]), int(value)))
            elif isinstance(value, Mapping):
                rows.extend((str(key), str(state), int(n)) for state, n in value.items())
            else:
                rows.append((default_queue, str(key), int(value)))
        return rows
    if isinstance(raw, Iterable):
        for item in raw:
            if isinstance(item, tuple) and len(item) == 3:
                rows.append((str(item[0]), str(item[1]), int(item[2])))
            else:
                rows.append((str(item.queue), str(item.state), int(item.count)))
        return rows
    raise TypeError(f"cannot read queue depth from {type(raw).__name__}")


def _table(db: Database, name: str) -> Table | None:
    """The table as it is in the database, or None when it does not exist (yet)."""
    try:
        if not inspect(db.engine).has_table(name):
            return None
        return Table(name, MetaData(), autoload_with=db.engine)
    except (DBAPIError, NoSuchTableError):
        return None


class DatabaseDepthSource:
    """Queue depth by counting open rows of the ``jobs`` table, grouped by queue and status."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._table: Table | None = None

    def __call__(self) -> list[DepthRow]:
        if self._table is None:
            self._table = _table(self._db, "jobs")
            if self._table is None:
                return []
        jobs = self._table
        if "status" not in jobs.c:
            return []
        queue_col = jobs.c.get("queue")
        cols = [queue_col, jobs.c.status] if queue_col is not None else [jobs.c.status]
        query = select(*cols, func.count()).where(jobs.c.status.in_(OPEN_STATES)).group_by(*cols)
        with self._db.engine.connect() as conn:
            result = conn.execute(query).all()
        if queue_col is None:
            return [("default", str(row[0]), int(row[1])) for row in result]
        return [(str(row[0]), str(row[1]), int(row[2])) for row in result]


class DatabaseWorkerSource:
    """Live workers: ``job_workers`` rows not stopped, with a recent heartbeat."""

    def __init__(
        self, db: Database, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    ) -> None:
        self._db = db
        self._clock = clock
        self._exists = False

    def __call__(self) -> int:
        from levqor_desktop.core.models.jobs import JobWorker

        if not self._exists:
            if _table(self._db, JobWorker.__tablename__) is None:
                return 0
            self._exists = True
        fresh = self._clock() - WORKER_STALE_AFTER
        query = (
            select(func.count())
            .select_from(JobWorker)
            .where(JobWorker.state != "stopped", JobWorker.heartbeat_at >= fresh)
        )
        with self._db.session() as session:
            return int(session.scalar(query) or 0)
