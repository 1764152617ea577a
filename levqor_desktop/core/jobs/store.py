"""The execution side's database statements: claim, record steps, finish, retry later.

These run once or more per job on the hot path, so they are single Core statements in
short transactions (no ORM loading). Claiming is atomic on both databases: PostgreSQL
locks the chosen row with ``FOR UPDATE SKIP LOCKED`` so concurrent workers pick
different jobs; SQLite runs the ``UPDATE ... RETURNING`` under the write lock taken by
``BEGIN IMMEDIATE``. Every write after the claim is guarded by ``worker_id``: a worker
that was presumed dead (and whose job was handed to another) cannot overwrite it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from levqor_desktop.core.db import Database
from levqor_desktop.core.models.jobs import Job, JobStatus, JobStep, QueueState, StepStatus


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


_RETURNING = (
    Job.id,
    Job.org_id,
    Job.user_id,
    Job.workflow_id,
    Job.workflow_version,
    Job.workflow_name,
    Job.document,
    Job.inputs,
    Job.attempts,
    Job.max_attempts,
    Job.queue,
    Job.created_at,
    Job.claimed_at,
)


def runnable(now: dt.datetime) -> ColumnElement[bool]:
    """Queued, due, and in a queue nobody paused."""
    paused = exists().where(QueueState.name == Job.queue, QueueState.paused.is_(True))
    return and_(
        Job.status == JobStatus.QUEUED,
        or_(Job.not_before.is_(None), Job.not_before <= now),
        ~paused,
    )


def _claim_values(worker_id: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "status": JobStatus.RUNNING,
        "worker_id": worker_id,
        "claimed_at": now,
        "heartbeat_at": now,
        "started_at": now,
        "finished_at": None,
        "attempts": Job.attempts + 1,
    }


def claim_next(db: Database, worker_id: str, now: dt.datetime, backend: str) -> ClaimedJob | None:
    """Take the most urgent runnable job of ``backend``, or None."""
    pick = (
        select(Job.id)
        .where(Job.backend == backend, runnable(now))
        .order_by(Job.priority.desc(), Job.id)
        .limit(1)
    )
    if not db.is_sqlite:
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(Job)
        .where(Job.id == pick.scalar_subquery())
        .values(_claim_values(worker_id, now))
        .returning(*_RETURNING)
    )
    with db.write_session() as session:
        row = session.execute(stmt).first()
    return ClaimedJob(*row) if row is not None else None


def claim_by_id(db: Database, job_id: int, worker_id: str, now: dt.datetime) -> ClaimedJob | None:
    """Take one named job if it is runnable now (the rq worker's claim)."""
    stmt = (
        update(Job)
        .where(Job.id == job_id, runnable(now))
        .values(_claim_values(worker_id, now))
        .returning(*_RETURNING)
    )
    with db.write_session() as session:
        row = session.execute(stmt).first()
    return ClaimedJob(*row) if row is not None else None


def succeeded_steps(db: Database, job_id: int) -> dict[str, Any]:
    """Outputs of the steps this job already ran successfully (to resume after them)."""
    stmt = select(JobStep.step_id, JobStep.output).where(
        JobStep.job_id == job_id, JobStep.status == StepStatus.SUCCEEDED
    )
    with db.session() as session:
        return {row[0]: row[1] for row in session.execute(stmt)}


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


def _upsert_step(session: Session, db: Database, job_id: int, step: StepResult) -> None:
    values = {
        "job_id": job_id,
        "step_id": step.step_id,
        "step_index": step.index,
        "status": step.status,
        "attempts": step.attempts,
        "started_at": step.started_at,
        "finished_at": step.finished_at,
        "output": step.output,
        "error": step.error,
    }
    changing = {k: v for k, v in values.items() if k not in ("job_id", "step_id")}
    if db.is_sqlite:
        sq = sqlite.insert(JobStep).values(values)
        session.execute(
            sq.on_conflict_do_update(index_elements=["job_id", "step_id"], set_=changing)
        )
    else:
        pg = postgresql.insert(JobStep).values(values)
        session.execute(
            pg.on_conflict_do_update(index_elements=["job_id", "step_id"], set_=changing)
        )


def _mine(job_id: int, worker_id: str) -> ColumnElement[bool]:
    return and_(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.worker_id == worker_id)


def record_step(db: Database, job_id: int, worker_id: str, step: StepResult) -> bool | None:
    """Write one finished step; return the job's cancel flag (None: the job is not ours)."""
    with db.write_session() as session:
        flag = session.execute(
            update(Job)
            .where(_mine(job_id, worker_id))
            .values(heartbeat_at=step.finished_at)
            .returning(Job.cancel_requested)
        ).scalar_one_or_none()
        if flag is None:
            return None
        _upsert_step(session, db, job_id, step)
    return bool(flag)


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
    with db.write_session() as session:
        done = session.execute(
            update(Job)
            .where(_mine(job_id, worker_id))
            .values(status=status, finished_at=now, heartbeat_at=now, error=error)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return False
        if step is not None:
            _upsert_step(session, db, job_id, step)
    return True


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
    with db.write_session() as session:
        done = session.execute(
            update(Job)
            .where(_mine(job_id, worker_id))
            .values(
                status=JobStatus.QUEUED,
                not_before=when,
                worker_id=None,
                dispatched=False,
                error=error,
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return False
        if step is not None:
            _upsert_step(session, db, job_id, step)
    return True


def release(db: Database, job_id: int, worker_id: str) -> bool:
    """Give a claimed job back untouched (a worker stopping before it started a step)."""
    with db.write_session() as session:
        done = session.execute(
            update(Job)
            .where(_mine(job_id, worker_id))
            .values(
                status=JobStatus.QUEUED,
                worker_id=None,
                dispatched=False,
                attempts=Job.attempts - 1,
            )
        )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def beat(db: Database, worker_ids: list[str], now: dt.datetime) -> None:
    """Refresh the heartbeat of every running job held by these workers."""
    if not worker_ids:
        return
    with db.session() as session:
        session.execute(
            update(Job)
            .where(Job.status == JobStatus.RUNNING, Job.worker_id.in_(worker_ids))
            .values(heartbeat_at=now)
        )
