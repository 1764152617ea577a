"""Every role against every mutating service call: allowed exactly when the table says so."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.models import Role
from levqor_desktop.core.models.usage import Metric, Period
from levqor_desktop.core.permissions import (
    ROLE_PERMISSIONS,
    Permission,
    allowed,
    minimum_role,
    require,
)
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import PermissionDenied

ROLES = (Role.VIEWER, Role.OPERATOR, Role.ADMIN, Role.OWNER)


@dataclass(frozen=True)
class Case:
    name: str
    permission: Permission
    setup: Callable[[App, Actor], None]
    call: Callable[[App, Actor], object]


def _nothing(app: App, owner: Actor) -> None:
    return None


def _with_limit(app: App, owner: Actor) -> None:
    app.usage.limits.set(owner, Metric.JOB_RUNS, Period.DAY, 5)


def _with_price(app: App, owner: Actor) -> None:
    app.usage.prices.set(owner, "m", 1, 1)


def _with_member(app: App, owner: Actor) -> None:
    app.orgs.add_member(owner, "zed@example.com", "Zed", Role.VIEWER)


CASES = [
    Case("set a limit", Permission.MANAGE_LIMITS, _nothing,
         lambda a, x: a.usage.limits.set(x, Metric.JOB_RUNS, Period.DAY, 5)),
    Case("unset a limit", Permission.MANAGE_LIMITS, _with_limit,
         lambda a, x: a.usage.limits.unset(x, Metric.JOB_RUNS, Period.DAY)),
    Case("set a price", Permission.MANAGE_LIMITS, _nothing,
         lambda a, x: a.usage.prices.set(x, "m", 1, 1)),
    Case("delete a price", Permission.MANAGE_LIMITS, _with_price,
         lambda a, x: a.usage.prices.delete(x, "m")),
    Case("override a limit", Permission.OVERRIDE_LIMITS, _nothing,
         lambda a, x: a.usage.override(x, 1, "on-call decision")),
    Case("create an org", Permission.MANAGE_ORGS, _nothing,
         lambda a, x: a.orgs.create(x, "acme", "Acme")),
    Case("rename the org", Permission.MANAGE_ORGS, _nothing,
         lambda a, x: a.orgs.rename(x, "Renamed")),
    Case("add a member", Permission.MANAGE_MEMBERS, _nothing,
         lambda a, x: a.orgs.add_member(x, "zed@example.com", "Zed", Role.VIEWER)),
    Case("remove a member", Permission.MANAGE_MEMBERS, _with_member,
         lambda a, x: a.orgs.remove_member(x, "zed@example.com")),
    Case("change a role", Permission.MANAGE_MEMBERS, _with_member,
         lambda a, x: a.orgs.set_role(x, "zed@example.com", Role.OPERATOR)),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_role_against_mutating_call(app: App, case: Case, role: Role) -> None:
    app.flags.set(FlagName.MULTI_TENANT_ENABLED, True)
    owner = app.actor
    assert owner is not None
    case.setup(app, owner)
    if role is not Role.OWNER:
        app.orgs.add_member(owner, f"{role}@example.com", f"A {role}", role)
    actor = app.orgs.actor_for(f"{role}@example.com" if role is not Role.OWNER else owner.user_id)
    assert actor.role is role
    if allowed(role, case.permission):
        case.call(app, actor)
    else:
        needed = minimum_role(case.permission)
        with pytest.raises(PermissionDenied, match=f"needs the {needed} role"):
            case.call(app, actor)


def test_roles_only_ever_add_permissions() -> None:
    for weaker, stronger in itertools.pairwise(ROLES):
        assert ROLE_PERMISSIONS[weaker] < ROLE_PERMISSIONS[stronger]
    assert ROLE_PERMISSIONS[Role.OWNER] == frozenset(Permission)


@pytest.mark.parametrize(
    ("permission", "role"),
    [
        (Permission.READ, Role.VIEWER),
        (Permission.MANAGE_JOBS, Role.OPERATOR),
        (Permission.TEST_CONNECTORS, Role.OPERATOR),
        (Permission.MANAGE_LIMITS, Role.ADMIN),
        (Permission.MANAGE_FLAGS, Role.ADMIN),
        (Permission.MIGRATE, Role.ADMIN),
        (Permission.MANAGE_MEMBERS, Role.OWNER),
        (Permission.MANAGE_ORGS, Role.OWNER),
    ],
)
def test_minimum_roles_match_the_issue(permission: Permission, role: Role) -> None:
    assert minimum_role(permission) is role


def test_a_viewer_cancelling_a_job_is_refused_with_the_role_it_needs() -> None:
    viewer = Actor(1, 2, Role.VIEWER, "Vic")
    with pytest.raises(
        PermissionDenied, match=r"Vic \(viewer\) may not manage jobs: it needs the operator role"
    ):
        require(viewer, Permission.MANAGE_JOBS)
