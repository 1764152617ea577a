"""``levqor flags list|set|unset|history|undo|reset-file``: feature flags, audited.

The safe-change subcommands (requests, approvals, scheduled flips, rollouts, restore)
are in :mod:`.flag_safety`. Every subcommand acts as ``levqor --as USER`` when given.
"""

from __future__ import annotations

import argparse
from typing import Any

from levqor_desktop.cli import flag_safety
from levqor_desktop.cli.context import CliContext
from levqor_desktop.cli.guard import add_guard_options, guarded
from levqor_desktop.core.flags.service import AuditEntry, FlagChange, describe_value
from levqor_desktop.core.flags.store import parse_bool
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import ValidationError


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("flags", help="feature flags")
    fsub = parser.add_subparsers(dest="flags_command", metavar="ACTION", required=True)

    ls = fsub.add_parser("list", help="every flag: value, where it comes from, last change")
    ls.set_defaults(handler=run_list)

    st = fsub.add_parser("set", help="turn a flag on or off")
    st.add_argument("name", help="flag name, e.g. PG_ENABLED")
    st.add_argument("value", help="on or off")
    st.add_argument("--reason", help="why (required for risky flags)")
    st.set_defaults(handler=run_set)

    un = fsub.add_parser("unset", help="remove a flag from the file (its default applies)")
    un.add_argument("name")
    un.add_argument("--reason")
    un.set_defaults(handler=run_unset)

    hi = fsub.add_parser("history", help="the audit trail, newest first")
    hi.add_argument("--flag", help="only this flag")
    hi.add_argument("--limit", type=int, default=50)
    hi.set_defaults(handler=run_history)

    ud = fsub.add_parser("undo", help="undo a change from the audit trail")
    ud.add_argument("id", type=int, help="the change's number in `levqor flags history`")
    ud.add_argument("--reason")
    ud.set_defaults(handler=run_undo)

    rf = fsub.add_parser(
        "reset-file", help="move a broken flags file aside (kept) and start from the defaults"
    )
    rf.set_defaults(handler=run_reset_file)

    safe = flag_safety.register(fsub)
    for p in (ls, st, un, hi, ud, rf, *safe):
        p.add_argument("--json", action="store_true", help="print JSON")
    for p in (st, un, ud):
        add_guard_options(p)


def _actor(ctx: CliContext) -> Actor:
    return ctx.actor


def _entry_dict(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at.isoformat(),
        "flag": str(e.flag),
        "old": e.old_value,
        "new": e.new_value,
        "old_effective": e.old_effective,
        "new_effective": e.new_effective,
        "source": e.source,
        "reason": e.reason,
        "actor": e.actor_name,
        "undoes": e.undoes_id,
        "undone_by": e.undone_by,
    }


def _print_change(ctx: CliContext, change: FlagChange | None, what: str) -> int:
    if change is None:
        if ctx.json:
            ctx.emit_json({"changed": False})
        else:
            ctx.print(f"{what}: nothing changed")
        return 0
    if ctx.json:
        ctx.emit_json({"changed": True, **_entry_dict(change.entry)})
        return 0
    e = change.entry
    ctx.print(
        f"#{e.id} {e.flag}: {describe_value(e.old_value)} -> {describe_value(e.new_value)} "
        f"(now {'on' if change.new.value else 'off'}, from {change.new.source})"
    )
    return 0


def run_list(ctx: CliContext) -> int:
    app = ctx.app()
    views = app.flag_service.views()
    error = app.flags.file_error
    if ctx.json:
        ctx.emit_json(
            {
                "profile": app.profile.name,
                "file": str(app.flags.path),
                "file_error": error,
                "flags": [
                    {
                        "name": str(v.definition.name),
                        "enabled": v.state.value,
                        "source": str(v.state.source),
                        "locked": v.state.locked,
                        "file_value": v.state.file_value,
                        "risky": v.definition.risky,
                        "description": v.definition.description,
                        "last_change": _entry_dict(v.last_change) if v.last_change else None,
                    }
                    for v in views
                ],
            }
        )
        return 0
    rows = []
    for v in views:
        source = str(v.state.source)
        if v.state.locked:
            source = f"environment ({v.env_var}, locked)"
        last = v.last_change
        rows.append(
            (
                v.definition.name,
                "on" if v.state.value else "off",
                source,
                "yes" if v.definition.risky else "",
                f"#{last.id} {last.at:%Y-%m-%d %H:%M} {last.actor_name}" if last else "",
            )
        )
    ctx.table(("flag", "value", "source", "risky", "last change"), rows)
    ctx.print(f"flags of profile {app.profile.name}: {app.flags.path}")
    if error:
        ctx.print(f"error: {error} (fix it, or run: levqor flags reset-file)")
    return 0


def run_set(ctx: CliContext) -> int:
    a = ctx.args
    if a.value.strip() == "":
        raise ValidationError(f"give on or off for {a.name}")
    value = parse_bool(a.value, what=f"value for {a.name}")
    change = guarded(
        ctx,
        "flags.set",
        f"{a.name.upper()} -> {'on' if value else 'off'}",
        lambda: ctx.app().flag_service.set(_actor(ctx), a.name, value, a.reason, source="cli"),
        details={"reason": a.reason},
    )
    return _print_change(ctx, change, f"{a.name.upper()} is already {'on' if value else 'off'}")


def run_unset(ctx: CliContext) -> int:
    a = ctx.args
    change = guarded(
        ctx,
        "flags.unset",
        a.name.upper(),
        lambda: ctx.app().flag_service.unset(_actor(ctx), a.name, a.reason, source="cli"),
        details={"reason": a.reason},
    )
    return _print_change(ctx, change, f"{a.name.upper()} is not set in the file")


def run_history(ctx: CliContext) -> int:
    entries = ctx.app().flag_service.history(flag=ctx.args.flag, limit=ctx.args.limit)
    if ctx.json:
        ctx.emit_json([_entry_dict(e) for e in entries])
        return 0
    rows = [
        (
            f"#{e.id}",
            f"{e.at:%Y-%m-%d %H:%M:%S}",
            e.flag,
            (
                f"{describe_value(e.old_value)} -> {describe_value(e.new_value)}"
                if e.old_value != e.new_value
                else "(event)"  # a request, flip or rollout event: no value changed
            ),
            e.actor_name,
            e.source,
            (e.reason or "") + (f" [undone by #{e.undone_by}]" if e.undone_by else ""),
        )
        for e in entries
    ]
    ctx.table(("id", "when (UTC)", "flag", "change", "who", "via", "reason"), rows)
    return 0


def run_undo(ctx: CliContext) -> int:
    a = ctx.args
    change = guarded(
        ctx,
        "flags.undo",
        f"flag change #{a.id}",
        lambda: ctx.app().flag_service.undo(_actor(ctx), a.id, a.reason, source="cli"),
        details={"reason": a.reason},
    )
    return _print_change(ctx, change, "undo")


def run_reset_file(ctx: CliContext) -> int:
    app = ctx.app(start=False)
    moved = app.flags.reset_file()
    if ctx.json:
        ctx.emit_json({"moved_to": str(moved) if moved else None})
    elif moved:
        ctx.print(f"moved {app.flags.path} to {moved}; the defaults apply now")
    else:
        ctx.print(f"there was no {app.flags.path}; nothing to reset")
    return 0
