"""``levqor canary [URL]``: check this app, or a deployment through its ops API.

Exits 0 when the verdict is pass, 3 when marginal, 1 when it fails. Also keeps the
saved deployments (``--add-deployment``, ``--deployments``, ``--remove-deployment``) and
shows the history of runs (``--history``).
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core.canary import CheckResult, RunReport
from levqor_desktop.errors import ConfigError, PermissionDenied, ValidationError

DEFAULT_KEY_ENV = "LEVQOR_API_KEY"
_MARK = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "no-data": "----"}


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "canary",
        help="check health, queue, metrics, database, error rate, connectors, disk, keyring",
        description="Run the canary against this app, or against a deployment's ops API "
        "(URL or --deployment). Exit status: 0 pass, 3 marginal, 1 fail.",
    )
    parser.add_argument("url", nargs="?", help="a deployment's base URL (http(s)://host:port)")
    parser.add_argument(
        "--api-key-env",
        metavar="VAR",
        help=f"environment variable holding the deployment's API key (default {DEFAULT_KEY_ENV})",
    )
    parser.add_argument("--deployment", metavar="NAME", help="a saved deployment")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--history", type=int, nargs="?", const=20, metavar="N", help="show the last N runs"
    )
    parser.add_argument("--deployments", action="store_true", help="list saved deployments")
    parser.add_argument(
        "--add-deployment",
        metavar="NAME",
        help="save URL as a deployment named NAME (its key read from --api-key-env)",
    )
    parser.add_argument("--remove-deployment", metavar="NAME", help="forget a saved deployment")
    parser.set_defaults(handler=run_canary)


def run_canary(ctx: CliContext) -> int:
    args = ctx.args
    if args.history is not None:
        return _history(ctx, args.history)
    if args.deployments:
        return _deployments(ctx)
    if args.add_deployment:
        return _add(ctx)
    if args.remove_deployment:
        ctx.app().canary.remove_deployment(_actor(ctx), args.remove_deployment)
        ctx.print(f"removed deployment {args.remove_deployment!r}")
        return 0
    app = ctx.app()
    actor = _actor(ctx)
    if args.url and args.deployment:
        raise ValidationError("give a URL or --deployment, not both")
    if args.url:
        variable = args.api_key_env or DEFAULT_KEY_ENV
        key = ctx.settings.environ.get(variable)
        if args.api_key_env and not key:
            raise ConfigError(f"--api-key-env {variable}: that environment variable is not set")
        target: Any = app.canary.remote_target(args.url, key)
    elif args.deployment:
        target = app.canary.deployment_target(actor, args.deployment)
    else:
        target = app.canary.local_target()
    if not ctx.json:
        ctx.print(f"canary against {target.label}")
    report = app.canary.run(
        actor, target, trigger="cli", on_check=None if ctx.json else lambda r: _line(ctx, r)
    )
    if ctx.json:
        ctx.emit_json(report.to_dict())
    else:
        _verdict(ctx, report)
    return report.verdict.exit_code


def _actor(ctx: CliContext) -> Any:
    actor = ctx.app().actor
    if actor is None:
        raise PermissionDenied("no operator: the database schema is not at head")
    return actor


def _line(ctx: CliContext, result: CheckResult) -> None:
    value = "" if result.value is None else f"{result.value:g} {result.unit}".strip()
    ctx.print(f"  {_MARK[result.status.value]}  {result.name:<11} {value:>14}  {result.summary}")
    if result.advice and result.status.value != "pass":
        ctx.print(f"        {'':<11} {'':>14}  -> {result.advice}")


def _verdict(ctx: CliContext, report: RunReport) -> None:
    base = f" (baseline: run #{report.baseline_run_id})" if report.baseline_run_id else ""
    ctx.print(f"verdict: {report.verdict.value.upper()}{base}; run #{report.id or '-'}")


def _history(ctx: CliContext, limit: int) -> int:
    if limit < 1:
        raise ValidationError("--history takes a positive number of runs")
    runs = ctx.app().canary.history(_actor(ctx), limit=limit)
    if ctx.json:
        ctx.emit_json([r.to_dict() for r in runs])
        return 0
    ctx.table(
        ["run", "started", "target", "trigger", "verdict", "change", "rollback"],
        [
            (r.id, r.started_at.strftime("%Y-%m-%d %H:%M:%S"), r.target_label, r.trigger,
             r.verdict.value, r.change or "", r.rollback or "")
            for r in runs
        ],
    )  # fmt: skip
    return 0


def _deployments(ctx: CliContext) -> int:
    rows = ctx.app().canary.deployments(_actor(ctx))
    if ctx.json:
        ctx.emit_json([d.__dict__ for d in rows])
        return 0
    ctx.table(
        ["name", "url", "key from"],
        [(d.name, d.url, _key_source(d.api_key_env, d.api_key_secret)) for d in rows],
    )
    return 0


def _add(ctx: CliContext) -> int:
    args = ctx.args
    if not args.url:
        raise ValidationError("--add-deployment NAME needs the deployment's URL")
    variable = args.api_key_env
    if variable is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", variable):
        raise ValidationError(f"--api-key-env {variable!r} is not an environment variable name")
    saved = ctx.app().canary.add_deployment(
        _actor(ctx), args.add_deployment, args.url, api_key_env=variable
    )
    ctx.print(f"saved deployment {saved.name!r} at {saved.url}")
    return 0


def _key_source(env: str | None, secret: str | None) -> str:
    if env:
        return f"${env}"
    return "keyring" if secret else "(no key)"
