"""Connectors: accounts (non-secret part) and per-day call counters.

Revision ID: connectors_0001
Revises: 0001_base
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import levqor_desktop.core.models.base as types

revision = "connectors_0001"
down_revision = "0001_base"
branch_labels = ("connectors",)
depends_on = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "connector_accounts",
        sa.Column("id", big_id, nullable=False),
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("secret_fields", sa.JSON(), nullable=False),
        sa.Column("updated_at", types.UTCDateTime(), nullable=False),
        sa.Column("last_check_at", types.UTCDateTime(), nullable=True),
        sa.Column("last_check_ok", sa.Boolean(), nullable=True),
        sa.Column("last_check_detail", sa.Text(), nullable=True),
        sa.Column("last_check_latency_ms", sa.Float(), nullable=True),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            ondelete="CASCADE",
            name=op.f("fk_connector_accounts_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_accounts")),
        sa.UniqueConstraint(
            "org_id",
            "connector",
            "label",
            name=op.f("uq_connector_accounts_org_id_connector_label"),
        ),
    )
    op.create_index(op.f("ix_connector_accounts_org_id"), "connector_accounts", ["org_id"])
    op.create_table(
        "connector_call_days",
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("latency_ms_total", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            ondelete="CASCADE",
            name=op.f("fk_connector_call_days_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("org_id", "connector", "day", name=op.f("pk_connector_call_days")),
    )


def downgrade() -> None:
    op.drop_table("connector_call_days")
    op.drop_index(op.f("ix_connector_accounts_org_id"), table_name="connector_accounts")
    op.drop_table("connector_accounts")
