"""JobService on SQLite with the local pool: run, fail, retry, cancel, requeue, audit, why."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from levqor_desktop.app import App
from levqor_desktop.core.jobs import claims
from levqor_desktop.core.jobs.contracts import JobFilter
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.jobs import Job, JobStatus, StepStatus
from levqor_desktop.core.models.tenancy import Role
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.workflows.runner import InputsInvalid
from levqor_desktop.errors import NotFoundError, PermissionDenied, ValidationError
from tests.reliability.jobs_support import BLOCKING, NOOP, TWO_STEPS, Finished, TestActions


def me(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


@pytest.fixture
def actions(app: App) -> TestActions:
    test_actions = TestActions()
    app.actions.add(test_actions)
    return test_actions


@pytest.fixture
def pool(app: App, actions: TestActions) -> Iterator[Finished]:
    finished = Finished(app.jobs_kit.pool)
    app.jobs_kit.pool.start()
    yield finished
    actions.release.set()
    app.jobs_kit.pool.stop()


def test_a_job_runs_and_records_its_steps(app: App, pool: Finished) -> None:
    job = app.jobs.enqueue(me(app), document=NOOP, inputs={"n": "7"})
    assert job.status is JobStatus.QUEUED and job.inputs == {"n": 7}
    pool.wait_job(job.id, JobStatus.SUCCEEDED)
    done = app.jobs.get(me(app), job.id)
    assert done.attempts == 1 and done.finished_at is not None
    assert [(s.step_id, s.status, s.output) for s in done.steps] == [
        ("only", StepStatus.SUCCEEDED, {"value": 7})
    ]


def test_enqueue_refuses_bad_inputs_unknown_workflows_and_viewers(app: App) -> None:
    with pytest.raises(InputsInvalid, match="'n' must be integer"):
        app.jobs.enqueue(me(app), document=NOOP, inputs={"n": "seven"})
    with pytest.raises(NotFoundError, match="no workflow 'nope'"):
        app.jobs.enqueue(me(app), "nope")
    viewer = dataclasses.replace(me(app), role=Role.VIEWER)
    with pytest.raises(PermissionDenied, match="may not run jobs"):
        app.jobs.enqueue(viewer, document=NOOP)
    assert app.jobs.count(me(app)) == 0


def test_stored_workflow_runs_the_version_it_was_enqueued_with(app: App, pool: Finished) -> None:
    app.workflows.save(me(app), {**NOOP, "name": "stored"})
    job = app.jobs.enqueue(me(app), "stored", {"n": 1})
    assert (job.workflow_name, job.workflow_version) == ("stored", 1)
    assert pool.wait_job(job.id).status is JobStatus.SUCCEEDED


def test_permanent_failure_fails_at_once(app: App, pool: Finished, actions: TestActions) -> None:
    actions.fail_kind = "fail"
    job = app.jobs.enqueue(me(app), document=TWO_STEPS, inputs={"fail": True})
    pool.wait_job(job.id, JobStatus.FAILED)
    failed = app.jobs.get(me(app), job.id)
    assert failed.attempts == 1
    assert failed.error == "step second: flaky says no"
    assert [s.status for s in failed.steps] == [StepStatus.SUCCEEDED, StepStatus.FAILED]


def test_retryable_failure_backs_off_then_resumes_after_done_steps(
    app: App, pool: Finished, actions: TestActions
) -> None:
    job = app.jobs.enqueue(me(app), document=TWO_STEPS, inputs={"fail": True})
    pool.wait_job(job.id, JobStatus.QUEUED)
    waiting = app.jobs.get(me(app), job.id)
    assert waiting.attempts == 1 and waiting.not_before is not None
    assert waiting.not_before > utcnow()
    assert [r.code for r in app.jobs.why(me(app), job.id)][:1] == ["backoff"]
    # Make the backoff due now; the step that succeeded is not run again.
    with app.db.session() as session:
        session.execute(update(Job).where(Job.id == job.id).values(not_before=utcnow()))
    app.jobs_kit.pool.wake()
    pool.wait(lambda: len([r for r in pool.reports if r.job_id == job.id]) == 2)
    again = app.jobs.get(me(app), job.id)
    assert again.attempts == 2
    assert actions.calls["tag:first"] == 1
    assert actions.calls["test.flaky"] == 2


def test_cancel_queued_and_running_jobs(app: App, pool: Finished, actions: TestActions) -> None:
    running = app.jobs.enqueue(me(app), document=BLOCKING)
    assert actions.started.wait(10)
    app.jobs.pause(me(app))
    queued = app.jobs.enqueue(me(app), document=NOOP)
    assert app.jobs.cancel(me(app), queued.id, "not needed").status is JobStatus.CANCELED
    assert app.jobs.cancel(me(app), running.id).cancel_requested
    pool.wait_job(running.id, JobStatus.CANCELED)
    ended = app.jobs.get(me(app), running.id)
    assert [s.status for s in ended.steps] == [StepStatus.CANCELED]
    assert actions.calls["tag:after"] == 0
    with pytest.raises(ValidationError, match="is canceled: it cannot be canceled"):
        app.jobs.cancel(me(app), queued.id)
    log = app.jobs.audit_log(me(app))
    assert [(e.action, e.job_id) for e in log][:3] == [
        ("cancel", running.id),
        ("cancel", queued.id),
        ("pause", None),
    ]
    assert log[1].reason == "not needed" and log[1].actor == "Operator"


def test_requeue_retry_links_and_delete(app: App, pool: Finished, actions: TestActions) -> None:
    actions.fail_kind = "fail"
    old = app.jobs.enqueue(me(app), document=TWO_STEPS, inputs={"fail": True})
    pool.wait_job(old.id, JobStatus.FAILED)
    from_step = app.jobs.retry(me(app), old.id, from_failed_step=True)
    assert from_step.parent_job_id == old.id
    pool.wait_job(from_step.id, JobStatus.FAILED)
    assert actions.calls["tag:first"] == 1  # the copied first step did not run again
    edited = app.jobs.retry(me(app), old.id, inputs={"fail": False}, reason="fixed input")
    assert pool.wait_job(edited.id).status is JobStatus.SUCCEEDED
    assert actions.calls["tag:first"] == 2
    with pytest.raises(ValidationError, match="starts from the first step"):
        app.jobs.retry(me(app), old.id, from_failed_step=True, inputs={"fail": False})
    app.jobs.pause(me(app))  # hold it in the queue to look at it
    requeued = app.jobs.requeue(me(app), old.id)
    assert requeued.status is JobStatus.QUEUED
    assert (requeued.attempts, requeued.max_attempts) == (1, 4)
    app.jobs.resume(me(app))
    pool.wait(lambda: len([r for r in pool.reports if r.job_id == old.id]) == 2)
    app.jobs.delete(me(app), edited.id, "tidy")
    with pytest.raises(NotFoundError):
        app.jobs.get(me(app), edited.id)
    actions_seen = [e.action for e in app.jobs.audit_log(me(app))]
    assert actions_seen == ["delete", "resume", "requeue", "pause", "retry", "retry"]


def test_bulk_preview_then_apply(app: App) -> None:
    ids = app.jobs.enqueue_many(me(app), None, [{"n": i} for i in range(30)], document=NOOP)
    only_some = JobFilter(ids=tuple(ids[:10]))
    assert app.jobs.preview(me(app), only_some, "cancel") == 10
    assert app.jobs.apply(me(app), only_some, "cancel", "cleanup").count == 10
    assert app.jobs.preview(me(app), JobFilter(), "cancel") == 20
    assert app.jobs.preview(me(app), JobFilter(), "requeue") == 10
    assert app.jobs.apply(me(app), JobFilter(states=(JobStatus.CANCELED,)), "delete").count == 10
    assert app.jobs.count(me(app)) == 20
    bulk_rows = [(e.action, e.count) for e in app.jobs.audit_log(me(app))]
    assert bulk_rows == [("bulk_delete", 10), ("bulk_cancel", 10)]
    with pytest.raises(ValidationError, match="unknown bulk action 'explode'"):
        app.jobs.preview(me(app), JobFilter(), "explode")


def test_list_filters_and_pages(app: App, actions: TestActions) -> None:
    app.jobs.enqueue_many(me(app), None, [{"n": i} for i in range(25)], document=NOOP)
    app.jobs.enqueue(me(app), document=TWO_STEPS)
    page = app.jobs.list(me(app), JobFilter(workflow="noop"), offset=20, limit=10)
    assert (page.total, len(page.rows)) == (25, 5)
    assert app.jobs.list(me(app), JobFilter(text="two-")).total == 1
    by_id = app.jobs.list(me(app), JobFilter(text="#3")).rows
    assert [r.id for r in by_id] == [3]
    oldest_first = app.jobs.list(me(app), sort="id", descending=False, limit=2).rows
    assert [r.id for r in oldest_first] == [1, 2]
    with pytest.raises(ValidationError, match="cannot sort by 'color'"):
        app.jobs.list(me(app), sort="color")


def test_why_explains_a_waiting_job_in_order(app: App) -> None:
    job = app.jobs.enqueue(me(app), document=NOOP)
    codes = [r.code for r in app.jobs.why(me(app), job.id)]
    assert codes == ["no_worker"]
    app.jobs.pause(me(app), reason="look first")
    later = app.jobs.enqueue(me(app), document=NOOP, not_before=utcnow() + dt.timedelta(hours=1))
    codes = [r.code for r in app.jobs.why(me(app), later.id)]
    assert codes == ["no_worker", "paused", "scheduled"]
    app.jobs.resume(me(app))
    assert [r.code for r in app.jobs.why(me(app), job.id)] == ["no_worker"]


def test_claims_are_exclusive_under_contention(app: App) -> None:
    ids = app.jobs.enqueue_many(me(app), None, [{} for _ in range(120)], document=NOOP)
    claimed: list[int] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        while True:
            job = claims.claim_next(app.db, name, utcnow(), "local")
            if job is None:
                return
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=claimer, args=(f"t{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == ids
    with app.db.session() as session:
        statuses = set(session.scalars(select(Job.status)))
    assert statuses == {JobStatus.RUNNING}


def test_pool_resizes_at_run_time(app: App, pool: Finished) -> None:
    app.jobs.set_pool_size(me(app), 2)
    assert app.jobs_kit.pool.size == 2
    assert app.queue_status().detail.startswith("2 threads")
    with pytest.raises(ValidationError, match="1 to 64 threads"):
        app.jobs.set_pool_size(me(app), 0)
    assert '"local_workers": 2' in app.settings.config_file.read_text()


class _BigBatches(dict[str, int]):
    """Every worker claims up to 16 jobs at once, as a worker that has been fast does."""

    def get(self, key: str, default: int | None = None) -> int:  # type: ignore[override]
        return 16


def test_a_job_canceled_while_waiting_in_a_claimed_batch_does_not_run(
    app: App, actions: TestActions
) -> None:
    pool = app.jobs_kit.pool
    app.jobs.set_pool_size(me(app), 1, remember=False)
    pool._batch = _BigBatches()
    finished = Finished(pool)
    app.jobs.pause(me(app))
    blocking = app.jobs.enqueue(me(app), document=BLOCKING)
    waiting = app.jobs.enqueue(me(app), document=TWO_STEPS)
    pool.start()
    try:
        app.jobs.resume(me(app))
        assert actions.started.wait(10)
        with app.db.session() as session:
            claimed = session.scalar(select(Job.status).where(Job.id == waiting.id))
        # Both were claimed together: the second waits behind the blocked first.
        assert claimed is JobStatus.RUNNING
        app.jobs.cancel(me(app), waiting.id, reason="changed my mind")
        actions.release.set()
        finished.wait_job(waiting.id, JobStatus.CANCELED)
        assert actions.calls["tag:first"] == 0
        assert finished.wait_job(blocking.id).status is JobStatus.SUCCEEDED
    finally:
        actions.release.set()
        pool.stop()
