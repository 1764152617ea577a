"""Rollback: back to SQLite in one step, nothing written on PostgreSQL lost.

After a backup of the SQLite file, every table is copied from PostgreSQL back into it in
ONE SQLite transaction (rows written after the switch included), the parity check runs in
reverse on that same transaction, and only a green check commits it; a red one rolls it
back and SQLite is as it was. Then the journals are merged and ``PG_ENABLED`` goes off.
The rows that arrived after the switch are counted (keys beyond the high-water marks the
switch recorded, ``updated_at`` after it) and reported.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from levqor_desktop.core.db import Database
from levqor_desktop.core.migrate import runs
from levqor_desktop.core.migrate.copyback import copy_to_sqlite
from levqor_desktop.core.migrate.host import StepHost
from levqor_desktop.core.migrate.keys import text_json_loaders
from levqor_desktop.core.migrate.progress import CancelToken, Meter, ProgressCallback
from levqor_desktop.core.migrate.sides import PostgresSide, SqliteSide
from levqor_desktop.core.migrate.tables import TableInfo, data_tables
from levqor_desktop.core.migrate.target import Target, sqlite_writable
from levqor_desktop.core.migrate.verify import ParityReport, compare
from levqor_desktop.errors import MigrationError


@dataclass
class RollbackResult:
    source: str
    backup: str
    rows: int
    #: Per table: rows added after the switch ("new") and rows changed after it ("updated").
    after_switch: dict[str, dict[str, int]] = field(default_factory=dict)
    parity: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rollback(
    service: StepHost,
    target: Target | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> RollbackResult:
    target = target or service.target()
    started = time.perf_counter()
    tables = data_tables()
    tdb = Database(target.sqlalchemy_url)
    try:
        with service._maintenance(f"rolling back from {target.display} to SQLite"):
            return _rollback(service, target, tdb, tables, started, progress, cancel)
    finally:
        tdb.dispose()


def _rollback(
    service: StepHost,
    target: Target,
    tdb: Database,
    tables: tuple[TableInfo, ...],
    started: float,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> RollbackResult:
    backup = service.backup(progress, label="before-rollback")
    pg = target.connect()
    dst = sqlite_writable(service.source_path)
    try:
        pg.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        text_json_loaders(pg)
        switch = runs.last(tdb, "switch")
        after = _after_switch(pg, switch)
        totals = {t.name: _count(pg, t.name) for t in tables}
        dst.execute("BEGIN IMMEDIATE")
        # Rows arrive in key order; a row may point at one with a higher key (a job's
        # parent, say): foreign keys are checked once, at COMMIT.
        dst.execute("PRAGMA defer_foreign_keys = ON")
        try:
            meter = Meter("copy-back", sum(totals.values()), progress, cancel)
            copy_to_sqlite(pg, dst, tables, totals, meter)
            check = Meter("verify", sum(totals.values()), progress, cancel)
            parity = ParityReport(
                target.display,
                str(service.source_path),
                compare(PostgresSide(pg), SqliteSide(dst, "SQLite"), tables, check, totals),
            )
            if not parity.ok:
                raise MigrationError(
                    "rollback stopped: the copy back differs (" + parity.summary() + "); "
                    "SQLite was left as it was"
                )
            dst.execute("COMMIT")
        except BaseException:
            dst.execute("ROLLBACK")
            raise
        journal = runs.all_records(tdb)
    finally:
        pg.rollback()
        pg.close()
        dst.close()
    result = RollbackResult(
        source=target.display,
        backup=backup.name,
        rows=parity.rows,
        after_switch=after,
        parity={"ok": parity.ok, "tables": len(parity.tables), "rows": parity.rows},
        seconds=round(time.perf_counter() - started, 3),
    )
    run_id = service._journal(
        target,
        "rollback",
        runs.SUCCEEDED,
        f"{parity.rows} rows copied back to SQLite; parity OK",
        result.to_dict(),
    )
    local = Database(f"sqlite:///{service.source_path}")
    try:
        service._set_pg(False, f"migration: rolled back from {target.display}", local)
        runs.merge(local, [*journal, *(r for r in runs.all_records(tdb) if r["uuid"] == run_id)])
    finally:
        local.dispose()
    return result


def _count(pg: psycopg.Connection[Any], table: str) -> int:
    row = pg.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0


def _after_switch(
    pg: psycopg.Connection[Any], switch: runs.RunRecord | None
) -> dict[str, dict[str, int]]:
    if switch is None or not switch.detail:
        return {}
    marks: dict[str, int | None] = switch.detail.get("high_water", {})
    since = dt.datetime.fromisoformat(str(switch.detail.get("switched_at")))
    out: dict[str, dict[str, int]] = {}
    for table in data_tables():
        new = updated = 0
        key = table.serial_pk
        if key is not None and table.name in marks:
            mark = marks[table.name]
            query = sql.SQL("SELECT count(*) FROM {} WHERE {} > %s").format(
                sql.Identifier(table.name), sql.Identifier(key.name)
            )
            row = pg.execute(query, (mark if mark is not None else -(2**63),)).fetchone()
            new = int(row[0]) if row else 0
        if (col := table.updated_at) is not None:
            query = sql.SQL("SELECT count(*) FROM {} WHERE {} > %s").format(
                sql.Identifier(table.name), sql.Identifier(col.name)
            )
            row = pg.execute(query, (since,)).fetchone()
            updated = int(row[0]) if row else 0
        if new or updated:
            out[table.name] = {"new": new, "updated": updated}
    return out
