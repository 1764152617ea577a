"""Jobs: the claim index orders priority descending, as the claim does.

The claim takes ``ORDER BY priority DESC, id``. An index on ``priority`` ascending serves
the first key but not the second (its direction differs), so both SQLite and PostgreSQL
sorted every queued job of the top priority on each claim: about 3 ms per claim with
3,000 queued jobs, growing with the queue. With ``priority DESC`` in the index the claim
reads its rows in order and stops at the limit.

Revision ID: jobs_0002
Revises: jobs_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "jobs_0002"
down_revision = "jobs_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_jobs_claim", table_name="jobs")
    op.create_index("ix_jobs_claim", "jobs", ["status", "backend", sa.text("priority DESC"), "id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_claim", table_name="jobs")
    op.create_index("ix_jobs_claim", "jobs", ["status", "backend", "priority", "id"])
