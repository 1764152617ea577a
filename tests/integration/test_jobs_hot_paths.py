"""The per-job hot paths keep their behaviour: the workflow cache, one-job reads, beats."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import SAWarning

from levqor_desktop.app import App
from levqor_desktop.core.jobs import queries
from levqor_desktop.core.jobs.claims import ClaimedJob
from levqor_desktop.core.jobs.heartbeat import WorkerBoard
from levqor_desktop.core.jobs.runner import WorkflowLoader
from levqor_desktop.core.models.jobs import JobWorker
from levqor_desktop.core.models.usage import Enforcement, Metric, Period
from levqor_desktop.errors import LimitExceeded

NOW = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)


def _doc(value: Any) -> dict[str, Any]:
    return {
        "name": "hot",
        "steps": [{"id": "only", "uses": "core.transform", "with": {"value": value}}],
    }


def _claimed(job_id: int, document: dict[str, Any]) -> ClaimedJob:
    return ClaimedJob(job_id, 1, 1, None, None, "hot", document, {}, 1, 3, "default", NOW, NOW)


def test_loader_reuses_a_parse_only_for_the_same_document() -> None:
    loader = WorkflowLoader(None)
    first = loader.load(_claimed(1, _doc(1)))
    assert loader.load(_claimed(2, _doc(1))) is first  # equal document: cached
    # Values equal in Python but not in JSON are different documents: parsed apart.
    for other in (True, 1.0, "1"):
        workflow = loader.load(_claimed(3, _doc(other)))
        assert workflow is not first
        assert workflow.steps[0].with_["value"] == other


def test_get_job_reads_one_job_of_its_own_org(db_app: App) -> None:
    actor = db_app.actor
    assert actor is not None
    a = db_app.jobs.enqueue(actor, document=_doc("a"))
    b = db_app.jobs.enqueue(actor, document=_doc("b"))
    with db_app.db.session() as session:
        got = queries.get_job(session, actor.org_id, b.id)
        assert got is not None and got.id == b.id and got.steps == []
        assert queries.get_job(session, actor.org_id, a.id).id == a.id  # type: ignore[union-attr]
        assert queries.get_job(session, actor.org_id + 1, b.id) is None
        assert queries.get_job(session, actor.org_id, b.id + 1000) is None


def test_board_flush_upserts_without_an_uncached_statement(db_app: App) -> None:
    board = WorkerBoard(db_app.db, lambda: NOW, "test")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)
        board.register("w1")
        board.register("w2")
        board.busy("w1", 42)
        board.idle("w2", ok=True)
        board.flush()
    with db_app.db.session() as session:
        rows = {r.id: r for r in session.scalars(select(JobWorker))}
    assert set(rows) == {"w1", "w2"}
    assert (rows["w1"].state, rows["w1"].current_job_id) == ("busy", 42)
    assert (rows["w2"].state, rows["w2"].processed) == ("idle", 1)


def test_enqueue_check_reads_hard_and_soft_limits_in_one_query(db_app: App) -> None:
    actor = db_app.actor
    assert actor is not None
    usage = db_app.usage
    usage.limits.set(actor, Metric.JOB_RUNS, Period.DAY, 1, enforcement=Enforcement.SOFT)
    usage.limits.set(actor, Metric.JOB_RUNS, Period.MONTH, 2)
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM usage_limits" in statement and "FOR UPDATE" not in statement:
            reads.append(statement)

    event.listen(db_app.db.engine, "before_cursor_execute", count)
    try:
        assert usage.check_enqueue(actor) == []  # nothing used: no warning, not refused
        assert len(reads) == 1
        usage.record(actor, Metric.JOB_RUNS, 1, idempotency_key="hot:1")
        warned = usage.check_enqueue(actor)  # soft limit full, hard limit has room
        assert [(w.limit.metric, w.limit.enforcement) for w in warned] == [
            (Metric.JOB_RUNS, Enforcement.SOFT)
        ]
        usage.record(actor, Metric.JOB_RUNS, 1, idempotency_key="hot:2")
        with pytest.raises(LimitExceeded, match="hard limit of 2 job runs per month"):
            usage.check_enqueue(actor)
    finally:
        event.remove(db_app.db.engine, "before_cursor_execute", count)
