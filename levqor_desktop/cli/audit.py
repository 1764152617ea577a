"""``levqor audit list``: the operator actions the guard recorded, newest first."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core.permissions import Permission, require


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "audit", help="the audit trail of operator actions (who, when, what, how many)"
    )
    commands = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    listing = commands.add_parser("list", help="operator actions, newest first")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--action", help="only this action, e.g. jobs.bulk_cancel")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)


def run_list(ctx: CliContext) -> int:
    actor = ctx.actor
    require(actor, Permission.READ)
    rows = ctx.app().guard.history(actor.org_id, limit=ctx.args.limit, action=ctx.args.action)
    if ctx.json:
        ctx.emit_json([asdict(r) for r in rows])
        return 0
    ctx.table(
        ["when (UTC)", "who", "profile", "action", "target", "count", "source", "outcome"],
        [
            [
                r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                r.actor_name,
                r.profile,
                r.action,
                r.target[:60],
                r.count,
                r.source,
                r.outcome,
            ]
            for r in rows
        ],
    )
    return 0
