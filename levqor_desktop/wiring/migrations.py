"""How the composition root builds the migration services (kept out of ``app.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from levqor_desktop.core.db import Database
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.flags.service import FlagService
from levqor_desktop.core.migrate.service import MigrationService

if TYPE_CHECKING:
    from levqor_desktop.app import App


def build_migrations(app: App) -> MigrationService:
    def set_pg_enabled(value: bool, reason: str, audit_db: Database) -> object:
        # Audited in the database that is the record from now on (the target after a
        # switch, SQLite after a rollback), so the copy never misses its own audit row.
        if app.actor is not None:
            service = FlagService(app.flags, audit_db)
            return service.set(app.actor, FlagName.PG_ENABLED, value, reason, source="migration")
        return app.flags.set(FlagName.PG_ENABLED, value)

    return MigrationService(
        app.settings,
        app.flags,
        app.maintenance,
        secrets=getattr(app, "secrets", None),
        set_pg_enabled=set_pg_enabled,
    )
