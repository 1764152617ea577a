"""``levqor usage [--org ORG] [--user USER] [--period day|month] [--json]``."""

from __future__ import annotations

import argparse
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.cli.orgs import acting, add_org_option
from levqor_desktop.core.models.usage import Metric, Period
from levqor_desktop.core.usage import LimitStatus
from levqor_desktop.core.usage.formatting import LABELS, format_amount
from levqor_desktop.core.usage.periods import describe_reset, period_start


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "usage", help="usage against limits, per organization or user"
    )
    add_org_option(parser)
    parser.add_argument("--user", metavar="USER", help="one member (e-mail or id)")
    parser.add_argument("--period", choices=[p.value for p in Period], default="month")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def status_json(s: LimitStatus) -> dict[str, Any]:
    return {
        "id": s.limit.id,
        "scope": s.limit.scope,
        "user_id": s.limit.user_id,
        "scope_name": s.limit.scope_name,
        "metric": s.limit.metric.value,
        "period": s.limit.period.value,
        "enforcement": s.limit.enforcement.value,
        "value": s.limit.value,
        "used": s.used,
        "reserved": s.reserved,
        "percent": round(s.fraction * 100, 1),
        "level": s.level,
        "resets_at": s.resets_at.isoformat(),
    }


def bar(fraction: float, width: int = 20) -> str:
    filled = min(width, round(fraction * width))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def run(ctx: CliContext) -> int:
    app = ctx.app()
    actor = acting(ctx)
    period = Period(ctx.args.period)
    user_id = None
    if ctx.args.user:
        user_id = app.orgs.actor_for(ctx.args.user, actor.org_id).user_id
    totals = app.usage.totals(actor, period, user_id=user_id)
    statuses = app.usage.limits.statuses(actor, user_id=user_id)
    top = [] if user_id else app.usage.top_users(actor, Metric.CONNECTOR_CALLS, period)
    since = period_start(period, app.usage.now())
    org = next(o for o in app.orgs.organizations(actor) if o.id == actor.org_id)
    if ctx.json:
        ctx.emit_json(
            {
                "org": {"id": org.id, "slug": org.slug, "name": org.name},
                "user_id": user_id,
                "period": period.value,
                "since": since.isoformat(),
                "totals": {m.value: v for m, v in totals.items()},
                "limits": [status_json(s) for s in statuses],
                "top_users": [
                    {"user_id": int(t.key), "name": t.label, "connector_calls": t.amount}
                    for t in top
                ],
            }
        )
        return 0
    who = f"user {ctx.args.user} in " if user_id else ""
    when = "today" if period is Period.DAY else "this month"
    ctx.print(f"Usage of {who}{org.name!r} {when} (since {since.isoformat()}, UTC)")
    ctx.print()
    ctx.table(("metric", "used"), [(LABELS[m], format_amount(m, v)) for m, v in totals.items()])
    if statuses:
        ctx.print()
        rows = [
            (
                f"{s.limit.scope} {s.limit.scope_name}",
                LABELS[s.limit.metric],
                f"{s.limit.enforcement}/{s.limit.period}",
                f"{format_amount(s.limit.metric, s.used + s.reserved)} of "
                f"{format_amount(s.limit.metric, s.limit.value)}",
                f"{bar(s.fraction)} {s.fraction * 100:.0f}%" + (" !" if s.level >= 75 else ""),
                describe_reset(s.resets_at),
            )
            for s in statuses
        ]
        ctx.table(("limit for", "metric", "kind", "used", "", "resets"), rows)
    if top:
        ctx.print()
        ctx.table(("top users", "connector calls"), [(t.label, f"{t.amount:,}") for t in top])
    return 0
