"""The production guard: refuses without the typed name, audits who/when/what."""

from __future__ import annotations

import datetime as dt

import pytest

from levqor_desktop.app import App
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.safety import Environment, Guard, GuardedAction, GuardRefused, Profile

PROD = Profile("acme-prod", "postgresql://ops@db/levqor", environment=Environment.PRODUCTION)


def _bulk(count: int = 3) -> GuardedAction:
    return GuardedAction(
        action="jobs.bulk_cancel",
        target="state=queued",
        count=count,
        preview=[f"#{n} digest" for n in range(1, count + 1)],
        source="cli",
    )


def test_production_refuses_without_the_name_and_runs_with_it(db_app: App) -> None:
    guard = Guard(db_app.db, PROD)
    ran: list[str] = []
    for typed in (None, "", "acme", "ACME-PROD"):
        with pytest.raises(GuardRefused, match="type the deployment's name 'acme-prod'"):
            guard.run(_bulk(), confirm=typed, actor=db_app.actor, do=lambda: ran.append("x"))
    assert ran == []
    before = utcnow()
    result = guard.run(_bulk(), confirm="acme-prod", actor=db_app.actor, do=lambda: 42)
    assert result == 42
    rows = guard.history()
    assert [r.outcome for r in rows] == ["confirmed"] + ["refused"] * 4
    done = rows[0]
    assert db_app.actor is not None
    assert done.actor_name == db_app.actor.display_name
    assert done.created_at >= before - dt.timedelta(seconds=1)
    assert (done.action, done.target, done.count, done.source) == (
        "jobs.bulk_cancel",
        "state=queued",
        3,
        "cli",
    )
    assert (done.profile, done.environment) == ("acme-prod", "production")
    assert done.details["preview"] == ["#1 digest", "#2 digest", "#3 digest"]
    assert done.details["confirmation"] == "typed"


def test_local_runs_without_asking_and_is_audited(db_app: App) -> None:
    assert not db_app.guard.needs_confirmation()
    assert db_app.guard.run(_bulk(1), confirm=None, actor=db_app.actor, do=lambda: "ok") == "ok"
    (row,) = db_app.guard.history()
    assert (row.outcome, row.profile, row.environment) == ("confirmed", "local", "local")
    assert row.details["confirmation"] == "not required"


def test_a_failing_action_is_audited_and_reraised(app: App) -> None:
    def boom() -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        app.guard.run(_bulk(), confirm=None, actor=app.actor, do=boom)
    (row,) = app.guard.history()
    assert row.outcome == "failed"
    assert row.details["error"] == "disk full"


def test_preview_and_details_are_redacted_and_capped(app: App) -> None:
    action = GuardedAction(
        action="connectors.add",
        target="mail for ops@example.com",
        count=80,
        preview=[f"row {n}" for n in range(80)],
        details={"token": "xoxb-1234567890-abcdefghij"},
    )
    app.guard.run(action, confirm=None, actor=app.actor, do=lambda: None)
    (row,) = app.guard.history()
    assert "ops@example.com" not in row.target
    assert "xoxb-1234567890" not in str(row.details)
    assert len(row.details["preview"]) == 50 and row.details["preview_total"] == 80


def test_history_filters_by_org_and_action(app: App) -> None:
    assert app.actor is not None
    app.guard.run(_bulk(), confirm=None, actor=app.actor, do=lambda: None)
    app.guard.run(GuardedAction("flags.set", "PG_ENABLED"), confirm=None, actor=None, do=int)
    assert [r.action for r in app.guard.history(action="flags.set")] == ["flags.set"]
    assert [r.actor_name for r in app.guard.history()] == ["system", app.actor.display_name]
    assert [r.action for r in app.guard.history(app.actor.org_id)] == ["jobs.bulk_cancel"]
