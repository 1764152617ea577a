"""Jobs: an organization's failed jobs by finish time, for the incident timeline.

The timeline reads failed jobs page by page in ``(finished_at, id)`` order. With only
``ix_jobs_org_status`` SQLite found them by organization and status and then sorted
every failed job of the organization for each page of 500 (a temporary B-tree per
page); "the last failure" scanned them for the newest. A partial index of the failed
jobs in that order serves both reading no more rows than a page, and holds failed
jobs only: succeeded jobs, most of the history, never write to it. It leads with the
status as the other partial indexes do, so SQLite's planner picks it without table
statistics; the queries name the state in their SQL so the condition is seen.

Revision ID: jobs_0005
Revises: jobs_0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "jobs_0005"
down_revision = "jobs_0004"
branch_labels = None
depends_on = None

_NAME = "ix_jobs_failed_finished"


def upgrade() -> None:
    where = sa.text("status = 'failed'")
    op.create_index(
        _NAME,
        "jobs",
        ["status", "org_id", "finished_at", "id"],
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    op.drop_index(_NAME, table_name="jobs")
