"""Organizations, members and roles: the flag, hashing, the last owner, actors."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.models import Role, User
from levqor_desktop.core.tenancy import Actor, hash_email
from levqor_desktop.errors import ConfigError, NotFoundError, PermissionDenied, ValidationError


@pytest.fixture
def owner(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


@pytest.fixture
def multi(app: App) -> App:
    app.flags.set(FlagName.MULTI_TENANT_ENABLED, True)
    return app


def test_with_the_flag_off_there_is_only_the_default_org(app: App, owner: Actor) -> None:
    assert [o.slug for o in app.orgs.organizations(owner)] == ["default"]
    with pytest.raises(ConfigError, match="MULTI_TENANT_ENABLED is off"):
        app.orgs.create(owner, "acme", "Acme")
    with pytest.raises(ConfigError, match="MULTI_TENANT_ENABLED"):
        app.orgs.add_member(owner, "ann@example.com", "Ann", Role.VIEWER)


def test_create_and_rename_organizations(multi: App, owner: Actor) -> None:
    acme = multi.orgs.create(owner, "acme", "Acme Ltd")
    assert (acme.role, acme.members) == (Role.OWNER, 1)
    assert [o.slug for o in multi.orgs.organizations(owner)] == ["default", "acme"]
    in_acme = multi.orgs.actor_for(owner.user_id, "acme")
    assert in_acme.org_id == acme.id
    assert multi.orgs.rename(in_acme, "Acme Inc").name == "Acme Inc"
    with pytest.raises(ValidationError, match="already exists"):
        multi.orgs.create(owner, "acme", "Again")
    with pytest.raises(ValidationError, match="not a valid organization slug"):
        multi.orgs.create(owner, "Bad Slug!", "x")
    # Turning the flag off again hides the other organizations.
    multi.flags.set(FlagName.MULTI_TENANT_ENABLED, False)
    assert [o.slug for o in multi.orgs.organizations(owner)] == ["default"]


def test_members_store_only_the_email_hash(multi: App, owner: Actor) -> None:
    member = multi.orgs.add_member(owner, " Ann@Example.com ", "Ann  Lee", Role.OPERATOR)
    assert member.email_sha256 == hash_email("ann@example.com")
    assert member.display_name == "Ann Lee"
    with multi.db.session() as session:
        stored = session.scalars(select(User.email_sha256)).all()
    assert all("@" not in value for value in stored)
    assert [m.display_name for m in multi.orgs.members(owner)] == ["Ann Lee", "Operator"]
    with pytest.raises(ValidationError, match="already a member"):
        multi.orgs.add_member(owner, "ann@example.com", "Ann", Role.VIEWER)
    with pytest.raises(ValidationError, match="not an e-mail address"):
        multi.orgs.add_member(owner, "ann", "Ann", Role.VIEWER)


def test_roles_change_and_members_leave(multi: App, owner: Actor) -> None:
    multi.orgs.add_member(owner, "ann@example.com", "Ann", Role.VIEWER)
    assert multi.orgs.set_role(owner, "ann@example.com", Role.ADMIN).role is Role.ADMIN
    assert multi.orgs.actor_for("ann@example.com").role is Role.ADMIN
    multi.orgs.remove_member(owner, "ann@example.com")
    with pytest.raises(PermissionDenied, match="not a member of any organization"):
        multi.orgs.actor_for("ann@example.com")
    with pytest.raises(NotFoundError, match=r"no user .bob@example\.com."):
        multi.orgs.actor_for("bob@example.com")


def test_the_last_owner_cannot_be_removed_or_demoted(multi: App, owner: Actor) -> None:
    with pytest.raises(ValidationError, match="last owner"):
        multi.orgs.set_role(owner, owner.user_id, Role.ADMIN)
    with pytest.raises(ValidationError, match="last owner"):
        multi.orgs.remove_member(owner, owner.user_id)
    multi.orgs.add_member(owner, "ann@example.com", "Ann", Role.OWNER)
    multi.orgs.set_role(owner, owner.user_id, Role.ADMIN)  # Ann still owns it
    ann = multi.orgs.actor_for("ann@example.com")
    with pytest.raises(ValidationError, match="Ann is the last owner"):
        multi.orgs.remove_member(ann, "ann@example.com")


def test_actor_for_an_org_the_user_is_not_in(multi: App, owner: Actor) -> None:
    multi.orgs.create(owner, "acme", "Acme")
    multi.orgs.add_member(owner, "ann@example.com", "Ann", Role.VIEWER)
    with pytest.raises(PermissionDenied, match="Ann is not a member of the organization 'acme'"):
        multi.orgs.actor_for("ann@example.com", "acme")
    with pytest.raises(NotFoundError, match="no organization 'nope'"):
        multi.orgs.actor_for("ann@example.com", "nope")
