"""Connector accounts (the non-secret part) and per-day call counters.

The secret fields of an account live only in the OS keyring; a row here holds the
account's label, its non-secret fields and the outcome of its last check.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from levqor_desktop.core.models.base import Base, BigId, CreatedAt, UTCDateTime, utcnow


class ConnectorAccount(CreatedAt, Base):
    __tablename__ = "connector_accounts"
    __table_args__ = (UniqueConstraint("org_id", "connector", "label"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    connector: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100))
    #: Values of the connector's non-secret credential fields (host, instance URL, ...).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Names of the secret fields stored in the keyring for this account.
    secret_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_check_ok: Mapped[bool | None]
    last_check_detail: Mapped[str | None] = mapped_column(Text)
    last_check_latency_ms: Mapped[float | None] = mapped_column(Float)


class ConnectorCallDay(Base):
    """Calls, errors and total latency per organization, connector and UTC day."""

    __tablename__ = "connector_call_days"

    org_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    connector: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms_total: Mapped[float] = mapped_column(Float, default=0.0)
