"""The six kinds of events and the tables they are read from.

Jobs, canary runs and limit hits are the actor's organization's; operator actions are
the organization's plus those tied to none; flag changes and migrations are
installation-wide (flags and the database belong to the whole installation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session, selectinload

from levqor_desktop.core.incidents.events import EventKind, IncidentEvent, iso
from levqor_desktop.core.incidents.paging import Source
from levqor_desktop.core.models.canary import CanaryRun
from levqor_desktop.core.models.jobs import Job, JobStep, StepStatus
from levqor_desktop.core.models.migrations import MigrationRun
from levqor_desktop.core.models.observability import FlagAudit
from levqor_desktop.core.models.safety import OperatorAction
from levqor_desktop.core.models.usage import UsageLimitHit

#: Error text kept per event (a whole traceback belongs in the logs, not the timeline).
ERROR_CHARS = 2000


def _clip(text: str | None, limit: int = ERROR_CHARS) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"… ({len(text) - limit} more characters)"


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0][:200] if (text or "").strip() else ""


# -- failed jobs ----------------------------------------------------------------------


def _jobs(session: Session, rows: Sequence[Job]) -> list[IncidentEvent]:
    failed_steps: dict[int, JobStep] = {}
    steps = session.scalars(
        select(JobStep)
        .where(JobStep.job_id.in_([j.id for j in rows]), JobStep.status == StepStatus.FAILED)
        .order_by(JobStep.step_index)
    )
    for found in steps:
        failed_steps.setdefault(found.job_id, found)
    out = []
    for job in rows:
        step = failed_steps.get(job.id)
        where = f" at step {step.step_id!r}" if step else ""
        error = _first_line(step.error if step and step.error else job.error)
        details: dict[str, Any] = {
            "job_id": job.id,
            "workflow": job.workflow_name,
            "workflow_version": job.workflow_version,
            "attempts": f"{job.attempts} of {job.max_attempts}",
            "queue": job.queue,
            "backend": job.backend,
            "worker": job.worker_id,
            "started_at": iso(job.started_at),
            "finished_at": iso(job.finished_at),
            "retry_of": job.parent_job_id,
            "error": _clip(job.error),
            "failed_step": None
            if step is None
            else {
                "step_id": step.step_id,
                "index": step.step_index,
                "attempts": step.attempts,
                "error": _clip(step.error),
            },
            "inputs": job.inputs,
        }
        summary = f"job {job.id} ({job.workflow_name}) failed{where}" + (
            f": {error}" if error else ""
        )
        at = job.finished_at or job.created_at
        out.append(IncidentEvent(EventKind.JOB_FAILED, at, summary, details, job.id, "error"))
    return out


#: The state written into the SQL (not bound), so the pages read the partial index of
#: failed jobs (``ix_jobs_failed_finished``) in order on SQLite and PostgreSQL.
IS_FAILED = text("jobs.status = 'failed'")


def failed_jobs(org_id: int) -> Source:
    query = select(Job).where(IS_FAILED, Job.org_id == org_id)
    return Source(query, Job.finished_at, Job.id, _jobs)


# -- flag changes ---------------------------------------------------------------------


def _onoff(value: bool | None) -> str:
    return "unset" if value is None else ("on" if value else "off")


def _flags(_session: Session, rows: Sequence[FlagAudit]) -> list[IncidentEvent]:
    out = []
    for row in rows:
        summary = (
            f"{row.flag} {_onoff(row.old_effective)} → {_onoff(row.new_effective)} "
            f"by {row.actor_name} ({row.source})"
            + (f": {_first_line(row.reason)}" if row.reason else "")
        )
        details = {
            "audit_id": row.id,
            "flag": row.flag,
            "stored": f"{_onoff(row.old_value)} → {_onoff(row.new_value)}",
            "effective": f"{_onoff(row.old_effective)} → {_onoff(row.new_effective)}",
            "source": row.source,
            "actor": row.actor_name,
            "reason": row.reason,
            "undoes": row.undoes_id,
        }
        severity = "warning" if row.undoes_id is not None else "info"
        out.append(
            IncidentEvent(EventKind.FLAG_CHANGE, row.created_at, summary, details, row.id, severity)
        )
    return out


def flag_changes() -> Source:
    return Source(select(FlagAudit), FlagAudit.created_at, FlagAudit.id, _flags)


# -- canary runs ----------------------------------------------------------------------

_CANARY_SEVERITY = {"fail": "error", "marginal": "warning"}


def _canary(_session: Session, rows: Sequence[CanaryRun]) -> list[IncidentEvent]:
    out = []
    for run in rows:
        bad = [r for r in run.results if r.status in ("fail", "warn")]
        named = ", ".join(f"{r.check_name} {r.status}" for r in bad)
        summary = f"canary {run.verdict} on {run.target_label} ({run.trigger})" + (
            f": {named}" if named else ""
        )
        details = {
            "run_id": run.id,
            "target": run.target,
            "verdict": run.verdict,
            "trigger": run.trigger,
            "change": run.change,
            "rollback": run.rollback,
            "finished_at": iso(run.finished_at),
            "checks": [
                {
                    "check": r.check_name,
                    "status": r.status,
                    "summary": r.summary,
                    "value": r.value,
                    "unit": r.unit,
                    "threshold": r.threshold,
                }
                for r in run.results
            ],
        }
        severity = _CANARY_SEVERITY.get(run.verdict, "info")
        out.append(
            IncidentEvent(EventKind.CANARY_RUN, run.started_at, summary, details, run.id, severity)
        )
    return out


def canary_runs(org_id: int) -> Source:
    query = (
        select(CanaryRun).where(CanaryRun.org_id == org_id).options(selectinload(CanaryRun.results))
    )
    return Source(query, CanaryRun.started_at, CanaryRun.id, _canary)


# -- migrations -----------------------------------------------------------------------


def _migrations(_session: Session, rows: Sequence[MigrationRun]) -> list[IncidentEvent]:
    out = []
    for run in rows:
        summary = f"{run.kind} {run.status}: {run.source} → {run.target}" + (
            f" ({_first_line(run.message)})" if run.message else ""
        )
        details = {
            "uuid": run.uuid,
            "kind": run.kind,
            "status": run.status,
            "source": run.source,
            "target": run.target,
            "finished_at": iso(run.finished_at),
            "message": _clip(run.message),
        }
        severity = (
            "error"
            if run.status == "failed"
            else "warning"
            if run.kind == "rollback" or run.status == "canceled"
            else "info"
        )
        out.append(
            IncidentEvent(EventKind.MIGRATION, run.started_at, summary, details, run.id, severity)
        )
    return out


def migrations() -> Source:
    return Source(select(MigrationRun), MigrationRun.started_at, MigrationRun.id, _migrations)


# -- limit hits -----------------------------------------------------------------------


def _hits(_session: Session, rows: Sequence[UsageLimitHit]) -> list[IncidentEvent]:
    out = []
    for hit in rows:
        times = f" ({hit.hits}×)" if hit.hits > 1 else ""
        summary = f"limit {hit.outcome} at {hit.stage}{times}: {hit.message}"
        details = {
            "limit_id": hit.limit_id,
            "metric": hit.metric.value,
            "outcome": hit.outcome,
            "stage": hit.stage,
            "used": hit.used,
            "limit": hit.value,
            "hits": hit.hits,
            "last_at": iso(hit.last_at),
            "job_id": hit.job_id,
            "workflow": hit.workflow,
            "user_id": hit.user_id,
        }
        severity = "warning" if hit.outcome == "refused" else "info"
        out.append(IncidentEvent(EventKind.LIMIT_HIT, hit.at, summary, details, hit.id, severity))
    return out


def limit_hits(org_id: int) -> Source:
    query = select(UsageLimitHit).where(UsageLimitHit.org_id == org_id)
    return Source(query, UsageLimitHit.at, UsageLimitHit.id, _hits)


# -- operator actions -----------------------------------------------------------------


def _actions(_session: Session, rows: Sequence[OperatorAction]) -> list[IncidentEvent]:
    out = []
    for row in rows:
        count = f" ({row.count})" if row.count != 1 else ""
        summary = (
            f"{row.action} {row.target}{count} by {row.actor_name} on {row.profile} "
            f"[{row.environment}]: {row.outcome}"
        )
        details = {
            "action_id": row.id,
            "action": row.action,
            "target": row.target,
            "count": row.count,
            "actor": row.actor_name,
            "profile": row.profile,
            "environment": row.environment,
            "source": row.source,
            "outcome": row.outcome,
            "details": row.details,
        }
        severity = "info" if row.outcome == "confirmed" else "warning"
        out.append(
            IncidentEvent(
                EventKind.OPERATOR_ACTION, row.created_at, summary, details, row.id, severity
            )
        )
    return out


def operator_actions(org_id: int) -> Source:
    query = select(OperatorAction).where(
        or_(OperatorAction.org_id == org_id, OperatorAction.org_id.is_(None))
    )
    return Source(query, OperatorAction.created_at, OperatorAction.id, _actions)


def all_sources(org_id: int) -> dict[EventKind, Source]:
    return {
        EventKind.JOB_FAILED: failed_jobs(org_id),
        EventKind.FLAG_CHANGE: flag_changes(),
        EventKind.CANARY_RUN: canary_runs(org_id),
        EventKind.MIGRATION: migrations(),
        EventKind.LIMIT_HIT: limit_hits(org_id),
        EventKind.OPERATOR_ACTION: operator_actions(org_id),
    }
