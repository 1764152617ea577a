"""The execution side's database statements after the claim: steps, ends, retries, beats.

These run once or more per job on the hot path, so they are prepared text statements
in short Core transactions (no ORM). Every write is guarded by ``worker_id``: a worker
that was presumed dead (and whose job was handed to another) cannot overwrite it.
Claiming a job (and giving it back) is in :mod:`claims`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, bindparam, select, text, update

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs.claims import IS_RUNNING, MINE
from levqor_desktop.core.jobs.writer import (
    driver_json,
    driver_sql,
    execute_direct,
    once_more,
    writing,
)
from levqor_desktop.core.models.base import UTCDateTime
from levqor_desktop.core.models.jobs import Job, JobStatus, StepStatus

# -- the hot path: prepared text statements on a Core connection ----------------------------
#
# Building an ORM statement costs more than running it on SQLite; these statements are
# built once, and their parameters are typed so timestamps and JSON are stored exactly
# as the ORM stores them.

_T = UTCDateTime()
_DONE_STEPS = text(
    "SELECT step_id, status, output FROM job_steps WHERE job_id = :id "
    "AND status IN ('succeeded', 'skipped')"
).columns(output=JSON())
_TOUCH = (
    text(f"UPDATE jobs SET heartbeat_at = :now WHERE {MINE} RETURNING cancel_requested")
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
    f"error = :error WHERE {MINE} RETURNING id) "
    "INSERT INTO job_steps (job_id, step_id, step_index, status, attempts, started_at, "
    "finished_at, output, error) SELECT f.id, :step_id, :step_index, :step_status, "
    ":step_attempts, :started_at, :finished_at, :output, :step_error FROM f "
    f"ON CONFLICT (job_id, step_id) DO UPDATE SET {_STEP_SET} RETURNING job_id"
)
_FINISH_WITH_STEP_PG = driver_sql(_FINISH_WITH_STEP_SQL)
_FINISH_SQL = (
    f"UPDATE jobs SET status = :status, finished_at = :now, heartbeat_at = :now, error = :error "
    f"WHERE {MINE}"
)
_FINISH = text(_FINISH_SQL).bindparams(bindparam("now", type_=_T))
_FINISH_PG = driver_sql(_FINISH_SQL)
_STILL_MINE_SQL = (
    "SELECT id FROM jobs WHERE id IN :ids AND status = 'running' AND worker_id = :worker"
)
_STILL_MINE_SQLITE = text(_STILL_MINE_SQL).bindparams(bindparam("ids", expanding=True))
_STILL_MINE_PG = text(f"{_STILL_MINE_SQL} ORDER BY id FOR UPDATE").bindparams(
    bindparam("ids", expanding=True)
)
_RETRY_LATER = text(
    "UPDATE jobs SET status = 'queued', not_before = :when, worker_id = NULL, dispatched = :no, "
    f"error = :error WHERE {MINE}"
).bindparams(bindparam("when", type_=_T), bindparam("no", type_=Boolean()))


def finished_steps(db: Database, job_id: int) -> dict[str, Any]:
    """The steps this job already ended well (to resume after them): the output of each
    that succeeded, None for each that was skipped (a skip is not decided again)."""
    with db.engine.connect() as conn:
        rows = conn.execute(_DONE_STEPS, {"id": job_id})
        return {sid: (output if status == "succeeded" else None) for sid, status, output in rows}


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
    """Write several jobs' ends in one transaction (a batch of short jobs).

    Which jobs are still this worker's is read first, with the rows locked (SQLite's
    BEGIN IMMEDIATE already holds the write lock), so the ends and their last steps go
    out as one executemany each instead of two statements per job.
    """
    if not ends:
        return []
    ids = [end.job_id for end in ends]
    lock = _STILL_MINE_SQLITE if db.is_sqlite else _STILL_MINE_PG
    with writing(db) as conn:
        mine = set(conn.execute(lock, {"ids": ids, "worker": worker_id}).scalars())
        ours = [end for end in ends if end.job_id in mine]
        if ours:
            conn.execute(
                _FINISH,
                [
                    {
                        "id": end.job_id,
                        "worker": worker_id,
                        "status": end.status.value,
                        "now": end.at,
                        "error": end.error,
                    }
                    for end in ours
                ],
            )
        steps = [{"id": e.job_id, **_step_params(e.step)} for e in ours if e.step is not None]
        if steps:
            conn.execute(_UPSERT_STEP, steps)
    return [job_id in mine for job_id in ids]


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


def beat(db: Database, worker_ids: list[str], now: dt.datetime) -> None:
    """Refresh the heartbeat of every running job held by these workers."""
    if not worker_ids:
        return
    held = IS_RUNNING, Job.worker_id.in_(worker_ids)
    if db.is_sqlite:
        stmt = update(Job).where(*held)
    else:
        # Rows a worker is ending right now are locked by it: skip them rather than wait
        # (waiting on several rows in another order than the ender is a deadlock).
        free = select(Job.id).where(*held).with_for_update(skip_locked=True)
        stmt = update(Job).where(Job.id.in_(free))
    with writing(db) as conn:
        conn.execute(stmt.values(heartbeat_at=now))
