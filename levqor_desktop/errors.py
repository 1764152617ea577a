"""The domain errors of Levqor Desktop.

Every error an operator can meet derives from :class:`LevqorError` and carries a message
they can act on. The window shows it in a dialog or banner; the command line prints it
on one line and exits non-zero.

    LevqorError
    ├── ConfigError          bad settings, config or flags file
    ├── DataDirError         a data, config or log folder that cannot be used
    ├── DatabaseError
    │   ├── DatabaseUnavailable   the server is down or refuses us
    │   └── SchemaTooNew          the database was written by a newer Levqor
    ├── NotFoundError        a named thing (job, workflow, user, ...) does not exist
    ├── ValidationError      input that does not fit (workflow JSON, a CLI value, ...)
    ├── PermissionDenied     the acting role may not do this
    │   └── ApprovalRequired      a risky flag change needs a second admin's approval
    ├── LimitExceeded        a usage limit or budget forbids the work
    ├── MaintenanceMode      writes are paused (a migration runs)
    ├── MigrationError       backup/migrate/verify/switch/rollback refused or failed
    └── SecretStoreError     the OS keyring cannot be used
"""

from __future__ import annotations


class LevqorError(Exception):
    """Base of every error meant for an operator."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(LevqorError):
    """Settings, the config file or the flags file hold a value we cannot use."""


class DataDirError(LevqorError):
    """A folder Levqor needs is missing and cannot be made, or is not writable."""


class DatabaseError(LevqorError):
    """The database cannot be used."""


class DatabaseUnavailable(DatabaseError):
    """The database server cannot be reached or refused the connection."""


class SchemaTooNew(DatabaseError):
    """The database carries schema revisions this version does not know."""


class NotFoundError(LevqorError):
    """A named object does not exist."""


class ValidationError(LevqorError):
    """Input that does not fit what is expected."""


class PermissionDenied(LevqorError):
    """The acting user's role does not allow the operation."""


class ApprovalRequired(PermissionDenied):
    """A risky flag change needs a change request approved by a second admin."""


class LimitExceeded(LevqorError):
    """A usage limit or budget forbids the work."""


class MaintenanceMode(LevqorError):
    """Writes are refused while a migration runs."""


class MigrationError(LevqorError):
    """A backup, migration, parity check, switch or rollback cannot go on."""


class SecretStoreError(LevqorError):
    """The OS keyring is missing, locked or refused the operation."""
