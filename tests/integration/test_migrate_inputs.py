"""Bad input: each a clear message, the source never changed, the target never half-filled."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys

import psycopg
import pytest

from levqor_desktop.app import App
from levqor_desktop.core import schema
from levqor_desktop.core.db import Database
from levqor_desktop.core.migrate import Target
from levqor_desktop.core.migrate.tables import ColumnInfo, Kind, TableInfo, data_tables
from levqor_desktop.core.migrate.target import describe_connect_error
from levqor_desktop.errors import MaintenanceMode, MigrationError
from tests.integration.migrate_rows import populate
from tests.reliability.test_migrate_kill import _digest

pytestmark = pytest.mark.postgres


def test_unreachable_host_is_named(app: App) -> None:
    with pytest.raises(MigrationError, match=r"cannot reach PostgreSQL at 127\.0\.0\.1:9/levqor"):
        app.migrations.preflight(Target.parse("postgresql://bob@127.0.0.1:9/levqor"))


def test_wrong_password_is_named_without_the_password() -> None:
    target = Target.parse("postgresql://bob:hunter2@db.example:5432/levqor")
    server_said = psycopg.OperationalError(
        'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
        'FATAL:  password authentication failed for user "bob"'
    )
    error = describe_connect_error(server_said, target)
    assert str(error).startswith(
        "PostgreSQL at db.example:5432/levqor refused the password for user bob"
    )
    assert "hunter2" not in str(error) and "hunter2" not in target.display


def test_missing_database_is_named(app: App, pg_admin_url: str) -> None:
    url = pg_admin_url.rsplit("/", 1)[0] + "/levqor_no_such_db_x"
    with pytest.raises(MigrationError, match="database 'levqor_no_such_db_x' does not exist"):
        app.migrations.preflight(Target.parse(url))


def test_target_with_other_data_is_refused_naming_tables(app: App, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as pg:
        pg.execute("CREATE TABLE customers (id int primary key, name text)")
        pg.execute("INSERT INTO customers VALUES (1, 'Ada')")
    target = Target.parse(pg_url)
    report = app.migrations.preflight(target)
    assert not report.ok
    assert any("other data, in table(s) customers" in r for r in report.reasons())
    with pytest.raises(MigrationError, match="customers"):
        app.migrations.migrate(target)
    with psycopg.connect(pg_url) as pg:
        tables = {
            r[0] for r in pg.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
        assert tables == {"customers"}
        assert pg.execute("SELECT name FROM customers").fetchone() == ("Ada",)


def test_target_with_newer_schema_is_refused(app: App, pg_url: str) -> None:
    db = Database(pg_url)
    schema.upgrade(db)
    db.dispose()
    with psycopg.connect(pg_url, autocommit=True) as pg:
        pg.execute("INSERT INTO alembic_version VALUES ('zz_from_the_future')")
    report = app.migrations.preflight(Target.parse(pg_url))
    assert not report.ok
    assert any("newer Levqor schema (revision zz_from_the_future)" in r for r in report.reasons())


def _first(
    kind: Kind, *, int_type: str | None = None, length: bool = False, skip: str = ""
) -> tuple[TableInfo, ColumnInfo]:
    for table in data_tables():
        if table.serial_pk is None or table.name == skip:
            continue
        for col in table.columns:
            in_key = col in table.pk
            fits = (int_type is None or col.int_type == int_type) and (not length or col.length)
            if col.kind is kind and not in_key and fits:
                return table, col
    raise AssertionError(f"no column of kind {kind}")


def test_values_that_would_not_survive_are_listed_and_refused(app: App, pg_url: str) -> None:
    populate(app.db)
    app.db.dispose()
    path = app.settings.sqlite_path
    bad = {
        "text is not valid UTF-8": (_first(Kind.TEXT), "CAST(X'C328' AS TEXT)"),
        "text holds a NUL byte": (
            _first(Kind.TEXT, skip=_first(Kind.TEXT)[0].name),
            "'a' || char(0) || 'b'",
        ),
        "integer out of range for PostgreSQL integer": (
            _first(Kind.INT, int_type="integer"),
            str(2**40),
        ),
        "timestamp not in UTC storage form": (
            _first(Kind.UTC_DATETIME),
            "'2026-01-01 10:00:00+02:00'",
        ),
    }
    conn = sqlite3.connect(path)
    expected: dict[str, tuple[str, str, int]] = {}
    for reason, ((table, col), value) in bad.items():
        key = table.serial_pk
        assert key is not None
        row_id = conn.execute(f"SELECT max({key.quoted}) FROM {table.quoted}").fetchone()[0]
        conn.execute(
            f"UPDATE {table.quoted} SET {col.quoted} = {value} WHERE {key.quoted} = ?", (row_id,)
        )
        expected[reason] = (table.name, col.name, row_id)
    conn.commit()
    conn.close()
    before = _digest(path)

    report = app.migrations.preflight(Target.parse(pg_url))
    assert not report.ok
    for reason, (table_name, column, row_id) in expected.items():
        hits = [
            p
            for p in report.problems
            if p.table == table_name and p.column == column and p.reason.startswith(reason)
        ]
        assert hits, (reason, [str(p) for p in report.problems])
        assert [row_id] in hits[0].keys
    with pytest.raises(MigrationError, match="preflight refused the migration"):
        app.migrations.migrate(Target.parse(pg_url))
    # Nothing was changed on either side: not the source, and no tables on the target.
    assert _digest(path) == before
    with psycopg.connect(pg_url) as pg:
        assert pg.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname='public'"
        ).fetchone() == (0,)


def test_orphan_rows_are_refused(app: App, pg_url: str) -> None:
    populate(app.db)
    app.db.dispose()
    child = next(t for t in data_tables() if t.name == "memberships")
    conn = sqlite3.connect(app.settings.sqlite_path)
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute(f"UPDATE {child.quoted} SET org_id = 424242 WHERE rowid = 1")
    conn.commit()
    conn.close()
    report = app.migrations.preflight(Target.parse(pg_url))
    assert any(
        p.table == "memberships" and "missing row of organizations" in p.reason
        for p in report.problems
    )


def test_maintenance_guard_and_stale_state(app: App) -> None:
    app.maintenance.enter("migrating to somewhere")
    assert app.maintenance.reason == "migrating to somewhere"
    with pytest.raises(MaintenanceMode, match="writes are paused: migrating to somewhere"):
        app.maintenance.guard()
    app.maintenance.exit()
    assert app.maintenance.state() is None
    app.maintenance.guard()
    # A file left by a process that died is reported, not obeyed.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    state = {
        "reason": "old run",
        "pid": int(dead.stdout),
        "host": socket.gethostname(),
        "since": "x",
    }
    app.maintenance.path.write_text(json.dumps(state))
    assert app.maintenance.state() is None
    stale = app.maintenance.stale()
    assert stale is not None and stale.reason == "old run"
