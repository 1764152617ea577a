"""Base: organizations, users, memberships.

Revision ID: 0001_base
Revises:
Create Date: 2026-11-28

Each domain (jobs, flags, usage, ...) adds its tables on its own branch that starts
here, so the schema upgrades to ``heads``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import levqor_desktop.core.models.base as types

revision = "0001_base"
down_revision = None
branch_labels = ("base",)
depends_on = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", big_id, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_table(
        "users",
        sa.Column("id", big_id, primary_key=True),
        sa.Column("email_sha256", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email_sha256", name=op.f("uq_users_email_sha256")),
    )
    op.create_table(
        "memberships",
        sa.Column("org_id", big_id, nullable=False),
        sa.Column("user_id", big_id, nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "viewer", "operator", "admin", "owner", name="role", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            ondelete="CASCADE",
            name=op.f("fk_memberships_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name=op.f("fk_memberships_user_id_users")
        ),
        sa.PrimaryKeyConstraint("org_id", "user_id", name=op.f("pk_memberships")),
    )
    op.create_index(op.f("ix_memberships_user_id"), "memberships", ["user_id"])


def downgrade() -> None:
    op.drop_table("memberships")
    op.drop_table("users")
    op.drop_table("organizations")
