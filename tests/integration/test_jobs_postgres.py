"""The local backend on PostgreSQL: SKIP LOCKED claims, runs, failures, recovery."""

from __future__ import annotations

import threading

import pytest

from levqor_desktop.app import App
from levqor_desktop.core.jobs import store
from levqor_desktop.core.jobs.recovery import recover
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.jobs import JobStatus
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
        while batch := store.claim_many(pg_app.db, name, utcnow(), "local", 7):
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
    assert store.claim_next(pg_app.db, "local-elsewhere-1-1", utcnow(), "local") is not None
    found = recover(pg_app.db, utcnow(), stale_after_s=-1)
    assert found.requeued == [lost.id]
    assert pg_app.jobs.get(me(pg_app), lost.id).status is JobStatus.QUEUED
