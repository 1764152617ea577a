""" "Why isn't it running?": the reasons a job waits, in the order an operator acts on them.

For a queued job: the queue flag (rq chosen but switched off), no worker online,
maintenance, a paused queue, a later start or a backoff, held for Redis, every worker
busy (and with which jobs), jobs ahead of it, usage limits. For other states, what it
is doing or how it ended.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, or_, select

from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.jobs.claims import runnable
from levqor_desktop.core.jobs.contracts import JobRecord, Reason, WorkerInfo
from levqor_desktop.core.jobs.recovery import STALE_AFTER_S
from levqor_desktop.core.jobs.service import JobService
from levqor_desktop.core.models.jobs import Job, JobStatus, JobWorker, QueueState
from levqor_desktop.core.tenancy import Actor


def _when(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def workers(service: JobService, now: dt.datetime) -> list[WorkerInfo]:
    """Every known worker (newest heartbeat first); ``online`` = beating and not stopped."""
    with service.db.session() as session:
        rows = session.scalars(select(JobWorker).order_by(JobWorker.heartbeat_at.desc())).all()
    out = []
    for w in rows:
        age = max(0.0, (now - w.heartbeat_at).total_seconds())
        online = w.state != "stopped" and age < STALE_AFTER_S
        out.append(
            WorkerInfo(
                w.id,
                w.kind,
                w.host,
                w.pid,
                w.state,
                w.current_job_id,
                age,
                w.processed,
                w.failed,
                online,
            )
        )
    return out


def explain(service: JobService, actor: Actor, job: JobRecord) -> list[Reason]:
    now = service.clock()
    if job.status is JobStatus.RUNNING:
        out = [
            Reason(
                "running",
                f"running on {job.worker_id} since {_when(job.started_at or now)} "
                f"(attempt {job.attempts} of {job.max_attempts})",
            )
        ]
        if job.cancel_requested:
            out.append(Reason("canceling", "a cancel was asked for: it stops at the next step"))
        return out
    if job.status is not JobStatus.QUEUED:
        ended = _when(job.finished_at) if job.finished_at else "an unknown time"
        detail = f": {job.error}" if job.error else ""
        return [Reason(job.status.value, f"it {job.status.value} at {ended}{detail}")]
    return _queued(service, actor, job, now)


def _queued(service: JobService, actor: Actor, job: JobRecord, now: dt.datetime) -> list[Reason]:
    reasons: list[Reason] = []
    rq_on = service.router.flags.enabled(FlagName.NEW_QUEUE_ENABLED)
    if job.backend == "rq" and not rq_on:
        reasons.append(
            Reason(
                "flag_off",
                "it waits on the rq backend but NEW_QUEUE_ENABLED is off: only RQ workers "
                "(`levqor worker` with the flag on) run it; requeue it to move it to the "
                "local pool",
            )
        )
    online = [w for w in workers(service, now) if w.online and w.kind == job.backend]
    if not online:
        hint = (
            "start one with `levqor worker`"
            if job.backend == "rq"
            else "run `levqor worker` (or `levqor serve`), or open the window on a profile "
            "that runs workers (`levqor profiles add ... --workers`)"
        )
        reasons.append(Reason("no_worker", f"no {job.backend} worker is online: {hint}"))
    if service.services.maintenance_active():
        reasons.append(Reason("maintenance", "maintenance is on: no job is started until it ends"))
    with service.db.session() as session:
        paused = session.get(QueueState, job.queue)
    if paused is not None and paused.paused:
        by = f" by {paused.changed_by}" if paused.changed_by else ""
        at = f" at {_when(paused.changed_at)}" if paused.changed_at else ""
        reasons.append(Reason("paused", f"queue {job.queue!r} is paused{by}{at}"))
    if job.not_before is not None and job.not_before > now:
        if job.attempts > 0:
            text = (
                f"backing off after attempt {job.attempts} failed: "
                f"retries at {_when(job.not_before)}"
            )
            reasons.append(Reason("backoff", text))
        else:
            reasons.append(Reason("scheduled", f"scheduled to start at {_when(job.not_before)}"))
    rq = service.router.get("rq")
    if job.backend == "rq" and not job.dispatched:
        if rq is not None and rq.status().state == "degraded":
            reasons.append(Reason("held", f"held until Redis answers ({rq.status().detail})"))
        else:
            reasons.append(Reason("dispatching", "waiting to be sent to Redis by the dispatcher"))
    if online and all(w.state == "busy" for w in online):
        busy = ", ".join(f"#{w.current_job_id}" for w in online if w.current_job_id)
        reasons.append(
            Reason("pool_full", f"all {len(online)} {job.backend} workers are busy with {busy}")
        )
    ahead = _ahead(service, job, now)
    if ahead:
        reasons.append(Reason("ahead", f"{ahead} runnable job(s) are ahead of it in line"))
    usage = service.services.usage
    if usage is not None:
        blocked = usage.why_blocked(actor, job_id=job.id)
        if blocked:
            reasons.append(Reason("limit", blocked))
    if not reasons:
        reasons.append(Reason("ready", "nothing holds it back: a worker takes it next"))
    return reasons


def _ahead(service: JobService, job: JobRecord, now: dt.datetime) -> int:
    before = or_(Job.priority > job.priority, and_(Job.priority == job.priority, Job.id < job.id))
    stmt = (
        select(func.count())
        .select_from(Job)
        .where(Job.backend == job.backend, runnable(now), before)
    )
    with service.db.session() as session:
        return int(session.scalar(stmt) or 0)
