"""Scheduler (once only, one catch-up run), crash recovery and retention, on SQLite."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select, update

from levqor_desktop.app import App
from levqor_desktop.core.jobs.claims import claim_next
from levqor_desktop.core.jobs.recovery import recover
from levqor_desktop.core.jobs.retention import Retention, database_size
from levqor_desktop.core.jobs.scheduler import Scheduler, latest_due
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.jobs import Job, JobStatus, JobWorker, ScheduleRun
from levqor_desktop.core.models.usage import Metric, Period, UsageReservation
from levqor_desktop.core.models.workflows import WorkflowVersionRow
from levqor_desktop.core.tenancy import Actor
from tests.reliability.jobs_support import NOOP

HOURLY = {**NOOP, "name": "hourly", "trigger": {"type": "schedule", "cron": "0 * * * *"}}


def me(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


def _saved_before_five_due_times(app: App) -> None:
    """Saved at half past the hour, five hours ago: five hourly due times were missed."""
    app.workflows.save(me(app), HOURLY)
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    saved = hour - dt.timedelta(hours=4, minutes=30)
    with app.db.session() as session:
        session.execute(update(WorkflowVersionRow).values(created_at=saved))


def test_latest_due_collapses_missed_runs() -> None:
    now = dt.datetime(2026, 11, 28, 12, 30, tzinfo=dt.UTC)
    due, covered = latest_due("0 * * * *", "UTC", now - dt.timedelta(hours=5), now)
    assert due == dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    assert covered == 5
    assert latest_due("0 * * * *", "UTC", due, now) == (None, 0)
    # A time zone shifts the wall-clock hour, not the instants.
    due_ny, _ = latest_due("0 9 * * *", "America/New_York", now - dt.timedelta(days=1), now)
    assert due_ny == dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC)


def test_two_schedulers_enqueue_each_due_run_once(app: App) -> None:
    _saved_before_five_due_times(app)
    source = app.jobs_kit.scheduler.source
    schedulers = [Scheduler(app.db, app.jobs, source, clock=utcnow) for _ in range(2)]
    barrier = threading.Barrier(2)
    fired: list[int] = []

    def run(s: Scheduler) -> None:
        barrier.wait()
        fired.extend(f.job_id for f in s.tick())

    threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fired) == 1  # one catch-up run for the five missed hours
    with app.db.session() as session:
        runs = session.scalars(select(ScheduleRun)).all()
        jobs = session.scalar(select(func.count()).select_from(Job))
    assert jobs == 1
    assert [(r.job_id, r.covered) for r in runs] == [(fired[0], 5)]
    assert schedulers[0].tick() == [] and schedulers[1].tick() == []


def _running_job(app: App, worker: str, *, attempts_left: bool) -> int:
    job = app.jobs.enqueue(me(app), document=NOOP, max_attempts=2 if attempts_left else 1)
    claimed = claim_next(app.db, worker, utcnow(), "local")
    assert claimed is not None and claimed.id == job.id
    return job.id


def test_recovery_requeues_or_fails_jobs_of_dead_or_silent_workers(app: App) -> None:
    # A worker of this host whose process is gone: recovered at once.
    dead = "local-dead-1"
    now = utcnow()
    with app.db.session() as session:
        session.add(
            JobWorker(
                id=dead, kind="local", host=app.jobs_kit.pool.board.host, pid=2**22 + 7,
                state="busy", started_at=now, heartbeat_at=now,
            )
        )  # fmt: skip
    requeue_me = _running_job(app, dead, attempts_left=True)
    fail_me = _running_job(app, dead, attempts_left=False)
    # A worker elsewhere that stopped beating long ago.
    silent = _running_job(app, "rq-elsewhere-1-w", attempts_left=True)
    with app.db.session() as session:
        session.execute(
            update(Job).where(Job.id == silent).values(heartbeat_at=now - dt.timedelta(minutes=5))
        )
    alive = _running_job(app, "rq-elsewhere-2-w", attempts_left=True)
    found = recover(app.db, utcnow())
    assert sorted(found.requeued) == sorted([requeue_me, silent])
    assert found.failed == [fail_me]
    with app.db.session() as session:
        states = dict(session.execute(select(Job.id, Job.status)).all())
        error = session.scalar(select(Job.error).where(Job.id == fail_me))
        workers = session.scalars(select(JobWorker.id)).all()
    assert states[alive] is JobStatus.RUNNING
    assert states[requeue_me] is JobStatus.QUEUED
    assert error is not None and error.startswith(f"abandoned: worker {dead}")
    assert dead not in workers
    assert recover(app.db, utcnow()).count == 0


def test_the_apps_retention_also_removes_expired_usage_reservations(app: App) -> None:
    owner = me(app)
    app.usage.limits.set(owner, Metric.CONNECTOR_CALLS, Period.DAY, 5)
    app.usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)  # its worker died: never settled
    live = app.usage.reserve(owner, Metric.CONNECTOR_CALLS, 1)
    with app.db.session() as session:
        session.execute(
            update(UsageReservation)
            .where(UsageReservation.id != live.row_id)
            .values(expires_at=utcnow() - dt.timedelta(minutes=1))
        )
    pruned = app.jobs_kit.retention.prune()
    assert pruned.swept == 1
    with app.db.session() as session:
        left = session.scalars(select(UsageReservation.id)).all()
    assert left == [live.row_id]


def test_retention_prunes_old_finished_jobs_and_compacts(app: App) -> None:
    ids = app.jobs.enqueue_many(me(app), None, [{"n": n} for n in range(60)], document=NOOP)
    old = utcnow() - dt.timedelta(days=40)
    with app.db.session() as session:
        session.execute(
            update(Job)
            .where(Job.id.in_(ids[:50]))
            .values(status=JobStatus.SUCCEEDED, finished_at=old)
        )
        session.execute(
            update(Job)
            .where(Job.id.in_(ids[50:55]))
            .values(status=JobStatus.FAILED, finished_at=utcnow())
        )
    pruned = Retention(app.db, utcnow, days=30).prune(compact_after=10)
    assert pruned.jobs == 50 and pruned.compacted
    assert app.jobs.count(me(app)) == 10
    size = database_size(app.db)
    assert size is not None and size > 0
