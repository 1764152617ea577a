"""Usage metering tables: events, daily rollups, limits, reservations, prices, overrides.

An event is one fact ("user 7 of org 2 made 1 Slack call"); its idempotency key makes
recording it twice harmless. Rollups hold one row per (org, user, metric, day) and are
updated in the same transaction as each event, so a month's usage is a sum over at most
31 rows. Amounts are integers: counts, tokens, or micro-dollars for ``cost_usd``.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import BigInteger, Date, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from levqor_desktop.core.models.base import Base, BigId, CreatedAt, UTCDateTime, key_text, utcnow


class Metric(enum.StrEnum):
    CONNECTOR_CALLS = "connector_calls"
    JOB_RUNS = "job_runs"
    AI_PROMPT_TOKENS = "ai_prompt_tokens"
    AI_COMPLETION_TOKENS = "ai_completion_tokens"
    #: Micro-dollars (1 USD = 1,000,000), so sums stay exact integers.
    COST_USD = "cost_usd"


class Period(enum.StrEnum):
    DAY = "day"
    MONTH = "month"


class Enforcement(enum.StrEnum):
    HARD = "hard"  # refuse work that would go over
    SOFT = "soft"  # warn only


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


def _metric() -> Any:
    return _enum(Metric, "usage_metric")


class UsageEvent(Base):
    __tablename__ = "usage_events"
    __table_args__ = (Index("ix_usage_events_org_id_occurred_at", "org_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    metric: Mapped[Metric] = mapped_column(_metric())
    amount: Mapped[int] = mapped_column(BigInteger)
    connector: Mapped[str | None] = mapped_column(String(64))
    workflow: Mapped[str | None] = mapped_column(String(200))
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    idempotency_key: Mapped[str] = mapped_column(key_text(200), unique=True)


class UsageRollup(Base):
    """The sum of one metric for one user of one organization on one UTC day."""

    __tablename__ = "usage_rollups"
    # The primary key (org, metric, day, user) serves an organization's totals and its
    # top users; this index serves one user's month-to-date.
    __table_args__ = (Index("ix_usage_rollups_user_id_metric_day", "user_id", "metric", "day"),)

    org_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[Metric] = mapped_column(_metric(), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)


class UsageLimit(CreatedAt, Base):
    """A cap on one metric per day or month: for a whole org (user_id NULL) or one user."""

    __tablename__ = "usage_limits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    metric: Mapped[Metric] = mapped_column(_metric())
    period: Mapped[Period] = mapped_column(_enum(Period, "usage_period"))
    enforcement: Mapped[Enforcement] = mapped_column(_enum(Enforcement, "usage_enforcement"))
    value: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UsageReservation(Base):
    """Usage promised to a call in flight; counted against hard limits until settled."""

    __tablename__ = "usage_reservations"
    __table_args__ = (Index("ix_usage_reservations_org_id_metric", "org_id", "metric"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    metric: Mapped[Metric] = mapped_column(_metric())
    amount: Mapped[int] = mapped_column(BigInteger)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    #: A worker that dies leaves its reservation behind; after this it no longer counts.
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ModelPrice(Base):
    """What an AI model costs, in micro-dollars per million tokens."""

    __tablename__ = "ai_model_prices"

    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    prompt_per_million: Mapped[int] = mapped_column(BigInteger)
    completion_per_million: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LimitOverride(CreatedAt, Base):
    """An admin let one job past the hard limits, with a reason (the audit record)."""

    __tablename__ = "usage_limit_overrides"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organizations.id", ondelete="CASCADE"))
    job_id: Mapped[int] = mapped_column(BigInteger, index=True)
    granted_by: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))


class UsageLimitHit(Base):
    """A limit refused work (hard) or was found past 100 % (soft), for the incident timeline.

    Repeats of the same limit and outcome within a minute fold into one row (``hits``
    counts them, ``last_at`` is the latest), so a worker hammering a full limit writes
    one row a minute, not one per refusal.
    """

    __tablename__ = "usage_limit_hits"
    __table_args__ = (Index("ix_usage_limit_hits_org_id_at", "org_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organizations.id", ondelete="CASCADE"))
    #: The acting user (None when the hit was not tied to one).
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    #: No foreign key: the hit stays on record when the limit is removed.
    limit_id: Mapped[int] = mapped_column(BigInteger)
    metric: Mapped[Metric] = mapped_column(_metric())
    #: "refused" (a hard limit stopped the work) or "warned" (a soft limit is past 100 %).
    outcome: Mapped[str] = mapped_column(String(16))
    #: Where: "enqueue", "reserve", "ai_step", "tokens".
    stage: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    workflow: Mapped[str | None] = mapped_column(String(200))
    #: The operator-readable sentence naming the limit (no secrets: amounts and names).
    message: Mapped[str] = mapped_column(Text)
    used: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    hits: Mapped[int] = mapped_column(BigInteger, default=1)
