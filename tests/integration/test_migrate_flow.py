"""Migrate a SQLite database with every table populated to a real PostgreSQL, verify it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest
from psycopg.types.string import TextLoader
from sqlalchemy import text

from levqor_desktop.app import App
from levqor_desktop.core import schema
from levqor_desktop.core.db import Database
from levqor_desktop.core.migrate import (
    CancelToken,
    MigrationCanceled,
    Progress,
    Target,
    copy,
    copytext,
    indexes,
    parallel,
)
from levqor_desktop.core.migrate.tables import Kind, data_tables
from levqor_desktop.errors import MaintenanceMode
from tests.integration.migrate_rows import BIG, SEPARATORS, populate
from tests.integration.migrate_support import dump

pytestmark = pytest.mark.postgres


def _files_digest(path: Path) -> str:
    h = hashlib.sha256()
    for p in (path, path.with_name(path.name + "-wal")):
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def populated(app: App) -> App:
    made = populate(app.db)
    # Every table of the schema, present and future, gets rows.
    assert {t.name for t in data_tables()} == set(made)
    assert all(n > 0 for n in made.values()), made
    app.db.dispose()
    return app


_escaped = copytext.escaped_line


def test_every_table_moves_and_parity_holds(
    populated: App, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = populated
    target = Target.parse(pg_url)
    before = _files_digest(app.settings.sqlite_path)
    report = app.migrations.preflight(target)
    assert report.ok, report.reasons()
    assert report.target_state == "empty"
    assert report.total_rows == sum(t.rows for t in report.tables) > 0

    events: list[Progress] = []
    # Rows whose text holds a COPY separator leave SQLite's line path escaped (below, the
    # recount proves them equal).
    escaped: list[bytes] = []
    monkeypatch.setattr(
        copytext, "escaped_line", lambda values: escaped.append(_escaped(values)) or escaped[-1]
    )
    result = app.migrations.migrate(target, events.append)
    assert result["rows"] == report.total_rows
    assert len(escaped) >= len(SEPARATORS)
    # Progress names each table, counts rows up to the total, and reports a rate.
    copy_events = [e for e in events if e.phase == "copy"]
    assert {e.table for e in copy_events} == {t.name for t in data_tables()}
    assert copy_events[-1].rows == copy_events[-1].total == report.total_rows
    assert any(e.rate > 0 for e in copy_events)

    parity = app.migrations.verify(target)
    assert parity.ok, parity.summary()
    assert parity.rows == report.total_rows
    # The same check with the PostgreSQL side in a child process (as for big databases).
    monkeypatch.setattr(parallel, "PROCESS_MIN_ROWS", 0)
    in_child = app.migrations.verify(target, record=False)
    assert [t.target_sha256 for t in in_child.tables] == [t.target_sha256 for t in parity.tables]

    # An independent recount: every row through SQLAlchemy's own types on both sides.
    target_db = Database(pg_url)
    try:
        assert dump(app.db) == dump(target_db)
        with target_db.engine.begin() as conn:
            # The largest ids survived and the sequences continue after them.
            assert conn.execute(text("SELECT max(id) FROM organizations")).scalar() == BIG - 1000
            new_id = conn.execute(
                text(
                    "INSERT INTO users (email_sha256, display_name, created_at) "
                    "VALUES ('x', 'new', now()) RETURNING id"
                )
            ).scalar()
            assert new_id == BIG - 999
    finally:
        target_db.dispose()
    # The source was never written.
    assert _files_digest(app.settings.sqlite_path) == before
    kinds = [(r.kind, r.status) for r in app.migrations.runs(target=target)]
    assert ("migrate", "succeeded") in kinds and ("verify", "succeeded") in kinds


def test_verify_names_the_row_that_differs(app: App, pg_url: str) -> None:
    populate(app.db, rows_per_table=700, skip=())
    target = Target.parse(pg_url)
    app.migrations.migrate(target, backup=False)
    with psycopg.connect(pg_url, autocommit=True) as pg:
        ids = [r[0] for r in pg.execute("SELECT id FROM jobs ORDER BY id").fetchall()]
        changed, gone = ids[417], ids[600]
        jobs_table = next(t for t in data_tables() if t.name == "jobs")
        col = next(c.name for c in jobs_table.columns if c.kind is Kind.TEXT and not c.nullable)
        pg.execute(f'UPDATE jobs SET "{col}" = "{col}" || \'!\' WHERE id = %s', (changed,))
        pg.execute("DELETE FROM job_steps WHERE job_id = %s", (gone,))
        pg.execute("DELETE FROM jobs WHERE id = %s", (gone,))
    parity = app.migrations.verify(target)
    assert not parity.ok
    bad = {t.table: t for t in parity.failed}
    assert "jobs" in bad
    jobs = bad["jobs"]
    assert jobs.source_rows == jobs.target_rows + 1
    found = {(d.key[0], d.what) for d in jobs.differences}
    assert (changed, "differs") in found
    assert (gone, "missing in PostgreSQL") in found
    differing = next(d for d in jobs.differences if d.key[0] == changed)
    assert differing.columns == [col]
    assert f"key {changed}" in parity.summary()


def test_cancel_leaves_source_untouched_and_rerun_finishes(populated: App, pg_url: str) -> None:
    app = populated
    target = Target.parse(pg_url)
    before = _files_digest(app.settings.sqlite_path)
    cancel = CancelToken()
    seen_guard: list[bool] = []

    def on_progress(event: Progress) -> None:
        if event.phase == "copy" and event.table == "jobs" and event.table_rows > 0:
            # Maintenance mode is on for every process while the copy runs.
            with pytest.raises(MaintenanceMode, match="writes are paused"):
                app.maintenance.guard()
            seen_guard.append(app.maintenance.active)
            cancel.cancel()

    with pytest.raises(MigrationCanceled):
        app.migrations.migrate(target, on_progress, cancel, backup=False)
    assert seen_guard == [True]
    assert not app.maintenance.active
    assert _files_digest(app.settings.sqlite_path) == before
    runs = app.migrations.runs(target=target)
    assert runs[0].kind == "migrate" and runs[0].status == "canceled"

    again = app.migrations.preflight(target)
    assert again.ok and again.target_state == "partial", again.reasons()
    app.migrations.migrate(target, backup=False)
    assert app.migrations.verify(target).ok


@pytest.mark.parametrize(("share", "kept"), [(1.0, True), (-1.0, False)])
def test_partial_indexes_kept_through_the_copy_hold_exactly_their_rows(
    app: App, pg_url: str, monkeypatch: pytest.MonkeyPatch, share: float, kept: bool
) -> None:
    """A sparse partial index stays through the copy (no table scan to rebuild it); kept
    or rebuilt, it ends up holding exactly the rows of its condition."""
    populate(app.db, rows_per_table=30)
    app.db.dispose()
    jobs = next(t for t in data_tables() if t.name == "jobs")
    names = frozenset(name for name, _condition in jobs.partial_indexes)
    assert names
    monkeypatch.setattr(copy, "REBUILD_INDEXES_ROWS", 0)
    monkeypatch.setattr(indexes, "SPARSE_SHARE", share)  # 1.0: every one sparse; -1: none
    kept_by_table: dict[str, frozenset[str]] = {}
    drop = indexes.drop_for_copy

    def spy(pg: psycopg.Connection[object], table: str, keep: frozenset[str]) -> list[str]:
        kept_by_table[table] = keep
        return drop(pg, table, keep)  # type: ignore[arg-type]

    monkeypatch.setattr(indexes, "drop_for_copy", spy)
    app.migrations.migrate(Target.parse(pg_url), backup=False)
    assert kept_by_table["jobs"] == (names if kept else frozenset())

    with sqlite3.connect(app.settings.sqlite_path) as conn:
        expected = {
            name: conn.execute(f"SELECT count(*) FROM jobs WHERE {condition}").fetchone()[0]
            for name, condition in jobs.partial_indexes
        }
    assert all(expected.values()), expected  # each index has rows to hold
    with psycopg.connect(pg_url, autocommit=True) as pg:
        pg.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        pg.execute("SET enable_seqscan = off")
        for name, condition in jobs.partial_indexes:
            # Every row of the condition is in the index (amcheck reads the table) ...
            pg.execute("SELECT bt_index_check(%s::regclass, true)", (name,))
            # ... and a count through the index finds those rows and no others.
            query = f"SELECT count(*) FROM jobs WHERE {condition}"
            assert name in str(pg.execute(f"EXPLAIN {query}").fetchall())
            assert pg.execute(query).fetchone() == (expected[name],)
    assert app.migrations.verify(Target.parse(pg_url), record=False).ok


def test_completed_copy_is_redone_but_live_target_is_refused(populated: App, pg_url: str) -> None:
    app = populated
    target = Target.parse(pg_url)
    app.migrations.migrate(target, backup=False)
    assert app.migrations.preflight(target).target_state == "copy"
    app.migrations.migrate(target, backup=False)
    assert app.migrations.verify(target).ok
    app.migrations.switch(target)
    live = app.migrations.preflight(target)
    assert live.target_state == "live" and not live.ok
    assert "roll back first" in " ".join(live.reasons())


def test_reformatted_json_is_still_equal(populated: App, pg_url: str) -> None:
    app = populated
    target = Target.parse(pg_url)
    app.migrations.migrate(target, backup=False)
    table = next(t for t in data_tables() if any(c.kind is Kind.JSON for c in t.columns))
    col = next(c for c in table.columns if c.kind is Kind.JSON)
    key = table.pk[0]
    select = f"SELECT {col.quoted} FROM {table.quoted} WHERE {col.quoted} IS NOT NULL "
    select += f"ORDER BY {key.quoted} LIMIT 1"
    with psycopg.connect(pg_url, autocommit=True) as pg:
        # Same JSON, other text: keys reordered, spaces added (jsonb re-prints it so).
        pg.execute(
            f"UPDATE {table.quoted} SET {col.quoted} = ({col.quoted}::jsonb)::text::json "
            f"WHERE {col.quoted} IS NOT NULL"
        )
        pg.adapters.register_loader("json", TextLoader)
        on_pg = pg.execute(select).fetchone()
    with sqlite3.connect(app.settings.sqlite_path) as conn:
        on_sqlite = conn.execute(select).fetchone()
    assert on_pg is not None and on_sqlite is not None
    assert on_pg[0] != on_sqlite[0] and json.loads(on_pg[0]) == json.loads(on_sqlite[0])
    parity = app.migrations.verify(target)
    assert parity.ok, parity.summary()


def _schema_objects(url: str) -> set[tuple[str, str, str]]:
    """Every index and key / unique / foreign-key constraint of the schema, by definition."""
    with psycopg.connect(url) as conn:
        indexes = conn.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema()"
        ).fetchall()
        constraints = conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace"
        ).fetchall()
    return {tuple(r) for r in indexes + constraints}


def test_indexes_dropped_for_the_copy_come_back_identical(
    app: App, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every table takes the big-table path: indexes and free keys dropped, rows sent on
    one connection while the last table's indexes are built on the other."""
    populate(app.db, rows_per_table=30)
    app.db.dispose()
    target = Target.parse(pg_url)
    target_db = Database(pg_url)
    schema.upgrade(target_db)  # an empty Levqor schema: what migrate would create
    target_db.dispose()
    before = _schema_objects(pg_url)
    assert any(name.startswith("ix_jobs_") for _table, name, _def in before)

    monkeypatch.setattr(copy, "REBUILD_INDEXES_ROWS", 0)
    finished_in: list[str] = []
    finish = copy._finish_table

    def spy(*args: object) -> None:
        finished_in.append(threading.current_thread().name)
        finish(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(copy, "_finish_table", spy)
    app.migrations.migrate(target, backup=False)

    assert _schema_objects(pg_url) == before
    # Some tables were finished by the index thread while the next was being sent.
    assert any(name.startswith("levqor-migrate-index") for name in finished_in)
    assert len(finished_in) == len(data_tables())
    parity = app.migrations.verify(target, record=False)
    assert parity.ok, parity.summary()
