"""Flag audit trail and per-minute metric samples.

Flags are installation-wide (not tenant data), so ``flag_audit`` records the acting
user's organization for reference only. ``metric_samples`` keeps one averaged value per
series and minute, so graphs start with history after a restart; it is pruned like job
history.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from levqor_desktop.core.models.base import Base, BigId, UTCDateTime, utcnow


class FlagAudit(Base):
    """One change of a flag's stored value: who, when, old, new, through what, why."""

    __tablename__ = "flag_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    flag: Mapped[str] = mapped_column(String(64), index=True)
    #: Stored (file) values before and after; None means "not set" (the default applies).
    old_value: Mapped[bool | None] = mapped_column(Boolean())
    new_value: Mapped[bool | None] = mapped_column(Boolean())
    #: Effective values before and after (what the program actually used).
    old_effective: Mapped[bool] = mapped_column(Boolean())
    new_effective: Mapped[bool] = mapped_column(Boolean())
    #: Where the change came from: "cli", "window", "api", "canary", ...
    source: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text())
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    org_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="SET NULL")
    )
    #: The actor's name at the time (kept when the user row goes away).
    actor_name: Mapped[str] = mapped_column(String(200))
    #: Set when this change undid (or the canary reverted) an earlier one.
    undoes_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("flag_audit.id", ondelete="SET NULL")
    )


class MetricSample(Base):
    """The mean of one sampled series over one minute."""

    __tablename__ = "metric_samples"
    __table_args__ = (Index("ix_metric_samples_series_ts", "series", "ts"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    series: Mapped[str] = mapped_column(String(64))
    #: Start of the minute the value covers (UTC).
    ts: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    value: Mapped[float] = mapped_column(Float())
