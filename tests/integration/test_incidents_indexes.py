"""The incident timeline's failed-jobs pages and "the last failure" read the partial index
of failed jobs in order, on SQLite and PostgreSQL: no sort of every failed job per page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, text

from levqor_desktop.app import App
from levqor_desktop.core.incidents import EventKind, Window
from levqor_desktop.core.incidents.paging import PAGE_SIZE
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.jobs import Job, JobStatus
from tests.integration.test_jobs_indexes import _pg_rows_read, _statements

FAILED = 4 * PAGE_SIZE
#: One job in this many failed.
SHARE = 10


def _failed_history(app: App) -> dt.datetime:
    actor = app.actor
    assert actor is not None
    start = utcnow() - dt.timedelta(days=2)
    rows: list[dict[str, Any]] = [
        {
            "org_id": actor.org_id,
            "user_id": actor.user_id,
            "workflow_name": "flaky",
            "inputs": {},
            # As a history holds them: most jobs succeeded.
            "status": JobStatus.FAILED if n % SHARE == 1 else JobStatus.SUCCEEDED,
            "backend": "local",
            "attempts": 1,
            "finished_at": start + dt.timedelta(seconds=n),
            "error": "boom",
        }
        for n in range(SHARE * FAILED)
    ]
    with app.db.write_session() as session:
        session.execute(insert(Job), rows)
    if not app.db.is_sqlite:
        with app.db.session() as session:
            session.execute(text("ANALYZE jobs"))
    return start


def test_failed_job_pages_read_the_failed_index_in_order(db_app: App) -> None:
    actor = db_app.actor
    assert actor is not None
    start = _failed_history(db_app)
    window = Window(start, start + dt.timedelta(days=1))
    with _statements(db_app) as seen:
        window_found = db_app.incidents.last_failure(actor)
        oldest = next(iter(db_app.incidents.timeline(actor, window, [EventKind.JOB_FAILED])))
    assert oldest.at == start + dt.timedelta(seconds=1)  # the first failed one
    assert window_found.label.startswith("the last failure")
    queries = [(s, p) for s, p in seen if "FROM jobs" in s and "job_steps" not in s]
    assert len(queries) == 2
    raw = db_app.db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, params in queries:
            if db_app.db.is_sqlite:
                cursor.execute(f"EXPLAIN QUERY PLAN {statement}", params)
                plan = " ; ".join(str(row[-1]) for row in cursor.fetchall())
                assert "ix_jobs_failed_finished" in plan and "TEMP B-TREE" not in plan, plan
            else:
                # A page reads about a page of rows, not every failed job to sort them.
                assert _pg_rows_read(cursor, statement, params) <= PAGE_SIZE + 1, statement
    finally:
        raw.rollback()
        raw.close()
