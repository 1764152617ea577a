"""``app.jobs`` in full: the JobService plus what the Queue panel and ``levqor jobs`` add on
top — bulk actions, "why", workers, pausing queues, the pool size, the audit trail.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from levqor_desktop.core.jobs import audit, bulk, why
from levqor_desktop.core.jobs.audit import AuditEntry
from levqor_desktop.core.jobs.bulk import BulkAction, BulkResult
from levqor_desktop.core.jobs.contracts import DEFAULT_QUEUE, JobFilter, Reason, WorkerInfo
from levqor_desktop.core.jobs.local import LocalPool
from levqor_desktop.core.jobs.retention import database_size
from levqor_desktop.core.jobs.steering import JobSteering
from levqor_desktop.core.models.jobs import QueueState
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import LevqorError
from levqor_desktop.settings import write_config_value


class JobOperations(JobSteering):
    """The JobService and its single-job actions, with the operator's controls (the object at
    ``app.jobs``)."""

    #: Where a changed pool size is remembered (``config.json``), if anywhere.
    config_file: Path | None = None

    # -- bulk -----------------------------------------------------------------------------

    def preview(self, actor: Actor, flt: JobFilter, action: BulkAction | str) -> int:
        """How many jobs ``apply`` would touch now (show it, then ask)."""
        return bulk.preview(self, actor, flt, action)

    def preview_lines(
        self, actor: Actor, flt: JobFilter, action: BulkAction | str, limit: int = 20
    ) -> list[str]:
        """The newest jobs ``apply`` would touch, one line each, for the guard's preview."""
        return bulk.preview_lines(self, actor, flt, action, limit)

    def apply(
        self, actor: Actor, flt: JobFilter, action: BulkAction | str, reason: str | None = None
    ) -> BulkResult:
        return bulk.apply(self, actor, flt, action, reason)

    # -- explain and observe --------------------------------------------------------------

    def why(self, actor: Actor, job_id: int) -> list[Reason]:
        return why.explain(self, actor, self.get(actor, job_id))

    def workers(self, actor: Actor) -> list[WorkerInfo]:
        require(actor, Permission.READ)
        return why.workers(self, self.clock())

    def audit_log(
        self, actor: Actor, job_id: int | None = None, limit: int = 200
    ) -> list[AuditEntry]:
        require(actor, Permission.READ)
        return audit.entries(self.db, actor.org_id, job_id=job_id, limit=limit)

    def database_bytes(self) -> int | None:
        """How much space the database takes (the retention service keeps it down)."""
        return database_size(self.db)

    def paused_queues(self) -> list[str]:
        with self.db.session() as session:
            rows = session.scalars(select(QueueState.name).where(QueueState.paused.is_(True)))
            return sorted(rows)

    # -- switches -------------------------------------------------------------------------

    def pause(self, actor: Actor, queue: str = DEFAULT_QUEUE, reason: str | None = None) -> None:
        """No job of ``queue`` is started (on any backend) until it is resumed."""
        self._set_paused(actor, queue, True, reason)

    def resume(self, actor: Actor, queue: str = DEFAULT_QUEUE, reason: str | None = None) -> None:
        self._set_paused(actor, queue, False, reason)
        for name in self.router.backends:
            self.router.wake(name)

    def _set_paused(self, actor: Actor, queue: str, paused: bool, reason: str | None) -> None:
        require(actor, Permission.MANAGE_JOBS)
        now = self.clock()
        values = {
            "name": queue,
            "paused": paused,
            "changed_at": now,
            "changed_by": actor.display_name,
        }
        changing = {k: v for k, v in values.items() if k != "name"}
        with self.db.write_session() as session:
            if self.db.is_sqlite:
                ins = sqlite.insert(QueueState).values(values)
                session.execute(ins.on_conflict_do_update(index_elements=["name"], set_=changing))
            else:
                pg = postgresql.insert(QueueState).values(values)
                session.execute(pg.on_conflict_do_update(index_elements=["name"], set_=changing))
            action = "pause" if paused else "resume"
            audit.write(
                session, actor, action, now, filter={"queue": queue}, count=0, reason=reason
            )

    @property
    def pool(self) -> LocalPool | None:
        local = self.router.get("local")
        return local if isinstance(local, LocalPool) else None

    def set_pool_size(self, actor: Actor, size: int, *, remember: bool = True) -> int:
        """Resize the local pool now (and remember the size in ``config.json``)."""
        require(actor, Permission.MANAGE_JOBS)
        pool = self.pool
        if pool is None:
            raise LevqorError("this process has no local pool")
        before = pool.size
        pool.resize(size)
        if remember and self.config_file is not None:
            write_config_value(self.config_file, "local_workers", size)
        with self.db.session() as session:
            audit.write(
                session,
                actor,
                "pool_size",
                self.clock(),
                count=size,
                reason=f"local pool {before} -> {size} threads",
            )
        return size
