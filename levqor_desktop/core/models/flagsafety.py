"""Safe flag changes: change requests and their events, scheduled flips, rollouts.

A change request carries a risky flag change from its proposal to a second admin's
decision and its application; every transition is a ``flag_request_events`` row (and a
note in ``flag_audit``). A scheduled flip is applied once at its time: the applier
claims the row with a conditional UPDATE, so two processes never both apply it. A
rollout turns a flag on for some organizations and/or a share of organizations or users.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from levqor_desktop.core.models.base import Base, BigId, UTCDateTime, utcnow


class FlagChangeRequest(Base):
    """A proposed change of a risky flag: proposed → approved | rejected → applied."""

    __tablename__ = "flag_change_requests"
    __table_args__ = (Index("ix_flag_change_requests_status", "status", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    flag: Mapped[str] = mapped_column(String(64))
    #: The stored value asked for; None: remove it (the default applies).
    value: Mapped[bool | None] = mapped_column(Boolean())
    reason: Mapped[str] = mapped_column(Text())
    #: proposed | approved (waiting for apply_at) | rejected | applied | canceled | failed
    status: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="SET NULL")
    )
    proposed_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    proposer_name: Mapped[str] = mapped_column(String(200))
    decided_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    decider_name: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text())
    #: Apply at this time once approved (a scheduled flip is made); None: at once.
    apply_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    applied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The flag_audit row of the applied change; the row a restore request restores.
    #: (No foreign key: flag_audit lives on another Alembic branch.)
    audit_id: Mapped[int | None] = mapped_column(BigId)
    restores_id: Mapped[int | None] = mapped_column(BigId)
    error: Mapped[str | None] = mapped_column(Text())


class FlagRequestEvent(Base):
    """One transition of a change request: who, when, what, and a note."""

    __tablename__ = "flag_request_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("flag_change_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: proposed | approved | rejected | applied | canceled | failed
    event: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text())


class FlagSchedule(Base):
    """A flag value to apply at a given time, once."""

    __tablename__ = "flag_schedules"
    __table_args__ = (Index("ix_flag_schedules_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    flag: Mapped[str] = mapped_column(String(64))
    value: Mapped[bool | None] = mapped_column(Boolean())
    reason: Mapped[str | None] = mapped_column(Text())
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: pending | applying (claimed) | applied | canceled | failed
    status: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="SET NULL")
    )
    created_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    creator_name: Mapped[str] = mapped_column(String(200))
    #: The approved change request this flip carries out, if any.
    request_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("flag_change_requests.id", ondelete="SET NULL")
    )
    #: Which process claimed it ("host:pid"), and when (a stale claim is taken over).
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The flag_audit row of the applied change (no foreign key, as above).
    audit_id: Mapped[int | None] = mapped_column(BigId)
    #: Who canceled it, or why applying it failed.
    outcome: Mapped[str | None] = mapped_column(Text())


class FlagRollout(Base):
    """A flag on for some organizations and/or a share of organizations or users."""

    __tablename__ = "flag_rollouts"

    flag: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Organization ids the flag is on for.
    org_ids: Mapped[list[Any]] = mapped_column(JSON(), default=list)
    #: The share in basis points (0-10000) of subjects the flag is on for.
    share_bp: Mapped[int] = mapped_column(Integer(), default=0)
    #: What the share is drawn over: "org" or "user".
    bucket_by: Mapped[str] = mapped_column(String(8), default="org")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    updater_name: Mapped[str] = mapped_column(String(200))
