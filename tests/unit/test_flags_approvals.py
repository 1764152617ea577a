"""Change requests: a risky change needs a second admin, audited at every step; restore."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.flags.approvals import ChangeRequest
from levqor_desktop.core.flags.service import FlagChange
from levqor_desktop.core.models import Role
from levqor_desktop.core.models.flagsafety import FlagChangeRequest, FlagRequestEvent
from levqor_desktop.core.models.observability import FlagAudit
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import ApprovalRequired, PermissionDenied, ValidationError


@pytest.fixture
def owner(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


def add_member(app: App, owner: Actor, email: str, name: str, role: Role) -> Actor:
    app.flags.set(FlagName.MULTI_TENANT_ENABLED, True)  # members need it
    app.orgs.add_member(owner, email, name, role)
    return app.orgs.actor_for(email)


@pytest.fixture
def second_admin(app: App, owner: Actor) -> Actor:
    return add_member(app, owner, "bea@example.com", "Bea", Role.ADMIN)


def audit_rows(app: App, flag: FlagName) -> list[FlagAudit]:
    with app.db.session() as session:
        return list(
            session.scalars(select(FlagAudit).where(FlagAudit.flag == flag).order_by(FlagAudit.id))
        )


def test_with_one_admin_a_risky_change_applies_directly_and_is_audited(
    app: App, owner: Actor
) -> None:
    outcome = app.flag_requests.change(owner, FlagName.CANARY_MODE, True, "watch", source="cli")
    assert isinstance(outcome, FlagChange)
    assert app.flags.enabled(FlagName.CANARY_MODE)
    assert [
        (r.old_value, r.new_value, r.reason) for r in audit_rows(app, FlagName.CANARY_MODE)
    ] == [(None, True, "watch")]
    assert app.flag_requests.requests() == []


def test_with_two_admins_a_risky_change_needs_the_second_ones_approval(
    app: App, owner: Actor, second_admin: Actor
) -> None:
    with pytest.raises(ApprovalRequired, match="needs a second admin's approval"):
        app.flag_service.set(owner, FlagName.PG_ENABLED, True, "move to postgres")
    outcome = app.flag_requests.change(owner, FlagName.PG_ENABLED, True, "move to postgres")
    assert isinstance(outcome, ChangeRequest) and outcome.status == "proposed"
    assert not app.flags.enabled(FlagName.PG_ENABLED)
    assert [r.id for r in app.flag_requests.requests(open_only=True)] == [outcome.id]
    with pytest.raises(ValidationError, match=f"change request #{outcome.id} for PG_ENABLED waits"):
        app.flag_requests.propose(second_admin, FlagName.PG_ENABLED, False, "other idea")

    with pytest.raises(PermissionDenied, match="a second admin must approve it"):
        app.flag_requests.approve(owner, outcome.id)
    assert not app.flags.enabled(FlagName.PG_ENABLED)

    done = app.flag_requests.approve(second_admin, outcome.id, "looks fine")
    assert (done.status, done.decider_name, done.decision_note) == ("applied", "Bea", "looks fine")
    assert app.flags.enabled(FlagName.PG_ENABLED)

    # Each transition: its own table, and the flag audit (notes, then the applied change).
    events = app.flag_requests.events(outcome.id)
    assert [(e.event, e.actor_name) for e in events] == [
        ("proposed", "Operator"),
        ("approved", "Bea"),
        ("applied", "Bea"),
    ]
    rows = audit_rows(app, FlagName.PG_ENABLED)
    assert [(r.old_value, r.new_value, r.actor_name) for r in rows] == [
        (None, None, "Operator"),  # proposed
        (None, None, "Bea"),  # approved
        (None, True, "Bea"),  # applied
    ]
    assert "proposed: move to postgres" in (rows[0].reason or "")
    assert f"request #{outcome.id} by Operator, approved by Bea" in (rows[2].reason or "")
    assert done.audit_id == rows[2].id
    # The last *change* is the applied one, not a note.
    last = app.flag_service.last_change(FlagName.PG_ENABLED)
    assert last is not None and last.id == rows[2].id

    with pytest.raises(ValidationError, match="is applied: only a proposed request"):
        app.flag_requests.approve(second_admin, outcome.id)


def test_a_rejected_request_changes_nothing(app: App, owner: Actor, second_admin: Actor) -> None:
    request = app.flag_requests.propose(second_admin, FlagName.NEW_QUEUE_ENABLED, True, "rq")
    rejected = app.flag_requests.reject(owner, request.id, "not this week")
    assert (rejected.status, rejected.decider_name) == ("rejected", "Operator")
    assert not app.flags.enabled(FlagName.NEW_QUEUE_ENABLED)
    assert [e.event for e in app.flag_requests.events(request.id)] == ["proposed", "rejected"]
    with pytest.raises(ValidationError, match="is rejected"):
        app.flag_requests.approve(owner, request.id)
    with app.db.session() as session:
        assert session.scalar(select(FlagChangeRequest.status)) == "rejected"
        assert len(session.scalars(select(FlagRequestEvent)).all()) == 2


def test_an_operator_cannot_approve_and_non_risky_flags_need_no_approval(
    app: App, owner: Actor, second_admin: Actor
) -> None:
    operator = add_member(app, owner, "cy@example.com", "Cy", Role.OPERATOR)
    request = app.flag_requests.propose(owner, FlagName.CANARY_MODE, True, "watch")
    with pytest.raises(PermissionDenied, match="may not manage flags"):
        app.flag_requests.approve(operator, request.id)
    change = app.flag_requests.change(owner, FlagName.BUILDER_ENABLED, True, None)
    assert isinstance(change, FlagChange)
    assert app.flags.enabled(FlagName.BUILDER_ENABLED)


def test_the_proposer_may_withdraw_but_no_one_else(
    app: App, owner: Actor, second_admin: Actor
) -> None:
    request = app.flag_requests.propose(owner, FlagName.CANARY_MODE, True, "watch")
    with pytest.raises(PermissionDenied, match="only Operator may withdraw"):
        app.flag_requests.withdraw(second_admin, request.id)
    assert app.flag_requests.withdraw(owner, request.id).status == "canceled"


def test_restore_puts_back_an_earlier_value(app: App, owner: Actor) -> None:
    first = app.flag_service.set(owner, FlagName.BUILDER_ENABLED, True)
    app.flag_service.set(owner, FlagName.BUILDER_ENABLED, False)
    app.flag_service.set(owner, FlagName.BUILDER_ENABLED, None)
    assert first is not None and not app.flags.enabled(FlagName.BUILDER_ENABLED)
    restored = app.flag_requests.restore(owner, first.entry.id)
    assert isinstance(restored, FlagChange)
    assert app.flags.enabled(FlagName.BUILDER_ENABLED)
    assert (restored.entry.source, restored.entry.reason) == (
        "restore:cli",
        f"restore of #{first.entry.id}",
    )
    assert app.flag_service.history(changes_only=True)[0] == restored.entry


def test_restore_of_a_risky_flag_goes_through_approval(
    app: App, owner: Actor, second_admin: Actor
) -> None:
    app.flags.set(FlagName.CANARY_MODE, True)
    first = app.flag_requests.propose(owner, FlagName.CANARY_MODE, False, "quiet")
    applied = app.flag_requests.approve(second_admin, first.id)
    assert applied.audit_id is not None and not app.flags.enabled(FlagName.CANARY_MODE)
    second = app.flag_requests.propose(owner, FlagName.CANARY_MODE, True, "loud")
    app.flag_requests.approve(second_admin, second.id)
    assert app.flags.enabled(FlagName.CANARY_MODE)

    restore = app.flag_requests.restore(owner, applied.audit_id, "back to quiet")
    assert isinstance(restore, ChangeRequest)
    assert (restore.status, restore.restores_id, restore.value) == (
        "proposed",
        applied.audit_id,
        False,
    )
    assert app.flags.enabled(FlagName.CANARY_MODE)
    app.flag_requests.approve(second_admin, restore.id)
    assert not app.flags.enabled(FlagName.CANARY_MODE)
    with pytest.raises(ApprovalRequired):
        app.flag_service.undo(owner, applied.audit_id)
