"""The migration journal: one row per migrate, verify, switch or rollback run.

A run is written to the database it changes (the PostgreSQL target for migrate, verify
and switch), so a copy that was cut short is recognisable there: its run stays
``running`` and the next migrate may clean exactly those tables. The journal is not
copied by the migration itself (it describes the copy); rollback merges it back by
``uuid``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from levqor_desktop.core.models.base import Base, BigId, UTCDateTime, utcnow


class MigrationRun(Base):
    __tablename__ = "migration_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: Stable identity across databases (rollback merges journals by it).
    uuid: Mapped[str] = mapped_column(String(32), unique=True)
    #: migrate | verify | switch | rollback | clean
    kind: Mapped[str] = mapped_column(String(16))
    #: running | succeeded | failed | canceled
    status: Mapped[str] = mapped_column(String(16))
    #: Where the data came from and went to, passwords masked.
    source: Mapped[str] = mapped_column(String(500))
    target: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The process that ran it (a ``running`` run whose process is gone was cut short).
    pid: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    #: Per-table figures: rows copied, high-water marks, checksums.
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
