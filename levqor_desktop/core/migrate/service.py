"""``app.migrations``: backup, preflight, migrate, verify, clean, switch, rollback.

Each step is one method, used alike by ``levqor migrate --mode ...`` and the window's
wizard; long steps take a progress callback and a :class:`CancelToken`. The source is
always the SQLite file of this installation; the target a PostgreSQL database.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

from levqor_desktop.core import schema
from levqor_desktop.core.db import Database
from levqor_desktop.core.flags import FlagName, FlagStore
from levqor_desktop.core.migrate import runs
from levqor_desktop.core.migrate.backup import BackupInfo, BackupStore
from levqor_desktop.core.migrate.copy import copy_to_postgres, count_rows, reset_sequences, truncate
from levqor_desktop.core.migrate.host import FlagSetter
from levqor_desktop.core.migrate.keys import text_json_loaders
from levqor_desktop.core.migrate.maintenance import Maintenance
from levqor_desktop.core.migrate.preflight import EMPTY_SCHEMA, PreflightReport, run_preflight
from levqor_desktop.core.migrate.progress import (
    CancelToken,
    Meter,
    MigrationCanceled,
    Progress,
    ProgressCallback,
)
from levqor_desktop.core.migrate.rollback import RollbackResult
from levqor_desktop.core.migrate.rollback import rollback as rollback_step
from levqor_desktop.core.migrate.sides import PostgresSide, SqliteSide
from levqor_desktop.core.migrate.switch import SwitchResult
from levqor_desktop.core.migrate.switch import switch as switch_step
from levqor_desktop.core.migrate.tables import data_tables
from levqor_desktop.core.migrate.target import SecretStore, Target, sqlite_readonly
from levqor_desktop.core.migrate.verify import ParityReport, compare
from levqor_desktop.errors import MigrationError
from levqor_desktop.settings import Settings, read_config_file

#: Sets PG_ENABLED (value, reason, database to audit the change in).


class MigrationService:
    def __init__(
        self,
        settings: Settings,
        flags: FlagStore,
        maintenance: Maintenance,
        *,
        secrets: SecretStore | None = None,
        set_pg_enabled: FlagSetter | None = None,
    ) -> None:
        self.settings = settings
        self.flags = flags
        self.maintenance = maintenance
        self._maintenance_depth = 0
        self.secrets = secrets
        self.source_path: Path = settings.sqlite_path
        self.backups = BackupStore(self.source_path, settings.data_dir / "backups")
        self._set_pg = set_pg_enabled or (
            lambda value, _reason, _db: flags.set(FlagName.PG_ENABLED, value)
        )
        #: Called after a switch with its :class:`~.switch.SwitchResult`; with CANARY_MODE
        #: on, a hook that returns False or raises makes the switch roll back at once.
        self.on_switched: list[Callable[[Any], bool | None]] = []

    # -- the target -------------------------------------------------------------------

    def target(self, url: str | None = None, password: str | None = None) -> Target:
        """The target named, or the configured one; its password from the keyring if needed."""
        text = url or self.configured_url()
        if not text:
            raise MigrationError(
                "no target database given", hint="pass --target postgresql://USER@HOST/DB"
            )
        return Target.parse(text, password).with_secrets(self.secrets)

    def configured_url(self) -> str | None:
        """The PostgreSQL URL in config.json or the environment, if any."""
        url = self.settings.environ.get("DATABASE_URL") or read_config_file(
            self.settings.config_file
        ).get("database_url")
        return str(url) if url and str(url).startswith("postgres") else None

    def remember_password(self, target: Target) -> None:
        """Keep the target's password in the keyring (never in a file)."""
        if target.password is None:
            return
        if self.secrets is None:
            raise MigrationError("there is no keyring to keep the database password in")
        self.secrets.set(target.secret_key, target.password)

    # -- steps ------------------------------------------------------------------------

    def backup(self, progress: ProgressCallback | None = None, *, label: str = "") -> BackupInfo:
        def report(done: int, total: int) -> None:
            if progress is not None:
                progress(Progress("backup", rows=done, total=total, message="pages copied"))

        return self.backups.create(report, label=label)

    def preflight(self, target: Target) -> PreflightReport:
        return run_preflight(self.source_path, target)

    def migrate(
        self,
        target: Target,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        *,
        backup: bool = True,
    ) -> dict[str, Any]:
        """Back up, upgrade the target's schema, copy every table, reset sequences."""
        cancel = cancel or CancelToken()
        report = run_preflight(self.source_path, target, sizes=False)
        if not report.ok:
            raise MigrationError("preflight refused the migration: " + "; ".join(report.reasons()))
        started = time.perf_counter()
        with self._maintenance(f"migrating to {target.display}"):
            backup_info = self.backup(progress, label="before-migrate") if backup else None
            cancel.check()
            _emit(progress, Progress("schema", message="creating the schema on the target"))
            self._upgrade_target(target)
            tables = data_tables()
            db = Database(target.sqlalchemy_url)
            src = sqlite_readonly(self.source_path)
            try:
                with target.connect(autocommit=True) as pg:
                    if report.must_clean:
                        _emit(progress, Progress("clean", message="emptying the earlier copy"))
                        truncate(pg, tables)
                    # One read transaction: the copy is a snapshot of one moment.
                    src.execute("BEGIN")
                    totals = count_rows(src, tables)
                    run_id = runs.start(
                        db, "migrate", str(self.source_path), target.display, {"totals": totals}
                    )
                    meter = Meter("copy", sum(totals.values()), progress, cancel)
                    try:
                        detail = copy_to_postgres(
                            src,
                            pg,
                            tables,
                            totals,
                            meter,
                            connect=partial(target.connect, autocommit=True),
                        )
                        _emit(progress, Progress("sequences", message="moving id sequences"))
                        reset_sequences(pg, tables)
                    except MigrationCanceled as exc:
                        runs.finish(db, run_id, runs.CANCELED, str(exc))
                        raise
                    except BaseException as exc:
                        runs.finish(db, run_id, runs.FAILED, str(exc)[:2000])
                        raise
                    seconds = time.perf_counter() - started
                    result = {
                        "run": run_id,
                        "target": target.display,
                        "backup": backup_info.name if backup_info else None,
                        "tables": detail,
                        "rows": meter.rows,
                        "seconds": round(seconds, 3),
                        "rows_per_s": round(meter.rows / meter.elapsed, 1)
                        if meter.elapsed
                        else None,
                    }
                    runs.finish(db, run_id, runs.SUCCEEDED, f"{meter.rows} rows copied", result)
            finally:
                src.close()
                db.dispose()
        _emit(progress, Progress("done", message="copy complete"))
        return result

    def verify(
        self,
        target: Target,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        *,
        record: bool = True,
    ) -> ParityReport:
        """Compare every table of the source and the target (counts and checksums)."""
        started = time.perf_counter()
        with self._source_snapshot() as src, self._pg_snapshot(target) as pg:
            tables = data_tables()
            totals = count_rows(src, tables)
            meter = Meter("verify", sum(totals.values()), progress, cancel)
            tables_parity = compare(SqliteSide(src), PostgresSide(pg), tables, meter, totals)
        report = ParityReport(
            str(self.source_path), target.display, tables_parity, time.perf_counter() - started
        )
        if record:
            self._journal(
                target,
                "verify",
                runs.SUCCEEDED if report.ok else runs.FAILED,
                report.summary(),
                {
                    "ok": report.ok,
                    "rows": report.rows,
                    "seconds": round(report.seconds, 3),
                    "failed": [t.table for t in report.failed],
                },
            )
        return report

    def clean(self, target: Target) -> list[str]:
        """Empty the Levqor tables of a target holding a copy of ours (never other data)."""
        report = self.preflight(target)
        if not report.must_clean and report.target_state != EMPTY_SCHEMA:
            raise MigrationError(
                f"the target is {report.target_state}: nothing of ours to clean"
                + (f" ({'; '.join(report.blockers)})" if report.blockers else "")
            )
        with target.connect(autocommit=True) as pg:
            emptied = truncate(pg, data_tables())
        self._journal(target, "clean", runs.SUCCEEDED, f"emptied {len(emptied)} tables", None)
        return emptied

    def switch(
        self,
        target: Target,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> SwitchResult:
        """Make the target this installation's database (after a final parity check)."""
        return switch_step(self, target, progress, cancel)

    def rollback(
        self,
        target: Target | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> RollbackResult:
        """Copy PostgreSQL back into SQLite (parity-checked), then PG_ENABLED off."""
        return rollback_step(self, target, progress, cancel)

    def runs(
        self, db: Database | None = None, target: Target | None = None
    ) -> list[runs.RunRecord]:
        """Past runs from this installation's database and the target's, newest first."""
        found: dict[str, runs.RunRecord] = {}
        dbs: list[Database] = [db] if db is not None else []
        own: list[Database] = []
        if db is None and self.source_path.exists():
            own.append(Database(f"sqlite:///{self.source_path}"))
        if target is not None:
            own.append(Database(target.sqlalchemy_url))
        try:
            for each in dbs + own:
                for run in runs.list_runs(each):
                    found.setdefault(run.uuid, run)
        finally:
            for each in own:
                each.dispose()
        return sorted(found.values(), key=lambda r: r.started_at, reverse=True)

    # -- helpers ----------------------------------------------------------------------

    @contextmanager
    def _maintenance(self, reason: str) -> Iterator[None]:
        # Re-entrant: the switch's final sync runs a migrate inside its own maintenance.
        if self._maintenance_depth:
            self._maintenance_depth += 1
            try:
                yield
            finally:
                self._maintenance_depth -= 1
            return
        self.maintenance.enter(reason)
        self._maintenance_depth = 1
        try:
            yield
        finally:
            self._maintenance_depth = 0
            self.maintenance.exit()

    @contextmanager
    def _source_snapshot(self) -> Iterator[sqlite3.Connection]:
        src = sqlite_readonly(self.source_path)
        try:
            src.execute("BEGIN")
            yield src
        finally:
            src.close()

    @contextmanager
    def _pg_snapshot(self, target: Target) -> Iterator[psycopg.Connection[Any]]:
        pg = target.connect()
        try:
            pg.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            text_json_loaders(pg)
            yield pg
        finally:
            pg.rollback()
            pg.close()

    def _upgrade_target(self, target: Target) -> None:
        db = Database(target.sqlalchemy_url)
        try:
            schema.upgrade(db)
        finally:
            db.dispose()

    def _journal(
        self, target: Target, kind: str, status: str, message: str, detail: dict[str, Any] | None
    ) -> str:
        db = Database(target.sqlalchemy_url)
        try:
            run_id = runs.start(db, kind, str(self.source_path), target.display)
            runs.finish(db, run_id, status, message, detail)
            return run_id
        finally:
            db.dispose()


def _emit(progress: ProgressCallback | None, event: Progress) -> None:
    if progress is not None:
        progress(event)
