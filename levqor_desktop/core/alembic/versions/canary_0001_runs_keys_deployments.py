"""Canary: runs and results, probe rows, API keys, saved deployments.

Revision ID: canary_0001
Revises: 0001_base
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import levqor_desktop.core.models.base as types

revision = "canary_0001"
down_revision = "0001_base"
branch_labels = ("canary",)
depends_on = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "canary_runs",
        sa.Column("id", big_id, nullable=False),
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("target_label", sa.String(200), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("change", sa.String(500), nullable=True),
        sa.Column("rollback", sa.Text(), nullable=True),
        sa.Column("baseline_run_id", big_id, nullable=True),
        sa.Column("started_at", types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            ondelete="CASCADE",
            name=op.f("fk_canary_runs_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_runs")),
    )
    op.create_index(op.f("ix_canary_runs_org_id"), "canary_runs", ["org_id"])
    op.create_index(op.f("ix_canary_runs_target"), "canary_runs", ["target"])
    op.create_index(op.f("ix_canary_runs_started_at"), "canary_runs", ["started_at"])

    op.create_table(
        "canary_results",
        sa.Column("id", big_id, nullable=False),
        sa.Column("run_id", big_id, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("check_name", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("threshold", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("advice", sa.Text(), nullable=True),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["canary_runs.id"],
            ondelete="CASCADE",
            name=op.f("fk_canary_results_run_id_canary_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_results")),
    )
    op.create_index(op.f("ix_canary_results_run_id"), "canary_results", ["run_id"])

    op.create_table(
        "canary_probes",
        sa.Column("id", big_id, nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_probes")),
        sa.UniqueConstraint("token", name=op.f("uq_canary_probes_token")),
    )

    op.create_table(
        "api_keys",
        sa.Column("id", big_id, nullable=False),
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("user_id", big_id, nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "viewer",
                "operator",
                "admin",
                "owner",
                name="api_key_role",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("last_used_at", types.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", types.UTCDateTime(), nullable=True),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            ondelete="CASCADE",
            name=op.f("fk_api_keys_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name=op.f("fk_api_keys_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_index(op.f("ix_api_keys_org_id"), "api_keys", ["org_id"])
    op.create_index(op.f("ix_api_keys_user_id"), "api_keys", ["user_id"])

    op.create_table(
        "canary_deployments",
        sa.Column("id", big_id, nullable=False),
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("api_key_env", sa.String(100), nullable=True),
        sa.Column("api_key_secret", sa.String(200), nullable=True),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            ondelete="CASCADE",
            name=op.f("fk_canary_deployments_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_deployments")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_canary_deployments_org_id_name")),
    )
    op.create_index(op.f("ix_canary_deployments_org_id"), "canary_deployments", ["org_id"])


def downgrade() -> None:
    op.drop_table("canary_deployments")
    op.drop_table("api_keys")
    op.drop_table("canary_probes")
    op.drop_table("canary_results")
    op.drop_table("canary_runs")
