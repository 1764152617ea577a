"""Usage: the record of limit hits (refusals and soft-limit warnings) for incidents.

Revision ID: usage_0003
Revises: usage_0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import levqor_desktop.core.models.base as types

revision = "usage_0003"
down_revision = "usage_0002"
branch_labels = None
depends_on = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
METRICS = ("connector_calls", "job_runs", "ai_prompt_tokens", "ai_completion_tokens", "cost_usd")


def upgrade() -> None:
    op.create_table(
        "usage_limit_hits",
        sa.Column("id", big_id, nullable=False),
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("limit_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "metric",
            sa.Enum(*METRICS, name="usage_metric", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("workflow", sa.String(200), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("at", types.UTCDateTime(), nullable=False),
        sa.Column("last_at", types.UTCDateTime(), nullable=False),
        sa.Column("hits", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_usage_limit_hits_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_limit_hits")),
    )
    op.create_index("ix_usage_limit_hits_org_id_at", "usage_limit_hits", ["org_id", "at"])


def downgrade() -> None:
    op.drop_table("usage_limit_hits")
