"""FlagService: permission, audit trail, risky reasons, undo, revert, listeners."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.flags.service import FlagChange
from levqor_desktop.core.models import Role
from levqor_desktop.core.models.observability import FlagAudit
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import (
    ConfigError,
    DatabaseError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)


@pytest.fixture
def admin(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


def test_set_is_audited_with_who_when_old_new_source_reason(app: App, admin: Actor) -> None:
    change = app.flag_service.set(admin, "builder_enabled", True, "try it", source="window")
    assert change is not None
    assert app.flags.enabled(FlagName.BUILDER_ENABLED)
    entry = change.entry
    assert entry.flag is FlagName.BUILDER_ENABLED
    assert (entry.old_value, entry.new_value) == (None, True)
    assert (entry.old_effective, entry.new_effective) == (False, True)
    assert (entry.source, entry.reason) == ("window", "try it")
    assert (entry.actor_name, entry.user_id, entry.org_id) == (
        admin.display_name,
        admin.user_id,
        admin.org_id,
    )
    assert entry.at.tzinfo is not None
    assert abs(entry.at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert app.flag_service.history() == [entry]
    assert app.flag_service.last_change(FlagName.BUILDER_ENABLED) == entry
    assert app.flag_service.last_change(FlagName.PG_ENABLED) is None


def test_no_change_records_nothing(app: App, admin: Actor) -> None:
    assert app.flag_service.set(admin, FlagName.CANARY_MODE, None, "x") is None
    app.flag_service.set(admin, FlagName.CANARY_MODE, False, "x")
    assert app.flag_service.set(admin, FlagName.CANARY_MODE, False, "x") is None
    assert len(app.flag_service.history()) == 1


def test_viewer_and_operator_may_not_change_flags(app: App, admin: Actor) -> None:
    for role in (Role.VIEWER, Role.OPERATOR):
        actor = dataclasses.replace(admin, role=role)
        with pytest.raises(PermissionDenied, match="may not manage flags: it needs the admin"):
            app.flag_service.set(actor, FlagName.BUILDER_ENABLED, True)
    assert app.flag_service.history() == []
    assert not app.flags.enabled(FlagName.BUILDER_ENABLED)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_risky_flags_need_a_reason(app: App, admin: Actor, reason: str | None) -> None:
    with pytest.raises(ValidationError, match="PG_ENABLED is a risky flag: give a reason"):
        app.flag_service.set(admin, FlagName.PG_ENABLED, True, reason)
    assert not app.flags.enabled(FlagName.PG_ENABLED)
    assert app.flag_service.history() == []


def test_unknown_flag_lists_the_known_ones(app: App, admin: Actor) -> None:
    with pytest.raises(ValidationError, match="unknown flag 'NOPE'; the flags are PG_ENABLED"):
        app.flag_service.set(admin, "NOPE", True)


def test_undo_restores_the_old_value_and_links_the_entries(app: App, admin: Actor) -> None:
    first = app.flag_service.set(admin, FlagName.NEW_QUEUE_ENABLED, True, "move to rq")
    assert first is not None
    assert app.queue_backend == "rq"
    undo = app.flag_service.undo(admin, first.entry.id)
    assert app.queue_backend == "local"
    assert undo.entry.undoes_id == first.entry.id
    assert undo.entry.reason == f"undo of #{first.entry.id}"
    assert (undo.entry.old_value, undo.entry.new_value) == (True, None)
    assert app.flag_service.entry(first.entry.id).undone_by == undo.entry.id
    with pytest.raises(ValidationError, match="already undone by"):
        app.flag_service.undo(admin, first.entry.id)


def test_undo_is_refused_after_a_later_change(app: App, admin: Actor) -> None:
    first = app.flag_service.set(admin, FlagName.BUILDER_ENABLED, True)
    second = app.flag_service.set(admin, FlagName.BUILDER_ENABLED, False)
    assert first is not None and second is not None
    with pytest.raises(ValidationError, match=f"latest: #{second.entry.id}"):
        app.flag_service.undo(admin, first.entry.id)


def test_undo_of_a_missing_entry(app: App, admin: Actor) -> None:
    with pytest.raises(NotFoundError, match="no flag change #999"):
        app.flag_service.undo(admin, 999)


def test_risky_listeners_fire_for_risky_changes_but_not_for_a_revert(
    app: App, admin: Actor
) -> None:
    risky: list[FlagChange] = []
    every: list[FlagChange] = []
    app.flag_service.subscribe_risky(risky.append)
    app.flag_service.subscribe(every.append)
    app.flag_service.set(admin, FlagName.BUILDER_ENABLED, True)
    change = app.flag_service.set(admin, FlagName.PG_ENABLED, True, "go to postgres")
    assert change is not None
    assert [c.flag for c in risky] == [FlagName.PG_ENABLED]
    assert risky[0].risky
    with pytest.raises(ValidationError, match="needs a reason"):
        app.flag_service.revert(admin, change.entry.id, " ")
    reverted = app.flag_service.revert(admin, change.entry.id, "canary: health check failed")
    assert reverted.entry.source == "canary"
    assert reverted.entry.reason == "canary: health check failed"
    assert not app.flags.enabled(FlagName.PG_ENABLED)
    assert len(risky) == 1
    assert [c.flag for c in every] == [
        FlagName.BUILDER_ENABLED,
        FlagName.PG_ENABLED,
        FlagName.PG_ENABLED,
    ]


def test_a_failing_listener_does_not_break_the_change(app: App, admin: Actor) -> None:
    def boom(change: FlagChange) -> None:
        raise RuntimeError("canary bug")

    app.flag_service.subscribe_risky(boom)
    assert app.flag_service.set(admin, FlagName.PG_ENABLED, True, "why not") is not None
    assert app.flags.enabled(FlagName.PG_ENABLED)


def test_environment_forced_flag_is_refused_and_not_audited(admin_env_app) -> None:
    app, actor = admin_env_app
    with pytest.raises(ConfigError, match="forced by the environment variable CANARY_MODE"):
        app.flag_service.set(actor, FlagName.CANARY_MODE, False, "try")
    assert app.flag_service.history() == []


@pytest.fixture
def admin_env_app(home):
    from levqor_desktop.app import build_app
    from tests.conftest import make_settings

    app = build_app(make_settings(home, CANARY_MODE="on")).start()
    try:
        assert app.actor is not None
        yield app, app.actor
    finally:
        app.close()


def test_audit_failure_rolls_the_file_back(app: App, admin: Actor) -> None:
    # Make the audit insert fail: drop the table.
    with app.db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE flag_audit")
    with pytest.raises(DatabaseError, match="cannot record the change of BUILDER_ENABLED"):
        app.flag_service.set(admin, FlagName.BUILDER_ENABLED, True)
    assert not app.flags.enabled(FlagName.BUILDER_ENABLED)


def test_views_show_state_source_and_last_change(app: App, admin: Actor) -> None:
    app.flag_service.set(admin, FlagName.CANARY_MODE, True, "watch")
    app.flag_service.set(admin, FlagName.CANARY_MODE, False, "too noisy")
    views = {v.definition.name: v for v in app.flag_service.views()}
    assert len(views) == 7
    canary = views[FlagName.CANARY_MODE]
    assert canary.last_change is not None
    assert canary.last_change.reason == "too noisy"
    assert views[FlagName.PG_ENABLED].last_change is None
    with app.db.session() as session:
        assert len(session.scalars(select(FlagAudit)).all()) == 2


@pytest.mark.postgres
def test_audit_and_undo_on_postgresql(pg_app: App) -> None:
    actor = pg_app.actor
    assert actor is not None
    change = pg_app.flag_service.set(actor, FlagName.CANARY_MODE, True, "pg")
    assert change is not None
    undo = pg_app.flag_service.undo(actor, change.entry.id)
    assert pg_app.flag_service.entry(change.entry.id).undone_by == undo.entry.id
    assert [e.id for e in pg_app.flag_service.history()] == [undo.entry.id, change.entry.id]
