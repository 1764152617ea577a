"""Steering one job: cancel, requeue, retry, delete (``app.jobs``'s single-job actions).

Each checks the actor's permission, changes the job row and writes the audit entry in
one transaction, then tells the backend (withdraw or submit) once that has committed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from levqor_desktop.core.jobs import audit
from levqor_desktop.core.jobs.contracts import JobRecord
from levqor_desktop.core.jobs.service import JobService, WorkflowRef
from levqor_desktop.core.jobs.states import check_move, requeue_values
from levqor_desktop.core.models.jobs import Job, JobStatus, StepStatus
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.workflows.document import Workflow
from levqor_desktop.core.workflows.graph import graph_of
from levqor_desktop.errors import NotFoundError, ValidationError


class JobSteering(JobService):
    """The JobService with the operator's actions on one job."""

    def cancel(self, actor: Actor, job_id: int, reason: str | None = None) -> JobRecord:
        """Queued: canceled now. Running: stops at its next step boundary."""
        require(actor, Permission.MANAGE_JOBS)
        now = self.clock()
        with self.db.write_session() as session:
            job = self._load(session, actor, job_id)
            if job.status is JobStatus.QUEUED:
                job.status, job.finished_at, job.error = JobStatus.CANCELED, now, "canceled"
            elif job.status is JobStatus.RUNNING:
                job.cancel_requested = True
            else:
                check_move(job_id, job.status, JobStatus.CANCELED, "canceled")
            audit.write(session, actor, "cancel", now, job_id=job_id, reason=reason)
            backend = job.backend
        self.router.withdraw(job_id, backend)
        return self.get(actor, job_id)

    def requeue(self, actor: Actor, job_id: int, reason: str | None = None) -> JobRecord:
        """Put a failed or canceled job back in the queue (it resumes after its done steps);
        a queued job waiting for a backoff or a later start is made due now."""
        require(actor, Permission.MANAGE_JOBS)
        self._refuse_in_maintenance()
        now = self.clock()
        with self.db.write_session() as session:
            job = self._load(session, actor, job_id)
            if job.status is not JobStatus.QUEUED:
                check_move(job_id, job.status, JobStatus.QUEUED, "requeued")
            self._reset_for_queue(job)
            audit.write(session, actor, "requeue", now, job_id=job_id, reason=reason)
            backend = job.backend
        self.router.submit(job_id, backend)
        return self.get(actor, job_id)

    def retry(
        self,
        actor: Actor,
        job_id: int,
        *,
        from_failed_step: bool = False,
        from_step: str | None = None,
        inputs: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> JobRecord:
        """A new job that runs the old one's workflow again and links to it.

        ``from_failed_step`` keeps the outputs of the steps that succeeded (or were
        skipped) and runs the rest; ``from_step`` runs that step and everything
        downstream of it only, reusing the old job's results of every other step (each
        step upstream of it must have succeeded or been skipped); ``inputs`` replaces
        the inputs (from the start only).
        """
        require(actor, Permission.RUN_JOBS)
        if (from_failed_step or from_step is not None) and inputs is not None:
            raise ValidationError(
                "a retry with edited inputs starts from the first step: the earlier "
                "steps' outputs were made from the old inputs"
            )
        if from_failed_step and from_step is not None:
            raise ValidationError("retry from the failed step or from a named step, not both")
        old = self.get(actor, job_id)
        if old.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            raise ValidationError(f"job {job_id} is {old.status.value}: it cannot be retried yet")
        ref = self._ref_of(actor, old)
        rerun = rerun_set(ref.workflow, old, from_step) if from_step is not None else set()
        new = self.enqueue(
            actor,
            ref=ref,
            inputs=old.inputs if inputs is None else inputs,
            queue=old.queue,
            priority=old.priority,
            max_attempts=old.max_attempts,
            parent_job_id=old.id,
            copy_steps_from=old if from_failed_step or from_step is not None else None,
            rerun=rerun,
        )
        now = self.clock()
        with self.db.write_session() as session:
            mode = "failed step" if from_failed_step else "start"
            mode = f"step {from_step}" if from_step is not None else mode
            text = f"retry from {mode} as job {new.id}" + (" with edited inputs" if inputs else "")
            audit.write(session, actor, "retry", now, job_id=job_id, reason=_join(text, reason))
        return self.get(actor, new.id)

    def delete(self, actor: Actor, job_id: int, reason: str | None = None) -> None:
        require(actor, Permission.MANAGE_JOBS)
        now = self.clock()
        with self.db.write_session() as session:
            job = self._load(session, actor, job_id)
            if job.status is JobStatus.RUNNING:
                raise ValidationError(f"job {job_id} is running: cancel it first")
            backend, was_queued = job.backend, job.status is JobStatus.QUEUED
            session.delete(job)
            audit.write(session, actor, "delete", now, job_id=job_id, reason=reason)
        if was_queued:
            self.router.withdraw(job_id, backend)

    # -- helpers --------------------------------------------------------------------------

    def _load(self, session: Any, actor: Actor, job_id: int) -> Job:
        job = session.get(Job, job_id)
        if job is None or job.org_id != actor.org_id:
            raise NotFoundError(f"job {job_id} does not exist")
        assert isinstance(job, Job)
        return job

    def _reset_for_queue(self, job: Job) -> None:
        # max_attempts is an SQL expression: the flush computes it from the stored count.
        for column, value in requeue_values(self.router.name).items():
            setattr(job, column, value)

    def _ref_of(self, actor: Actor, old: JobRecord) -> WorkflowRef:
        if old.workflow_id is None:
            with self.db.session() as session:
                document = session.scalar(select(Job.document).where(Job.id == old.id))
            if document is None:
                raise NotFoundError(f"job {old.id} carries no workflow to run again")
            return self.workflow_ref(actor, None, document)
        if self.resolver is None:
            raise NotFoundError(f"stored workflow {old.workflow_id} is not available here")
        ref = self.resolver(actor, old.workflow_id)
        if ref.version != old.workflow_version and old.workflow_version is not None:
            # Run the version the job ran, not a newer one saved since.
            ref = self.resolver(actor, f"{old.workflow_id}@{old.workflow_version}")
        return ref


def rerun_set(workflow: Workflow, old: JobRecord, from_step: str) -> set[str]:
    """``from_step`` and its downstream: what a retry from that step runs again."""
    graph = graph_of(workflow)
    if from_step not in graph.position:
        known = ", ".join(graph.ids)
        raise ValidationError(f"{workflow.name} has no step {from_step!r} (steps: {known})")
    ended = {s.step_id for s in old.steps if s.status in (StepStatus.SUCCEEDED, StepStatus.SKIPPED)}
    missing = [sid for sid in graph.order() if sid in graph.upstream(from_step) - ended]
    if missing:
        raise ValidationError(
            f"step {from_step} needs step {missing[0]}, which did not succeed in job {old.id}",
            hint=f"retry from step {missing[0]} instead",
        )
    return {from_step, *graph.downstream(from_step)}


def _join(text: str, reason: str | None) -> str:
    return f"{text}: {reason}" if reason else text
