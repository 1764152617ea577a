"""Jobs: the record of every workflow run, its steps, the audit of operator actions,
the workers' heartbeats, queue pause switches and the scheduler's claimed runs.

The ``jobs`` row is the job; a queue backend (the local pool or RQ) only carries its
execution. Indexes serve the hot paths: claiming the next queued job, finding stale
heartbeats, pruning finished jobs and paging through 100,000 jobs per organization.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from levqor_desktop.core.models.base import Base, BigId, CreatedAt, UTCDateTime, key_text


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


#: States a job never leaves by itself.
FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED})


class StepStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELED = "canceled"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


def _where(condition: str) -> dict[str, Any]:
    """A partial index's condition, on both dialects."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


class Job(CreatedAt, Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    #: The stored workflow and version run (no FK: the workflows branch is separate and
    #: a job outlives a deleted workflow); None for an ad-hoc run of ``document``.
    workflow_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    workflow_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The workflow's name, copied for filtering and display without a join.
    workflow_name: Mapped[str] = mapped_column(key_text(200))
    #: The workflow document itself, for ad-hoc runs (a file run with ``levqor run``).
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "job_status"))
    #: Which backend carries it: "local" (the in-process pool) or "rq".
    backend: Mapped[str] = mapped_column(String(16), default="local")
    queue: Mapped[str] = mapped_column(String(64), default="default")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    #: Not to be started before this time (a backoff or a scheduled start).
    not_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: rq backend: has the job been handed to Redis? False = held until Redis answers.
    dispatched: Mapped[bool] = mapped_column(Boolean, default=False)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: A retry is a new job that links to the job it retries.
    parent_job_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True
    )
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Idempotency key (the scheduler's "workflow:due time"): one job per key.
    schedule_key: Mapped[str | None] = mapped_column(key_text(200), nullable=True, unique=True)

    __table_args__ = (
        # Claiming: the oldest, most urgent queued job of a backend, in the claim's order
        # (priority descending, then id), so a claim reads no more rows than it takes.
        # Partial indexes hold only the rows their queries look for (queued jobs, running
        # jobs, retries): a job's state changes touch fewer indexes, and the indexes stay
        # as small as the queue rather than growing with the history. They still lead
        # with the status, so SQLite's planner picks them without table statistics.
        Index(
            "ix_jobs_claim",
            "status",
            "backend",
            priority.desc(),
            "id",
            **_where("status = 'queued'"),
        ),
        Index(
            "ix_jobs_running_heartbeat", "status", "heartbeat_at", **_where("status = 'running'")
        ),
        Index("ix_jobs_finished_at", "finished_at"),
        # The incident timeline pages an organization's failed jobs in (finished_at, id)
        # order, and "the last failure" asks for the newest: read in order, not sorted.
        Index(
            "ix_jobs_failed_finished",
            "status",
            "org_id",
            "finished_at",
            "id",
            **_where("status = 'failed'"),
        ),
        Index("ix_jobs_parent_job_id", "parent_job_id", **_where("parent_job_id IS NOT NULL")),
        # Listing and filtering one organization's jobs, newest first.
        Index("ix_jobs_org_id", "org_id", "id"),
        Index("ix_jobs_org_status", "org_id", "status", "id"),
        Index("ix_jobs_org_workflow", "org_id", "workflow_name", "id"),
        Index("ix_jobs_org_user", "org_id", "user_id", "id"),
    )


class JobStep(Base):
    """One step's latest attempt within a job (written when the step ends)."""

    __tablename__ = "job_steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(BigId, ForeignKey("jobs.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(128))
    #: The step's position in the workflow (0-based).
    step_index: Mapped[int] = mapped_column(Integer)
    status: Mapped[StepStatus] = mapped_column(_enum(StepStatus, "step_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    output: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (UniqueConstraint("job_id", "step_id"),)


class JobAudit(Base):
    """Who did what to which job(s), when and why. Kept when the jobs are deleted."""

    __tablename__ = "job_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(32))
    job_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: The filter of a bulk action (None for a single job).
    filter: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_job_audit_org_at", "org_id", "at"),)


class JobWorker(Base):
    """A worker thread of a local pool or an RQ worker process, with its heartbeat."""

    __tablename__ = "job_workers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "local" | "rq"
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))  # "idle" | "busy" | "stopped"
    current_job_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    processed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class QueueState(Base):
    """A queue's switches; a row exists once someone paused it."""

    __tablename__ = "queue_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    changed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ScheduleRun(Base):
    """One due time of a scheduled workflow, claimed by exactly one scheduler."""

    __tablename__ = "schedule_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organizations.id", ondelete="CASCADE"))
    workflow_id: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    job_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: How many due times this run stands for (missed runs collapse into one).
    covered: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("workflow_id", "due_at"),)
