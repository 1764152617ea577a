"""The parity check's first pass: row lines printed by SQLite and by PostgreSQL."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from levqor_desktop.app import App
from levqor_desktop.core.migrate import Target, rowlines
from levqor_desktop.core.migrate.keys import text_json_loaders
from levqor_desktop.core.migrate.sides import PostgresSide, SqliteSide
from levqor_desktop.core.migrate.tables import data_tables
from tests.integration.migrate_rows import populate

pytestmark = pytest.mark.postgres


def _lines(side: SqliteSide | PostgresSide, table_name: str) -> bytes:
    table = next(t for t in data_tables() if t.name == table_name)
    lines = side.lines(table)
    assert lines is not None
    return b"".join(data for _count, data in lines)


@pytest.fixture
def migrated(app: App, pg_url: str) -> App:
    populate(app.db, rows_per_table=12)
    app.db.dispose()
    app.migrations.migrate(Target.parse(pg_url), backup=False)
    return app


def test_equal_rows_print_equal_lines_on_both_sides(migrated: App, pg_url: str) -> None:
    """Every table with a line form prints byte-identical lines on both sides (texts with
    separators, empty texts, NULLs, the largest ids, JSON, timestamps in every zone)."""
    planned = [t.name for t in data_tables() if rowlines.sqlite_line(t) is not None]
    assert {"jobs", "usage_events", "job_steps", "users"} <= set(planned)
    src = sqlite3.connect(migrated.settings.sqlite_path)
    with psycopg.connect(pg_url, options="-c TimeZone=UTC") as pg:
        text_json_loaders(pg)
        for name in planned:
            ours, theirs = _lines(SqliteSide(src), name), _lines(PostgresSide(pg), name)
            assert ours == theirs, name
            assert ours.count(b"\n") >= 12, name
    src.close()


def test_a_value_stored_as_another_type_never_matches(migrated: App, pg_url: str) -> None:
    """SQLite's bytes b'5' (a BLOB in a text column: SQLite keeps what it is given) and
    PostgreSQL's text '5' would print alike, but must not pass for equal: the line pass
    differs, and the value-by-value pass names the row."""
    src = sqlite3.connect(migrated.settings.sqlite_path)
    key = src.execute("SELECT min(id) FROM usage_events WHERE connector IS NOT NULL").fetchone()[0]
    src.execute("UPDATE usage_events SET connector = CAST('5' AS BLOB) WHERE id = ?", (key,))
    # A timestamp stored without its fraction is the same instant: still equal.
    src.execute(
        "UPDATE usage_events SET occurred_at = substr(occurred_at, 1, 19) "
        "WHERE id = (SELECT max(id) FROM usage_events)"
    )
    src.commit()
    with psycopg.connect(pg_url, autocommit=True) as pg:
        pg.execute("UPDATE usage_events SET connector = '5' WHERE id = %s", (key,))
        pg.execute(
            "UPDATE usage_events SET occurred_at = date_trunc('second', occurred_at) "
            "WHERE id = (SELECT max(id) FROM usage_events)"
        )
        text_json_loaders(pg)
        lines = _lines(PostgresSide(pg), "usage_events")
    assert b"|1:5|" in lines  # PostgreSQL's text '5' ...
    assert _lines(SqliteSide(src), "usage_events") != lines  # ... is not SQLite's b'5'
    src.close()

    parity = migrated.migrations.verify(Target.parse(pg_url), record=False)
    bad = {t.table: t for t in parity.failed}
    assert set(bad) == {"usage_events"}, parity.summary()
    assert [(d.key[0], d.what, d.columns) for d in bad["usage_events"].differences] == [
        (key, "differs", ["connector"])
    ]
