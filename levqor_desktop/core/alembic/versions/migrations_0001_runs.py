"""Migrations: the journal of migrate, verify, switch and rollback runs.

Revision ID: migrations_0001
Revises: 0001_base
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import levqor_desktop.core.models.base as types

revision = "migrations_0001"
down_revision = "0001_base"
branch_labels = ("migrations",)
depends_on = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "migration_runs",
        sa.Column("id", big_id, nullable=False),
        sa.Column("uuid", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("started_at", types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", types.UTCDateTime(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_migration_runs")),
        sa.UniqueConstraint("uuid", name=op.f("uq_migration_runs_uuid")),
    )


def downgrade() -> None:
    op.drop_table("migration_runs")
