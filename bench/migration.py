"""SQLite -> PostgreSQL: Levqor's migrate and verify against a bare COPY and pgloader.

One run, one machine, one server:

1. A Levqor SQLite database with ROWS rows split between ``jobs`` and ``usage_events``
   (rows generated from the column types, values in the form the app stores them).
2. ``app.migrations.migrate`` into a fresh database (copy phase timed from the first row
   to the sequence reset; end to end includes preflight and the schema), alternating
   ROUNDS times with
3. the ceiling: psycopg ``COPY`` (``write_row``) of the very same rows, already in
   memory, into tables of the same column types without indexes or constraints. The
   ratio is of the two medians.
4. ``app.migrations.verify`` (the parity check) of the last copy.
5. A bare COPY from the same file into the Levqor schema, and pgloader on the same file.

Before each timed phase the server is settled (what earlier phases wrote is vacuumed,
a checkpoint, no autovacuum running), so no phase pays for another's writes.

Usage: ``.venv/bin/python bench/migration.py [ROWS [ROUNDS]]`` (default 1,000,000 and 5);
needs ``LEVQOR_TEST_DATABASE_URL`` (a PostgreSQL admin URL) and ``pgloader`` on PATH.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import shutil
import sqlite3
import statistics
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

from levqor_desktop.app import App, build_app
from levqor_desktop.core import schema, tenancy
from levqor_desktop.core.db import Database
from levqor_desktop.core.migrate import Progress, Target
from levqor_desktop.core.migrate.tables import Kind, TableInfo, data_tables
from levqor_desktop.core.models import Base
from levqor_desktop.settings import Settings

TABLES = ("jobs", "usage_events")
#: Rounds of migrate and of the ceiling (alternating); the ratio is of the medians.
ROUNDS = 5
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
    worker still busy is waited for. The operating system's dirty pages (the SQLite file
    the bench just wrote, 400 MB) are flushed too: their writeback, due 30 s after the
    write, otherwise lands in the first round (seen here: 8.4 s against 6.0-6.3 s).
    """
    os.sync()
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


def _migrate(app: App, url: str, total: int) -> tuple[float, float]:
    """Levqor's migrate into ``url``: (copy phase, end to end) in seconds."""
    marks: dict[str, float] = {}

    def on_progress(p: Progress) -> None:
        if p.phase == "copy" and "copy_start" not in marks:
            marks["copy_start"] = time.perf_counter()
        if p.phase == "sequences":
            marks["copy_end"] = time.perf_counter()

    start = time.perf_counter()
    outcome = app.migrations.migrate(Target.parse(url), on_progress, backup=False)
    end_to_end = time.perf_counter() - start
    assert outcome["rows"] >= total
    return marks["copy_end"] - marks["copy_start"], end_to_end


def _ceiling(
    url: str, tables: dict[str, TableInfo], rows: dict[str, list[tuple[Any, ...]]]
) -> float:
    """psycopg COPY of the rows, from memory, into index-free copies of the tables."""
    bare_s = 0.0
    with psycopg.connect(url, autocommit=True) as pg:
        for name in TABLES:
            table = tables[name]
            bare = sql.Identifier(f"bare_{name}")
            pg.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(bare))
            pg.execute(sql.SQL("CREATE TABLE {} (LIKE {})").format(bare, sql.Identifier(name)))
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                bare, sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)
            )
            start = time.perf_counter()
            with pg.transaction(), pg.cursor() as cur, cur.copy(statement) as copy:
                for row in rows[name]:
                    copy.write_row(row)
            bare_s += time.perf_counter() - start
    return bare_s


def main(total: int, rounds: int = ROUNDS) -> dict[str, Any]:
    admin = os.environ.get(
        "LEVQOR_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    work = Path(tempfile.mkdtemp(prefix="levqor-bench-migration-"))
    tag = uuid.uuid4().hex[:6]
    names = {k: f"levqor_bench_{k}_{tag}" for k in ("schema", "pgloader")}
    urls = {k: _create_db(admin, v) for k, v in names.items()}
    results: dict[str, Any] = {
        "rows": total,
        "tables": list(TABLES),
        "migrate_copy_rounds": [],
        "migrate_rounds": [],
        "bare_copy_rounds": [],
    }
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
        # The generated rows (26 million objects) stay in memory for the ceiling; out of
        # the collector's sight, so a full collection during migrate (which an operator's
        # process would not hold them for) does not walk them.
        gc.collect()
        gc.freeze()

        # 2. Levqor migrate, alternating with 3. the ceiling: bare COPY of the same rows
        # (in memory) into index-free tables of the same server, ROUNDS times each; the
        # ratio is taken of the medians (one pair can differ by 10% from the next).
        for n in range(rounds):
            name = f"levqor_bench_migrate{n}_{tag}"
            names[f"migrate{n}"] = name
            urls["migrate"] = _create_db(admin, name)
            _settle(admin)
            copy_s, migrate_s = _migrate(app, urls["migrate"], total)
            results["migrate_copy_rounds"].append(copy_s)
            results["migrate_rounds"].append(migrate_s)
            _settle(admin, urls["migrate"])
            results["bare_copy_rounds"].append(_ceiling(urls["migrate"], tables, rows))
            print(
                f"round {n + 1}: copy phase {copy_s:.2f} s, ceiling "
                f"{results['bare_copy_rounds'][-1]:.2f} s",
                file=sys.stderr,
                flush=True,
            )
            if n < rounds - 1:
                _drop_db(admin, name)
        for key in ("migrate_copy", "migrate", "bare_copy"):
            results[f"{key}_s"] = statistics.median(results[f"{key}_rounds"])

        # 4. verify (of the last round's copy)
        _settle(admin, urls["migrate"])
        start = time.perf_counter()
        parity = app.migrations.verify(Target.parse(urls["migrate"]), record=False)
        results["verify_s"] = time.perf_counter() - start
        results["verify_ok"] = parity.ok
        results["verify_rows"] = parity.rows
        print(f"verify: {results['verify_s']:.1f} s", file=sys.stderr, flush=True)

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
    by_round = ", ".join(
        f"{c:.2f}/{b:.2f} s"
        for c, b in zip(r["migrate_copy_rounds"], r["bare_copy_rounds"], strict=True)
    )
    ratio_schema = r["bare_schema_copy_s"] / r["migrate_copy_s"]
    rows = [
        ("rows", f"{n:,} ({', '.join(r['tables'])}), SQLite file {r['sqlite_bytes'] / 1e6:.0f} MB"),
        ("copy phase / ceiling by round", by_round),
        ("Levqor migrate, copy phase (median)", rate(r["migrate_copy_s"])),
        ("Levqor migrate, end to end (preflight, schema, copy, indexes)", rate(r["migrate_s"])),
        (
            "bare psycopg COPY, rows in memory, no indexes (ceiling, median)",
            rate(r["bare_copy_s"]),
        ),
        ("copy phase vs ceiling (medians)", f"{ratio:.2f}x (target >= 0.5x)"),
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
    outcome = main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS,
    )
    print(json.dumps(outcome, indent=2, default=str))
    print(report(outcome))
