"""Insert finished or waiting job rows straight into the database (fast seeding)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.jobs import FINISHED, Job, JobStatus


def insert_jobs(app: Any, status: JobStatus, n: int, name: str = "sync") -> list[int]:
    """``n`` jobs of workflow ``name`` in state ``status``; failed ones carry an error."""
    assert app.actor is not None
    now = utcnow()
    row = {
        "org_id": app.actor.org_id, "user_id": app.actor.user_id, "workflow_name": name,
        "inputs": {}, "status": status, "backend": "local", "queue": "default",
        "priority": 0, "attempts": 1, "max_attempts": 3, "dispatched": False,
        "cancel_requested": False, "created_at": now,
        "error": "HTTP 500 from CRM\ntrace" if status is JobStatus.FAILED else None,
        "finished_at": now if status in FINISHED else None,
    }  # fmt: skip
    with app.db.session() as session:
        return list(session.scalars(insert(Job).returning(Job.id), [row] * n))
