"""The models and the Alembic revisions describe the same schema, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from levqor_desktop.app import build_app
from levqor_desktop.core import schema
from levqor_desktop.core.db import Database
from levqor_desktop.core.models import Base
from levqor_desktop.errors import DatabaseUnavailable, SchemaTooNew
from tests.conftest import make_settings


def _diff(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, Base.metadata))


def test_sqlite_models_match_alembic_head(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    schema.upgrade(db)
    assert schema.is_at_head(db)
    assert _diff(db) == []
    db.dispose()


@pytest.mark.postgres
def test_postgres_models_match_alembic_head(pg_url: str) -> None:
    db = Database(pg_url)
    schema.upgrade(db)
    assert schema.is_at_head(db)
    assert _diff(db) == []
    db.dispose()


def _model_collations() -> dict[tuple[str, str], str]:
    """(table, column) -> the collation the models give it on PostgreSQL."""
    pg = postgresql.dialect()
    found = {}
    for table in Base.metadata.tables.values():
        for column in table.columns:
            collation = getattr(column.type.dialect_impl(pg), "collation", None)
            if collation:
                found[(table.name, column.name)] = collation
    return found


@pytest.mark.postgres
def test_postgres_collations_match_the_models(pg_url: str) -> None:
    # compare_metadata does not compare collations: the revisions that set them are
    # checked here.
    db = Database(pg_url)
    schema.upgrade(db)
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT table_name, column_name, collation_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND collation_name IS NOT NULL"
            )
        ).all()
    db.dispose()
    expected = _model_collations()
    assert ("jobs", "workflow_name") in expected
    assert {(t, c): n for t, c, n in rows} == expected


def test_sqlite_pragmas(app) -> None:  # type: ignore[no-untyped-def]
    with app.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_newer_schema_is_refused_and_file_kept(home: Path) -> None:
    settings = make_settings(home)
    app = build_app(settings).start()
    with app.db.engine.begin() as conn:
        # One branch head moves to a revision this code does not know.
        conn.execute(
            text(
                "UPDATE alembic_version SET version_num = 'zz_from_the_future' "
                "WHERE version_num = (SELECT MIN(version_num) FROM alembic_version)"
            )
        )
    app.close()
    before = settings.sqlite_path.read_bytes()
    again = build_app(settings)
    with pytest.raises(SchemaTooNew, match="zz_from_the_future"):
        again.start()
    again.close()
    assert settings.sqlite_path.read_bytes() == before


@pytest.mark.postgres
def test_postgres_schema_and_defaults(pg_app) -> None:  # type: ignore[no-untyped-def]
    overview = pg_app.overview()
    assert overview.database.backend == "postgresql"
    assert overview.database.reachable
    assert overview.schema_at_head
    assert (overview.organizations, overview.users) == (1, 1)


def test_server_down_is_a_clear_error(home: Path) -> None:
    settings = make_settings(
        home, DATABASE_URL="postgresql://postgres@127.0.0.1:9/none", PG_ENABLED="1"
    )
    app = build_app(settings)
    with pytest.raises(
        DatabaseUnavailable, match=r"cannot reach the database: PostgreSQL at 127\.0\.0\.1:9"
    ):
        app.start()
    app.close()
