"""Operator actions: the audit trail of everything an operator changed, with its preview.

Every mutating action that passes the production guard (bulk job actions, flag changes,
migrations, limit changes, API keys, ...) leaves one row: who, when, on which deployment
profile and environment, what (an action name and its target), how much (a count), and
the preview the operator saw. The incident timeline reads this table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from levqor_desktop.core.models.base import Base, BigId, UTCDateTime, utcnow


class OperatorAction(Base):
    """One audited operator action."""

    __tablename__ = "operator_actions"
    __table_args__ = (Index("ix_operator_actions_org_created", "org_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    org_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    #: The actor's name at the time (kept when the user row goes away).
    actor_name: Mapped[str] = mapped_column(String(200))
    #: The deployment profile acted on and its kind (local, staging, production).
    profile: Mapped[str] = mapped_column(String(100))
    environment: Mapped[str] = mapped_column(String(20))
    #: A dotted action name ("jobs.bulk_cancel", "flags.set", "migrate.switch", ...).
    action: Mapped[str] = mapped_column(String(64), index=True)
    #: What it acted on, for people ("state=failed workflow=digest", "PG_ENABLED", ...).
    target: Mapped[str] = mapped_column(Text())
    #: How many things it changed (jobs, rows, flags); 1 for a single change.
    count: Mapped[int] = mapped_column(Integer(), default=1)
    #: Where it came from: "cli", "window", "api".
    source: Mapped[str] = mapped_column(String(32))
    #: "confirmed" (went ahead), "refused" (wrong or missing name), "failed" (raised).
    outcome: Mapped[str] = mapped_column(String(16))
    #: The preview the operator saw and any details (redacted; never secrets).
    details: Mapped[dict[str, Any]] = mapped_column(JSON(), default=dict)
