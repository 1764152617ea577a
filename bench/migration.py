"""SQLite -> PostgreSQL: Levqor's migrate and verify against a bare COPY and pgloader.

One run, one machine, one server:

1. A Levqor SQLite database with ROWS rows split between ``jobs`` and ``usage_events``
   (rows generated from the column types, values in the form the app stores them).
2. ``app.migrations.migrate`` into a fresh database (copy phase timed from the first row
   to the sequence reset; end to end includes preflight and the schema).
3. ``app.migrations.verify`` (the parity check) of the result.
4. The ceiling: psycopg ``COPY`` (``write_row``) of the very same rows, already in
   memory, into tables of the same column types without indexes or constraints.
5. pgloader on the same SQLite file into another fresh database.

Usage: ``.venv/bin/python bench/migration.py [ROWS]`` (default 1,000,000); needs
``LEVQOR_TEST_DATABASE_URL`` (a PostgreSQL admin URL) and ``pgloader`` on PATH.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from levqor_desktop.app import build_app
from levqor_desktop.core import schema, tenancy
from levqor_desktop.core.db import Database
from levqor_desktop.core.migrate import Progress, Target
from levqor_desktop.core.migrate.tables import Kind, TableInfo, data_tables
from levqor_desktop.core.models import Base
from levqor_desktop.settings import Settings

TABLES = ("jobs", "usage_events")
BASE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _none(_i: int) -> None:
    return None


def _one(_i: int) -> int:
    return 1


def _cycle(values: tuple[str, ...]) -> Callable[[int], str]:
    return lambda i: values[i % len(values)]


def _label(name: str, length: int) -> Callable[[int], str]:
    return lambda i: f"{name}-{i}"[:length]


def _values(table: TableInfo, n: int, id_base: int) -> list[tuple[Any, ...]]:
    """Rows in SQLite's stored form, from the column kinds (no table is named here)."""
    sa_table = Base.metadata.tables[table.name]
    makers: list[Callable[[int], Any]] = []
    for col in table.columns:
        sa_col = sa_table.columns[col.name]
        enums = getattr(sa_col.type, "enums", None)
        if col in table.pk:
            makers.append(lambda i: id_base + i)
        elif sa_col.foreign_keys:
            # Point at the default organization / user; optional links stay empty.
            makers.append(_none if col.nullable else _one)
        elif enums:
            makers.append(_cycle(tuple(enums)))
        elif col.kind is Kind.INT:
            makers.append(lambda i: i % 1000)
        elif col.kind is Kind.BOOL:
            makers.append(lambda i: i % 2)
        elif col.kind is Kind.UTC_DATETIME:
            makers.append(
                lambda i: (BASE + dt.timedelta(seconds=i)).strftime("%Y-%m-%d %H:%M:%S.%f")
            )
        elif col.kind is Kind.JSON:
            makers.append(lambda i: json.dumps({"i": i, "text": "Zürich", "list": [1, 2, 3]}))
        elif col.kind is Kind.TEXT:
            length = col.length or 200
            makers.append(_label(col.name, length))
        else:
            makers.append(_none)
    return [tuple(m(i) for m in makers) for i in range(n)]


def _create_db(admin: str, name: str) -> str:
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return admin.rsplit("/", 1)[0] + "/" + name


def _settle(admin: str, *databases: str) -> None:
    """Leave no background work from earlier phases running into the next one.

    A phase that commits 500,000-row tables sets autovacuum on them a minute later,
    and whatever phase runs then shares the two cores with it (seen here: the same
    ceiling 2.6 s or 3.7 s by that alone). So the tables written so far are vacuumed
    and analyzed now, untimed, dirty buffers are written out, and any autovacuum
    worker still busy is waited for.
    """
    for url in databases:
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("VACUUM (ANALYZE)")
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute("CHECKPOINT")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            busy = c.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
            ).fetchone()
            if not busy or not busy[0]:
                break
            time.sleep(0.5)


def _drop_db(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def main(total: int) -> dict[str, Any]:
    admin = os.environ.get(
        "LEVQOR_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    work = Path(tempfile.mkdtemp(prefix="levqor-bench-migration-"))
    tag = uuid.uuid4().hex[:6]
    names = {k: f"levqor_bench_{k}_{tag}" for k in ("migrate", "schema", "pgloader")}
    urls = {k: _create_db(admin, v) for k, v in names.items()}
    results: dict[str, Any] = {"rows": total, "tables": list(TABLES)}
    try:
        settings = Settings.from_env({}, home=work)
        app = build_app(settings).start()
        tables = {t.name: t for t in data_tables()}
        per_table = {TABLES[0]: total // 2, TABLES[1]: total - total // 2}
        rows: dict[str, list[tuple[Any, ...]]] = {}
        conn = sqlite3.connect(settings.sqlite_path)
        for name, n in per_table.items():
            table = tables[name]
            rows[name] = _values(table, n, 1)
            qmarks = ", ".join("?" for _ in table.columns)
            conn.executemany(
                f"INSERT INTO {table.quoted} ({table.column_list}) VALUES ({qmarks})", rows[name]
            )
        conn.commit()
        conn.close()
        results["sqlite_bytes"] = settings.sqlite_path.stat().st_size

        # 2. Levqor migrate
        marks: dict[str, float] = {}

        def on_progress(p: Progress) -> None:
            if p.phase == "copy" and "copy_start" not in marks:
                marks["copy_start"] = time.perf_counter()
            if p.phase == "sequences":
                marks["copy_end"] = time.perf_counter()

        target = Target.parse(urls["migrate"])
        _settle(admin)
        start = time.perf_counter()
        outcome = app.migrations.migrate(target, on_progress, backup=False)
        results["migrate_s"] = time.perf_counter() - start
        results["migrate_copy_s"] = marks["copy_end"] - marks["copy_start"]
        print(f"migrate: {results['migrate_s']:.1f} s", file=sys.stderr, flush=True)
        assert outcome["rows"] >= total

        # 3. verify
        _settle(admin, urls["migrate"])
        start = time.perf_counter()
        parity = app.migrations.verify(target, record=False)
        results["verify_s"] = time.perf_counter() - start
        results["verify_ok"] = parity.ok
        results["verify_rows"] = parity.rows
        print(f"verify: {results['verify_s']:.1f} s", file=sys.stderr, flush=True)

        # 4. bare COPY of the same rows (in memory) into index-free tables, same server
        _settle(admin, urls["migrate"])
        with psycopg.connect(urls["migrate"], autocommit=True) as pg:
            bare_s = 0.0
            for name in TABLES:
                table = tables[name]
                bare = f"bare_{name}"
                pg.execute(
                    sql.SQL("CREATE TABLE {} (LIKE {})").format(
                        sql.Identifier(bare), sql.Identifier(name)
                    )
                )
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(bare),
                    sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns),
                )
                start = time.perf_counter()
                with pg.transaction(), pg.cursor() as cur, cur.copy(statement) as copy:
                    for row in rows[name]:
                        copy.write_row(row)
                bare_s += time.perf_counter() - start
        results["bare_copy_s"] = bare_s

        # 4b. bare COPY of the same rows, read from the same SQLite file, into the same
        # Levqor schema (keys, constraints, indexes): what a hand-written script does.
        schema_db = Database(urls["schema"])
        schema.upgrade(schema_db)
        tenancy.ensure_defaults(schema_db)  # the organization and user the rows point at
        schema_db.dispose()
        src = sqlite3.connect(f"file:{settings.sqlite_path}?mode=ro", uri=True)
        _settle(admin, urls["migrate"])
        with psycopg.connect(urls["schema"], autocommit=True) as pg:
            start = time.perf_counter()
            for name in TABLES:
                table = tables[name]
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(name),
                    sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns),
                )
                cursor = src.execute(f"SELECT {table.column_list} FROM {table.quoted}")
                with pg.transaction(), pg.cursor() as cur, cur.copy(statement) as copy:
                    while batch := cursor.fetchmany(10_000):
                        for row in batch:
                            copy.write_row(row)
            results["bare_schema_copy_s"] = time.perf_counter() - start
        src.close()

        # 5. pgloader on the same file
        app.close()
        pgloader = shutil.which("pgloader")
        if pgloader:
            _settle(admin, urls["migrate"], urls["schema"])
            start = time.perf_counter()
            done = subprocess.run(
                [
                    pgloader,
                    # Its default heap is exhausted by 500,000 wide rows (seen here).
                    "--dynamic-space-size",
                    "4096",
                    f"sqlite://{settings.sqlite_path}",
                    urls["pgloader"].replace("postgresql://", "pgsql://"),
                ],
                capture_output=True,
                text=True,
                timeout=1800,
            )
            results["pgloader_s"] = time.perf_counter() - start
            results["pgloader_ok"] = done.returncode == 0
            with psycopg.connect(urls["pgloader"]) as pg:
                counted = 0
                for table_name in TABLES:
                    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table_name))
                    found = pg.execute(query).fetchone()
                    counted += int(found[0]) if found else 0
                results["pgloader_rows"] = counted
            if done.returncode != 0:
                results["pgloader_error"] = done.stderr[-2000:]
    finally:
        for name in names.values():
            _drop_db(admin, name)
        shutil.rmtree(work, ignore_errors=True)
    return results


def report(r: dict[str, Any]) -> str:
    n = r["rows"]

    def rate(seconds: float) -> str:
        return f"{seconds:.1f} s = {n / seconds:,.0f} rows/s"

    ratio = r["bare_copy_s"] / r["migrate_copy_s"]
    ratio_schema = r["bare_schema_copy_s"] / r["migrate_copy_s"]
    rows = [
        ("rows", f"{n:,} ({', '.join(r['tables'])}), SQLite file {r['sqlite_bytes'] / 1e6:.0f} MB"),
        ("Levqor migrate, copy phase", rate(r["migrate_copy_s"])),
        ("Levqor migrate, end to end (preflight, schema, copy, indexes)", rate(r["migrate_s"])),
        ("bare psycopg COPY, rows in memory, no indexes (ceiling)", rate(r["bare_copy_s"])),
        ("copy phase vs ceiling", f"{ratio:.2f}x (target >= 0.5x)"),
        ("bare COPY from the SQLite file into the Levqor schema", rate(r["bare_schema_copy_s"])),
        ("copy phase vs that bare COPY", f"{ratio_schema:.2f}x"),
    ]
    if "pgloader_s" in r:
        rows.append(("pgloader, same file", f"{rate(r['pgloader_s'])}, ok={r['pgloader_ok']}"))
        rows.append(
            ("Levqor end to end vs pgloader", f"{r['pgloader_s'] / r['migrate_s']:.2f}x faster")
        )
    rows.append(
        ("verify (parity check)", f"{r['verify_s']:.1f} s, ok={r['verify_ok']} (target < 15 s)")
    )
    return "| measure | result |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)


if __name__ == "__main__":
    outcome = main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
    print(json.dumps(outcome, indent=2, default=str))
    print(report(outcome))
