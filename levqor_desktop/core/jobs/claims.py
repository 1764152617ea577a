"""Claiming jobs: the statements that make a queued job a worker's, and give it back.

Claiming is atomic on both databases: PostgreSQL locks the chosen rows with ``FOR UPDATE
SKIP LOCKED`` so concurrent workers pick different jobs; SQLite runs the ``UPDATE ...
RETURNING`` under the write lock taken by ``BEGIN IMMEDIATE``. A claim can meter the
attempts it takes as job runs in its own transaction, so a claim forgotten by a crash is
never metered and a rerun is metered once. What happens after the claim (steps, ends,
retries) is in :mod:`store`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BindParameter,
    Boolean,
    ColumnElement,
    TextualSelect,
    and_,
    bindparam,
    exists,
    or_,
    text,
)
from sqlalchemy.types import TypeEngine

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs.writer import driver_sql, execute_direct, once_more, writing
from levqor_desktop.core.models.base import UTCDateTime
from levqor_desktop.core.models.jobs import Job, JobStatus, QueueState
from levqor_desktop.core.usage.periods import utc_day
from levqor_desktop.core.usage.records import insert_events, job_run_events, pg_job_run_meter


@dataclass(frozen=True)
class ClaimedJob:
    """What a worker needs to run a job it now owns."""

    id: int
    org_id: int
    user_id: int | None
    workflow_id: int | None
    workflow_version: int | None
    workflow_name: str
    document: dict[str, Any] | None
    inputs: dict[str, Any]
    attempts: int
    max_attempts: int
    queue: str
    created_at: dt.datetime
    claimed_at: dt.datetime
    parent_job_id: int | None = None
    #: This attempt was metered as a job run with its claim.
    metered: bool = dataclasses.field(default=False, kw_only=True)

    @property
    def fresh(self) -> bool:
        """A first attempt of a new job: no step of it can have been recorded yet.

        (Requeues and crash recovery keep the attempt count; a retry from the failed step
        is a new job with a parent.)
        """
        return self.attempts == 1 and self.parent_job_id is None


def runnable(now: dt.datetime) -> ColumnElement[bool]:
    """Queued, due, and in a queue nobody paused."""
    paused = exists().where(QueueState.name == Job.queue, QueueState.paused.is_(True))
    return and_(
        Job.status == JobStatus.QUEUED,
        or_(Job.not_before.is_(None), Job.not_before <= now),
        ~paused,
    )


# Prepared text statements (building an ORM statement costs more than running it on
# SQLite); their parameters are typed so timestamps and JSON are read as the ORM reads them.

_T = UTCDateTime()
_RUNNABLE_SQL = (
    "status = 'queued' AND (not_before IS NULL OR not_before <= :now) "
    "AND NOT EXISTS (SELECT 1 FROM queue_state q WHERE q.name = jobs.queue AND q.paused = :yes)"
)
_CLAIM_SET = (
    "status = 'running', worker_id = :worker, claimed_at = :now, heartbeat_at = :now, "
    "started_at = :now, finished_at = NULL, attempts = attempts + 1"
)
_RETURNING_SQL = (
    "id, org_id, user_id, workflow_id, workflow_version, workflow_name, document, inputs, "
    "attempts, max_attempts, queue, created_at, claimed_at, parent_job_id"
)
_TYPES: list[BindParameter[Any]] = [
    bindparam("now", type_=_T),
    bindparam("yes", type_=Boolean()),
]
_RESULT_TYPES: dict[str, TypeEngine[Any]] = {
    "document": JSON(),
    "inputs": JSON(),
    "created_at": _T,
    "claimed_at": _T,
}


def _claim_sql(lock: str, *, metered: bool = False) -> TextualSelect:
    sql = (
        f"UPDATE jobs SET {_CLAIM_SET} WHERE id IN (SELECT id FROM jobs "
        f"WHERE backend = :backend AND {_RUNNABLE_SQL} "
        f"ORDER BY priority DESC, id LIMIT :n{lock}) RETURNING {_RETURNING_SQL}"
    )
    if metered:  # PostgreSQL: the claim and the meter of its attempts in one statement
        sql = f"WITH claimed AS ({sql}), {pg_job_run_meter('claimed')} SELECT * FROM claimed"
    return text(sql).bindparams(*_TYPES).columns(**_RESULT_TYPES)


_CLAIM_SQLITE = _claim_sql("")
_CLAIM_PG = _claim_sql(" FOR UPDATE SKIP LOCKED")
_CLAIM_METERED_PG = _claim_sql(" FOR UPDATE SKIP LOCKED", metered=True)
_CLAIM_ID_SQL = (
    f"UPDATE jobs SET {_CLAIM_SET} WHERE id = :id AND {_RUNNABLE_SQL} RETURNING {_RETURNING_SQL}"
)
_CLAIM_ID = text(_CLAIM_ID_SQL).bindparams(*_TYPES).columns(**_RESULT_TYPES)
_CLAIM_ID_PG = driver_sql(_CLAIM_ID_SQL)
#: PostgreSQL: claim and meter the attempt as one job run, in one statement.
_CLAIM_ID_METERED_PG = driver_sql(
    f"WITH claimed AS ({_CLAIM_ID_SQL}), {pg_job_run_meter('claimed')} SELECT * FROM claimed"
)
#: The guard of every write after a claim: the job is still running and still this worker's.
MINE = "id = :id AND status = 'running' AND worker_id = :worker"
#: Running jobs, with the status written into the SQL: the partial index of running jobs
#: (``ix_jobs_running_heartbeat``) serves a query only where the planner can see that.
IS_RUNNING = text("jobs.status = 'running'")
_RELEASE = text(
    "UPDATE jobs SET status = 'queued', worker_id = NULL, dispatched = :no, "
    f"attempts = attempts - 1 WHERE {MINE}"
).bindparams(bindparam("no", type_=Boolean()))


def claim_next(db: Database, worker_id: str, now: dt.datetime, backend: str) -> ClaimedJob | None:
    """Take the most urgent runnable job of ``backend``, or None."""
    found = claim_many(db, worker_id, now, backend, 1)
    return found[0] if found else None


def claim_many(
    db: Database,
    worker_id: str,
    now: dt.datetime,
    backend: str,
    limit: int,
    *,
    meter: bool = False,
) -> list[ClaimedJob]:
    """Take up to ``limit`` of the most urgent runnable jobs at once (oldest first).

    ``meter``: also meter each attempt as one job run, in the claim's transaction (the
    jobs then come back with ``metered`` set), as :func:`claim_by_id` does.
    """
    params = {"worker": worker_id, "now": now, "yes": True, "backend": backend, "n": limit}
    if db.is_sqlite:

        def claim() -> list[Any]:
            with writing(db, single=True) as conn:
                rows = list(conn.execute(_CLAIM_SQLITE, params).all())
                if meter and rows:
                    runs = ((r.id, r.org_id, r.user_id, r.workflow_name, r.attempts) for r in rows)
                    insert_events(conn, db.backend, job_run_events(runs, now))
                return rows

    else:
        stmt = _CLAIM_METERED_PG if meter else _CLAIM_PG
        if meter:
            params["day"] = utc_day(now)

        def claim() -> list[Any]:
            with writing(db, single=True) as conn:  # one statement: claim and meter together
                return list(conn.execute(stmt, params).all())

    jobs = (ClaimedJob(*row, metered=meter) for row in once_more(claim))
    return sorted(jobs, key=lambda job: job.id)


def claim_by_id(
    db: Database, job_id: int, worker_id: str, now: dt.datetime, *, meter: bool = False
) -> ClaimedJob | None:
    """Take one named job if it is runnable now (the rq worker's claim).

    ``meter``: also meter the attempt as one job run, in the same statement on
    PostgreSQL and the same transaction on SQLite (the job then comes back with
    ``metered`` set).
    """
    params: dict[str, Any] = {"worker": worker_id, "now": now, "yes": True, "id": job_id}
    if not db.is_sqlite:
        if meter:
            params["day"] = utc_day(now)
        row, _ = execute_direct(db, _CLAIM_ID_METERED_PG if meter else _CLAIM_ID_PG, params)
        if row is None:
            return None
        fields: list[Any] = list(row)
        for at in (11, 12):  # created_at, claimed_at: in UTC, as the ORM returns them
            fields[at] = fields[at].astimezone(dt.UTC)
        return ClaimedJob(*fields, metered=meter)

    def claim() -> Any:
        with writing(db, single=True) as conn:
            row = conn.execute(_CLAIM_ID, params).first()
            if meter and row is not None:
                run = (row.id, row.org_id, row.user_id, row.workflow_name, row.attempts)
                insert_events(conn, db.backend, job_run_events([run], now))
            return row

    row = once_more(claim)
    return None if row is None else ClaimedJob(*row, metered=meter)


def release(db: Database, job_id: int, worker_id: str) -> bool:
    """Give a claimed job back untouched (a worker stopping before it finished)."""
    with writing(db) as conn:
        done = conn.execute(_RELEASE, {"id": job_id, "worker": worker_id, "no": False})
    return bool(done.rowcount == 1)
