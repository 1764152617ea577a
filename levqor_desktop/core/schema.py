"""Schema revisions: upgrade at start, report the current revision, refuse a newer one.

The Alembic scripts ship inside the package (``core/alembic``) and are driven through
Alembic's API on our own engine, so no ``alembic.ini`` is needed on an operator's machine.
Each domain adds its tables on its own branch from ``0001_base``; we upgrade to ``heads``.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError

from levqor_desktop.core.db import Database, unavailable
from levqor_desktop.errors import DatabaseError, SchemaTooNew

SCRIPT_LOCATION = Path(__file__).with_name("alembic")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    return cfg


@functools.cache
def script_directory() -> ScriptDirectory:
    """The shipped revisions, read once: they do not change while the process runs
    (the Overview panel asks for the heads every few seconds)."""
    return ScriptDirectory.from_config(alembic_config())


def head_revisions() -> tuple[str, ...]:
    """The revisions this code's schema is at, once upgraded."""
    return tuple(sorted(script_directory().get_heads()))


def current_revisions(db: Database) -> tuple[str, ...]:
    """The revisions recorded in the database (empty for a new database)."""
    try:
        with db.engine.connect() as conn:
            return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    except DBAPIError as exc:
        raise unavailable(exc, db) from None


def check_not_newer(db: Database) -> None:
    """Raise :class:`SchemaTooNew` if the database has revisions this code does not know."""
    known = {rev.revision for rev in script_directory().walk_revisions()}
    unknown = sorted(set(current_revisions(db)) - known)
    if unknown:
        raise SchemaTooNew(
            f"the database at {db.location} has schema revision(s) {', '.join(unknown)}, "
            "newer than this version of Levqor Desktop knows",
            hint="upgrade Levqor Desktop, or point DATABASE_URL at another database",
        )


def upgrade(db: Database) -> tuple[str, ...]:
    """Bring the database to the heads; return the revisions it is at afterwards."""
    check_not_newer(db)
    cfg = alembic_config()
    try:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    except DBAPIError as exc:
        if _is_connection_error(exc):
            raise unavailable(exc, db) from None
        raise DatabaseError(f"schema upgrade failed on {db.location}: {exc.orig}") from None
    return current_revisions(db)


def is_at_head(db: Database) -> bool:
    return current_revisions(db) == head_revisions()


def _is_connection_error(exc: DBAPIError) -> bool:
    return bool(exc.connection_invalidated) or "connect" in str(exc.orig).lower()
