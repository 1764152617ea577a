"""Bulk actions: cancel, requeue, retry or delete every job that matches a filter.

An operator first asks :func:`preview` how many jobs the action would touch, confirms,
then :func:`apply` acts (set-based statements, not one transaction per job) and writes
one audit row with the filter, the count and the reason. If the count changed since
the preview (jobs finished meanwhile) the apply still acts on what matches *now*, and
reports that number.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, delete, func, select, update

from levqor_desktop.core.jobs import audit, queries
from levqor_desktop.core.jobs.contracts import JobFilter
from levqor_desktop.core.jobs.states import requeue_values
from levqor_desktop.core.models.jobs import Job, JobStatus
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import ValidationError

if TYPE_CHECKING:
    from levqor_desktop.core.jobs.steering import JobSteering

#: A bulk retry creates at most this many new jobs at once.
MAX_BULK_RETRY = 10_000


class BulkAction(enum.StrEnum):
    CANCEL = "cancel"
    REQUEUE = "requeue"
    RETRY = "retry"
    DELETE = "delete"


#: The states each action applies to (jobs in other states are left alone).
APPLIES_TO: dict[BulkAction, tuple[JobStatus, ...]] = {
    BulkAction.CANCEL: (JobStatus.QUEUED, JobStatus.RUNNING),
    BulkAction.REQUEUE: (JobStatus.FAILED, JobStatus.CANCELED),
    BulkAction.RETRY: (JobStatus.FAILED, JobStatus.CANCELED),
    BulkAction.DELETE: (
        JobStatus.QUEUED,
        JobStatus.SUCCEEDED,
        JobStatus.FAILED,
        JobStatus.CANCELED,
    ),
}


@dataclass(frozen=True)
class BulkResult:
    action: BulkAction
    count: int
    #: New jobs made by a retry.
    new_job_ids: list[int] = field(default_factory=list)


def _action(action: BulkAction | str) -> BulkAction:
    try:
        return BulkAction(action)
    except ValueError:
        known = ", ".join(a.value for a in BulkAction)
        raise ValidationError(f"unknown bulk action {action!r}; one of: {known}") from None


def _where(actor: Actor, flt: JobFilter, action: BulkAction) -> list[ColumnElement[bool]]:
    return [*queries.conditions(actor.org_id, flt), Job.status.in_(APPLIES_TO[action])]


def preview(service: JobSteering, actor: Actor, flt: JobFilter, action: BulkAction | str) -> int:
    """How many jobs ``action`` would touch now."""
    act = _action(action)
    require(actor, Permission.READ)
    with service.db.session() as session:
        stmt = select(func.count()).select_from(Job).where(*_where(actor, flt, act))
        return int(session.scalar(stmt) or 0)


def preview_lines(
    service: JobSteering, actor: Actor, flt: JobFilter, action: BulkAction | str, limit: int
) -> list[str]:
    """The first ``limit`` jobs ``action`` would touch, one line each (for a guard dialog)."""
    act = _action(action)
    require(actor, Permission.READ)
    with service.db.session() as session:
        stmt = (
            select(Job.id, Job.workflow_name, Job.status)
            .where(*_where(actor, flt, act))
            .order_by(Job.id.desc())
            .limit(limit)
        )
        return [f"#{i} {name} ({status.value})" for i, name, status in session.execute(stmt)]


def apply(
    service: JobSteering,
    actor: Actor,
    flt: JobFilter,
    action: BulkAction | str,
    reason: str | None = None,
) -> BulkResult:
    act = _action(action)
    require(actor, Permission.RUN_JOBS if act is BulkAction.RETRY else Permission.MANAGE_JOBS)
    now = service.clock()
    where = _where(actor, flt, act)
    withdraw: list[tuple[int, str]] = []
    wake: str | None = None
    new_ids: list[int] = []
    with service.db.write_session() as session:
        if act is BulkAction.CANCEL:
            withdraw = [
                (r[0], r[1]) for r in session.execute(select(Job.id, Job.backend).where(*where))
            ]
            queued = session.execute(
                update(Job)
                .where(*where, Job.status == JobStatus.QUEUED)
                .values(status=JobStatus.CANCELED, finished_at=now, error="canceled")
            ).rowcount  # type: ignore[attr-defined]
            running = session.execute(
                update(Job)
                .where(*where, Job.status == JobStatus.RUNNING)
                .values(cancel_requested=True)
            ).rowcount  # type: ignore[attr-defined]
            count = int(queued) + int(running)
        elif act is BulkAction.REQUEUE:
            backend = service.router.name
            count = int(
                session.execute(
                    update(Job).where(*where).values(**requeue_values(backend))
                ).rowcount  # type: ignore[attr-defined]
            )
            wake = backend
        elif act is BulkAction.DELETE:
            queued_now = select(Job.id, Job.backend).where(*where, Job.status == JobStatus.QUEUED)
            withdraw = [(r[0], r[1]) for r in session.execute(queued_now)]
            count = int(session.execute(delete(Job).where(*where)).rowcount)  # type: ignore[attr-defined]
        else:
            ids = list(session.scalars(select(Job.id).where(*where).order_by(Job.id)))
            if len(ids) > MAX_BULK_RETRY:
                raise ValidationError(
                    f"{len(ids)} jobs match: a bulk retry makes at most {MAX_BULK_RETRY} "
                    "new jobs at once; narrow the filter"
                )
            count = len(ids)
        if act is not BulkAction.RETRY:
            audit.write(
                session,
                actor,
                f"bulk_{act.value}",
                now,
                filter=flt.to_dict(),
                count=count,
                reason=reason,
            )
    if act is BulkAction.RETRY:
        for job_id in ids:
            new_ids.append(service.retry(actor, job_id, reason=reason or "bulk retry").id)
        with service.db.session() as session:
            audit.write(
                session,
                actor,
                "bulk_retry",
                now,
                filter=flt.to_dict(),
                count=count,
                reason=reason,
            )
    for job_id, backend in withdraw:
        service.router.withdraw(job_id, backend)
    if wake is not None:
        service.router.wake(wake)
    return BulkResult(act, count, new_ids)
