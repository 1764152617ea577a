"""Each check failing for real, against this app in process and against a ``levqor serve``
started by the test on a free port: both give the same verdicts, and so does the CLI."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.engine import make_url

from levqor_desktop.app import App, build_app
from levqor_desktop.cli.main import main
from levqor_desktop.core.canary import RunReport, Status, Thresholds, Verdict
from levqor_desktop.core.jobs.heartbeat import WorkerBoard
from levqor_desktop.core.models import utcnow
from levqor_desktop.core.opsapi.server import build_ops_server
from tests.conftest import drop_pg_database, make_settings
from tests.helpers.memory_keyring import MemoryKeyring
from tests.integration.canary_support import (
    DelayProxy,
    inject_jobs,
    levqor_serve,
    redis_server,
    stop,
)

#: Checks whose answer depends on the process, not the deployment (the test's App keeps
#: its secrets in memory; the served one has no keyring on this machine).
PROCESS_LOCAL = {"keyring"}


def statuses(report: RunReport) -> dict[str, Status]:
    return {r.name: r.status for r in report.results if r.name not in PROCESS_LOCAL}


@pytest.fixture
def make_app(home: Path) -> Iterator[Any]:
    made: list[App] = []

    def make(**env: str) -> App:
        settings = make_settings(home, LEVQOR_METRICS_PORT="0", **env)
        app = build_app(settings, secret_backend=MemoryKeyring()).start()
        made.append(app)
        return app

    yield make
    for app in made:
        app.close()


def both(app: App, url: str, key: str) -> tuple[RunReport, RunReport]:
    assert app.actor is not None
    local = app.canary.run(app.actor)
    remote = app.canary.run(app.actor, app.canary.remote_target(url, key))
    return local, remote


@pytest.mark.slow
def test_healthy_then_failing_jobs_same_verdicts_here_served_and_cli(
    make_app: Any, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app()
    assert app.actor is not None
    key = app.api_keys.create(app.actor, name="canary").key
    with levqor_serve(home) as url:
        local, remote = both(app, url, key)
        assert local.verdict is remote.verdict is Verdict.PASS, (local, remote)
        assert statuses(local) == statuses(remote)
        assert statuses(local)["queue"] is Status.PASS  # the served pool's worker is online
        assert remote.results[-1].status is Status.NO_DATA  # no keyring there, not a failure

        # Failed jobs push the error rate over 5 %.
        inject_jobs(app.db, app.actor.org_id, failed=3, succeeded=7)
        local, remote = both(app, url, key)
        assert local.verdict is remote.verdict is Verdict.FAIL
        for report in (local, remote):
            rate = next(r for r in report.results if r.name == "error_rate")
            assert rate.status is Status.FAIL and rate.value == pytest.approx(30.0)
            assert rate.advice
        assert statuses(local) == statuses(remote)

        # The command line says the same, with exit status 1.
        monkeypatch.setenv("LEVQOR_HOME", str(home))
        monkeypatch.setenv("LEVQOR_METRICS_PORT", "0")
        monkeypatch.setenv("CANARY_TEST_KEY", key)
        assert main(["canary", url, "--api-key-env", "CANARY_TEST_KEY"]) == 1
        assert main(["canary"]) == 1
        out = capsys.readouterr().out
        assert out.count("FAIL  error_rate") == 2 and "verdict: FAIL" in out
        assert main(["canary", url, "--api-key-env", "NOT_SET_ANYWHERE"]) == 1
        assert "NOT_SET_ANYWHERE" in capsys.readouterr().err

    history = app.canary.history(app.actor)
    assert [r.verdict for r in history[:2]] == [Verdict.FAIL, Verdict.FAIL]
    assert {r.target for r in history} == {"local", url}


@pytest.mark.slow
def test_remote_without_a_key_fails_the_protected_checks(make_app: Any, home: Path) -> None:
    app = make_app()
    with levqor_serve(home) as url:
        report = app.canary.run(app.actor, app.canary.remote_target(url, None))
    by_name = {r.name: r for r in report.results}
    assert by_name["health"].status is Status.PASS  # open without a key
    assert by_name["queue"].status is Status.FAIL
    assert "refused" in by_name["queue"].summary and by_name["queue"].advice
    assert report.verdict is Verdict.FAIL


@pytest.mark.slow
def test_stopping_redis_fails_the_queue_check_here_and_served(make_app: Any, home: Path) -> None:
    with redis_server() as (redis_url, redis_proc):
        env = {"REDIS_URL": redis_url, "NEW_QUEUE_ENABLED": "1"}
        app = make_app(**env)
        key = app.api_keys.create(app.actor, name="canary").key
        with levqor_serve(home, env, "--no-background") as url:
            local, remote = both(app, url, key)
            for report in (local, remote):
                queue = next(r for r in report.results if r.name == "queue")
                assert queue.details["backend"] == "rq"
                assert queue.status is Status.WARN  # reachable, but no RQ worker
            assert local.verdict is remote.verdict is Verdict.MARGINAL

            stop(redis_proc)
            local, remote = both(app, url, key)
            for report in (local, remote):
                queue = next(r for r in report.results if r.name == "queue")
                assert queue.status is Status.FAIL and "unreachable" in queue.summary
                assert "Redis" in (queue.advice or "")
            assert local.verdict is remote.verdict is Verdict.FAIL
            assert statuses(local) == statuses(remote)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_vanished_database_fails_health_and_database(
    make_app: Any, home: Path, pg_url: str, pg_admin_url: str
) -> None:
    env = {"DATABASE_URL": pg_url, "PG_ENABLED": "1"}
    app = make_app(**env)
    key = app.api_keys.create(app.actor, name="canary").key
    with levqor_serve(home, env, "--no-background") as url:
        local, remote = both(app, url, key)
        assert statuses(local)["health"] is statuses(remote)["health"] is Status.PASS
        drop_pg_database(pg_admin_url, pg_url.rsplit("/", 1)[1])
        local, remote = both(app, url, key)
        for report in (local, remote):
            found = {r.name: r for r in report.results}
            assert found["health"].status is Status.FAIL, found["health"]
            assert found["database"].status is Status.FAIL, found["database"]
            assert "does not exist" in found["health"].summary
            assert report.verdict is Verdict.FAIL
            assert report.id is None  # the run could not be stored: the database is gone


def test_a_slow_database_regresses_against_the_baseline(app: App) -> None:
    assert app.actor is not None
    app.canary.runner.thresholds = Thresholds(
        db_latency_warn_ms=10_000, db_latency_fail_ms=20_000, probe_latency_warn_ms=10_000
    )
    board = WorkerBoard(app.db, utcnow, "local")  # a worker online, as the local pool has
    board.register(board.make_id("canary-test"))
    first = app.canary.run(app.actor)
    assert first.verdict is Verdict.PASS, first

    def delay(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.strip() == "SELECT 1":  # the health round trip only: keeps this fast
            time.sleep(0.25)

    event.listen(app.db.engine, "before_cursor_execute", delay)
    try:
        slow = app.canary.run(app.actor)
        health = next(r for r in slow.results if r.name == "health")
        assert health.status is Status.WARN and "the last passing run" in health.summary
        assert health.baseline is not None and slow.verdict is Verdict.MARGINAL
        assert slow.baseline_run_id == first.id
        app.canary.runner.thresholds = Thresholds(db_latency_warn_ms=50, db_latency_fail_ms=100)
        failed = app.canary.run(app.actor)
        assert next(r for r in failed.results if r.name == "health").status is Status.FAIL
    finally:
        event.remove(app.db.engine, "before_cursor_execute", delay)


class _Locked(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        from keyring.errors import KeyringLocked

        raise KeyringLocked("the collection is locked")


class _Broken(Collector):
    def describe(self) -> list[GaugeMetricFamily]:
        return []  # registering must not collect

    def collect(self) -> Iterator[GaugeMetricFamily]:
        raise OSError("sensor gone")


def test_locked_keyring_and_broken_metrics_fail(home: Path) -> None:
    app = build_app(make_settings(home), secret_backend=_Locked()).start()
    try:
        assert app.actor is not None
        app.metrics.registry.register(_Broken())
        report = app.canary.run(app.actor)
        found = {r.name: r for r in report.results}
        assert found["keyring"].status is Status.FAIL and "locked" in found["keyring"].summary
        assert found["metrics"].status is Status.FAIL and "sensor gone" in found["metrics"].summary
        assert report.verdict is Verdict.FAIL
    finally:
        app.close()


def test_connector_credentials_are_checked_here_and_through_the_api(app: App) -> None:
    assert app.actor is not None

    def slack(request: httpx.Request) -> httpx.Response:
        good = request.headers.get("authorization") == "Bearer xoxb-good"
        body = {"ok": True, "user": "levqor", "team": "ops"} if good else {
            "ok": False, "error": "invalid_auth"}  # fmt: skip
        return httpx.Response(200, json=body)

    app.connectors.transport = httpx.MockTransport(slack)
    app.connectors.save_account(app.actor, "slack", "main", {"bot_token": "xoxb-good"})
    first = app.canary.run(app.actor)
    found = next(r for r in first.results if r.name == "connectors")
    assert found.status is Status.PASS and found.summary == "1 accounts answer"

    app.connectors.save_account(app.actor, "slack", "old", {"bot_token": "xoxb-revoked"})
    key = app.api_keys.create(app.actor, name="canary").key
    server = build_ops_server(app, port=0)
    server.start()
    try:
        assert server.url is not None
        local, remote = both(app, server.url, key)
    finally:
        server.stop()
    for report in (local, remote):
        found = next(r for r in report.results if r.name == "connectors")
        assert found.status is Status.FAIL and found.value == 1.0
        assert "slack/old" in found.summary and "slack/main" not in found.summary
        assert found.advice and "Connectors panel" in found.advice


@pytest.mark.slow
@pytest.mark.postgres
def test_a_slow_database_is_marginal_here_and_served(
    make_app: Any, home: Path, pg_url: str
) -> None:
    real = make_url(pg_url)
    proxy = DelayProxy(real.host or "127.0.0.1", real.port or 5432)
    try:
        proxied = real.set(port=proxy.port).render_as_string(hide_password=False)
        env = {"DATABASE_URL": proxied, "PG_ENABLED": "1"}
        app = make_app(**env)
        board = WorkerBoard(app.db, utcnow, "local")
        board.register(board.make_id("canary-test"))
        key = app.api_keys.create(app.actor, name="canary").key
        with levqor_serve(home, env, "--no-background") as url:
            local, remote = both(app, url, key)
            assert local.verdict is remote.verdict is Verdict.PASS, (local, remote)
            # Every chunk sent to PostgreSQL now waits: a round trip takes at least 100 ms,
            # over 3x the baseline (which counts as at least 20 ms), under the 1 s failure.
            proxy.delay = 0.1
            local, remote = both(app, url, key)
            for report in (local, remote):
                health = next(r for r in report.results if r.name == "health")
                assert health.status is Status.WARN and (health.value or 0) >= 100
                assert health.baseline is not None
                assert report.verdict is Verdict.MARGINAL
            assert statuses(local) == statuses(remote)
            proxy.delay = 0.0
    finally:
        proxy.close()
