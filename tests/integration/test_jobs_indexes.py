"""The jobs table's periodic and hot-path queries read the queued and running jobs
through an index, on SQLite and on PostgreSQL, never the whole history: the table keeps
every finished job, its partial indexes only the queued and running ones."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, insert

from levqor_desktop.app import App
from levqor_desktop.cli.worker import _local_work_left
from levqor_desktop.core.canary.sources import TableJobStats
from levqor_desktop.core.jobs import claims, recovery, store
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.jobs import Job, JobStatus
from tests.reliability.jobs_support import NOOP

HISTORY = 2_000


def _partial_indexes() -> set[str]:
    table = Job.metadata.tables["jobs"]
    return {
        str(ix.name) for ix in table.indexes if ix.dialect_options["sqlite"]["where"] is not None
    }


@contextmanager
def _statements(app: App) -> Iterator[list[tuple[str, Any]]]:
    """Every statement on the jobs table that the block sends, as the driver got it."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "jobs" in statement and "WHERE" in statement:
            seen.append((statement, params))

    engines = {id(e): e for e in (app.db.engine, app.db.execution_engine)}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def _sqlite_full_scans(cursor: Any, statement: str, params: Any) -> list[str]:
    """Plan lines that scan the table or a whole (not partial) index of it."""
    cursor.execute(f"EXPLAIN QUERY PLAN {statement}", params)
    partial = _partial_indexes()
    found = []
    for *_, detail in cursor.fetchall():
        line = str(detail)
        if line.startswith("SCAN jobs") and not any(f"INDEX {ix}" in line for ix in partial):
            found.append(line)
    return found


def _pg_rows_read(cursor: Any, statement: str, params: Any) -> int:
    """The most rows of jobs any node of the executed plan read (kept or filtered out)."""
    cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", params)
    (plan,) = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    most = 0
    nodes = [plan["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if node.get("Relation Name") == "jobs" or "Index Name" in node:
            read = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
            most = max(most, read * node.get("Actual Loops", 1))
    return most


def _history(app: App) -> None:
    """Finished jobs, as a table that has run for a while holds them."""
    actor = app.actor
    assert actor is not None
    at = utcnow() - dt.timedelta(days=1)
    rows = [
        {
            "org_id": actor.org_id,
            "user_id": actor.user_id,
            "workflow_name": "old",
            "inputs": {},
            "status": JobStatus.SUCCEEDED,
            "backend": "local",
            "attempts": 1,
            "heartbeat_at": at,
            "finished_at": at,
        }
        for _ in range(HISTORY)
    ]
    with app.db.write_session() as session:
        session.execute(insert(Job), rows)


def test_periodic_and_hot_queries_read_only_the_live_jobs(db_app: App) -> None:
    actor = db_app.actor
    assert actor is not None
    _history(db_app)
    db_app.jobs.enqueue_many(actor, None, [{"n": n} for n in range(6)], document=NOOP)
    now = utcnow()
    stats = TableJobStats(db_app.db, lambda: "local")
    calls: list[Callable[[], object]] = [
        lambda: claims.claim_many(db_app.db, "w1", now, "local", 3),
        lambda: store.beat(db_app.db, ["w1"], now),
        lambda: recovery.recover(db_app.db, now + dt.timedelta(hours=1)),
        stats.depth,
        stats.oldest_queued_age,
        lambda: _local_work_left(db_app),
    ]
    with _statements(db_app) as seen:
        for call in calls:
            call()
    assert len(seen) >= len(calls)
    raw = db_app.db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db_app.db.is_sqlite:
            scans = {s: f for s, p in seen if (f := _sqlite_full_scans(cursor, s, p))}
            assert scans == {}
        else:
            # Executed (and rolled back): every node on jobs read a few rows, not the history.
            read = {s: _pg_rows_read(cursor, s, p) for s, p in seen}
            assert {s: n for s, n in read.items() if n >= HISTORY // 10} == {}
    finally:
        raw.rollback()
        raw.close()
