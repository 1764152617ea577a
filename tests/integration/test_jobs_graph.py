"""Graph workflows as jobs: the local pool on SQLite and PostgreSQL, RQ workers on
PostgreSQL + Redis, and retry from a step."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from levqor_desktop.app import App, build_app
from levqor_desktop.core.models.jobs import JobStatus, StepStatus
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.workflows.actions import ActionInfo, RunContext, StepFailed
from levqor_desktop.errors import ValidationError
from levqor_desktop.resources import resource_path
from tests.conftest import make_settings
from tests.reliability.jobs_support import Finished, levqor_env, spawn_levqor

FAN_OUT = json.loads(resource_path("examples", "parallel-fan-out-demo.json").read_text())

#: first -> (left, bad -> after_bad) -> join; the branches finish when one fails.
BRANCHY = {
    "name": "branchy",
    "on_failure": "continue",
    "steps": [
        {"id": "first", "uses": "graph.tick", "with": {"tag": "first"}},
        {"id": "left", "uses": "graph.tick", "needs": ["first"], "with": {"tag": "left"}},
        {"id": "bad", "uses": "graph.tick", "needs": ["first"], "with": {"tag": "bad"}},
        {"id": "after_bad", "uses": "graph.tick", "needs": ["bad"], "with": {"tag": "after_bad"}},
        {"id": "join", "uses": "graph.tick", "needs": ["left", "after_bad"],
         "with": {"tag": "{{ steps.left.output.tag }}+{{ steps.after_bad.output.tag }}"}},
    ],
}  # fmt: skip


class GraphActions:
    """``graph.tick``: counts its calls by tag; fails for the tags in ``failing``."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.failing = {"bad"}
        self._lock = threading.Lock()

    def describe(self, uses: str) -> ActionInfo | None:
        return ActionInfo(uses, "graph test action") if uses == "graph.tick" else None

    def names(self) -> list[str]:
        return ["graph.tick"]

    def invoke(self, uses: str, inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        with self._lock:
            self.calls[inputs["tag"]] += 1
        if inputs["tag"] in self.failing:
            raise StepFailed(f"{inputs['tag']} broke", retryable=False, kind="fail")
        return {"tag": inputs["tag"]}


def me(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


@pytest.fixture
def pool(db_app: App) -> Iterator[Finished]:
    finished = Finished(db_app.jobs_kit.pool)
    db_app.jobs_kit.pool.start()
    yield finished
    db_app.jobs_kit.pool.stop()


def statuses(app: App, job_id: int) -> dict[str, StepStatus]:
    return {s.step_id: s.status for s in app.jobs.get(me(app), job_id).steps}


EXAMPLE_STEPS = {
    **dict.fromkeys(("load", "by_team", "hours", "urgent", "report"), StepStatus.SUCCEEDED),
    **dict.fromkeys(("work_a", "work_b", "work_c"), StepStatus.SUCCEEDED),
    "page": StepStatus.SKIPPED,
    "page_log": StepStatus.SKIPPED,
}


def test_the_fan_out_example_runs_on_the_local_pool(db_app: App, pool: Finished) -> None:
    job = db_app.jobs.enqueue(me(db_app), document=FAN_OUT, inputs={"work_s": 0.05})
    pool.wait_job(job.id, JobStatus.SUCCEEDED)
    assert statuses(db_app, job.id) == EXAMPLE_STEPS
    report = next(s for s in db_app.jobs.get(me(db_app), job.id).steps if s.step_id == "report")
    assert report.output["message"].startswith("4 tickets (billing 2, platform 2), 11 h open")


def test_a_failed_branch_fails_the_job_and_retry_from_step_reruns_only_downstream(
    db_app: App, pool: Finished
) -> None:
    actions = GraphActions()
    db_app.actions.add(actions)
    old = db_app.jobs.enqueue(me(db_app), document=BRANCHY, max_attempts=1)
    report = pool.wait_job(old.id, JobStatus.FAILED)
    assert report.error == "step bad: bad broke"
    # Recorded: what ran; the steps the failure blocked have no record.
    assert statuses(db_app, old.id) == {
        "first": StepStatus.SUCCEEDED, "left": StepStatus.SUCCEEDED, "bad": StepStatus.FAILED,
    }  # fmt: skip
    with pytest.raises(ValidationError, match="step join needs step bad, which did not succeed"):
        db_app.jobs.retry(me(db_app), old.id, from_step="join")
    with pytest.raises(ValidationError, match="branchy has no step 'zz'"):
        db_app.jobs.retry(me(db_app), old.id, from_step="zz")
    with pytest.raises(ValidationError, match="starts from the first step"):
        db_app.jobs.retry(me(db_app), old.id, from_step="bad", inputs={})

    actions.failing.clear()
    new = db_app.jobs.retry(me(db_app), old.id, from_step="bad", reason="fixed")
    pool.wait_job(new.id, JobStatus.SUCCEEDED)
    assert actions.calls == Counter(
        {"first": 1, "left": 1, "bad": 2, "after_bad": 1, "left+after_bad": 1}
    )
    old_steps = {s.step_id: s for s in db_app.jobs.get(me(db_app), old.id).steps}
    new_steps = {s.step_id: s for s in db_app.jobs.get(me(db_app), new.id).steps}
    assert set(new_steps) == {"first", "left", "bad", "after_bad", "join"}
    for kept in ("first", "left"):  # copied, not run again
        assert new_steps[kept].finished_at == old_steps[kept].finished_at
    assert new_steps["join"].output == {"tag": "left+after_bad"}
    entry = db_app.jobs.audit_log(me(db_app))[0]
    assert (entry.action, entry.reason) == ("retry", f"retry from step bad as job {new.id}: fixed")


FAILING_BRANCH = {
    "name": "failing-branch",
    "on_failure": "continue",
    "steps": [
        {"id": "root", "uses": "core.transform", "with": {"value": 1}},
        {"id": "boom", "uses": "core.fail", "needs": ["root"], "with": {"message": "no"}},
        {"id": "after_boom", "uses": "core.log", "needs": ["boom"], "with": {"message": "x"}},
        {"id": "other", "uses": "core.delay", "needs": ["root"], "with": {"seconds": 0.05}},
        {"id": "other_next", "uses": "core.transform", "needs": ["other"], "with": {"value": 2}},
    ],
}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_rq_workers_run_graphs(home: Path, pg_url: str, redis_url: str, tmp_path: Path) -> None:
    extra = {"DATABASE_URL": pg_url, "PG_ENABLED": "1", "REDIS_URL": redis_url}
    extra["NEW_QUEUE_ENABLED"] = "1"
    app = build_app(make_settings(home, **extra)).start()
    try:
        ok = app.jobs.enqueue(me(app), document=FAN_OUT, inputs={"work_s": 0.05})
        bad = app.jobs.enqueue(me(app), document=FAILING_BRANCH, max_attempts=1)
        assert ok.backend == "rq"
        worker = spawn_levqor(["worker", "--burst"], levqor_env(home, **extra), tmp_path / "w.log")
        assert worker.wait(timeout=120) == 0, (tmp_path / "w.log").read_text()
        assert app.jobs.get(me(app), ok.id).status is JobStatus.SUCCEEDED
        assert statuses(app, ok.id) == EXAMPLE_STEPS
        failed = app.jobs.get(me(app), bad.id)
        assert (failed.status, failed.error) == (JobStatus.FAILED, "step boom: no")
        assert statuses(app, bad.id) == {
            "root": StepStatus.SUCCEEDED, "boom": StepStatus.FAILED,
            "other": StepStatus.SUCCEEDED, "other_next": StepStatus.SUCCEEDED,
        }  # fmt: skip
        # Retry from the failed step on an RQ worker: only boom (and after it) run again.
        again = app.jobs.retry(me(app), bad.id, from_step="boom")
        worker = spawn_levqor(["worker", "--burst"], levqor_env(home, **extra), tmp_path / "w2.log")
        assert worker.wait(timeout=120) == 0, (tmp_path / "w2.log").read_text()
        old_steps = {s.step_id: s for s in failed.steps}
        new_steps = {s.step_id: s for s in app.jobs.get(me(app), again.id).steps}
        assert app.jobs.get(me(app), again.id).status is JobStatus.FAILED
        for kept in ("root", "other", "other_next"):
            assert new_steps[kept].finished_at == old_steps[kept].finished_at
        assert new_steps["boom"].finished_at > old_steps["boom"].finished_at  # ran again
        assert "after_boom" not in new_steps
    finally:
        app.close()
