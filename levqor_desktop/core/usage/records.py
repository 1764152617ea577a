"""Writing usage events and their daily rollups in one transaction.

``INSERT ... ON CONFLICT (idempotency_key) DO NOTHING RETURNING`` tells which events are
new; only those are added to their rollup rows with ``INSERT ... ON CONFLICT DO UPDATE
SET amount = amount + excluded.amount`` (the same statement on SQLite and PostgreSQL).
Rollup keys are written in sorted order so concurrent batches on PostgreSQL lock rows
in the same order and cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from levqor_desktop.core.models.usage import Metric, UsageEvent, UsageRollup
from levqor_desktop.core.usage.periods import utc_day
from levqor_desktop.errors import ValidationError

EVENTS: Table = UsageEvent.__table__  # type: ignore[assignment]
ROLLUPS: Table = UsageRollup.__table__  # type: ignore[assignment]
#: Rows per statement when bulk inserting (well under SQLite's variable limit).
CHUNK = 500


def new_key() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class NewEvent:
    """One usage fact to record. Give a stable ``idempotency_key`` for retried writers."""

    org_id: int
    user_id: int
    metric: Metric
    amount: int
    occurred_at: dt.datetime
    idempotency_key: str = field(default_factory=new_key)
    connector: str | None = None
    workflow: str | None = None
    job_id: int | None = None

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValidationError(
                f"usage amounts cannot be negative ({self.metric}: {self.amount})"
            )
        if not self.idempotency_key or len(self.idempotency_key) > 200:
            raise ValidationError("an idempotency key must have 1 to 200 characters")

    def row(self) -> dict[str, object]:
        return {
            "org_id": self.org_id,
            "user_id": self.user_id,
            "metric": self.metric,
            "amount": self.amount,
            "connector": self.connector,
            "workflow": self.workflow,
            "job_id": self.job_id,
            "occurred_at": self.occurred_at,
            "idempotency_key": self.idempotency_key,
        }


def _insert(backend: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(table) if backend == "postgresql" else sqlite.insert(table)


RollupKey = tuple[int, str, dt.date, int]


def rollup_deltas(events: Iterable[NewEvent]) -> dict[RollupKey, int]:
    """The amount each (org, metric, day, user) rollup row grows by."""
    deltas: dict[RollupKey, int] = {}
    for e in events:
        key = (e.org_id, str(e.metric), utc_day(e.occurred_at), e.user_id)
        deltas[key] = deltas.get(key, 0) + e.amount
    return deltas


def add_to_rollups(session: Session, backend: str, deltas: dict[RollupKey, int]) -> None:
    if not deltas:
        return
    rows = [
        {"org_id": o, "metric": m, "day": d, "user_id": u, "amount": a}
        for (o, m, d, u), a in sorted(deltas.items())
    ]
    stmt = _insert(backend, ROLLUPS)
    upsert = stmt.on_conflict_do_update(
        index_elements=["org_id", "metric", "day", "user_id"],
        set_={"amount": ROLLUPS.c.amount + stmt.excluded.amount},
    )
    for start in range(0, len(rows), CHUNK):
        session.execute(upsert, rows[start : start + CHUNK])


def insert_events(session: Session, backend: str, events: Sequence[NewEvent]) -> int:
    """Record ``events`` (duplicates by idempotency key are skipped); return how many were new.

    Runs inside the caller's transaction, so the events and their rollups commit together.
    """
    if not events:
        return 0
    stmt = _insert(backend, EVENTS).on_conflict_do_nothing(index_elements=["idempotency_key"])
    if len(events) == 1:
        event = events[0]
        inserted = session.execute(stmt.returning(EVENTS.c.id), event.row()).first()
        if inserted is None:
            return 0
        add_to_rollups(session, backend, rollup_deltas(events))
        return 1
    by_key = {e.idempotency_key: e for e in events}  # a key repeated in one batch counts once
    new: list[NewEvent] = []
    # Sorted keys: concurrent batches sharing keys wait on each other, never deadlock.
    unique = [by_key[key] for key in sorted(by_key)]
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        result = session.execute(stmt.returning(EVENTS.c.idempotency_key), [e.row() for e in chunk])
        new.extend(by_key[key] for key in result.scalars())
    add_to_rollups(session, backend, rollup_deltas(new))
    return len(new)
