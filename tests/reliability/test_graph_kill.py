"""A worker process killed in the middle of a graph: after a restart the job finishes,
no finished step is lost and none runs again (its record is exactly as it was)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from levqor_desktop.app import App, build_app
from levqor_desktop.core.models.jobs import Job, JobStatus, JobStep
from levqor_desktop.core.tenancy import Actor
from tests.conftest import make_settings
from tests.reliability.jobs_support import levqor_env, poll_until, spawn_levqor, stop_process

pytestmark = pytest.mark.slow

#: start fans out to two quick steps, a skipped one and a slow one; the kill lands while
#: the slow one runs, after the quick branch has ended.
KILL_GRAPH = {
    "name": "kill-mid-graph",
    "inputs": {"s": {"type": "number", "default": 2}},
    "max_parallel": 4,
    "steps": [
        {"id": "start", "uses": "core.transform", "with": {"value": 1}},
        {"id": "quick_a", "uses": "core.transform", "needs": ["start"], "with": {"value": "a"}},
        {"id": "quick_b", "uses": "core.transform", "needs": ["start"], "with": {"value": "b"}},
        {"id": "never", "uses": "core.log", "needs": ["start"], "if": "false",
         "with": {"message": "not today"}},
        {"id": "slow", "uses": "core.delay", "needs": ["start"],
         "with": {"seconds": "{{ inputs.s }}"}},
        {"id": "after_quick", "uses": "core.transform", "needs": ["quick_a", "quick_b"],
         "with": {"value": "{{ steps.quick_a.output.value }}{{ steps.quick_b.output.value }}"}},
        {"id": "after_slow", "uses": "core.transform", "needs": ["slow"], "with": {"value": 2}},
        {"id": "join", "uses": "core.log", "needs": ["after_quick", "after_slow", "never"],
         "with": {"message": "{{ steps.after_quick.output.value }}"}},
    ],
}  # fmt: skip
BEFORE_SLOW = {"start", "quick_a", "quick_b", "never", "after_quick"}


def me(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


def _rows(app: App, job_id: int) -> dict[str, tuple[Any, ...]]:
    with app.db.session() as session:
        rows = session.execute(
            select(JobStep.step_id, JobStep.status, JobStep.attempts, JobStep.started_at,
                   JobStep.finished_at, JobStep.output).where(JobStep.job_id == job_id)
        )  # fmt: skip
        return {row[0]: tuple(row[1:]) for row in rows}


def _job(app: App, job_id: int) -> tuple[JobStatus, int]:
    with app.db.session() as session:
        row = session.execute(select(Job.status, Job.attempts).where(Job.id == job_id)).one()
    return JobStatus(row[0]), int(row[1])


def _kill_mid_graph(app: App, args: list[str], env: dict[str, str], logs: Path) -> None:
    job = app.jobs.enqueue(me(app), document=KILL_GRAPH, max_attempts=3)
    first = spawn_levqor(args, env, logs / "first.log")
    try:
        mid = poll_until(lambda: set(_rows(app, job.id)) >= BEFORE_SLOW, 60)
        assert mid, (logs / "first.log").read_text()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    before = _rows(app, job.id)
    assert set(before) == BEFORE_SLOW  # killed while `slow` ran: mid-graph
    assert _job(app, job.id)[0] is JobStatus.RUNNING
    second = spawn_levqor([*args, "--burst"], env, logs / "second.log")
    try:
        done = poll_until(lambda: _job(app, job.id)[0] is JobStatus.SUCCEEDED, 120)
        assert done, (logs / "second.log").read_text()
    finally:
        stop_process(second)
    after = _rows(app, job.id)
    assert set(after) == {s["id"] for s in KILL_GRAPH["steps"]}  # type: ignore[index]
    for sid, row in before.items():
        assert after[sid] == row, f"step {sid} ran again: {row} -> {after[sid]}"
    assert _job(app, job.id) == (JobStatus.SUCCEEDED, 2)


def test_local_worker_killed_mid_graph_loses_and_reruns_no_step(
    app: App, home: Path, tmp_path: Path
) -> None:
    _kill_mid_graph(app, ["worker", "--concurrency", "1"], levqor_env(home), tmp_path)


@pytest.mark.postgres
@pytest.mark.redis
def test_rq_worker_killed_mid_graph_loses_and_reruns_no_step(
    home: Path, pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    extra = {"DATABASE_URL": pg_url, "PG_ENABLED": "1", "REDIS_URL": redis_url}
    extra["NEW_QUEUE_ENABLED"] = "1"
    app = build_app(make_settings(home, **extra)).start()
    try:
        _kill_mid_graph(app, ["worker"], levqor_env(home, **extra), tmp_path)
    finally:
        app.close()
