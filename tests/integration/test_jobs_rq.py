"""The rq backend against real PostgreSQL and Redis, with real RQ workers in subprocesses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq import Queue
from rq.registry import CanceledJobRegistry, FailedJobRegistry, FinishedJobRegistry

from levqor_desktop.app import App, build_app
from levqor_desktop.core.jobs import rq_worker
from levqor_desktop.core.jobs.contracts import Services
from levqor_desktop.core.jobs.rq_backend import RqQueue, rq_queue_name
from levqor_desktop.core.jobs.rq_worker import LevqorWorker, WorkerContext
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.jobs import JobStatus
from levqor_desktop.core.tenancy import Actor
from tests.conftest import make_settings
from tests.reliability.jobs_support import NOOP, levqor_env, spawn_levqor

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

FAILING = {
    "name": "failing",
    "steps": [{"id": "boom", "uses": "core.fail", "with": {"message": "no"}}],
}


def rq_env(pg_url: str, redis_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": pg_url,
        "PG_ENABLED": "1",
        "REDIS_URL": redis_url,
        "NEW_QUEUE_ENABLED": "1",
    }


@pytest.fixture
def rq_app(home: Path, pg_url: str, redis_url: str) -> Iterator[App]:
    app = build_app(make_settings(home, **rq_env(pg_url, redis_url))).start()
    try:
        yield app
    finally:
        app.close()


def me(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


@pytest.mark.slow
def test_rq_worker_runs_jobs_and_rq_registries_agree_with_the_database(
    rq_app: App, home: Path, pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    ok = rq_app.jobs.enqueue(me(rq_app), document=NOOP, inputs={"n": 5})
    bad = rq_app.jobs.enqueue(me(rq_app), document=FAILING)
    dropped = rq_app.jobs.enqueue(me(rq_app), document=NOOP)
    assert ok.backend == "rq"
    rq_app.jobs.cancel(me(rq_app), dropped.id, "changed my mind")
    env = levqor_env(home, **rq_env(pg_url, redis_url))
    worker = spawn_levqor(["worker", "--burst"], env, tmp_path / "worker.log")
    assert worker.wait(timeout=120) == 0, (tmp_path / "worker.log").read_text()
    assert rq_app.jobs.get(me(rq_app), ok.id).status is JobStatus.SUCCEEDED
    assert rq_app.jobs.get(me(rq_app), ok.id).steps[0].output == {"value": 5}
    failed = rq_app.jobs.get(me(rq_app), bad.id)
    assert (failed.status, failed.attempts, failed.error) == (JobStatus.FAILED, 1, "step boom: no")
    assert rq_app.jobs.get(me(rq_app), dropped.id).status is JobStatus.CANCELED
    queue = Queue(rq_queue_name("default"), connection=rq_app.jobs_kit.rq.connection)
    assert FinishedJobRegistry(queue=queue).get_job_ids() == [str(ok.id)]
    assert FailedJobRegistry(queue=queue).get_job_ids() == [str(bad.id)]
    assert CanceledJobRegistry(queue=queue).get_job_ids() == [str(dropped.id)]
    workers = rq_app.jobs.workers(me(rq_app))
    assert [(w.kind, w.state, w.processed, w.failed) for w in workers] == [("rq", "stopped", 1, 1)]


def test_enqueue_while_redis_is_down_is_held_then_dispatched(rq_app: App, redis_url: str) -> None:
    kit = rq_app.jobs_kit
    down = RqQueue(rq_app.db, "redis://127.0.0.1:9/0", clock=utcnow)
    kit.router.backends["rq"] = down
    job = rq_app.jobs.enqueue(me(rq_app), document=NOOP)
    assert rq_app.jobs.get(me(rq_app), job.id).dispatched is False
    status = rq_app.queue_status()
    assert (status.backend, status.state) == ("rq", "degraded")
    assert "Redis unreachable" in status.detail
    codes = [r.code for r in rq_app.jobs.why(me(rq_app), job.id)]
    assert codes == ["no_worker", "held"]
    kit.router.backends["rq"] = kit.rq
    assert kit.rq.dispatch_held() == 1
    assert rq_app.jobs.get(me(rq_app), job.id).dispatched is True
    queue = Queue(rq_queue_name("default"), connection=kit.rq.connection)
    assert queue.job_ids == [str(job.id)]
    assert rq_app.queue_status().state == "ok"


def test_the_worker_sends_rqs_worker_heartbeat_at_most_once_a_second(
    rq_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = redis.Redis.from_url(rq_app.settings.redis_url)
    context = WorkerContext(
        rq_app.db, rq_app.jobs_kit.runner, clock=utcnow, services=Services(rq_app)
    )
    queue = Queue(rq_queue_name("default"), connection=connection)
    worker = LevqorWorker([queue], connection=connection, context=context)
    sent: list[int] = []
    real_hset = connection.hset
    monkeypatch.setattr(connection, "hset", lambda *a, **k: sent.append(1) or real_hset(*a, **k))
    clock = [100.0]
    monkeypatch.setattr(rq_worker.time, "monotonic", lambda: clock[0])
    try:
        worker.heartbeat()
        assert len(sent) == 1 and connection.ttl(worker.key) > worker.worker_ttl
        worker.heartbeat()  # within the second, same lifetime: skipped
        clock[0] += 0.5
        worker.heartbeat()
        assert len(sent) == 1
        worker.heartbeat(worker.worker_ttl + 600)  # a longer lifetime is sent at once
        assert len(sent) == 2 and connection.ttl(worker.key) > worker.worker_ttl + 500
        clock[0] += 1.0  # a second later: sent again
        worker.heartbeat()
        assert len(sent) == 3
        with connection.pipeline() as pipe:  # with a job's bookkeeping: always
            worker.heartbeat(60, pipeline=pipe)
            assert len(pipe.command_stack) == 3  # HSET and two EXPIREs
            pipe.execute()
    finally:
        connection.delete(worker.key, worker.executions_key)
