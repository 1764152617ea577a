"""Observability: flag audit trail and per-minute metric samples.

Revision ID: observability_0001
Revises: 0001_base
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import levqor_desktop.core.models.base as types

revision = "observability_0001"
down_revision = "0001_base"
branch_labels = ("observability",)
depends_on = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "flag_audit",
        sa.Column("id", big_id, nullable=False),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.Column("flag", sa.String(64), nullable=False),
        sa.Column("old_value", sa.Boolean(), nullable=True),
        sa.Column("new_value", sa.Boolean(), nullable=True),
        sa.Column("old_effective", sa.Boolean(), nullable=False),
        sa.Column("new_effective", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("user_id", big_id, nullable=True),
        sa.Column("org_id", big_id, nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("undoes_id", big_id, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="SET NULL", name=op.f("fk_flag_audit_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            ondelete="SET NULL",
            name=op.f("fk_flag_audit_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["undoes_id"],
            ["flag_audit.id"],
            ondelete="SET NULL",
            name=op.f("fk_flag_audit_undoes_id_flag_audit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_audit")),
    )
    op.create_index(op.f("ix_flag_audit_created_at"), "flag_audit", ["created_at"])
    op.create_index(op.f("ix_flag_audit_flag"), "flag_audit", ["flag"])
    op.create_table(
        "metric_samples",
        sa.Column("id", big_id, nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("ts", types.UTCDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_samples")),
    )
    op.create_index("ix_metric_samples_series_ts", "metric_samples", ["series", "ts"])
    op.create_index(op.f("ix_metric_samples_ts"), "metric_samples", ["ts"])


def downgrade() -> None:
    op.drop_table("metric_samples")
    op.drop_table("flag_audit")
