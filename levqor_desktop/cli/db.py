"""``levqor db upgrade|current``: the schema revision of the database."""

from __future__ import annotations

import argparse
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core import schema


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("db", help="database schema")
    db_sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = db_sub.add_parser("upgrade", help="bring the schema to the newest revision")
    up.add_argument("--json", action="store_true", help="print JSON")
    up.set_defaults(handler=run_upgrade)
    cur = db_sub.add_parser("current", help="show the schema revision of the database")
    cur.add_argument("--json", action="store_true", help="print JSON")
    cur.set_defaults(handler=run_current)


def run_upgrade(ctx: CliContext) -> int:
    app = ctx.app(start=False)
    before = schema.current_revisions(app.db)
    after = schema.upgrade(app.db)
    app.start(upgrade=False)
    if ctx.json:
        ctx.emit_json({"database": app.db.display_url, "before": before, "after": after})
    elif before == after:
        ctx.print(f"{app.db.display_url}: already at {', '.join(after)}")
    else:
        ctx.print(
            f"{app.db.display_url}: upgraded {', '.join(before) or '(empty)'} -> {', '.join(after)}"
        )
    return 0


def run_current(ctx: CliContext) -> int:
    app = ctx.app(start=False)
    current = schema.current_revisions(app.db)
    heads = schema.head_revisions()
    if ctx.json:
        ctx.emit_json(
            {
                "database": app.db.display_url,
                "current": current,
                "heads": heads,
                "at_head": current == heads,
            }
        )
        return 0
    ctx.print(f"current: {', '.join(current) or '(empty database)'}")
    ctx.print(
        f"head:    {', '.join(heads)}" + ("" if current == heads else "  (run: levqor db upgrade)")
    )
    return 0
