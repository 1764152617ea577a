"""Operator safety: deployment profiles and the production guard (``app.guard``)."""

from levqor_desktop.core.safety.guard import AuditRow, Guard, GuardedAction, GuardRefused
from levqor_desktop.core.safety.profiles import (
    DEFAULT_COLOURS,
    LOCAL,
    PROFILES_FILE_NAME,
    Environment,
    Profile,
    ProfileStore,
    local_profile,
)

__all__ = [
    "DEFAULT_COLOURS",
    "LOCAL",
    "PROFILES_FILE_NAME",
    "AuditRow",
    "Environment",
    "Guard",
    "GuardRefused",
    "GuardedAction",
    "Profile",
    "ProfileStore",
    "local_profile",
]
