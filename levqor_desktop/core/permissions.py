"""One permission table: what each role may do. Enforced in the core services.

viewer reads what it may see; operator also runs, cancels and retries jobs and tests
connectors; admin also changes flags, limits, credentials, migrations and rollbacks;
owner also manages members and organizations. Services call :func:`require` before a
mutating operation, so the rule holds for the window, the CLI and the ops API alike.
"""

from __future__ import annotations

import enum

from levqor_desktop.core.models.tenancy import Role
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import PermissionDenied


class Permission(enum.StrEnum):
    READ = "read"
    RUN_JOBS = "run_jobs"  # enqueue, run, test-run workflows
    MANAGE_JOBS = "manage_jobs"  # cancel, requeue, retry, delete
    EDIT_WORKFLOWS = "edit_workflows"
    TEST_CONNECTORS = "test_connectors"
    MANAGE_CREDENTIALS = "manage_credentials"
    MANAGE_FLAGS = "manage_flags"
    MANAGE_LIMITS = "manage_limits"
    OVERRIDE_LIMITS = "override_limits"
    MIGRATE = "migrate"  # backup, migrate, switch, rollback
    RUN_CANARY = "run_canary"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_ORGS = "manage_orgs"


_VIEWER = frozenset({Permission.READ})
_OPERATOR = _VIEWER | {
    Permission.RUN_JOBS,
    Permission.MANAGE_JOBS,
    Permission.EDIT_WORKFLOWS,
    Permission.TEST_CONNECTORS,
    Permission.RUN_CANARY,
}
_ADMIN = _OPERATOR | {
    Permission.MANAGE_CREDENTIALS,
    Permission.MANAGE_FLAGS,
    Permission.MANAGE_LIMITS,
    Permission.OVERRIDE_LIMITS,
    Permission.MIGRATE,
    Permission.MANAGE_API_KEYS,
}
_OWNER = _ADMIN | {Permission.MANAGE_MEMBERS, Permission.MANAGE_ORGS}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: _VIEWER,
    Role.OPERATOR: _OPERATOR,
    Role.ADMIN: _ADMIN,
    Role.OWNER: _OWNER,
}


def allowed(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def minimum_role(permission: Permission) -> Role:
    """The least powerful role holding ``permission`` (for tooltips and messages)."""
    for role in (Role.VIEWER, Role.OPERATOR, Role.ADMIN, Role.OWNER):
        if allowed(role, permission):
            return role
    raise AssertionError(f"no role holds {permission}")


def require(actor: Actor, permission: Permission) -> None:
    """Raise :class:`PermissionDenied` unless the actor's role holds ``permission``."""
    if not allowed(actor.role, permission):
        raise PermissionDenied(
            f"{actor.display_name} ({actor.role}) may not {permission.value.replace('_', ' ')}: "
            f"it needs the {minimum_role(permission)} role"
        )
