"""The local pool's batch writes, on SQLite and PostgreSQL: a batch claim meters each
attempt once in its own transaction, and a batch of ends writes only the jobs that are
still the worker's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from levqor_desktop.app import App
from levqor_desktop.core.jobs import claims, store
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.jobs import Job, JobStatus, JobStep, StepStatus
from levqor_desktop.core.models.usage import Metric, UsageEvent
from tests.reliability.jobs_support import NOOP


def _runs(app: App) -> int:
    actor = app.actor
    assert actor is not None
    return app.usage.month_to_date(actor.org_id, actor.user_id)[Metric.JOB_RUNS]


def test_a_batch_claim_meters_each_attempt_once(db_app: App) -> None:
    actor = db_app.actor
    assert actor is not None
    ids = db_app.jobs.enqueue_many(actor, None, [{"n": n} for n in range(5)], document=NOOP)
    # Five jobs of one user in one claim: five events, one rollup row grown by five.
    jobs = claims.claim_many(db_app.db, "w1", utcnow(), "local", 5, meter=True)
    assert [j.id for j in jobs] == ids and all(j.metered for j in jobs)
    assert _runs(db_app) == 5
    with db_app.db.session() as session:
        keys = session.scalars(select(UsageEvent.idempotency_key)).all()
    assert sorted(keys) == sorted(f"job:{i}:attempt:1" for i in ids)
    # The runner's own meter for a claimed attempt is a no-op (same key).
    db_app.jobs_kit.runner.meter(jobs[0])
    # Given back unrun and claimed again, the attempt is the same one: not metered twice.
    assert claims.release(db_app.db, ids[0], "w1")
    again = claims.claim_many(db_app.db, "w2", utcnow(), "local", 5, meter=True)
    assert [j.id for j in again] == [ids[0]] and again[0].attempts == 1
    assert _runs(db_app) == 5
    # Without meter, a claim writes no usage.
    db_app.jobs.enqueue(actor, document=NOOP)
    plain = claims.claim_many(db_app.db, "w3", utcnow(), "local", 5)
    assert len(plain) == 1 and not plain[0].metered
    assert _runs(db_app) == 5


def _end(job_id: int, at: dt.datetime, n: int) -> store.Finish:
    step = store.StepResult("only", 0, StepStatus.SUCCEEDED, 1, at, at, {"value": n}, None)
    return store.Finish(job_id, JobStatus.SUCCEEDED, at, None, step)


def test_a_batch_of_ends_skips_a_job_taken_from_the_worker(db_app: App) -> None:
    actor = db_app.actor
    assert actor is not None
    ids = db_app.jobs.enqueue_many(actor, None, [{"n": n} for n in range(3)], document=NOOP)
    assert len(claims.claim_many(db_app.db, "w1", utcnow(), "local", 3)) == 3
    # Recovery gave the middle job to another worker meanwhile.
    assert claims.release(db_app.db, ids[1], "w1")
    taken = claims.claim_next(db_app.db, "w2", utcnow(), "local")
    assert taken is not None and taken.id == ids[1]
    now = utcnow()
    done = store.finish_many(db_app.db, "w1", [_end(i, now, n) for n, i in enumerate(ids)])
    assert done == [True, False, True]
    with db_app.db.session() as session:
        status = dict(session.execute(select(Job.id, Job.status)).all())
        steps: dict[int, object] = dict(
            session.execute(select(JobStep.job_id, JobStep.output)).all()
        )
        owner = session.scalar(select(Job.worker_id).where(Job.id == ids[1]))
    assert status == {
        ids[0]: JobStatus.SUCCEEDED,
        ids[1]: JobStatus.RUNNING,
        ids[2]: JobStatus.SUCCEEDED,
    }
    assert owner == "w2"
    # Only the ends that were written brought their last step.
    assert steps == {ids[0]: {"value": 0}, ids[2]: {"value": 2}}
    assert store.finish_many(db_app.db, "w1", []) == []


def test_a_claim_by_id_meters_its_attempt_once(db_app: App) -> None:
    actor = db_app.actor
    assert actor is not None
    job_id = db_app.jobs.enqueue(actor, document=NOOP).id
    job = claims.claim_by_id(db_app.db, job_id, "w1", utcnow(), meter=True)
    assert job is not None and job.metered and job.attempts == 1
    assert claims.claim_by_id(db_app.db, job_id, "w2", utcnow(), meter=True) is None
    assert _runs(db_app) == 1


def test_the_sqlite_claim_reads_its_index_in_order(app: App) -> None:
    # ORDER BY priority DESC, id must come from ix_jobs_claim, not from sorting every
    # queued job on each claim (what an index on priority ascending led to).
    params = {"worker": "w", "now": utcnow(), "yes": True, "backend": "local", "n": 16}
    with app.db.engine.connect() as conn:
        plan = conn.execute(text(f"EXPLAIN QUERY PLAN {claims._CLAIM_SQLITE}"), params).all()
    details = [row[3] for row in plan]
    assert any("ix_jobs_claim" in d for d in details), details
    assert not any("TEMP B-TREE" in d for d in details), details
