"""Reading jobs: filters, pages, one job with its steps, depth by queue and state.

Every query is bound to one organization. Lists page with LIMIT/OFFSET over an indexed
order (newest first by default) and never load the ``document`` column, so a table of
100,000 jobs is read a page at a time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, or_, select
from sqlalchemy.orm import Session

from levqor_desktop.core.jobs.contracts import JobFilter, JobRecord, StepRecord
from levqor_desktop.core.models.jobs import Job, JobStatus, JobStep

#: Columns a list may be sorted by (the UI's sortable columns).
SORTABLE: dict[str, Any] = {
    "id": Job.id,
    "workflow": Job.workflow_name,
    "status": Job.status,
    "queue": Job.queue,
    "priority": Job.priority,
    "attempts": Job.attempts,
    "created_at": Job.created_at,
    "started_at": Job.started_at,
    "finished_at": Job.finished_at,
    "user": Job.user_id,
}

_COLUMNS = (
    Job.id,
    Job.org_id,
    Job.user_id,
    Job.workflow_id,
    Job.workflow_version,
    Job.workflow_name,
    Job.inputs,
    Job.status,
    Job.backend,
    Job.queue,
    Job.priority,
    Job.attempts,
    Job.max_attempts,
    Job.not_before,
    Job.dispatched,
    Job.heartbeat_at,
    Job.worker_id,
    Job.created_at,
    Job.started_at,
    Job.finished_at,
    Job.error,
    Job.parent_job_id,
    Job.cancel_requested,
)


def conditions(org_id: int, flt: JobFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Job.org_id == org_id]
    if flt.states:
        where.append(Job.status.in_(flt.states))
    if flt.workflow:
        where.append(Job.workflow_name == flt.workflow)
    if flt.user_id is not None:
        where.append(Job.user_id == flt.user_id)
    if flt.queue:
        where.append(Job.queue == flt.queue)
    if flt.finished_before is not None:
        where.append(Job.finished_at < flt.finished_before)
    if flt.ids:
        where.append(Job.id.in_(flt.ids))
    if flt.text:
        text = flt.text.strip()
        like = f"%{_escape_like(text)}%"
        options: list[ColumnElement[bool]] = [
            Job.workflow_name.ilike(like, escape="\\"),
            Job.error.ilike(like, escape="\\"),
            cast(Job.inputs, String).ilike(like, escape="\\"),
        ]
        if text.lstrip("#").isdigit():
            options.append(Job.id == int(text.lstrip("#")))
        where.append(or_(*options))
    return where


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def record(row: Any, steps: list[StepRecord] | None = None) -> JobRecord:
    return JobRecord(
        id=row.id,
        org_id=row.org_id,
        user_id=row.user_id,
        workflow_id=row.workflow_id,
        workflow_version=row.workflow_version,
        workflow_name=row.workflow_name,
        inputs=dict(row.inputs or {}),
        status=JobStatus(row.status),
        backend=row.backend,
        queue=row.queue,
        priority=row.priority,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        not_before=row.not_before,
        dispatched=row.dispatched,
        heartbeat_at=row.heartbeat_at,
        worker_id=row.worker_id,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        parent_job_id=row.parent_job_id,
        cancel_requested=row.cancel_requested,
        steps=steps or [],
    )


def select_jobs(org_id: int, flt: JobFilter) -> Select[Any]:
    return select(*_COLUMNS).where(*conditions(org_id, flt))


def list_jobs(
    session: Session,
    org_id: int,
    flt: JobFilter,
    *,
    offset: int = 0,
    limit: int = 100,
    sort: str = "id",
    descending: bool = True,
) -> list[JobRecord]:
    column = SORTABLE.get(sort)
    if column is None:
        raise KeyError(sort)
    order = [column.desc(), Job.id.desc()] if descending else [column.asc(), Job.id.asc()]
    stmt = select_jobs(org_id, flt).order_by(*order).offset(offset).limit(limit)
    return [record(row) for row in session.execute(stmt)]


def count_jobs(session: Session, org_id: int, flt: JobFilter) -> int:
    stmt = select(func.count()).select_from(Job).where(*conditions(org_id, flt))
    return int(session.scalar(stmt) or 0)


def get_job(session: Session, org_id: int, job_id: int) -> JobRecord | None:
    # ``id = :id``, not the filter's ``id IN (...)``: the one-row read is the hot path.
    stmt = select(*_COLUMNS).where(Job.org_id == org_id, Job.id == job_id)
    row = session.execute(stmt).first()
    if row is None:
        return None
    steps = session.execute(
        select(JobStep).where(JobStep.job_id == job_id).order_by(JobStep.step_index)
    ).scalars()
    return record(
        row,
        [
            StepRecord(
                s.step_id,
                s.step_index,
                s.status,
                s.attempts,
                s.started_at,
                s.finished_at,
                s.output,
                s.error,
            )
            for s in steps
        ],
    )


def depth(session: Session, org_id: int) -> dict[str, dict[str, int]]:
    """{queue: {state: count}} for every queue that holds jobs."""
    stmt = (
        select(Job.queue, Job.status, func.count())
        .where(Job.org_id == org_id)
        .group_by(Job.queue, Job.status)
    )
    out: dict[str, dict[str, int]] = {}
    for queue, status, count in session.execute(stmt):
        out.setdefault(queue, {s.value: 0 for s in JobStatus})[JobStatus(status).value] = count
    return out


def older_than(now: dt.datetime, days: float) -> dt.datetime:
    return now - dt.timedelta(days=days)
