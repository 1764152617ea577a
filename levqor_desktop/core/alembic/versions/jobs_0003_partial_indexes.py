"""Jobs: the claim, stale-heartbeat and retry indexes hold only the rows they serve.

``ix_jobs_claim`` held every job although the claim reads only queued ones, and
``ix_jobs_status_heartbeat`` every job although recovery looks only at running ones;
``ix_jobs_parent_job_id`` held a NULL for every job that is not a retry. As partial
indexes they are as small as the queue instead of the history: a job's state change
writes fewer index entries (a claim and an end each update the row), and building
them (a migration to PostgreSQL rebuilds them after the rows) sorts less. The two
status indexes still lead with the status: without table statistics SQLite's planner
prefers a search on a leading column to any partial index.

Revision ID: jobs_0003
Revises: jobs_0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "jobs_0003"
down_revision = "jobs_0002"
branch_labels = None
depends_on = None


def _partial(name: str, columns: list[str | sa.TextClause], condition: str) -> None:
    where = sa.text(condition)
    op.create_index(name, "jobs", columns, sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    op.drop_index("ix_jobs_claim", table_name="jobs")
    op.drop_index("ix_jobs_status_heartbeat", table_name="jobs")
    op.drop_index("ix_jobs_parent_job_id", table_name="jobs")
    _partial(
        "ix_jobs_claim",
        ["status", "backend", sa.text("priority DESC"), "id"],
        "status = 'queued'",
    )
    _partial("ix_jobs_running_heartbeat", ["status", "heartbeat_at"], "status = 'running'")
    _partial("ix_jobs_parent_job_id", ["parent_job_id"], "parent_job_id IS NOT NULL")


def downgrade() -> None:
    op.drop_index("ix_jobs_claim", table_name="jobs")
    op.drop_index("ix_jobs_running_heartbeat", table_name="jobs")
    op.drop_index("ix_jobs_parent_job_id", table_name="jobs")
    op.create_index("ix_jobs_claim", "jobs", ["status", "backend", sa.text("priority DESC"), "id"])
    op.create_index("ix_jobs_status_heartbeat", "jobs", ["status", "heartbeat_at"])
    op.create_index("ix_jobs_parent_job_id", "jobs", ["parent_job_id"])
