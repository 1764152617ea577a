"""The journal (``migration_runs``): start, finish, list runs, find a copy cut short."""

from __future__ import annotations

import datetime as dt
import os
import uuid as uuidlib
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError

from levqor_desktop.core.db import Database
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.migrations import MigrationRun

RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
#: A migrate run whose data was later copied back by a rollback.
ROLLED_BACK = "rolled_back"


@dataclass(frozen=True)
class RunRecord:
    uuid: str
    kind: str
    status: str
    source: str
    target: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    pid: int | None
    message: str | None
    detail: dict[str, Any] | None

    @property
    def outcome(self) -> str:
        """The status, with ``interrupted`` for a run whose process died mid-way."""
        if self.status == RUNNING and self.pid is not None and not _pid_alive(self.pid):
            return "interrupted"
        return self.status

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome
        return data


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(
    db: Database, kind: str, source: str, target: str, detail: dict[str, Any] | None = None
) -> str:
    run_id = uuidlib.uuid4().hex
    with db.session() as s:
        s.execute(
            insert(MigrationRun).values(
                uuid=run_id,
                kind=kind,
                status=RUNNING,
                source=source[:500],
                target=target[:500],
                started_at=utcnow(),
                pid=os.getpid(),
                detail=detail,
            )
        )
    return run_id


def finish(
    db: Database,
    run_id: str,
    status: str,
    message: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "message": message}
    if detail is not None:
        values["detail"] = detail
    with db.session() as s:
        s.execute(update(MigrationRun).where(MigrationRun.uuid == run_id).values(**values))


def set_status(db: Database, run_id: str, status: str) -> None:
    with db.session() as s:
        s.execute(update(MigrationRun).where(MigrationRun.uuid == run_id).values(status=status))


def list_runs(db: Database, limit: int = 100) -> list[RunRecord]:
    """Newest first; empty when the database has no journal (yet)."""
    try:
        with db.session() as s:
            rows = s.execute(
                select(MigrationRun)
                .order_by(MigrationRun.started_at.desc(), MigrationRun.id.desc())
                .limit(limit)
            ).scalars()
            return [_record(r) for r in rows]
    except DBAPIError:
        return []


def last(db: Database, kind: str) -> RunRecord | None:
    return next((r for r in list_runs(db, 1000) if r.kind == kind), None)


def all_records(db: Database) -> list[dict[str, Any]]:
    """Every run as plain column values (for merging journals on rollback)."""
    with db.session() as s:
        return [
            {c.name: getattr(r, c.key) for c in MigrationRun.__table__.columns if c.name != "id"}
            for r in s.execute(select(MigrationRun).order_by(MigrationRun.id)).scalars()
        ]


def merge(db: Database, records: list[dict[str, Any]]) -> int:
    """Insert runs that ``db`` does not hold yet (by uuid); return how many."""
    with db.session() as s:
        known = set(s.execute(select(MigrationRun.uuid)).scalars())
        new = [r for r in records if r["uuid"] not in known]
        if new:
            s.execute(insert(MigrationRun), new)
    return len(new)


def _record(r: MigrationRun) -> RunRecord:
    return RunRecord(
        uuid=r.uuid,
        kind=r.kind,
        status=r.status,
        source=r.source,
        target=r.target,
        started_at=r.started_at,
        finished_at=r.finished_at,
        pid=r.pid,
        message=r.message,
        detail=r.detail,
    )
