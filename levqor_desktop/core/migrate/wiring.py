"""How the App builds its migration services (kept here so ``app.py`` stays short)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from levqor_desktop.core.db import Database
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.flags.service import FlagService
from levqor_desktop.core.migrate.service import MigrationService
from levqor_desktop.core.migrate.target import SecretStore, password_key
from levqor_desktop.errors import LevqorError

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


def with_stored_password(url: str, secrets: SecretStore | None, notes: list[str]) -> str:
    """A PostgreSQL URL with the password the switch put in the keyring, if it has none."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    if parsed.get_backend_name() != "postgresql" or parsed.password is not None or secrets is None:
        return url
    try:
        password = secrets.get(password_key(parsed))
    except LevqorError as exc:  # no keyring, locked, or none configured
        # Without any keyring there is no stored password to miss (a server that wants
        # one says so when we connect); a locked or refusing keyring is worth a note.
        if secrets.available():
            notes.append(f"the database password could not be read from the keyring: {exc}")
        return url
    if not password:
        return url
    return parsed.set(password=password).render_as_string(hide_password=False)
