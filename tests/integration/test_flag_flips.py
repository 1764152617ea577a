"""Scheduled flips: applied once at their time, after a restart, by one of two appliers."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from levqor_desktop.app import App, build_app
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.flags.schedules import ScheduledFlip
from levqor_desktop.core.models import Role
from levqor_desktop.core.models.flagsafety import FlagChangeRequest, FlagSchedule
from levqor_desktop.core.models.observability import FlagAudit
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import ApprovalRequired, ValidationError
from tests.helpers.memory_keyring import MemoryKeyring

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def owner(db_app: App) -> Actor:
    assert db_app.actor is not None
    return db_app.actor


@pytest.fixture
def twin(db_app: App) -> Iterator[App]:
    """A second App (another process, in effect) on the same database and folders."""
    other = build_app(db_app.settings, secret_backend=MemoryKeyring()).start()
    try:
        yield other
    finally:
        other.close()


def schedule_rows(app: App) -> list[FlagSchedule]:
    with app.db.session() as session:
        return list(session.scalars(select(FlagSchedule).order_by(FlagSchedule.id)))


def schedule_audit(app: App) -> list[FlagAudit]:
    with app.db.session() as session:
        return list(session.scalars(select(FlagAudit).where(FlagAudit.source == "schedule")))


def test_a_flip_applies_once_at_its_time(db_app: App, owner: Actor) -> None:
    now = dt.datetime.now(dt.UTC)
    flip = db_app.flag_schedules.schedule(
        owner, FlagName.BUILDER_ENABLED, True, now + HOUR, "launch"
    )
    assert [f.id for f in db_app.flag_schedules.scheduled()] == [flip.id]
    assert db_app.flag_schedules.apply_due(now + HOUR - dt.timedelta(seconds=1)) == []
    assert not db_app.flags.enabled(FlagName.BUILDER_ENABLED)

    applied = db_app.flag_schedules.apply_due(now + HOUR)
    assert [(f.id, f.status) for f in applied] == [(flip.id, "applied")]
    assert db_app.flags.enabled(FlagName.BUILDER_ENABLED)
    assert db_app.flag_schedules.apply_due(now + 2 * HOUR) == []
    [row] = schedule_audit(db_app)
    assert (row.new_value, row.reason, row.actor_name) == (True, "launch", "Operator (scheduled)")
    assert db_app.flag_schedules.get(flip.id).audit_id == row.id
    assert db_app.flag_schedules.scheduled() == []


def test_after_a_restart_an_overdue_flip_is_applied_once(
    db_app: App, owner: Actor, twin: App
) -> None:
    flip = db_app.flag_schedules.schedule(
        owner, FlagName.ADVANCED_METRICS_ENABLED, True, dt.datetime.now(dt.UTC) + HOUR, "night"
    )
    db_app.close()  # the app is down while the time passes
    with twin.db.write_session() as session:
        session.execute(
            update(FlagSchedule)
            .where(FlagSchedule.id == flip.id)
            .values(due_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
        )
    assert twin.flag_flips in twin.background
    twin.flag_flips.start()  # what start_background runs: it applies due flips at once
    try:
        assert twin.flag_flips.ticked.wait(30)
    finally:
        twin.flag_flips.stop()
    assert twin.flags.enabled(FlagName.ADVANCED_METRICS_ENABLED)
    assert [r.status for r in schedule_rows(twin)] == ["applied"]
    assert len(schedule_audit(twin)) == 1
    # Another restart finds nothing left to do.
    third = build_app(twin.settings, secret_backend=MemoryKeyring()).start()
    try:
        assert third.flag_schedules.apply_due() == []
    finally:
        third.close()
    assert len(schedule_audit(twin)) == 1


def test_two_concurrent_appliers_apply_each_flip_once(db_app: App, owner: Actor, twin: App) -> None:
    now = dt.datetime.now(dt.UTC)
    flips = [
        db_app.flag_schedules.schedule(
            owner, FlagName.BUILDER_ENABLED, n % 2 == 0, now + HOUR + dt.timedelta(seconds=n)
        )
        for n in range(12)
    ]
    start = threading.Barrier(2)
    results: dict[str, list[ScheduledFlip]] = {}

    def applier(name: str, app: App) -> None:
        start.wait()
        results[name] = app.flag_schedules.apply_due(now + 2 * HOUR)

    threads = [
        threading.Thread(target=applier, args=("one", db_app)),
        threading.Thread(target=applier, args=("two", twin)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [f.id for f in results["one"]] + [f.id for f in results["two"]]
    assert sorted(ids) == [f.id for f in flips]  # every flip once, by one applier
    assert {r.status for r in schedule_rows(db_app)} == {"applied"}
    assert {r.claimed_by for r in schedule_rows(db_app)} <= {
        db_app.flag_schedules.owner,
        twin.flag_schedules.owner,
    }


def test_cancel_stale_claims_and_refusals(db_app: App, owner: Actor) -> None:
    now = dt.datetime.now(dt.UTC)
    kept = db_app.flag_schedules.schedule(owner, FlagName.BUILDER_ENABLED, True, now + HOUR)
    canceled = db_app.flag_schedules.cancel(owner, kept.id)
    assert canceled.status == "canceled" and "canceled by Operator" in (canceled.outcome or "")
    with pytest.raises(ValidationError, match="only a pending flip can be canceled"):
        db_app.flag_schedules.cancel(owner, kept.id)
    assert db_app.flag_schedules.apply_due(now + 2 * HOUR) == []
    with pytest.raises(ValidationError, match="has passed"):
        db_app.flag_schedules.schedule(owner, FlagName.BUILDER_ENABLED, True, now - HOUR)

    # A claim whose process died is taken over once it is stale (and only then).
    stuck = db_app.flag_schedules.schedule(owner, FlagName.BUILDER_ENABLED, True, now + HOUR)
    with db_app.db.write_session() as session:
        session.execute(
            update(FlagSchedule)
            .where(FlagSchedule.id == stuck.id)
            .values(status="applying", claimed_by="gone:1", claimed_at=now + HOUR)
        )
    assert db_app.flag_schedules.apply_due(now + HOUR + dt.timedelta(minutes=1)) == []
    taken = db_app.flag_schedules.apply_due(now + HOUR + dt.timedelta(minutes=6))
    assert [f.id for f in taken] == [stuck.id]
    assert db_app.flags.enabled(FlagName.BUILDER_ENABLED)


def test_a_risky_flip_with_two_admins_is_an_approved_request_with_a_time(
    db_app: App, owner: Actor
) -> None:
    db_app.flags.set(FlagName.MULTI_TENANT_ENABLED, True)
    db_app.orgs.add_member(owner, "bea@example.com", "Bea", Role.ADMIN)
    bea = db_app.orgs.actor_for("bea@example.com")
    at = dt.datetime.now(dt.UTC) + HOUR
    with pytest.raises(ApprovalRequired):
        db_app.flag_schedules.schedule(owner, FlagName.CANARY_MODE, True, at, "watch")
    request = db_app.flag_requests.propose(owner, FlagName.CANARY_MODE, True, "watch", apply_at=at)
    approved = db_app.flag_requests.approve(bea, request.id)
    assert approved.status == "approved" and not db_app.flags.enabled(FlagName.CANARY_MODE)
    [flip] = db_app.flag_schedules.scheduled()
    assert (flip.request_id, flip.due_at) == (request.id, at)
    db_app.flag_schedules.apply_due(at)
    assert db_app.flags.enabled(FlagName.CANARY_MODE)
    with db_app.db.session() as session:
        done = session.get(FlagChangeRequest, request.id)
        assert done is not None and done.status == "applied" and done.audit_id is not None
    assert [(e.event, e.actor_name) for e in db_app.flag_requests.events(request.id)] == [
        ("proposed", "Operator"),
        ("approved", "Bea"),
        ("applied", "Bea (scheduled)"),
    ]

    # Cancelling the flip of an approved request cancels the request, as a transition.
    later = db_app.flag_requests.propose(
        owner, FlagName.CANARY_MODE, False, "quiet", apply_at=at + HOUR
    )
    db_app.flag_requests.approve(bea, later.id)
    [pending] = db_app.flag_schedules.scheduled()
    db_app.flag_schedules.cancel(owner, pending.id)
    assert db_app.flag_requests.get(later.id).status == "canceled"
    assert db_app.flag_requests.events(later.id)[-1].event == "canceled"
