"""The job runner: runs one claimed job with the workflows engine and records it.

The same runner serves the local pool's threads and the RQ workers. It resumes after
the steps the job already completed — succeeded or skipped, anywhere in the graph — so
a resumed graph runs only the steps that had not ended (at-least-once: a step that
finished but whose record was lost to a crash runs again). Each step's record is
written as it ends, on the scheduler's coordinator thread before any step that needs it
starts, so a recorded step's upstream is always recorded too; the run's last step is
written with the job's end. A cancel is checked at every step start; on failure the
job goes back with an exponential, jittered backoff (attempts left, fault not
permanent) or fails.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs import claims, store
from levqor_desktop.core.jobs.claims import ClaimedJob
from levqor_desktop.core.jobs.contracts import Clock, Services
from levqor_desktop.core.jobs.states import retry_at
from levqor_desktop.core.jobs.store import StepResult
from levqor_desktop.core.models.jobs import JobStatus, StepStatus
from levqor_desktop.core.models.tenancy import Role
from levqor_desktop.core.models.usage import Metric
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage.records import job_run_key
from levqor_desktop.core.workflows.actions import ActionCatalog, RunContext
from levqor_desktop.core.workflows.document import Step, Workflow, parse_workflow
from levqor_desktop.core.workflows.runner import StepEvent, StepRunner, run_workflow
from levqor_desktop.errors import LevqorError

log = logging.getLogger("levqor.queue.runner")

#: Step failures that another attempt cannot fix (bad templates, inputs, actions).
PERMANENT_KINDS = frozenset(
    {"template", "invalid", "invalid_input", "unknown_action", "output", "fail", "validation"}
)


class StoredWorkflows(Protocol):
    """``app.workflows`` as the runner needs it: one stored version's document."""

    def document(self, workflow_id: int, version: int) -> dict[str, Any]: ...


class WorkflowLoader:
    """Parses the workflow a job runs, once per version (versions never change)."""

    def __init__(self, stored: StoredWorkflows | None, size: int = 256) -> None:
        self._stored = stored
        self._size = size
        self._cache: OrderedDict[tuple[Any, ...], Workflow] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, job: ClaimedJob) -> Workflow:
        if job.document is not None:
            # repr of the decoded JSON is exact (it tells 1, 1.0 and True apart) and a few
            # times cheaper than a sorted json.dumps + SHA-256; a key order that differs
            # only costs a parse.
            key: tuple[Any, ...] = ("doc", repr(job.document))
        elif job.workflow_id is not None and job.workflow_version is not None:
            key = ("stored", job.workflow_id, job.workflow_version)
        else:
            raise LevqorError(f"job {job.id} names no workflow version and carries no document")
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        if job.document is not None:
            workflow = parse_workflow(job.document)
        else:
            if self._stored is None:
                raise LevqorError("stored workflows are not available in this process")
            assert job.workflow_id is not None
            assert job.workflow_version is not None
            workflow = parse_workflow(self._stored.document(job.workflow_id, job.workflow_version))
        with self._lock:
            self._cache[key] = workflow
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return workflow


class _Lost(Exception):
    """The job is no longer ours (recovered and given to another worker)."""


@dataclass(frozen=True)
class RunReport:
    """How one run of a job ended: its new status, or None when it was lost."""

    job_id: int
    status: JobStatus | None
    error: str | None = None


class JobRunner:
    def __init__(
        self,
        db: Database,
        actions: ActionCatalog,
        loader: WorkflowLoader,
        *,
        clock: Clock,
        services: Services | None = None,
        step_runner: StepRunner | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.actions = actions
        self.loader = loader
        self.clock = clock
        self.services = services or Services()
        self.step_runner = step_runner or StepRunner(actions, now=clock)
        self.rng = rng or random.Random()

    def meter(self, job: ClaimedJob) -> None:
        """Meter this attempt as one job run (idempotent per job and attempt)."""
        usage = self.services.usage
        if usage is None or job.user_id is None:
            return
        actor = Actor(job.org_id, job.user_id, Role.OPERATOR, "")
        try:
            usage.record(
                actor,
                Metric.JOB_RUNS,
                1,
                workflow=job.workflow_name,
                job_id=job.id,
                idempotency_key=job_run_key(job.id, job.attempts),
                durable=False,
            )
        except LevqorError:
            log.exception("could not record the run of job %s as usage", job.id)

    def run(
        self,
        job: ClaimedJob,
        worker_id: str,
        cancelled: Callable[[], bool] = lambda: False,
        shutting_down: Callable[[], bool] = lambda: False,
        deferred: list[store.Finish] | None = None,
    ) -> RunReport:
        """Run ``job`` (already claimed by ``worker_id``) to its next resting state.

        ``cancelled`` turns true when an operator cancels the job; ``shutting_down`` when
        the worker stops: the job then goes back to the queue as it was. With
        ``deferred``, the job's end is appended there for the caller to write together
        with others (:func:`store.finish_many`) instead of being written now. An attempt
        not metered with its claim (``job.metered``) is metered here.
        """

        def end(status: JobStatus, error: str | None, step: StepResult | None = None) -> RunReport:
            return self._end(job, worker_id, status, error, step=step, deferred=deferred)

        try:
            workflow = self.loader.load(job)
        except LevqorError as exc:
            return end(JobStatus.FAILED, f"cannot load the workflow: {exc}")
        completed = {} if job.fresh else store.finished_steps(self.db, job.id)
        if not job.metered:
            self.meter(job)
        state = _RunState()
        steps = {s.id: s for s in workflow.steps}

        def is_cancelled() -> bool:
            return state.cancel_seen or cancelled() or shutting_down()

        def on_event(event: StepEvent) -> None:
            if event.outcome is None:
                return
            outcome = event.outcome
            result = StepResult(
                step_id=event.step_id,
                index=event.index,
                status=StepStatus(outcome.status),
                attempts=outcome.attempts,
                started_at=outcome.started_at,
                finished_at=outcome.finished_at,
                output=outcome.output,
                error=outcome.error,
            )
            self._observe_step(workflow, steps[event.step_id], outcome.status, outcome.duration_s)
            if event.last:
                state.pending = result  # written with the job's end, in one transaction
                return
            flag = store.record_step(self.db, job.id, worker_id, result)
            if flag is None:
                raise _Lost
            state.cancel_seen = state.cancel_seen or flag

        def run_factory(step: Step) -> RunContext:
            return RunContext(
                step_id=step.id,
                job_id=job.id,
                workflow=workflow.name,
                cancelled=is_cancelled,
                log=log,
            )

        try:
            outcome = run_workflow(
                workflow,
                job.inputs,
                self.actions,
                completed=completed,
                on_event=on_event,
                run_factory=run_factory,
                cancelled=is_cancelled,
                step_runner=self.step_runner,
            )
        except _Lost:
            log.warning("job %s was taken from worker %s while it ran", job.id, worker_id)
            return RunReport(job.id, None)
        except LevqorError as exc:  # inputs no longer valid for this version, etc.
            return end(JobStatus.FAILED, str(exc), state.pending)
        if outcome.status == "succeeded":
            return end(JobStatus.SUCCEEDED, None, state.pending)
        if outcome.status == "canceled" and not (state.cancel_seen or cancelled()):
            # Stopped by a shutdown, not an operator: release it for another worker.
            claims.release(self.db, job.id, worker_id)
            return RunReport(job.id, JobStatus.QUEUED, "released at shutdown")
        if outcome.status == "canceled":
            return end(JobStatus.CANCELED, "canceled", state.pending)
        error = f"step {outcome.failed_step}: {outcome.error}"
        failed = outcome.outcomes.get(outcome.failed_step or "")
        kind = failed.error_kind if failed is not None else None
        retry = kind not in PERMANENT_KINDS and job.attempts < job.max_attempts
        if retry and not is_cancelled():
            when = retry_at(self.clock(), job.attempts, self.rng)
            if store.retry_later(self.db, job.id, worker_id, when, error, step=state.pending):
                log.info("job %s attempt %d failed; retry at %s", job.id, job.attempts, when)
                return RunReport(job.id, JobStatus.QUEUED, error)
            return RunReport(job.id, None)
        return end(JobStatus.FAILED, error, state.pending)

    def fail_unexpectedly(self, job: ClaimedJob, worker_id: str, error: str) -> RunReport:
        """End a job whose run raised something the runner did not expect (a bug, a timeout)."""
        return self._end(job, worker_id, JobStatus.FAILED, error)

    # -- helpers --------------------------------------------------------------------------

    def _end(
        self,
        job: ClaimedJob,
        worker_id: str,
        status: JobStatus,
        error: str | None,
        *,
        step: StepResult | None = None,
        deferred: list[store.Finish] | None = None,
    ) -> RunReport:
        now = self.clock()
        if deferred is not None:
            deferred.append(store.Finish(job.id, status, now, error, step))
        elif not store.finish(self.db, job.id, worker_id, status, now, error=error, step=step):
            return RunReport(job.id, None)
        metrics = self.services.metrics
        if metrics is not None:
            duration = (now - job.claimed_at).total_seconds()
            metrics.observe_job(status.value, job.workflow_name, duration)
        return RunReport(job.id, status, error)

    def _observe_step(self, workflow: Workflow, step: Step, status: str, duration: float) -> None:
        metrics = self.services.metrics
        if metrics is not None:
            metrics.observe_step(workflow.name, step.uses, status, duration)


@dataclass
class _RunState:
    cancel_seen: bool = False
    pending: StepResult | None = None
