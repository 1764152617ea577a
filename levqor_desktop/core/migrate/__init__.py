"""SQLite -> PostgreSQL migration: backup, preflight, migrate, verify, switch, rollback.

``app.migrations`` is a :class:`MigrationService`; ``app.maintenance`` a
:class:`Maintenance`. Every table of ``Base.metadata`` is covered, in foreign-key order,
without naming any: see :mod:`.tables`.
"""

from levqor_desktop.core.migrate.backup import BackupInfo, BackupStore
from levqor_desktop.core.migrate.maintenance import Maintenance
from levqor_desktop.core.migrate.preflight import PreflightReport
from levqor_desktop.core.migrate.progress import CancelToken, MigrationCanceled, Progress
from levqor_desktop.core.migrate.rollback import RollbackResult
from levqor_desktop.core.migrate.runs import RunRecord
from levqor_desktop.core.migrate.service import MigrationService
from levqor_desktop.core.migrate.switch import SwitchResult
from levqor_desktop.core.migrate.target import SecretStore, Target
from levqor_desktop.core.migrate.verify import ParityReport

__all__ = [
    "BackupInfo",
    "BackupStore",
    "CancelToken",
    "Maintenance",
    "MigrationCanceled",
    "MigrationService",
    "ParityReport",
    "PreflightReport",
    "Progress",
    "RollbackResult",
    "RunRecord",
    "SecretStore",
    "SwitchResult",
    "Target",
]
