"""CANARY_MODE: a risky change the canary fails is reverted, recorded and announced."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from levqor_desktop.app import App, build_app
from levqor_desktop.core.canary import AutoOutcome, Status, Verdict
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.jobs.heartbeat import WorkerBoard
from levqor_desktop.core.migrate import Target
from levqor_desktop.core.models import utcnow
from tests.conftest import make_settings
from tests.helpers.memory_keyring import MemoryKeyring
from tests.integration.canary_support import free_port, inject_jobs, redis_server

WAIT_S = 60.0


def outcomes(app: App) -> tuple[list[AutoOutcome], threading.Event]:
    seen: list[AutoOutcome] = []
    arrived = threading.Event()

    def listener(outcome: AutoOutcome) -> None:
        seen.append(outcome)
        arrived.set()

    app.canary.auto.subscribe(listener)
    return seen, arrived


def app_with(home: Path, **env: str) -> App:
    settings = make_settings(home, LEVQOR_METRICS_PORT="0", **env)
    return build_app(settings, secret_backend=MemoryKeyring()).start()


def test_a_failing_flag_change_is_reverted_recorded_and_announced(home: Path) -> None:
    # The queue backend switch points at a Redis nobody runs.
    app = app_with(home, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    try:
        assert app.actor is not None
        app.flag_service.set(app.actor, FlagName.CANARY_MODE, True, "watch")
        seen, arrived = outcomes(app)
        change = app.flag_service.set(
            app.actor, FlagName.NEW_QUEUE_ENABLED, True, "try RQ", source="window"
        )
        assert change is not None
        assert arrived.wait(WAIT_S) and app.canary.auto.wait_idle(WAIT_S)

        outcome = seen[0]
        assert outcome.reverted and outcome.report is not None
        assert outcome.report.verdict is Verdict.FAIL
        assert outcome.title == "Canary fail after NEW_QUEUE_ENABLED on"
        assert "reverted NEW_QUEUE_ENABLED" in outcome.text and "queue:" in outcome.text
        assert not app.flags.enabled(FlagName.NEW_QUEUE_ENABLED)
        # The flag audit holds the revert, by the canary, saying why.
        revert = app.flag_service.last_change(FlagName.NEW_QUEUE_ENABLED)
        assert revert is not None and revert.undoes_id == change.entry.id
        assert revert.source == "canary" and "failed" in (revert.reason or "")
        # The run is stored with its trigger, the change and the rollback.
        run = app.canary.history(app.actor, limit=1)[0]
        assert (run.trigger, run.change) == ("auto", "NEW_QUEUE_ENABLED on")
        assert run.rollback is not None and run.rollback.startswith("reverted NEW_QUEUE_ENABLED")
        queue = next(r for r in run.results if r.name == "queue")
        assert queue.status is Status.FAIL
        # The canary's own revert does not trigger another run.
        assert len(seen) == 1
    finally:
        app.close()


def test_marginal_offers_the_revert_and_off_means_no_run(home: Path) -> None:
    with redis_server() as (redis_url, _proc):
        app = app_with(home, REDIS_URL=redis_url)
        try:
            assert app.actor is not None
            seen, arrived = outcomes(app)
            # CANARY_MODE off: a risky change runs nothing.
            app.flag_service.set(app.actor, FlagName.NEW_QUEUE_ENABLED, True, "try")
            assert app.canary.auto.wait_idle(WAIT_S) and seen == []
            app.flag_service.set(app.actor, FlagName.NEW_QUEUE_ENABLED, False, "back")

            app.flag_service.set(app.actor, FlagName.CANARY_MODE, True, "watch")
            app.flag_service.set(app.actor, FlagName.NEW_QUEUE_ENABLED, True, "try again")
            assert arrived.wait(WAIT_S) and app.canary.auto.wait_idle(WAIT_S)
            outcome = seen[0]
            # Redis answers but no RQ worker runs: marginal, kept, revert offered.
            assert outcome.report is not None and outcome.report.verdict is Verdict.MARGINAL
            assert outcome.offered and not outcome.reverted
            assert app.flags.enabled(FlagName.NEW_QUEUE_ENABLED)
            text = app.canary.auto.revert_offered(outcome)
            assert text.startswith("reverted NEW_QUEUE_ENABLED")
            assert not app.flags.enabled(FlagName.NEW_QUEUE_ENABLED)
            stored = app.canary.get(app.actor, outcome.report.id or 0)
            assert stored.rollback == text
        finally:
            app.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_a_failing_migration_switch_is_rolled_back(home: Path, pg_url: str) -> None:
    app = app_with(home)
    try:
        assert app.actor is not None
        board = WorkerBoard(app.db, utcnow, "local")
        board.register(board.make_id("canary-test"))
        # Jobs failing at 50 %: the canary fails on the new database too.
        inject_jobs(app.db, app.actor.org_id, failed=5, succeeded=5)
        app.flag_service.set(app.actor, FlagName.CANARY_MODE, True, "watch")
        seen, _arrived = outcomes(app)
        target = Target.parse(pg_url)
        app.migrations.migrate(target, backup=False)
        result = app.migrations.switch(target)

        assert result.rolled_back, result
        assert not app.flags.enabled(FlagName.PG_ENABLED)
        [outcome] = seen
        assert outcome.report is not None and outcome.report.verdict is Verdict.FAIL
        assert outcome.report.target_label == f"this app on {target.display}"
        rate = next(r for r in outcome.report.results if r.name == "error_rate")
        assert rate.status is Status.FAIL and rate.value == pytest.approx(50.0)
        run = app.canary.history(app.actor, limit=1)[0]
        assert run.change == f"database switch to {target.display}"
        assert run.rollback is not None and "rolls the switch back" in run.rollback
    finally:
        app.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_a_passing_migration_switch_stays(home: Path, pg_url: str) -> None:
    app = app_with(home)
    try:
        assert app.actor is not None
        board = WorkerBoard(app.db, utcnow, "local")
        board.register(board.make_id("canary-test"))
        app.flag_service.set(app.actor, FlagName.CANARY_MODE, True, "watch")
        seen, _arrived = outcomes(app)
        target = Target.parse(pg_url)
        app.migrations.migrate(target, backup=False)
        result = app.migrations.switch(target)
        assert not result.rolled_back and app.flags.enabled(FlagName.PG_ENABLED)
        [outcome] = seen
        assert outcome.report is not None and outcome.report.verdict is Verdict.PASS
        assert outcome.rollback == "none needed: the canary passed"
    finally:
        app.close()


def test_a_risky_change_through_the_ops_api_is_checked_too(home: Path) -> None:
    from fastapi.testclient import TestClient

    from levqor_desktop.core.opsapi import create_ops_app

    app = app_with(home, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    try:
        assert app.actor is not None
        key = app.api_keys.create(app.actor, name="admin").key
        app.flag_service.set(app.actor, FlagName.CANARY_MODE, True, "watch")
        seen, arrived = outcomes(app)
        with TestClient(create_ops_app(app)) as client:
            answer = client.put(
                "/api/v1/ops/flags/NEW_QUEUE_ENABLED",
                headers={"Authorization": f"Bearer {key}"},
                json={"value": True, "reason": "switch to RQ"},
            )
        assert answer.status_code == 200 and answer.json()["changed"]
        assert arrived.wait(WAIT_S) and app.canary.auto.wait_idle(WAIT_S)
        assert seen[0].reverted and not app.flags.enabled(FlagName.NEW_QUEUE_ENABLED)
        revert = app.flag_service.last_change(FlagName.NEW_QUEUE_ENABLED)
        assert revert is not None and revert.source == "canary"
    finally:
        app.close()
