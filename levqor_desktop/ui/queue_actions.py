"""The Queue panel's job actions as guarded changes: what each one does and shows.

:func:`single_action` turns a button of the job view into the guard's request (named
as the command line names it: ``jobs.cancel``, ``jobs.retry``, ...) and the call that
makes the change; :func:`bulk_preview` counts and lists the jobs a bulk action would
touch (run off the UI thread) so the production dialog can show them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from levqor_desktop.core.jobs.contracts import JobFilter, JobRecord
from levqor_desktop.core.safety import GuardedAction
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.ui.guarded import window_action

SINGLE_REASON = "from the Queue panel"
BULK_REASON = "bulk, from the Queue panel"


def single_action(
    jobs: Any,
    actor: Actor,
    action: str,
    job_id: int,
    job: JobRecord | None,
    inputs: dict[str, Any] | None = None,
) -> tuple[GuardedAction, Callable[[], object]]:
    """The request and the call for one job: cancel, delete, requeue, retry, retry_step,
    or retry_edit (with ``inputs``)."""
    details: dict[str, object] = {}
    call: Callable[[], object]
    if action in ("cancel", "delete"):
        fn = jobs.cancel if action == "cancel" else jobs.delete
        call = lambda: fn(actor, job_id, SINGLE_REASON)  # noqa: E731
        details["reason"] = SINGLE_REASON
    elif action == "requeue":
        call = lambda: jobs.requeue(actor, job_id)  # noqa: E731
    elif action in ("retry", "retry_step"):
        step = action == "retry_step"
        call = lambda: jobs.retry(actor, job_id, from_failed_step=step)  # noqa: E731
        details["from_failed_step"] = step
    elif action == "retry_edit":
        call = lambda: jobs.retry(actor, job_id, inputs=inputs)  # noqa: E731
        details["new_inputs"] = True
    else:
        raise ValueError(f"unknown job action {action!r}")
    line = f"#{job_id}"
    if job is not None and job.id == job_id:
        line = f"#{job_id} {job.workflow_name} ({job.status.value})"
    verb = "retry" if action.startswith("retry") else action
    request = window_action(f"jobs.{verb}", f"jobs #{job_id}", preview=[line], details=details)
    return request, call


def bulk_preview(jobs: Any, actor: Actor, flt: JobFilter, action: str) -> GuardedAction | None:
    """The bulk request with its count and the newest jobs it touches; None when none
    match. Queries: run it off the UI thread."""
    count = jobs.preview(actor, flt, action)
    if count == 0:
        return None
    return window_action(
        f"jobs.bulk_{action}",
        flt.describe(),
        count=count,
        preview=jobs.preview_lines(actor, flt, action),
        details={"reason": BULK_REASON},
    )
