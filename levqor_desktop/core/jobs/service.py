"""``app.jobs``' base: enqueue and read jobs, with permissions and an audit trail.

Every method takes the acting :class:`Actor`, checks its permission first and only
ever sees the actor's organization. Every change an operator makes (cancel, requeue,
retry, delete in :mod:`steering`; pause, resume, resize and bulk actions in
:mod:`operations`) is written to ``job_audit`` in the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs import queries
from levqor_desktop.core.jobs.contracts import (
    DEFAULT_QUEUE,
    Clock,
    JobFilter,
    JobPage,
    JobRecord,
    Services,
)
from levqor_desktop.core.jobs.routing import QueueRouter
from levqor_desktop.core.jobs.writer import writing
from levqor_desktop.core.models.jobs import Job, JobStatus, JobStep, StepStatus
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.workflows.actions import ActionCatalog
from levqor_desktop.core.workflows.document import Workflow, parse_workflow
from levqor_desktop.core.workflows.runner import resolve_inputs
from levqor_desktop.errors import MaintenanceMode, NotFoundError, ValidationError

MAX_PAGE = 1000


class DuplicateKey(ValidationError):
    """A job with this idempotency (schedule) key exists already."""


@dataclass(frozen=True)
class WorkflowRef:
    """A stored workflow version (``id``/``version``) or an ad-hoc ``document``."""

    name: str
    workflow: Workflow
    id: int | None = None
    version: int | None = None
    document: dict[str, Any] | None = None


#: Finds a stored workflow by name or id for an actor (``app.workflows``, adapted).
Resolver = Callable[[Actor, "str | int"], WorkflowRef]


class JobService:
    def __init__(
        self,
        db: Database,
        router: QueueRouter,
        *,
        clock: Clock,
        actions: ActionCatalog | None = None,
        resolver: Resolver | None = None,
        services: Services | None = None,
    ) -> None:
        self.db = db
        self.router = router
        self.clock = clock
        self.actions = actions
        self.resolver = resolver
        self.services = services or Services()
        self._parsed: dict[str, WorkflowRef] = {}
        self._lock = threading.Lock()

    # -- enqueue --------------------------------------------------------------------------

    def workflow_ref(
        self, actor: Actor, workflow: str | int | None, document: dict[str, Any] | None
    ) -> WorkflowRef:
        """The workflow a run is for: a stored one by name/id, or a document (ad hoc)."""
        if document is not None:
            key = json.dumps(document, sort_keys=True, default=str)
            with self._lock:
                cached = self._parsed.get(key)
            if cached is not None:
                return cached
            parsed = parse_workflow(document, catalog=self.actions)
            ref = WorkflowRef(parsed.name, parsed, document=parsed.to_document())
            with self._lock:
                if len(self._parsed) > 64:
                    self._parsed.clear()
                self._parsed[key] = ref
            return ref
        if workflow is None:
            raise ValidationError("name a workflow (name or id) or give a workflow document")
        if self.resolver is None:
            raise NotFoundError(f"no stored workflows here: cannot find workflow {workflow!r}")
        return self.resolver(actor, workflow)

    def enqueue(
        self,
        actor: Actor,
        workflow: str | int | None = None,
        inputs: dict[str, Any] | None = None,
        *,
        document: dict[str, Any] | None = None,
        ref: WorkflowRef | None = None,
        queue: str = DEFAULT_QUEUE,
        priority: int = 0,
        max_attempts: int = 3,
        not_before: dt.datetime | None = None,
        schedule_key: str | None = None,
        parent_job_id: int | None = None,
        copy_steps_from: JobRecord | None = None,
        rerun: Collection[str] = (),
    ) -> JobRecord:
        """Record a new queued job (inputs validated) and hand it to the current backend.

        ``copy_steps_from`` (a retry from a failed step) copies that job's succeeded and
        skipped steps, except those in ``rerun``, into the new job in the same
        transaction, so it resumes after them.
        """
        ref = ref or self._admit(actor, workflow, document, max_attempts)
        values = self._values(actor, ref, inputs, queue, priority, max_attempts, not_before)
        values.update(parent_job_id=parent_job_id, schedule_key=schedule_key)
        try:
            # Through the jobs write path: in-process SQLite writers queue on a lock
            # instead of sleeping in SQLite's busy handler.
            with writing(self.db) as conn:
                job_id = conn.execute(insert(Job).values(values).returning(Job.id)).scalar_one()
                if copy_steps_from is not None:
                    self._copy_finished_steps(conn, copy_steps_from, job_id, rerun)
        except IntegrityError:
            raise DuplicateKey(f"a job with key {schedule_key!r} already exists") from None
        self.router.submit(job_id, values["backend"])
        return queries.record(SimpleNamespace(id=job_id, **values))

    def enqueue_many(
        self,
        actor: Actor,
        workflow: str | int | None,
        inputs: list[dict[str, Any]],
        *,
        document: dict[str, Any] | None = None,
        queue: str = DEFAULT_QUEUE,
        priority: int = 0,
        max_attempts: int = 3,
    ) -> list[int]:
        """Many runs of one workflow in one transaction (inputs validated, each its own job).

        The usage limit is checked once for the batch, before anything is written.
        """
        ref = self._admit(actor, workflow, document, max_attempts)
        rows = [
            self._values(actor, ref, given, queue, priority, max_attempts, None) for given in inputs
        ]
        if not rows:
            return []
        with writing(self.db) as conn:
            stmt = insert(Job).returning(Job.id, sort_by_parameter_order=True)
            ids = list(conn.execute(stmt, rows).scalars())
        backend = rows[0]["backend"]
        for job_id in ids[: self.router.wake_limit(backend)]:
            self.router.submit(job_id, backend)
        return ids

    def _admit(
        self,
        actor: Actor,
        workflow: str | int | None,
        document: dict[str, Any] | None,
        max_attempts: int,
    ) -> WorkflowRef:
        require(actor, Permission.RUN_JOBS)
        self._refuse_in_maintenance()
        ref = self.workflow_ref(actor, workflow, document)
        if not 1 <= max_attempts <= 100:
            raise ValidationError(f"max attempts must be 1 to 100, not {max_attempts}")
        usage = self.services.usage
        if usage is not None:
            usage.check_enqueue(actor, workflow_name=ref.name)
        return ref

    def _values(
        self,
        actor: Actor,
        ref: WorkflowRef,
        inputs: dict[str, Any] | None,
        queue: str,
        priority: int,
        max_attempts: int,
        not_before: dt.datetime | None,
    ) -> dict[str, Any]:
        return {
            "org_id": actor.org_id,
            "user_id": actor.user_id,
            "workflow_id": ref.id,
            "workflow_version": ref.version,
            "workflow_name": ref.name,
            "document": ref.document,
            "inputs": resolve_inputs(ref.workflow, inputs or {}),
            "status": JobStatus.QUEUED,
            "backend": self.router.name,
            "queue": queue,
            "priority": priority,
            "attempts": 0,
            "max_attempts": max_attempts,
            "not_before": not_before,
            "dispatched": False,
            "cancel_requested": False,
            "parent_job_id": None,
            "schedule_key": None,
            "created_at": self.clock(),
            "heartbeat_at": None,
            "worker_id": None,
            "started_at": None,
            "finished_at": None,
            "error": None,
        }

    # -- read -----------------------------------------------------------------------------

    def get(self, actor: Actor, job_id: int) -> JobRecord:
        require(actor, Permission.READ)
        with self.db.session() as session:
            rec = queries.get_job(session, actor.org_id, job_id)
        if rec is None:
            raise NotFoundError(f"job {job_id} does not exist")
        return rec

    def list(
        self,
        actor: Actor,
        flt: JobFilter | None = None,
        *,
        offset: int = 0,
        limit: int = 100,
        sort: str = "id",
        descending: bool = True,
        with_total: bool = True,
    ) -> JobPage:
        require(actor, Permission.READ)
        if sort not in queries.SORTABLE:
            known = ", ".join(sorted(queries.SORTABLE))
            raise ValidationError(f"cannot sort by {sort!r}; sortable: {known}")
        flt = flt or JobFilter()
        limit = max(1, min(limit, MAX_PAGE))
        with self.db.session() as session:
            rows = queries.list_jobs(
                session, actor.org_id, flt, offset=offset, limit=limit, sort=sort,
                descending=descending,
            )  # fmt: skip
            total = queries.count_jobs(session, actor.org_id, flt) if with_total else -1
        return JobPage(rows, total, offset)

    def count(self, actor: Actor, flt: JobFilter | None = None) -> int:
        require(actor, Permission.READ)
        with self.db.session() as session:
            return queries.count_jobs(session, actor.org_id, flt or JobFilter())

    def depth(self, actor: Actor) -> dict[str, dict[str, int]]:
        """Counts by queue and state, e.g. ``{"default": {"queued": 3, "running": 1, ...}}``."""
        require(actor, Permission.READ)
        with self.db.session() as session:
            return queries.depth(session, actor.org_id)

    # -- helpers --------------------------------------------------------------------------

    def _refuse_in_maintenance(self) -> None:
        if self.services.maintenance_active():
            raise MaintenanceMode(
                "maintenance is on (a migration runs): jobs cannot be changed now",
                hint="try again when the migration has finished",
            )

    def _copy_finished_steps(
        self, conn: Connection, old: JobRecord, new_id: int, rerun: Collection[str]
    ) -> None:
        rows = [
            {
                "job_id": new_id,
                "step_id": step.step_id,
                "step_index": step.index,
                "status": step.status,
                "attempts": step.attempts,
                "started_at": step.started_at,
                "finished_at": step.finished_at,
                "output": step.output,
                "error": step.error,
            }
            for step in old.steps
            if step.status in (StepStatus.SUCCEEDED, StepStatus.SKIPPED)
            and step.step_id not in rerun
        ]
        if rows:
            conn.execute(insert(JobStep), rows)
