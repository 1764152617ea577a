"""``/api/v1/jobs``: enqueue a run of a workflow (operator keys) and read a job back."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime,
# and they name dependencies local to the router factory.
from typing import Annotated

from fastapi import APIRouter, Depends, Path

from levqor_desktop.core.apikeys import Principal
from levqor_desktop.core.jobs.contracts import JobRecord
from levqor_desktop.core.jobs.service import JobService
from levqor_desktop.core.opsapi.auth import Authenticator, require_principal
from levqor_desktop.core.opsapi.errors import ApiError
from levqor_desktop.core.opsapi.responses import ModelJSON, errors
from levqor_desktop.core.opsapi.schemas import JobOut, JobSubmit
from levqor_desktop.core.permissions import Permission


def jobs_router(jobs: JobService, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
    ReadKey = Annotated[Principal | None, Depends(auth.guard(Permission.READ))]  # noqa: N806
    RunKey = Annotated[Principal | None, Depends(auth.guard(Permission.RUN_JOBS))]  # noqa: N806

    @router.post(
        "",
        status_code=201,
        response_model=JobOut,
        summary="Enqueue a run of a stored workflow or a workflow document (operator keys)",
        description="The job is recorded queued and handed to the configured backend "
        "(the local pool or RQ); usage limits apply as for any enqueue.",
        responses=errors(400, 401, 403, 404, 429),
    )
    def enqueue(principal: RunKey, submit: JobSubmit) -> ModelJSON:
        who = require_principal(principal)
        if (submit.workflow is None) == (submit.document is None):
            raise ApiError(400, "give either a workflow (name or id) or a document",
                           field="workflow")  # fmt: skip
        workflow: str | int | None = submit.workflow
        if submit.workflow is not None and submit.workflow.isdigit():
            workflow = int(submit.workflow)
        record = jobs.enqueue(
            who.actor(),
            workflow,
            submit.inputs,
            document=submit.document,
            priority=submit.priority,
        )
        return ModelJSON(job_out(record), status_code=201)

    @router.get(
        "/{job_id}",
        response_model=JobOut,
        summary="A job of this key's organization: its state and times",
        responses=errors(400, 401, 403, 404, 429),
    )
    def get_job(principal: ReadKey, job_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> ModelJSON:
        return ModelJSON(job_out(jobs.get(require_principal(principal).actor(), job_id)))

    return router


def job_out(record: JobRecord) -> JobOut:
    return JobOut(
        id=record.id,
        workflow=record.workflow_name,
        status=str(record.status),
        backend=record.backend,
        queue=record.queue,
        attempts=record.attempts,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        error=record.error,
    )
