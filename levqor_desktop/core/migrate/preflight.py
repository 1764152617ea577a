"""Preflight: may this SQLite database move to that PostgreSQL database, and what moves?

Read-only on both sides. The report lists the tables, rows and sizes to copy, the state
of the target, and every value that would not survive; ``ok`` is False when anything
blocks, and migrate refuses to start then.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from levqor_desktop.core import schema
from levqor_desktop.core.db import Database
from levqor_desktop.core.migrate import runs, values
from levqor_desktop.core.migrate.copy import existing_tables
from levqor_desktop.core.migrate.tables import data_tables, levqor_table_names
from levqor_desktop.core.migrate.target import MIN_SERVER_VERSION, Target, sqlite_readonly

#: Target states.
EMPTY = "empty"  # no tables at all
EMPTY_SCHEMA = "empty-schema"  # Levqor tables, no rows
PARTIAL = "partial"  # rows left by a migrate run that did not finish: cleaned first
COPY = "copy"  # rows of an earlier finished copy never switched to (or rolled back)
LIVE = "live"  # the app switched to it: refuse
OCCUPIED = "occupied"  # rows that no migration of ours wrote: refuse


@dataclass
class TableSize:
    name: str
    rows: int
    bytes: int | None = None


@dataclass
class PreflightReport:
    source: str
    target: str
    server_version: str | None = None
    target_state: str = EMPTY
    source_revisions: list[str] = field(default_factory=list)
    target_revisions: list[str] = field(default_factory=list)
    tables: list[TableSize] = field(default_factory=list)
    size_bytes: int = 0
    problems: list[values.ValueProblem] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def ok(self) -> bool:
        return not self.blockers and not self.problems

    @property
    def must_clean(self) -> bool:
        return self.target_state in (PARTIAL, COPY)

    def reasons(self) -> list[str]:
        return self.blockers + [str(p) for p in self.problems]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(ok=self.ok, total_rows=self.total_rows, reasons=self.reasons())
        return data


def run_preflight(source: Path, target: Target, *, sizes: bool = True) -> PreflightReport:
    """``sizes=False`` skips bytes per table (SQLite reads every page to count them)."""
    report = PreflightReport(source=str(source), target=target.display)
    _check_source(source, report, sizes)
    _check_target(target, report)
    return report


def _check_source(path: Path, report: PreflightReport, sizes_wanted: bool) -> None:
    src_db = Database(f"sqlite:///{path}")
    try:
        current = schema.current_revisions(src_db)
        heads = schema.head_revisions()
        report.source_revisions = list(current)
        if current != heads:
            report.blockers.append(
                f"the source database is at schema revision {', '.join(current) or '(none)'}, "
                f"not at {', '.join(heads)}: start Levqor Desktop once (or run "
                "`levqor db upgrade`) before migrating"
            )
            return
    finally:
        src_db.dispose()
    conn = sqlite_readonly(path)
    try:
        report.size_bytes = sum(
            p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists()
        )
        sizes = _table_bytes(conn) if sizes_wanted else {}
        for table in data_tables():
            rows = conn.execute(f"SELECT count(*) FROM {table.quoted}").fetchone()[0]
            report.tables.append(TableSize(table.name, rows, sizes.get(table.name)))
        # Two connections scan pieces of the tables side by side (SQLite runs the scan
        # without the GIL); a big table is cut into key ranges so both stay busy.
        tables = data_tables()
        cut = {t.name: values.pieces(conn, t) for t in tables}
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="levqor-preflight") as pool:
            found = pool.map(
                lambda piece: _scan(path, piece), [p for t in tables for p in cut[t.name]]
            )
            for table in tables:
                report.problems.extend(values.merge([next(found) for _ in cut[table.name]]))
        report.problems.extend(values.scan_foreign_keys(conn))
    finally:
        conn.close()


def _scan(path: Path, piece: values.Piece) -> list[values.ValueProblem]:
    conn = sqlite_readonly(path)
    try:
        values.install_functions(conn)
        conn.text_factory = bytes
        return values.scan_table(conn, piece)
    finally:
        conn.close()


def _table_bytes(conn: sqlite3.Connection) -> dict[str, int]:
    """Bytes per table with their indexes, when SQLite has the dbstat table."""
    try:
        rows = conn.execute(
            "SELECT coalesce(m.tbl_name, s.name), sum(s.pgsize) FROM dbstat s "
            "LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY 1"
        ).fetchall()
    except sqlite3.Error:
        return {}
    return {str(name): int(size) for name, size in rows}


def _check_target(target: Target, report: PreflightReport) -> None:
    with target.connect(autocommit=True) as pg:
        version_num = int(str(_one(pg, "SHOW server_version_num")))
        report.server_version = str(_one(pg, "SHOW server_version"))
        if version_num < MIN_SERVER_VERSION * 10_000:
            report.blockers.append(
                f"PostgreSQL {report.server_version} is too old: Levqor needs "
                f"{MIN_SERVER_VERSION} or newer"
            )
        row = pg.execute(
            "SELECT current_schema(), has_schema_privilege(current_schema(), 'CREATE')"
        ).fetchone()
        if row is None or row[0] is None:
            report.blockers.append(
                "the target has no schema to create tables in (search_path is empty)"
            )
            return
        if not row[1]:
            report.blockers.append(
                f"role {target.url.username or '(default)'} may not create tables in schema "
                f"{row[0]} of {target.location}",
            )
        _classify(pg, target, report)


def _classify(pg: psycopg.Connection[Any], target: Target, report: PreflightReport) -> None:
    present = existing_tables(pg)
    ours = levqor_table_names()
    foreign = sorted(present - ours)
    with_rows = [t for t in foreign if _has_rows(pg, t)]
    if with_rows:
        report.blockers.append(
            f"the target already holds other data, in table(s) {', '.join(with_rows)}: "
            "choose an empty database"
        )
    elif foreign:
        report.notes.append(
            f"the target has empty tables Levqor does not use: {', '.join(foreign)}"
        )
    if "alembic_version" in present:
        report.target_revisions = sorted(
            str(r[0]) for r in pg.execute("SELECT version_num FROM alembic_version").fetchall()
        )
        known = {rev.revision for rev in schema.script_directory().walk_revisions()}
        newer = sorted(set(report.target_revisions) - known)
        if newer:
            report.blockers.append(
                f"the target has a newer Levqor schema (revision {', '.join(newer)}) than this "
                "version knows: upgrade Levqor Desktop or choose another database"
            )
            report.target_state = OCCUPIED
            return
    filled = [t.name for t in data_tables() if t.name in present and _has_rows(pg, t.name)]
    if not (present & ours):
        report.target_state = EMPTY
    elif not filled:
        report.target_state = EMPTY_SCHEMA
    else:
        report.target_state = _state_of_copy(target, filled, report)


def _state_of_copy(target: Target, filled: list[str], report: PreflightReport) -> str:
    db = Database(target.sqlalchemy_url)
    try:
        history = runs.list_runs(db, 1000)
    finally:
        db.dispose()
    migrate = next((r for r in history if r.kind == "migrate"), None)
    switch = next((r for r in history if r.kind == "switch" and r.status == runs.SUCCEEDED), None)
    rollback = next(
        (r for r in history if r.kind == "rollback" and r.status == runs.SUCCEEDED), None
    )
    names = ", ".join(filled[:6]) + (" ..." if len(filled) > 6 else "")
    if migrate is None:
        report.blockers.append(
            f"the target already holds Levqor data that no migration wrote (tables {names}): "
            "choose an empty database"
        )
        return OCCUPIED
    if (
        switch is not None
        and switch.started_at > migrate.started_at
        and (rollback is None or rollback.started_at < switch.started_at)
    ):
        report.blockers.append(
            f"Levqor was switched to this database on {switch.started_at:%Y-%m-%d %H:%M} UTC and "
            "it may hold newer rows: roll back first"
        )
        return LIVE
    if migrate.status != runs.SUCCEEDED:
        report.notes.append(
            f"the target holds a partial copy from an unfinished run ({migrate.outcome}, "
            f"{migrate.started_at:%Y-%m-%d %H:%M} UTC): its Levqor tables will be emptied first"
        )
        return PARTIAL
    report.notes.append(
        f"the target holds the copy of {migrate.started_at:%Y-%m-%d %H:%M} UTC: its Levqor "
        "tables will be emptied and copied again"
    )
    return COPY


def _has_rows(pg: psycopg.Connection[Any], table: str) -> bool:
    row = pg.execute(
        sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table))
    ).fetchone()
    return bool(row and row[0])


def _one(pg: psycopg.Connection[Any], query: str) -> object:
    row = pg.execute(query.encode()).fetchone()
    return row[0] if row else None
