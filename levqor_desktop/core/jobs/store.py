"""The execution side's database statements: claim, record steps, finish, retry later.

These run once or more per job on the hot path, so they are prepared text statements
in short Core transactions (no ORM). Claiming is atomic on both databases: PostgreSQL
locks the chosen row with ``FOR UPDATE SKIP LOCKED`` so concurrent workers pick
different jobs; SQLite runs the ``UPDATE ... RETURNING`` under the write lock taken by
``BEGIN IMMEDIATE``. Every write after the claim is guarded by ``worker_id``: a worker
that was presumed dead (and whose job was handed to another) cannot overwrite it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    BindParameter,
    Boolean,
    ColumnElement,
    Connection,
    TextualSelect,
    and_,
    bindparam,
    exists,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.types import TypeEngine

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs.writer import (
    driver_json,
    driver_sql,
    execute_direct,
    once_more,
    writing,
)
from levqor_desktop.core.models.base import UTCDateTime
from levqor_desktop.core.models.jobs import Job, JobStatus, QueueState, StepStatus
from levqor_desktop.core.usage.periods import utc_day
from levqor_desktop.core.usage.records import pg_job_run_meter


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
    metered: bool = False

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


# -- the hot path: prepared text statements on a Core connection ----------------------------
#
# Building an ORM statement costs more than running it on SQLite; these statements are
# built once, and their parameters are typed so timestamps and JSON are stored exactly
# as the ORM stores them.

_T = UTCDateTime()
T = TypeVar("T")
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


def _claim_sql(lock: str) -> TextualSelect:
    return (
        text(
            f"UPDATE jobs SET {_CLAIM_SET} WHERE id IN (SELECT id FROM jobs "
            f"WHERE backend = :backend AND {_RUNNABLE_SQL} "
            f"ORDER BY priority DESC, id LIMIT :n{lock}) RETURNING {_RETURNING_SQL}"
        )
        .bindparams(*_TYPES)
        .columns(**_RESULT_TYPES)
    )


_CLAIM_SQLITE = _claim_sql("")
_CLAIM_PG = _claim_sql(" FOR UPDATE SKIP LOCKED")
_CLAIM_ID_SQL = (
    f"UPDATE jobs SET {_CLAIM_SET} WHERE id = :id AND {_RUNNABLE_SQL} RETURNING {_RETURNING_SQL}"
)
_CLAIM_ID = text(_CLAIM_ID_SQL).bindparams(*_TYPES).columns(**_RESULT_TYPES)
_CLAIM_ID_PG = driver_sql(_CLAIM_ID_SQL)
#: PostgreSQL: claim and meter the attempt as one job run, in one statement.
_CLAIM_ID_METERED_PG = driver_sql(
    f"WITH claimed AS ({_CLAIM_ID_SQL}), {pg_job_run_meter('claimed')} SELECT * FROM claimed"
)
_DONE_STEPS = text(
    "SELECT step_id, output FROM job_steps WHERE job_id = :id AND status = 'succeeded'"
).columns(output=JSON())
_MINE = "id = :id AND status = 'running' AND worker_id = :worker"
_TOUCH = (
    text(f"UPDATE jobs SET heartbeat_at = :now WHERE {_MINE} RETURNING cancel_requested")
    .bindparams(bindparam("now", type_=_T))
    .columns(cancel_requested=Boolean())
)
_UPSERT_STEP = text(
    "INSERT INTO job_steps (job_id, step_id, step_index, status, attempts, started_at, "
    "finished_at, output, error) VALUES (:id, :step_id, :step_index, :step_status, "
    ":step_attempts, :started_at, :finished_at, :output, :step_error) "
    "ON CONFLICT (job_id, step_id) DO UPDATE SET "
    "step_index = excluded.step_index, status = excluded.status, attempts = excluded.attempts, "
    "started_at = excluded.started_at, finished_at = excluded.finished_at, "
    "output = excluded.output, error = excluded.error"
).bindparams(
    bindparam("started_at", type_=_T),
    bindparam("finished_at", type_=_T),
    bindparam("output", type_=JSON(none_as_null=True)),
)
_STEP_SET = (
    "step_index = excluded.step_index, status = excluded.status, attempts = excluded.attempts, "
    "started_at = excluded.started_at, finished_at = excluded.finished_at, "
    "output = excluded.output, error = excluded.error"
)
#: PostgreSQL: end the job and write its last step in one statement (a data-modifying CTE).
_FINISH_WITH_STEP_SQL = (
    "WITH f AS (UPDATE jobs SET status = :status, finished_at = :now, heartbeat_at = :now, "
    f"error = :error WHERE {_MINE} RETURNING id) "
    "INSERT INTO job_steps (job_id, step_id, step_index, status, attempts, started_at, "
    "finished_at, output, error) SELECT f.id, :step_id, :step_index, :step_status, "
    ":step_attempts, :started_at, :finished_at, :output, :step_error FROM f "
    f"ON CONFLICT (job_id, step_id) DO UPDATE SET {_STEP_SET} RETURNING job_id"
)
_FINISH_WITH_STEP_PG = driver_sql(_FINISH_WITH_STEP_SQL)
_FINISH_SQL = (
    f"UPDATE jobs SET status = :status, finished_at = :now, heartbeat_at = :now, error = :error "
    f"WHERE {_MINE}"
)
_FINISH = text(_FINISH_SQL).bindparams(bindparam("now", type_=_T))
_FINISH_PG = driver_sql(_FINISH_SQL)
_RETRY_LATER = text(
    "UPDATE jobs SET status = 'queued', not_before = :when, worker_id = NULL, dispatched = :no, "
    f"error = :error WHERE {_MINE}"
).bindparams(bindparam("when", type_=_T), bindparam("no", type_=Boolean()))
_RELEASE = text(
    "UPDATE jobs SET status = 'queued', worker_id = NULL, dispatched = :no, "
    f"attempts = attempts - 1 WHERE {_MINE}"
).bindparams(bindparam("no", type_=Boolean()))


def _claimed(row: Any) -> ClaimedJob | None:
    return ClaimedJob(*row) if row is not None else None


def claim_next(db: Database, worker_id: str, now: dt.datetime, backend: str) -> ClaimedJob | None:
    """Take the most urgent runnable job of ``backend``, or None."""
    found = claim_many(db, worker_id, now, backend, 1)
    return found[0] if found else None


def claim_many(
    db: Database, worker_id: str, now: dt.datetime, backend: str, limit: int
) -> list[ClaimedJob]:
    """Take up to ``limit`` of the most urgent runnable jobs at once (oldest first)."""
    stmt = _CLAIM_SQLITE if db.is_sqlite else _CLAIM_PG
    params = {"worker": worker_id, "now": now, "yes": True, "backend": backend, "n": limit}

    def claim() -> list[Any]:
        with writing(db, single=True) as conn:
            return list(conn.execute(stmt, params).all())

    rows = once_more(claim)
    return sorted((ClaimedJob(*row) for row in rows), key=lambda job: job.id)


def claim_by_id(
    db: Database, job_id: int, worker_id: str, now: dt.datetime, *, meter: bool = False
) -> ClaimedJob | None:
    """Take one named job if it is runnable now (the rq worker's claim).

    ``meter``: on PostgreSQL, also meter the attempt as one job run in the same
    statement (the job then comes back with ``metered`` set).
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
        job = ClaimedJob(*fields)
        return dataclasses.replace(job, metered=True) if meter else job

    def claim() -> Any:
        with writing(db, single=True) as conn:
            return conn.execute(_CLAIM_ID, params).first()

    return _claimed(once_more(claim))


def succeeded_steps(db: Database, job_id: int) -> dict[str, Any]:
    """Outputs of the steps this job already ran successfully (to resume after them)."""
    with db.engine.connect() as conn:
        return {row[0]: row[1] for row in conn.execute(_DONE_STEPS, {"id": job_id})}


@dataclass(frozen=True)
class StepResult:
    step_id: str
    index: int
    status: StepStatus
    attempts: int
    started_at: dt.datetime
    finished_at: dt.datetime
    output: Any
    error: str | None


def _step_params(step: StepResult) -> dict[str, Any]:
    return {
        "step_id": step.step_id,
        "step_index": step.index,
        "step_status": step.status.value,
        "step_attempts": step.attempts,
        "started_at": step.started_at,
        "finished_at": step.finished_at,
        "output": step.output,
        "step_error": step.error,
    }


def _upsert_step(conn: Connection, job_id: int, step: StepResult) -> None:
    conn.execute(_UPSERT_STEP, {"id": job_id, **_step_params(step)})


def record_step(db: Database, job_id: int, worker_id: str, step: StepResult) -> bool | None:
    """Write one finished step; return the job's cancel flag (None: the job is not ours)."""
    with writing(db) as conn:
        row = conn.execute(
            _TOUCH, {"id": job_id, "worker": worker_id, "now": step.finished_at}
        ).first()
        if row is None:
            return None
        _upsert_step(conn, job_id, step)
    return bool(row[0])


def finish(
    db: Database,
    job_id: int,
    worker_id: str,
    status: JobStatus,
    now: dt.datetime,
    *,
    error: str | None = None,
    step: StepResult | None = None,
) -> bool:
    """End the job (and write its last step in the same transaction); False if not ours."""
    params = {"id": job_id, "worker": worker_id, "status": status.value, "now": now, "error": error}
    if not db.is_sqlite:
        # One statement at the driver (the step, if any, written by the same statement).
        if step is None:
            return execute_direct(db, _FINISH_PG, params)[1] == 1
        both = {**params, **_step_params(step), "output": driver_json(step.output)}
        return execute_direct(db, _FINISH_WITH_STEP_PG, both)[0] is not None
    if step is None:

        def end() -> bool:
            with writing(db, single=True) as conn:
                return bool(conn.execute(_FINISH, params).rowcount == 1)

        return once_more(end)
    with writing(db) as conn:
        if conn.execute(_FINISH, params).rowcount != 1:
            return False
        _upsert_step(conn, job_id, step)
    return True


@dataclass(frozen=True)
class Finish:
    """A job's end, waiting to be written with others (see :func:`finish_many`)."""

    job_id: int
    status: JobStatus
    at: dt.datetime
    error: str | None
    step: StepResult | None


def finish_many(db: Database, worker_id: str, ends: list[Finish]) -> list[bool]:
    """Write several jobs' ends in one transaction (a batch of short jobs)."""
    done: list[bool] = []
    if not ends:
        return done
    with writing(db) as conn:
        for end in ends:
            params = {
                "id": end.job_id,
                "worker": worker_id,
                "status": end.status.value,
                "now": end.at,
                "error": end.error,
            }
            mine = conn.execute(_FINISH, params).rowcount == 1
            if mine and end.step is not None:
                _upsert_step(conn, end.job_id, end.step)
            done.append(mine)
    return done


def retry_later(
    db: Database,
    job_id: int,
    worker_id: str,
    when: dt.datetime,
    error: str,
    *,
    step: StepResult | None = None,
) -> bool:
    """Put the job back in the queue, not to start before ``when``."""
    params = {"id": job_id, "worker": worker_id, "when": when, "error": error, "no": False}
    with writing(db) as conn:
        if conn.execute(_RETRY_LATER, params).rowcount != 1:
            return False
        if step is not None:
            _upsert_step(conn, job_id, step)
    return True


def release(db: Database, job_id: int, worker_id: str) -> bool:
    """Give a claimed job back untouched (a worker stopping before it finished)."""
    with writing(db) as conn:
        done = conn.execute(_RELEASE, {"id": job_id, "worker": worker_id, "no": False})
    return bool(done.rowcount == 1)


def beat(db: Database, worker_ids: list[str], now: dt.datetime) -> None:
    """Refresh the heartbeat of every running job held by these workers."""
    if not worker_ids:
        return
    held = Job.status == JobStatus.RUNNING, Job.worker_id.in_(worker_ids)
    if db.is_sqlite:
        stmt = update(Job).where(*held)
    else:
        # Rows a worker is ending right now are locked by it: skip them rather than wait
        # (waiting on several rows in another order than the ender is a deadlock).
        free = select(Job.id).where(*held).with_for_update(skip_locked=True)
        stmt = update(Job).where(Job.id.in_(free))
    with writing(db) as conn:
        conn.execute(stmt.values(heartbeat_at=now))
