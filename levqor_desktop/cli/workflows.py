"""``levqor workflows validate|import|export|list|history|restore|delete``.

``validate`` needs no database: it checks a file against the actions this install
knows and prints every fault as ``FILE:LINE: $.path: message`` (exit 1 when any).
The others act on the stored workflows of the operator's organization.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.workflows import Fault, WorkflowInvalid
from levqor_desktop.errors import LevqorError, NotFoundError, ValidationError

if TYPE_CHECKING:
    # The App is built by CliContext; importing it here would make `--help` slow.
    from levqor_desktop.app import App


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "workflows", help="validate, import, export and version workflows"
    )
    wf = parser.add_subparsers(dest="workflows_command", metavar="ACTION", required=True)

    p = wf.add_parser("validate", help="check a workflow file and list every fault")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run_validate)

    p = wf.add_parser("import", help="store a workflow file as a new version")
    p.add_argument("file", type=Path)
    p.add_argument("--name", help="store under this name instead of the file's own")
    p.add_argument("--note", default="", help="a note for the version history")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run_import)

    p = wf.add_parser("export", help="write a stored workflow as JSON")
    p.add_argument("name", help="workflow name or id")
    p.add_argument("--version", type=int, help="this version instead of the current one")
    p.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    p.set_defaults(handler=run_export)

    p = wf.add_parser("list", help="the stored workflows")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run_list)

    p = wf.add_parser("history", help="the versions of a workflow, newest first")
    p.add_argument("name", help="workflow name or id")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run_history)

    p = wf.add_parser("restore", help="make an old version current (as a new version)")
    p.add_argument("name", help="workflow name or id")
    p.add_argument("version", type=int)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run_restore)

    p = wf.add_parser("delete", help="delete a workflow and its history")
    p.add_argument("name", help="workflow name or id")
    p.add_argument("--yes", action="store_true", help="confirm the deletion")
    p.set_defaults(handler=run_delete)


def _actor(ctx: CliContext, app: App) -> Actor:
    # ``levqor --as USER`` (the context's ``actor``) where the context offers it.
    chosen: Actor | None = getattr(ctx, "actor", None) or app.actor
    if chosen is None:
        raise LevqorError("no operator is set up in this database", hint="run: levqor db upgrade")
    return chosen


def _fault_line(file: Path, fault: Fault) -> str:
    where = f"{file}:{fault.line}" if fault.line else str(file)
    return f"{where}: {fault.path}: {fault.message}"


def _report_faults(ctx: CliContext, file: Path, exc: WorkflowInvalid) -> int:
    if ctx.json:
        ctx.emit_json({"file": str(file), "valid": False, "faults": exc.faults})
    else:
        for fault in exc.faults:
            print(_fault_line(file, fault), file=sys.stderr)
        count = len(exc.faults)
        print(f"{file}: {count} fault{'s' * (count != 1)}", file=sys.stderr)
    return 1


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {file}: {exc}") from None


def run_validate(ctx: CliContext) -> int:
    file: Path = ctx.args.file
    text = _read(file)
    app = ctx.app(start=False)  # validation needs the action catalog, not the database
    try:
        workflow = app.workflows.validate(text)
    except WorkflowInvalid as exc:
        return _report_faults(ctx, file, exc)
    if ctx.json:
        ctx.emit_json({"file": str(file), "valid": True, "name": workflow.name, "faults": []})
    else:
        steps = len(workflow.steps)
        ctx.print(f"{file}: ok ({workflow.name}, {steps} step{'s' * (steps != 1)})")
    return 0


def run_import(ctx: CliContext) -> int:
    file: Path = ctx.args.file
    text = _read(file)
    app = ctx.app()
    note = ctx.args.note or f"imported from {file.name}"
    try:
        stored = app.workflows.save(_actor(ctx, app), text, name=ctx.args.name, note=note)
    except WorkflowInvalid as exc:
        return _report_faults(ctx, file, exc)
    if ctx.json:
        ctx.emit_json({"id": stored.id, "name": stored.name, "version": stored.version})
    else:
        ctx.print(f"{stored.name}: version {stored.version} is current")
    return 0


def run_export(ctx: CliContext) -> int:
    app = ctx.app()
    text = app.workflows.export(_actor(ctx, app), ctx.args.name, ctx.args.version)
    output: Path | None = ctx.args.output
    if output is None:
        ctx.out.write(text)
        return 0
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot write {output}: {exc}") from None
    print(f"wrote {output}", file=sys.stderr)
    return 0


def run_list(ctx: CliContext) -> int:
    app = ctx.app()
    found = app.workflows.list(_actor(ctx, app))
    if ctx.json:
        ctx.emit_json(found)
        return 0
    if not found:
        ctx.print("no workflows yet (try: levqor workflows import resources/examples/...)")
        return 0
    ctx.table(
        ["ID", "NAME", "VERSION", "TRIGGER", "UPDATED", "DESCRIPTION"],
        [
            (
                w.id,
                w.name,
                w.current_version,
                w.trigger,
                f"{w.updated_at:%Y-%m-%d %H:%M}",
                w.description[:60],
            )
            for w in found
        ],
    )
    return 0


def run_history(ctx: CliContext) -> int:
    app = ctx.app()
    versions = app.workflows.history(_actor(ctx, app), ctx.args.name)
    if ctx.json:
        ctx.emit_json(versions)
        return 0
    ctx.table(
        ["VERSION", "SAVED", "BY", "NOTE"],
        [
            (
                f"{v.version}{' *' if v.current else ''}",
                f"{v.created_at:%Y-%m-%d %H:%M:%S}",
                v.author or "-",
                v.note,
            )
            for v in versions
        ],
    )
    return 0


def run_restore(ctx: CliContext) -> int:
    app = ctx.app()
    stored = app.workflows.restore(_actor(ctx, app), ctx.args.name, ctx.args.version)
    if ctx.json:
        ctx.emit_json({"id": stored.id, "name": stored.name, "version": stored.version})
    elif stored.version == ctx.args.version:
        ctx.print(f"{stored.name}: version {stored.version} is already current")
    else:
        ctx.print(f"{stored.name}: version {ctx.args.version} restored as version {stored.version}")
    return 0


def run_delete(ctx: CliContext) -> int:
    if not ctx.args.yes:
        raise ValidationError(
            f"deleting {ctx.args.name!r} removes its whole history", hint="add --yes to confirm"
        )
    app = ctx.app()
    app.workflows.delete(_actor(ctx, app), ctx.args.name)
    ctx.print(f"deleted {ctx.args.name}")
    return 0
