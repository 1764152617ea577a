"""Fault tests: killed workers, a Redis that goes away, a burst of concurrent enqueues.

Every test ends with the same question: did every job end succeeded or failed (none
lost, none left running or queued), and did none run more often than at-least-once
allows?
"""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from levqor_desktop.app import App, build_app
from levqor_desktop.core.models.jobs import Job, JobStatus, JobStep
from levqor_desktop.core.tenancy import Actor
from tests.conftest import make_settings
from tests.reliability.jobs_support import (
    NOOP,
    SLEEPY,
    all_finished,
    counts,
    levqor_env,
    poll_until,
    spawn_levqor,
    stop_process,
)

pytestmark = pytest.mark.slow


def me(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


def _running(app: App) -> int:
    return counts(app.db).get("running", 0)


def _attempts(app: App) -> dict[int, int]:
    with app.db.session() as session:
        return {r[0]: r[1] for r in session.execute(select(Job.id, Job.attempts))}


def _step_rows_per_job(app: App) -> set[int]:
    with app.db.session() as session:
        rows = session.execute(select(JobStep.job_id, func.count()).group_by(JobStep.job_id))
        return {r[1] for r in rows}


def _kill_mid_job_then_restart(app: App, args: list[str], env: dict[str, str], logs: Path) -> None:
    total = app.jobs.count(me(app))
    first = spawn_levqor(args, env, logs / "first.log")
    try:
        assert poll_until(lambda: _running(app) >= 1, 60), (logs / "first.log").read_text()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert _running(app) >= 1  # left behind by the dead process
    second = spawn_levqor([*args, "--burst"], env, logs / "second.log")
    try:
        finished = poll_until(all_finished(app.db, total), 120)
        assert finished, f"{counts(app.db)}\n{(logs / 'second.log').read_text()}"
    finally:
        stop_process(second)
    final = counts(app.db)
    assert final == {"succeeded": total}, final
    tries = _attempts(app)
    assert set(tries.values()) <= {1, 2} and 2 in tries.values()  # the interrupted ones
    assert _step_rows_per_job(app) == {2}  # each of the two steps recorded once


def test_local_pool_killed_mid_job_loses_nothing(app: App, home: Path, tmp_path: Path) -> None:
    app.jobs.enqueue_many(me(app), None, [{"s": 0.3}] * 12, document=SLEEPY)
    env = levqor_env(home)
    _kill_mid_job_then_restart(app, ["worker", "--concurrency", "3"], env, tmp_path)


@pytest.mark.postgres
@pytest.mark.redis
def test_rq_worker_killed_mid_job_loses_nothing(
    home: Path, pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    extra = {
        "DATABASE_URL": pg_url,
        "PG_ENABLED": "1",
        "REDIS_URL": redis_url,
        "NEW_QUEUE_ENABLED": "1",
    }
    app = build_app(make_settings(home, **extra)).start()
    try:
        app.jobs.enqueue_many(me(app), None, [{"s": 0.3}] * 6, document=SLEEPY)
        _kill_mid_job_then_restart(app, ["worker"], levqor_env(home, **extra), tmp_path)
        started = app.jobs_kit.rq.queue("default").started_job_registry
        assert started.get_job_ids() == []
    finally:
        app.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_server(port: int, folder: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.5)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    assert poll_until(up, 15), "redis-server did not start"
    client.close()
    return proc


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    port = _free_port()
    procs = [_redis_server(port, tmp_path)]
    yield port, procs
    for proc in procs:
        stop_process(proc)


@pytest.mark.postgres
def test_redis_stopped_and_started_again_runs_every_job_once(
    home: Path, pg_url: str, own_redis: tuple[int, list[subprocess.Popen[bytes]]], tmp_path: Path
) -> None:
    port, procs = own_redis
    url = f"redis://127.0.0.1:{port}/0"
    extra = {"DATABASE_URL": pg_url, "PG_ENABLED": "1", "REDIS_URL": url, "NEW_QUEUE_ENABLED": "1"}
    app = build_app(make_settings(home, **extra)).start()
    worker = spawn_levqor(["worker"], levqor_env(home, **extra), tmp_path / "worker.log")
    try:
        app.jobs_kit.dispatcher.start()
        app.jobs.enqueue_many(me(app), None, [{"n": n} for n in range(5)], document=NOOP)
        assert poll_until(all_finished(app.db, 5), 60), (tmp_path / "worker.log").read_text()
        stop_process(procs[0])  # Redis goes away (and, without persistence, its data)
        held = [app.jobs.enqueue(me(app), document=NOOP, inputs={"n": n}).id for n in range(10)]
        assert app.queue_status().state == "degraded"
        assert all(not app.jobs.get(me(app), i).dispatched for i in held)
        procs.append(_redis_server(port, tmp_path))  # back, empty
        done = poll_until(all_finished(app.db, 15), 90)
        assert done, f"{counts(app.db)}\n{(tmp_path / 'worker.log').read_text()}"
        assert counts(app.db) == {"succeeded": 15}
        assert set(_attempts(app).values()) == {1}  # none ran twice
        assert _step_rows_per_job(app) == {1}
        assert poll_until(lambda: app.queue_status().state == "ok", 10)
    finally:
        stop_process(worker)
        app.jobs_kit.dispatcher.stop()
        app.close()


def _enqueue_from_16_threads(app: App) -> list[int]:
    ids: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)
    actor = me(app)

    def enqueue(thread: int) -> None:
        barrier.wait()
        for n in range(1000 // 16 + (1 if thread < 1000 % 16 else 0)):
            job = app.jobs.enqueue(actor, document=NOOP, inputs={"n": thread * 1000 + n})
            with lock:
                ids.append(job.id)

    threads = [threading.Thread(target=enqueue, args=(t,)) for t in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ids


def _check_exactly_once(app: App, ids: list[int]) -> None:
    assert len(ids) == 1000 and len(set(ids)) == 1000
    with app.db.session() as session:
        rows = session.execute(select(Job.id, Job.inputs, Job.status)).all()
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert len({r[1]["n"] for r in rows}) == 1000
    assert {r[2] for r in rows} == {JobStatus.QUEUED}


def test_1000_jobs_from_16_threads_recorded_exactly_once_sqlite(app: App) -> None:
    _check_exactly_once(app, _enqueue_from_16_threads(app))


@pytest.mark.postgres
def test_1000_jobs_from_16_threads_recorded_exactly_once_postgres(pg_app: App) -> None:
    _check_exactly_once(pg_app, _enqueue_from_16_threads(pg_app))
