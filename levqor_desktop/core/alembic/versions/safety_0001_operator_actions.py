"""Operator safety: the audit trail of operator actions.

Revision ID: safety_0001
Revises: 0001_base
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import levqor_desktop.core.models.base as types

revision = "safety_0001"
down_revision = "0001_base"
branch_labels = ("safety",)
depends_on = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "operator_actions",
        sa.Column("id", big_id, nullable=False),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.Column("org_id", big_id, nullable=True),
        sa.Column("user_id", big_id, nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("profile", sa.String(100), nullable=False),
        sa.Column("environment", sa.String(20), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            ondelete="SET NULL",
            name=op.f("fk_operator_actions_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            ondelete="SET NULL",
            name=op.f("fk_operator_actions_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_actions")),
    )
    op.create_index(op.f("ix_operator_actions_created_at"), "operator_actions", ["created_at"])
    op.create_index(op.f("ix_operator_actions_action"), "operator_actions", ["action"])
    op.create_index("ix_operator_actions_org_created", "operator_actions", ["org_id", "created_at"])


def downgrade() -> None:
    op.drop_table("operator_actions")
