"""Usage metering: events, daily rollups, limits, reservations, AI prices, overrides.

Revision ID: usage_0001
Revises: 0001_base
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import levqor_desktop.core.models.base as types

revision = "usage_0001"
down_revision = "0001_base"
branch_labels = ("usage",)
depends_on = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
METRICS = ("connector_calls", "job_runs", "ai_prompt_tokens", "ai_completion_tokens", "cost_usd")


def _metric() -> sa.Enum:
    return sa.Enum(*METRICS, name="usage_metric", native_enum=False, length=32)


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id"],
        ["organizations.id"],
        name=op.f(f"fk_{table}_org_id_organizations"),
        ondelete="CASCADE",
    )


def _user_fk(table: str, column: str = "user_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "ai_model_prices",
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("prompt_per_million", sa.BigInteger(), nullable=False),
        sa.Column("completion_per_million", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("model", name=op.f("pk_ai_model_prices")),
    )
    op.create_table(
        "usage_events",
        sa.Column("id", big_id, nullable=False),
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("user_id", big_id, nullable=False),
        sa.Column("metric", _metric(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("connector", sa.String(64), nullable=True),
        sa.Column("workflow", sa.String(200), nullable=True),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("occurred_at", types.UTCDateTime(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        _org_fk("usage_events"),
        _user_fk("usage_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_events")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_usage_events_idempotency_key")),
    )
    op.create_index("ix_usage_events_org_id_occurred_at", "usage_events", ["org_id", "occurred_at"])
    op.create_table(
        "usage_rollups",
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("metric", _metric(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", big_id, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        _org_fk("usage_rollups"),
        _user_fk("usage_rollups"),
        sa.PrimaryKeyConstraint(
            "org_id", "metric", "day", "user_id", name=op.f("pk_usage_rollups")
        ),
    )
    op.create_index(
        "ix_usage_rollups_user_id_metric_day", "usage_rollups", ["user_id", "metric", "day"]
    )
    op.create_table(
        "usage_limits",
        sa.Column("id", big_id, nullable=False),
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("user_id", big_id, nullable=True),
        sa.Column("metric", _metric(), nullable=False),
        sa.Column(
            "period",
            sa.Enum("day", "month", name="usage_period", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "enforcement",
            sa.Enum("hard", "soft", name="usage_enforcement", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", types.UTCDateTime(), nullable=False),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        _org_fk("usage_limits"),
        _user_fk("usage_limits"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_limits")),
    )
    op.create_index(op.f("ix_usage_limits_org_id"), "usage_limits", ["org_id"])
    op.create_table(
        "usage_reservations",
        sa.Column("id", big_id, nullable=False),
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("user_id", big_id, nullable=False),
        sa.Column("metric", _metric(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", types.UTCDateTime(), nullable=False),
        _org_fk("usage_reservations"),
        _user_fk("usage_reservations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_reservations")),
    )
    op.create_index(
        "ix_usage_reservations_org_id_metric", "usage_reservations", ["org_id", "metric"]
    )
    op.create_table(
        "usage_limit_overrides",
        sa.Column("id", big_id, nullable=False),
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("granted_by", big_id, nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        _org_fk("usage_limit_overrides"),
        _user_fk("usage_limit_overrides", "granted_by"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_limit_overrides")),
    )
    op.create_index(op.f("ix_usage_limit_overrides_job_id"), "usage_limit_overrides", ["job_id"])


def downgrade() -> None:
    for table in (
        "usage_limit_overrides",
        "usage_reservations",
        "usage_limits",
        "usage_rollups",
        "usage_events",
        "ai_model_prices",
    ):
        op.drop_table(table)
