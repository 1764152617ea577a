"""The audit trail of operator actions on jobs: who, when, what, which job(s), why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from levqor_desktop.core.db import Database
from levqor_desktop.core.models.jobs import JobAudit
from levqor_desktop.core.tenancy import Actor


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    job_id: int | None
    filter: dict[str, Any] | None
    count: int
    reason: str | None


def write(
    session: Session,
    actor: Actor,
    action: str,
    at: dt.datetime,
    *,
    job_id: int | None = None,
    filter: dict[str, Any] | None = None,
    count: int = 1,
    reason: str | None = None,
) -> None:
    session.add(
        JobAudit(
            org_id=actor.org_id,
            user_id=actor.user_id,
            actor_name=actor.display_name,
            at=at,
            action=action,
            job_id=job_id,
            filter=filter,
            count=count,
            reason=reason,
        )
    )


def entries(
    db: Database, org_id: int, *, job_id: int | None = None, limit: int = 200
) -> list[AuditEntry]:
    """Newest first; for one job when ``job_id`` is given."""
    stmt = select(JobAudit).where(JobAudit.org_id == org_id)
    if job_id is not None:
        stmt = stmt.where(JobAudit.job_id == job_id)
    stmt = stmt.order_by(JobAudit.id.desc()).limit(limit)
    with db.session() as session:
        return [
            AuditEntry(a.at, a.actor_name, a.action, a.job_id, a.filter, a.count, a.reason)
            for a in session.scalars(stmt)
        ]
