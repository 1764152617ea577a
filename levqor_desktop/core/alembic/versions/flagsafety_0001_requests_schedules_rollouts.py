"""Safe flag changes: change requests and their events, scheduled flips, rollouts.

Revision ID: flagsafety_0001
Revises: 0001_base
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import levqor_desktop.core.models.base as types

revision = "flagsafety_0001"
down_revision = "0001_base"
branch_labels = ("flagsafety",)
# audit_id and restores_id name flag_audit rows without a foreign key: flag_audit is on
# the observability branch, and a dependency would fold that head into this one.
depends_on = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(
    table: str, column: str, target: str, ondelete: str = "SET NULL"
) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], ondelete=ondelete, name=op.f(f"fk_{table}_{column}_{ref_table}")
    )


def upgrade() -> None:
    t = "flag_change_requests"
    op.create_table(
        t,
        sa.Column("id", big_id, nullable=False),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.Column("flag", sa.String(64), nullable=False),
        sa.Column("value", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("org_id", big_id, nullable=True),
        sa.Column("proposed_by", big_id, nullable=True),
        sa.Column("proposer_name", sa.String(200), nullable=False),
        sa.Column("decided_by", big_id, nullable=True),
        sa.Column("decider_name", sa.String(200), nullable=True),
        sa.Column("decided_at", types.UTCDateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("apply_at", types.UTCDateTime(), nullable=True),
        sa.Column("applied_at", types.UTCDateTime(), nullable=True),
        sa.Column("audit_id", big_id, nullable=True),
        sa.Column("restores_id", big_id, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _fk(t, "org_id", "organizations.id"),
        _fk(t, "proposed_by", "users.id"),
        _fk(t, "decided_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_flag_change_requests_status", t, ["status", "id"])

    t = "flag_request_events"
    op.create_table(
        t,
        sa.Column("id", big_id, nullable=False),
        sa.Column("request_id", big_id, nullable=False),
        sa.Column("at", types.UTCDateTime(), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("user_id", big_id, nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _fk(t, "request_id", "flag_change_requests.id", "CASCADE"),
        _fk(t, "user_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index(op.f("ix_flag_request_events_request_id"), t, ["request_id"])

    t = "flag_schedules"
    op.create_table(
        t,
        sa.Column("id", big_id, nullable=False),
        sa.Column("created_at", types.UTCDateTime(), nullable=False),
        sa.Column("flag", sa.String(64), nullable=False),
        sa.Column("value", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("due_at", types.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("org_id", big_id, nullable=True),
        sa.Column("created_by", big_id, nullable=True),
        sa.Column("creator_name", sa.String(200), nullable=False),
        sa.Column("request_id", big_id, nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_at", types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", types.UTCDateTime(), nullable=True),
        sa.Column("audit_id", big_id, nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        _fk(t, "org_id", "organizations.id"),
        _fk(t, "created_by", "users.id"),
        _fk(t, "request_id", "flag_change_requests.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_flag_schedules_status_due", t, ["status", "due_at"])

    t = "flag_rollouts"
    op.create_table(
        t,
        sa.Column("flag", sa.String(64), nullable=False),
        sa.Column("org_ids", sa.JSON(), nullable=False),
        sa.Column("share_bp", sa.Integer(), nullable=False),
        sa.Column("bucket_by", sa.String(8), nullable=False),
        sa.Column("updated_at", types.UTCDateTime(), nullable=False),
        sa.Column("updated_by", big_id, nullable=True),
        sa.Column("updater_name", sa.String(200), nullable=False),
        _fk(t, "updated_by", "users.id"),
        sa.PrimaryKeyConstraint("flag", name=op.f(f"pk_{t}")),
    )


def downgrade() -> None:
    op.drop_table("flag_rollouts")
    op.drop_table("flag_schedules")
    op.drop_table("flag_request_events")
    op.drop_table("flag_change_requests")
