"""``levqor migrate --mode ...``: move this installation from SQLite to PostgreSQL and back.

Modes, in the order an operator runs them: ``backup``, ``preflight``, ``migrate``,
``verify``, ``switch``, ``rollback``; and the helpers ``backups`` (list), ``restore``,
``prune``, ``clean`` (empty a copy left by an interrupted run) and ``runs`` (history).
Steps that replace data ask first unless ``--yes`` is given.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.cli.guard import add_guard_options, guarded, on_production
from levqor_desktop.core.migrate import MigrationService, Progress, Target
from levqor_desktop.errors import MigrationError

MODES = (
    "backup",
    "preflight",
    "migrate",
    "verify",
    "switch",
    "rollback",
    "backups",
    "restore",
    "prune",
    "clean",
    "runs",
)
#: Environment variable with the target's password (kept out of the URL and the shell history).
PASSWORD_ENV = "LEVQOR_TARGET_PASSWORD"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "migrate",
        help="back up, migrate to PostgreSQL, verify, switch, roll back",
        description=__doc__,
    )
    parser.add_argument("--mode", choices=MODES, required=True, help="the step to run")
    parser.add_argument(
        "--target", metavar="URL", help="postgresql://USER@HOST:PORT/DATABASE (default: configured)"
    )
    parser.add_argument(
        "--ask-password",
        action="store_true",
        help=f"prompt for the password (or set {PASSWORD_ENV})",
    )
    parser.add_argument(
        "--backup", metavar="NAME", help="the backup to restore (see --mode backups)"
    )
    parser.add_argument("--keep", type=int, default=10, help="backups to keep when pruning (10)")
    parser.add_argument("--no-backup", action="store_true", help="migrate without a backup first")
    parser.add_argument("--yes", action="store_true", help="do not ask before replacing data")
    add_guard_options(parser, yes=False)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run_migrate)


def run_migrate(ctx: CliContext) -> int:
    mode: str = ctx.args.mode
    app = ctx.app()
    svc = app.migrations
    handler = {
        "backup": _backup,
        "backups": _backups,
        "restore": _restore,
        "prune": _prune,
        "preflight": _preflight,
        "migrate": _migrate,
        "verify": _verify,
        "clean": _clean,
        "switch": _switch,
        "rollback": _rollback,
        "runs": _runs,
    }[mode]
    return handler(ctx, svc)


# -- helpers --------------------------------------------------------------------------


def _target(ctx: CliContext, svc: MigrationService) -> Target:
    password = os.environ.get(PASSWORD_ENV) or None
    if ctx.args.ask_password:
        password = getpass.getpass("PostgreSQL password: ") or None
    return svc.target(ctx.args.target, password)


def _confirm(ctx: CliContext, question: str) -> None:
    # On production the guard asks for --yes --confirm NAME instead.
    if ctx.args.yes or on_production(ctx):
        return
    if not sys.stdin.isatty():
        raise MigrationError(f"{question}: refused without confirmation", hint="add --yes")
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise MigrationError("canceled; nothing was changed")


def _progress(ctx: CliContext) -> Any:
    if ctx.json:
        return None
    last: dict[str, Any] = {"table": None}
    tty = sys.stderr.isatty()

    def show(p: Progress) -> None:
        if p.table is None:
            if p.message and p.phase != "backup":
                print(f"{p.phase}: {p.message}", file=sys.stderr)
            return
        eta = f", {p.eta_s:.0f} s left" if p.eta_s is not None else ""
        line = (
            f"{p.phase} {p.table}: {p.table_rows}/{p.table_total}  "
            f"total {p.rows}/{p.total} ({p.fraction:.0%}, {p.rate:,.0f} rows/s{eta})"
        )
        if tty:
            print("\r" + line.ljust(100), end="", file=sys.stderr, flush=True)
        elif p.table_rows == p.table_total and last["table"] != p.table:
            print(line, file=sys.stderr)  # one line per table, when it is done
            last["table"] = p.table

    return show


def _end_progress() -> None:
    if sys.stderr.isatty():
        print(file=sys.stderr)


# -- modes ----------------------------------------------------------------------------


def _backup(ctx: CliContext, svc: MigrationService) -> int:
    info = svc.backup()
    if ctx.json:
        ctx.emit_json(info)
    else:
        ctx.print(f"backup {info.name}: {info.size_bytes:,} bytes, sha256 {info.sha256[:16]}…")
        ctx.print(f"  {sum(info.row_counts.values()):,} rows in {len(info.row_counts)} tables")
    return 0


def _backups(ctx: CliContext, svc: MigrationService) -> int:
    found = svc.backups.list()
    if ctx.json:
        ctx.emit_json(found)
        return 0
    if not found:
        ctx.print(f"no backups in {svc.backups.folder}")
        return 0
    ctx.table(
        ["name", "created (UTC)", "bytes", "rows", "schema"],
        [
            [
                b.name,
                b.created_at[:19],
                f"{b.size_bytes:,}",
                f"{sum(b.row_counts.values()):,}",
                ",".join(b.schema_revisions),
            ]
            for b in found
        ],
    )
    return 0


def _restore(ctx: CliContext, svc: MigrationService) -> int:
    if not ctx.args.backup:
        raise MigrationError("which backup? pass --backup NAME (see --mode backups)")
    info = svc.backups.get(ctx.args.backup)
    _confirm(ctx, f"replace {svc.source_path} with backup {info.name}")
    restored, safety = guarded(
        ctx, "migrate.restore", info.name, lambda: svc.backups.restore(info.name)
    )
    if ctx.json:
        ctx.emit_json({"restored": restored, "safety_backup": safety})
    else:
        ctx.print(f"restored {restored.name}; the database before it is kept as {safety.name}")
    return 0


def _prune(ctx: CliContext, svc: MigrationService) -> int:
    removed = svc.backups.prune(ctx.args.keep)
    if ctx.json:
        ctx.emit_json({"removed": [b.name for b in removed], "kept": ctx.args.keep})
    else:
        ctx.print(f"removed {len(removed)} backup(s), keeping the newest {ctx.args.keep}")
    return 0


def _preflight(ctx: CliContext, svc: MigrationService) -> int:
    report = svc.preflight(_target(ctx, svc))
    if ctx.json:
        ctx.emit_json(report)
        return 0 if report.ok else 1
    ctx.print(f"source: {report.source}")
    ctx.print(
        f"target: {report.target} (PostgreSQL {report.server_version}, {report.target_state})"
    )
    ctx.table(
        ["table", "rows", "bytes"],
        [[t.name, f"{t.rows:,}", "" if t.bytes is None else f"{t.bytes:,}"] for t in report.tables],
    )
    ctx.print(f"total: {report.total_rows:,} rows, {report.size_bytes:,} bytes on disk")
    for note in report.notes:
        ctx.print(f"note: {note}")
    for reason in report.reasons():
        ctx.print(f"REFUSED: {reason}")
    ctx.print("preflight OK: ready to migrate" if report.ok else "preflight FAILED")
    return 0 if report.ok else 1


def _migrate(ctx: CliContext, svc: MigrationService) -> int:
    target = _target(ctx, svc)
    result = guarded(
        ctx,
        "migrate.migrate",
        target.display,
        lambda: svc.migrate(target, _progress(ctx), backup=not ctx.args.no_backup),
    )
    _end_progress()
    if ctx.json:
        ctx.emit_json(result)
    else:
        ctx.print(
            f"copied {result['rows']:,} rows in {len(result['tables'])} tables to "
            f"{result['target']} in {result['seconds']:.1f} s "
            f"({result['rows_per_s'] or 0:,.0f} rows/s)"
        )
        if result["backup"]:
            ctx.print(f"backup first: {result['backup']}")
        ctx.print("next: levqor migrate --mode verify, then --mode switch")
    return 0


def _verify(ctx: CliContext, svc: MigrationService) -> int:
    report = svc.verify(_target(ctx, svc), _progress(ctx))
    _end_progress()
    if ctx.json:
        ctx.emit_json(report)
        return 0 if report.ok else 1
    ctx.table(
        ["table", "source rows", "target rows", "checksum", "result"],
        [
            [
                t.table,
                f"{t.source_rows:,}",
                f"{t.target_rows:,}",
                t.source_sha256[:12],
                "ok" if t.ok else "DIFFERS",
            ]
            for t in report.tables
        ],
    )
    for t in report.failed:
        for d in t.differences:
            ctx.print(f"{t.table}: {d}")
    ctx.print(f"{report.summary()} ({report.seconds:.1f} s)")
    return 0 if report.ok else 1


def _clean(ctx: CliContext, svc: MigrationService) -> int:
    target = _target(ctx, svc)
    _confirm(ctx, f"empty the Levqor tables of {target.display}")
    emptied = guarded(ctx, "migrate.clean", target.display, lambda: svc.clean(target))
    if ctx.json:
        ctx.emit_json({"emptied": emptied})
    else:
        ctx.print(f"emptied {len(emptied)} Levqor tables of {target.display}")
    return 0


def _switch(ctx: CliContext, svc: MigrationService) -> int:
    target = _target(ctx, svc)
    _confirm(ctx, f"switch Levqor Desktop to {target.display}")
    result = guarded(
        ctx, "migrate.switch", target.display, lambda: svc.switch(target, _progress(ctx))
    )
    _end_progress()
    if ctx.json:
        ctx.emit_json(result)
        return 1 if result.rolled_back else 0
    if result.rolled_back:
        ctx.print(f"the canary failed after the switch ({result.canary_failure}): rolled back")
        return 1
    ctx.print(f"switched to {result.target} (parity of {result.rows:,} rows checked)")
    ctx.print("the password is in the keyring; restart Levqor Desktop to use the new database")
    for note in result.notes:
        ctx.print(f"note: {note}")
    return 0


def _rollback(ctx: CliContext, svc: MigrationService) -> int:
    target = _target(ctx, svc)
    _confirm(ctx, f"replace the SQLite database with the contents of {target.display}")
    result = guarded(
        ctx, "migrate.rollback", target.display, lambda: svc.rollback(target, _progress(ctx))
    )
    _end_progress()
    if ctx.json:
        ctx.emit_json(result)
        return 0
    ctx.print(f"rolled back: {result.rows:,} rows copied into SQLite, parity OK; PG_ENABLED off")
    for table, n in sorted(result.after_switch.items()):
        ctx.print(f"  {table}: {n['new']} new, {n['updated']} updated after the switch")
    ctx.print(f"the SQLite database before the rollback is kept as {result.backup}")
    return 0


def _runs(ctx: CliContext, svc: MigrationService) -> int:
    target = None
    if ctx.args.target or svc.configured_url():
        target = _target(ctx, svc)
    found = svc.runs(target=target)
    if ctx.json:
        ctx.emit_json(found)
        return 0
    ctx.table(
        ["started (UTC)", "step", "outcome", "target", "message"],
        [
            [
                f"{r.started_at:%Y-%m-%d %H:%M:%S}",
                r.kind,
                r.outcome,
                r.target,
                (r.message or "")[:60],
            ]
            for r in found
        ],
    )
    return 0
