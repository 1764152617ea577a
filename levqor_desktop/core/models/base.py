"""The declarative base every table shares, and the column types they use.

One schema on SQLite and PostgreSQL: constraint names follow a naming convention (so
Alembic can alter them on both), ids are 64-bit on PostgreSQL and SQLite's rowid
integers, and timestamps are stored and returned in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: 64-bit ids on PostgreSQL; on SQLite, INTEGER PRIMARY KEY is the rowid (autoincrements).
BigId = BigInteger().with_variant(Integer(), "sqlite")


def key_text(length: int) -> String:
    """Text compared byte by byte on both databases (names, idempotency keys).

    SQLite compares text bytewise already; on PostgreSQL the column gets the "C"
    collation, so lists sort alike on both and its indexes sort several times fewer
    locale comparisons (building them is most of a migration's index time).
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned time-zone aware.

    SQLite has no time zone type; PostgreSQL stores ``timestamptz``. Naive values are
    refused so that no local time slips in unnoticed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError(f"timestamps must be time-zone aware datetimes, got {value!r}")
        utc: dt.datetime = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CreatedAt:
    """Mixin: a ``created_at`` column set on insert."""

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
