"""Jobs: jobs, job_steps, job_audit, job_workers, queue_state, schedule_runs.

Revision ID: jobs_0001
Revises: 0001_base
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import levqor_desktop.core.models.base as types

revision = "jobs_0001"
down_revision = "0001_base"
branch_labels = ("jobs",)
depends_on = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "job_workers",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("current_job_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", types.UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", types.UTCDateTime(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_workers")),
    )
    op.create_table(
        "queue_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("changed_at", types.UTCDateTime(), nullable=True),
        sa.Column("changed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_queue_state")),
    )
    op.create_table(
        "job_audit",
        sa.Column("id", big_id, nullable=False),
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("at", types.UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("filter", sa.JSON(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_job_audit_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_audit")),
    )
    op.create_index("ix_job_audit_org_at", "job_audit", ["org_id", "at"], unique=False)
    op.create_table(
        "jobs",
        sa.Column("id", big_id, nullable=False),
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("user_id", big_id, nullable=True),
        sa.Column("workflow_id", sa.BigInteger(), nullable=True),
        sa.Column("workflow_version", sa.Integer(), nullable=True),
        sa.Column("workflow_name", sa.String(length=200), nullable=False),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                "canceled",
                name="job_status",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("backend", sa.String(length=16), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", types.UTCDateTime(), nullable=True),
        sa.Column("dispatched", sa.Boolean(), nullable=False),
        sa.Column("heartbeat_at", types.UTCDateTime(), nullable=True),
        sa.Column("worker_id", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", types.UTCDateTime(), nullable=True),
        sa.Column("started_at", types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", types.UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("parent_job_id", big_id, nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("schedule_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_jobs_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_job_id"],
            ["jobs.id"],
            name=op.f("fk_jobs_parent_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_jobs_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("schedule_key", name=op.f("uq_jobs_schedule_key")),
    )
    op.create_index("ix_jobs_claim", "jobs", ["status", "backend", "priority", "id"], unique=False)
    op.create_index("ix_jobs_finished_at", "jobs", ["finished_at"], unique=False)
    op.create_index("ix_jobs_org_id", "jobs", ["org_id", "id"], unique=False)
    op.create_index("ix_jobs_org_status", "jobs", ["org_id", "status", "id"], unique=False)
    op.create_index("ix_jobs_org_user", "jobs", ["org_id", "user_id", "id"], unique=False)
    op.create_index("ix_jobs_org_workflow", "jobs", ["org_id", "workflow_name", "id"], unique=False)
    op.create_index("ix_jobs_parent_job_id", "jobs", ["parent_job_id"], unique=False)
    op.create_index("ix_jobs_status_heartbeat", "jobs", ["status", "heartbeat_at"], unique=False)
    op.create_table(
        "schedule_runs",
        sa.Column("id", big_id, nullable=False),
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("workflow_id", sa.BigInteger(), nullable=False),
        sa.Column("due_at", types.UTCDateTime(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("covered", sa.Integer(), nullable=False),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_schedule_runs_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_runs")),
        sa.UniqueConstraint(
            "workflow_id", "due_at", name=op.f("uq_schedule_runs_workflow_id_due_at")
        ),
    )
    op.create_table(
        "job_steps",
        sa.Column("id", big_id, nullable=False),
        sa.Column("job_id", big_id, nullable=False),
        sa.Column("step_id", sa.String(length=128), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "succeeded",
                "failed",
                "skipped",
                "canceled",
                name="step_status",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", types.UTCDateTime(), nullable=True),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_steps_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_steps")),
        sa.UniqueConstraint("job_id", "step_id", name=op.f("uq_job_steps_job_id_step_id")),
    )


def downgrade() -> None:
    op.drop_table("job_steps")
    op.drop_table("schedule_runs")
    op.drop_table("jobs")
    op.drop_table("job_audit")
    op.drop_table("queue_state")
    op.drop_table("job_workers")
