"""The local backend on PostgreSQL: SKIP LOCKED claims, runs, failures, recovery."""

from __future__ import annotations

import datetime as dt
import threading

import psycopg
import pytest

from levqor_desktop.app import App
from levqor_desktop.core.jobs import claims, store
from levqor_desktop.core.jobs.recovery import recover
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.jobs import JobStatus, StepStatus
from levqor_desktop.core.models.usage import Metric
from levqor_desktop.core.tenancy import Actor
from tests.reliability.jobs_support import NOOP, Finished, counts

pytestmark = pytest.mark.postgres

FAILING = {
    "name": "failing",
    "steps": [{"id": "boom", "uses": "core.fail", "with": {"message": "no"}}],
}


def me(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


def test_claims_skip_locked_rows_and_never_overlap(pg_app: App) -> None:
    ids = pg_app.jobs.enqueue_many(me(pg_app), None, [{"n": n} for n in range(200)], document=NOOP)
    claimed: list[int] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        while batch := claims.claim_many(pg_app.db, name, utcnow(), "local", 7):
            with lock:
                claimed.extend(job.id for job in batch)

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == ids


def test_local_pool_runs_fails_and_recovers_on_postgres(pg_app: App) -> None:
    finished = Finished(pg_app.jobs_kit.pool)
    pg_app.jobs_kit.pool.start()
    try:
        ids = pg_app.jobs.enqueue_many(
            me(pg_app), None, [{"n": n} for n in range(40)], document=NOOP
        )
        bad = pg_app.jobs.enqueue(me(pg_app), document=FAILING)
        assert finished.wait(lambda: len(finished.reports) == 41)
    finally:
        pg_app.jobs_kit.pool.stop()
    assert counts(pg_app.db) == {"succeeded": 40, "failed": 1}
    assert pg_app.jobs.get(me(pg_app), ids[-1]).steps[0].output == {"value": 39}
    assert pg_app.jobs.get(me(pg_app), bad.id).error == "step boom: no"
    # A job whose worker went silent is requeued by recovery.
    lost = pg_app.jobs.enqueue(me(pg_app), document=NOOP)
    assert claims.claim_next(pg_app.db, "local-elsewhere-1-1", utcnow(), "local") is not None
    found = recover(pg_app.db, utcnow(), stale_after_s=-1)
    assert found.requeued == [lost.id]
    assert pg_app.jobs.get(me(pg_app), lost.id).status is JobStatus.QUEUED


def test_rq_claim_meters_the_attempt_in_the_same_statement(pg_app: App) -> None:
    actor = me(pg_app)
    job_id = pg_app.jobs.enqueue(actor, document=NOOP, inputs={"n": 1}).id
    job = claims.claim_by_id(pg_app.db, job_id, "w1", utcnow(), meter=True)
    assert job is not None and job.metered and job.attempts == 1
    assert job.claimed_at.tzinfo is not None and job.claimed_at.utcoffset() == dt.timedelta(0)
    assert job.inputs == {"n": 1} and job.document is not None
    # Claimed once: a second claim finds nothing, and the attempt counts one run.
    assert claims.claim_by_id(pg_app.db, job_id, "w2", utcnow(), meter=True) is None
    assert pg_app.usage.month_to_date(actor.org_id, actor.user_id)[Metric.JOB_RUNS] == 1
    # The runner's own meter for the same attempt is a no-op (same idempotency key).
    pg_app.jobs_kit.runner.meter(job)
    assert pg_app.usage.month_to_date(actor.org_id, actor.user_id)[Metric.JOB_RUNS] == 1
    # Given back unrun (release returns the attempt) and claimed again: still one run.
    assert claims.release(pg_app.db, job_id, "w1")
    again = claims.claim_by_id(pg_app.db, job_id, "w3", utcnow(), meter=True)
    assert again is not None and again.attempts == 1  # release gives the attempt back
    assert pg_app.usage.month_to_date(actor.org_id, actor.user_id)[Metric.JOB_RUNS] == 1


def test_driver_level_end_writes_the_job_and_its_last_step(pg_app: App) -> None:
    actor = me(pg_app)
    job_id = pg_app.jobs.enqueue(actor, document=NOOP, inputs={"n": 2}).id
    job = claims.claim_by_id(pg_app.db, job_id, "w1", utcnow())
    assert job is not None and not job.metered
    now = utcnow()
    step = store.StepResult("only", 0, StepStatus.SUCCEEDED, 1, now, now, {"v": [1, "ü"]}, None)
    assert not store.finish(pg_app.db, job_id, "intruder", JobStatus.SUCCEEDED, now, step=step)
    assert store.finish(pg_app.db, job_id, "w1", JobStatus.SUCCEEDED, now, step=step)
    record = pg_app.jobs.get(actor, job_id)
    assert record.status is JobStatus.SUCCEEDED and record.finished_at == now
    assert [(s.step_id, s.status, s.output) for s in record.steps] == [
        ("only", StepStatus.SUCCEEDED, {"v": [1, "ü"]})
    ]


def test_a_dropped_execution_connection_is_retried_once(pg_app: App) -> None:
    job_id = pg_app.jobs.enqueue(me(pg_app), document=NOOP, inputs={"n": 3}).id
    engine = pg_app.db.execution_engine
    raw = engine.raw_connection()
    backend_pid = raw.driver_connection.info.backend_pid
    raw.close()  # back to the pool, still open
    with psycopg.connect(pg_app.db.url.set(drivername="postgresql").render_as_string(False)) as c:
        c.execute("SELECT pg_terminate_backend(%s)", (backend_pid,))
    job = claims.claim_by_id(pg_app.db, job_id, "w1", utcnow())
    assert job is not None and job.id == job_id
