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

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from levqor_desktop.core.models.usage import Metric, UsageEvent, UsageRollup
from levqor_desktop.core.usage.periods import utc_day
from levqor_desktop.errors import ValidationError

EVENTS: Table = UsageEvent.__table__  # type: ignore[assignment]
ROLLUPS: Table = UsageRollup.__table__  # type: ignore[assignment]
#: Rows per statement when bulk inserting (well under SQLite's variable limit).
CHUNK = 500
#: A transaction to write in: an ORM session or a Core connection.
Executor = Session | Connection


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


class Statements:
    """The recording statements for one backend, built once (building them is costly)."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        events = _insert(backend, EVENTS).on_conflict_do_nothing(index_elements=["idempotency_key"])
        self.event_returning_id = events.returning(EVENTS.c.id)
        self.events_returning_key = events.returning(EVENTS.c.idempotency_key)
        rollup = _insert(backend, ROLLUPS)
        self.rollup_upsert = rollup.on_conflict_do_update(
            index_elements=["org_id", "metric", "day", "user_id"],
            set_={"amount": ROLLUPS.c.amount + rollup.excluded.amount},
        )


_STATEMENTS = {name: Statements(name) for name in ("sqlite", "postgresql")}


def statements(backend: str) -> Statements:
    return _STATEMENTS[backend]


RollupKey = tuple[int, str, dt.date, int]


def rollup_deltas(events: Iterable[NewEvent]) -> dict[RollupKey, int]:
    """The amount each (org, metric, day, user) rollup row grows by."""
    deltas: dict[RollupKey, int] = {}
    for e in events:
        key = (e.org_id, str(e.metric), utc_day(e.occurred_at), e.user_id)
        deltas[key] = deltas.get(key, 0) + e.amount
    return deltas


def add_to_rollups(conn: Executor, backend: str, deltas: dict[RollupKey, int]) -> None:
    if not deltas:
        return
    rows = [
        {"org_id": o, "metric": m, "day": d, "user_id": u, "amount": a}
        for (o, m, d, u), a in sorted(deltas.items())
    ]
    upsert = statements(backend).rollup_upsert
    if len(rows) == 1:
        conn.execute(upsert, rows[0])
        return
    for start in range(0, len(rows), CHUNK):
        conn.execute(upsert, rows[start : start + CHUNK])


def insert_events(conn: Executor, backend: str, events: Sequence[NewEvent]) -> int:
    """Record ``events`` (duplicates by idempotency key are skipped); return how many were new.

    Runs inside the caller's transaction, so the events and their rollups commit together.
    """
    if not events:
        return 0
    stmts = statements(backend)
    if len(events) == 1:
        inserted = conn.execute(stmts.event_returning_id, events[0].row()).first()
        if inserted is None:
            return 0
        add_to_rollups(conn, backend, rollup_deltas(events))
        return 1
    by_key = {e.idempotency_key: e for e in events}  # a key repeated in one batch counts once
    new: list[NewEvent] = []
    # Sorted keys: concurrent batches sharing keys wait on each other, never deadlock.
    unique = [by_key[key] for key in sorted(by_key)]
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        result = conn.execute(stmts.events_returning_key, [e.row() for e in chunk])
        new.extend(by_key[key] for key in result.scalars())
    add_to_rollups(conn, backend, rollup_deltas(new))
    return len(new)


# -- the single-event fast path ------------------------------------------------------
# Every connector call records its events one transaction at a time, and SQLAlchemy's
# per-statement overhead is most of that cost; these two statements go straight to the
# driver (same SQL as above). The timestamp format is SQLAlchemy's SQLite DATETIME
# storage format, so rows written here read back through the ORM unchanged.

_SQLITE_EVENT = (
    "INSERT INTO usage_events (org_id, user_id, metric, amount, connector, workflow, job_id,"
    " occurred_at, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)
_SQLITE_ROLLUP = (
    "INSERT INTO usage_rollups (org_id, metric, day, user_id, amount) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (org_id, metric, day, user_id) DO UPDATE"
    " SET amount = usage_rollups.amount + excluded.amount"
)
# One round trip on PostgreSQL: the rollup insert reads the event insert's RETURNING.
_PG_EVENT_AND_ROLLUP = (
    "WITH e AS (INSERT INTO usage_events (org_id, user_id, metric, amount, connector, workflow,"
    " job_id, occurred_at, idempotency_key) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING org_id, metric, user_id, amount)"
    " INSERT INTO usage_rollups (org_id, metric, day, user_id, amount)"
    " SELECT org_id, metric, %s, user_id, amount FROM e"
    " ON CONFLICT (org_id, metric, day, user_id) DO UPDATE"
    " SET amount = usage_rollups.amount + excluded.amount RETURNING 1"
)


def _sqlite_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def record_one(engine: Engine, event: NewEvent) -> bool:
    """Record one event and its rollup in one transaction; False if the key was seen."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            if engine.dialect.name == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")  # the connection is in driver autocommit
                cursor.execute(
                    _SQLITE_EVENT,
                    (
                        event.org_id,
                        event.user_id,
                        event.metric.value,
                        event.amount,
                        event.connector,
                        event.workflow,
                        event.job_id,
                        _sqlite_time(event.occurred_at),
                        event.idempotency_key,
                    ),
                )
                new = cursor.fetchone() is not None
                if new:
                    day = utc_day(event.occurred_at).isoformat()
                    cursor.execute(
                        _SQLITE_ROLLUP,
                        (event.org_id, event.metric.value, day, event.user_id, event.amount),
                    )
                cursor.execute("COMMIT")
            else:
                cursor.execute(
                    _PG_EVENT_AND_ROLLUP,
                    (
                        event.org_id,
                        event.user_id,
                        event.metric.value,
                        event.amount,
                        event.connector,
                        event.workflow,
                        event.job_id,
                        event.occurred_at,
                        event.idempotency_key,
                        utc_day(event.occurred_at),
                    ),
                )
                new = cursor.fetchone() is not None
                raw.commit()
        except BaseException:
            if engine.dialect.name != "sqlite":
                raw.rollback()
            elif getattr(raw.driver_connection, "in_transaction", False):
                cursor.execute("ROLLBACK")
            raise
        finally:
            cursor.close()
    finally:
        raw.close()
    return new


def job_run_key(job_id: int, attempt: int) -> str:
    """The idempotency key of one attempt of a job metered as a job run (the claim's SQL
    in :func:`pg_job_run_meter` builds the same)."""
    return f"job:{job_id}:attempt:{attempt}"


def job_run_events(
    jobs: Iterable[tuple[int, int, int | None, str, int]], at: dt.datetime
) -> list[NewEvent]:
    """The job-run events of claimed jobs, given as (id, org_id, user_id, workflow_name,
    attempts): one per attempt, keyed like :meth:`UsageService.record`'s job runs (jobs
    without a user are not metered)."""
    return [
        NewEvent(
            org_id,
            user_id,
            Metric.JOB_RUNS,
            1,
            at,
            job_run_key(job_id, attempts),
            workflow=workflow,
            job_id=job_id,
        )
        for job_id, org_id, user_id, workflow, attempts in jobs
        if user_id is not None
    ]


def pg_job_run_meter(source: str) -> str:
    """PostgreSQL CTE clauses that meter each job a CTE named ``source`` returns as one job
    run (its columns: id, org_id, user_id, workflow_name, attempts), idempotent per job and
    attempt like :meth:`UsageService.record`; parameters ``:now`` and ``:day``.

    The jobs' claim adds these to its own statement, so an attempt is claimed and
    metered in one round trip and one transaction. Several jobs of one user (a batch
    claim) add up to one rollup row, in key order like :func:`add_to_rollups`.
    """
    return (
        "_run_event AS (INSERT INTO usage_events (org_id, user_id, metric, amount, connector,"
        " workflow, job_id, occurred_at, idempotency_key)"
        f" SELECT org_id, user_id, '{Metric.JOB_RUNS.value}', 1, NULL, workflow_name, id, :now,"
        f" concat_ws(':', 'job', id, 'attempt', attempts) FROM {source} WHERE user_id IS NOT NULL"
        " ON CONFLICT (idempotency_key) DO NOTHING RETURNING org_id, metric, user_id, amount),"
        " _run_rollup AS (INSERT INTO usage_rollups (org_id, metric, day, user_id, amount)"
        " SELECT org_id, metric, :day, user_id, sum(amount) FROM _run_event"
        " GROUP BY org_id, metric, user_id ORDER BY org_id, metric, user_id"
        " ON CONFLICT (org_id, metric, day, user_id) DO UPDATE"
        " SET amount = usage_rollups.amount + excluded.amount)"
    )
