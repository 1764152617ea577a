"""``levqor limits list|set|unset|override`` and ``levqor prices list|set``."""

from __future__ import annotations

import argparse
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.cli.guard import add_guard_options, guarded
from levqor_desktop.cli.orgs import acting, add_org_option
from levqor_desktop.cli.usage import status_json
from levqor_desktop.core.models.usage import Enforcement, Metric, Period
from levqor_desktop.core.usage.formatting import (
    LABELS,
    format_amount,
    format_usd,
    parse_amount,
)
from levqor_desktop.core.usage.periods import describe_reset
from levqor_desktop.errors import ValidationError

METRICS = [m.value for m in Metric]
PERIODS = [p.value for p in Period]


def register(sub: Any) -> None:
    limits: argparse.ArgumentParser = sub.add_parser("limits", help="usage limits and budgets")
    l_sub = limits.add_subparsers(dest="limits_command", metavar="ACTION", required=True)
    lst = l_sub.add_parser("list", help="limits of the organization and its members")
    add_org_option(lst)
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(handler=run_list)
    put = l_sub.add_parser(
        "set", help="set a limit (cost_usd in dollars: a monthly cost_usd limit is a budget)"
    )
    put.add_argument("metric", choices=METRICS)
    put.add_argument("value", help="a count, tokens, or dollars for cost_usd")
    put.add_argument("--period", choices=PERIODS, default="month")
    put.add_argument("--soft", action="store_true", help="warn only (default: hard, refuses work)")
    put.add_argument("--user", metavar="USER", help="a member's own limit (e-mail or id)")
    add_org_option(put)
    add_guard_options(put)
    put.set_defaults(handler=run_set)
    unset = l_sub.add_parser("unset", help="remove a limit")
    unset.add_argument("metric", choices=METRICS)
    unset.add_argument("--period", choices=PERIODS, default="month")
    unset.add_argument("--user", metavar="USER")
    add_org_option(unset)
    add_guard_options(unset)
    unset.set_defaults(handler=run_unset)
    over = l_sub.add_parser("override", help="let one job run past the hard limits (admin)")
    over.add_argument("job_id", type=int)
    over.add_argument("--reason", required=True, help="why (kept in the audit record)")
    add_org_option(over)
    add_guard_options(over)
    over.set_defaults(handler=run_override)

    prices: argparse.ArgumentParser = sub.add_parser("prices", help="AI model prices")
    p_sub = prices.add_subparsers(dest="prices_command", metavar="ACTION", required=True)
    p_list = p_sub.add_parser("list", help="prices per million tokens")
    p_list.add_argument("--json", action="store_true", help="print JSON")
    p_list.set_defaults(handler=run_prices_list)
    p_set = p_sub.add_parser("set", help="set a model's price in dollars per million tokens")
    p_set.add_argument("model", help="model id; also covers ids that start with it")
    p_set.add_argument("prompt", help="dollars per million prompt tokens, e.g. 0.15")
    p_set.add_argument("completion", help="dollars per million completion tokens, e.g. 0.60")
    add_guard_options(p_set)
    p_set.set_defaults(handler=run_prices_set)


def _user_id(ctx: CliContext) -> int | None:
    if not getattr(ctx.args, "user", None):
        return None
    return ctx.app().orgs.actor_for(ctx.args.user, acting(ctx).org_id).user_id


def run_list(ctx: CliContext) -> int:
    statuses = ctx.app().usage.limits.statuses(acting(ctx))
    if ctx.json:
        ctx.emit_json([status_json(s) for s in statuses])
        return 0
    if not statuses:
        ctx.print("no limits set (levqor limits set METRIC VALUE --period day|month)")
        return 0
    rows = [
        (
            s.limit.id,
            f"{s.limit.scope} {s.limit.scope_name}",
            s.limit.metric.value,
            s.limit.period.value,
            s.limit.enforcement.value,
            format_amount(s.limit.metric, s.limit.value),
            format_amount(s.limit.metric, s.used + s.reserved),
            f"{s.fraction * 100:.0f}%",
            describe_reset(s.resets_at),
        )
        for s in statuses
    ]
    ctx.table(("id", "for", "metric", "per", "kind", "limit", "used", "%", "resets"), rows)
    return 0


def run_set(ctx: CliContext) -> int:
    metric = Metric(ctx.args.metric)
    value = parse_amount(metric, ctx.args.value)
    enforcement = Enforcement.SOFT if ctx.args.soft else Enforcement.HARD
    limit = guarded(
        ctx,
        "limits.set",
        f"{metric.value} per {ctx.args.period} = {ctx.args.value} ({enforcement.value})",
        lambda: ctx.app().usage.limits.set(
            acting(ctx),
            metric,
            Period(ctx.args.period),
            value,
            enforcement=enforcement,
            user_id=_user_id(ctx),
        ),
    )
    ctx.print(f"set {limit.describe()}")
    return 0


def run_unset(ctx: CliContext) -> int:
    metric, period = Metric(ctx.args.metric), Period(ctx.args.period)
    guarded(
        ctx,
        "limits.unset",
        f"{metric.value} per {period.value}",
        lambda: ctx.app().usage.limits.unset(acting(ctx), metric, period, user_id=_user_id(ctx)),
    )
    ctx.print(f"removed the limit on {LABELS[metric]} per {period}")
    return 0


def run_override(ctx: CliContext) -> int:
    record = guarded(
        ctx,
        "limits.override",
        f"job #{ctx.args.job_id}",
        lambda: ctx.app().usage.override(acting(ctx), ctx.args.job_id, ctx.args.reason),
        details={"reason": ctx.args.reason},
    )
    ctx.print(f"job {record.job_id} may run past the hard limits (override {record.id}, audited)")
    return 0


def run_prices_list(ctx: CliContext) -> int:
    prices = ctx.app().usage.prices.all()
    if ctx.json:
        ctx.emit_json(prices)
        return 0
    if not prices:
        ctx.print("no prices set (levqor prices set MODEL PROMPT COMPLETION, dollars per million)")
        return 0
    rows = [
        (p.model, format_usd(p.prompt_per_million), format_usd(p.completion_per_million))
        for p in prices
    ]
    ctx.table(("model", "prompt / 1M tokens", "completion / 1M tokens"), rows)
    return 0


def _dollars(text: str, what: str) -> int:
    try:
        return parse_amount(Metric.COST_USD, text)
    except ValidationError:
        raise ValidationError(f"the {what} price {text!r} is not a dollar amount") from None


def run_prices_set(ctx: CliContext) -> int:
    a = ctx.args
    prompt, completion = _dollars(a.prompt, "prompt"), _dollars(a.completion, "completion")
    price = guarded(
        ctx,
        "prices.set",
        f"{a.model}: {a.prompt} / {a.completion} per million tokens",
        lambda: ctx.app().usage.prices.set(ctx.actor, a.model, prompt, completion),
    )
    ctx.print(
        f"{price.model}: {format_usd(price.prompt_per_million)} per million prompt tokens, "
        f"{format_usd(price.completion_per_million)} per million completion tokens"
    )
    return 0
