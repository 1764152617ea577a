"""``levqor error-reporting enable [DSN]|disable|status|send-test``: opt-in Sentry reports.

Off by default. ``enable`` keeps the DSN in the keyring (asked for when not given, so it
stays out of the shell history); ``disable`` turns reporting off and forgets the DSN.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import asdict
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core.errorreports import ReportingStatus
from levqor_desktop.errors import ConfigError


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "error-reporting", help="opt-in error reports to Sentry (off by default)"
    )
    esub = parser.add_subparsers(dest="reporting_command", metavar="ACTION", required=True)
    en = esub.add_parser("enable", help="send scrubbed error reports to this Sentry DSN")
    en.add_argument("dsn", nargs="?", help="the project's DSN (asked for when left out)")
    en.set_defaults(handler=run_enable)
    esub.add_parser("disable", help="stop sending and forget the DSN").set_defaults(
        handler=run_disable
    )
    esub.add_parser("status", help="on or off, and where reports go").set_defaults(
        handler=run_status
    )
    esub.add_parser("send-test", help="send one test report now").set_defaults(handler=run_test)
    for p in esub.choices.values():
        p.add_argument("--json", action="store_true", help="print JSON")


def _show(ctx: CliContext, status: ReportingStatus) -> int:
    if ctx.json:
        ctx.emit_json(asdict(status))
    elif status.enabled:
        ctx.print(f"error reporting: on, reports go to {status.destination}")
    else:
        ctx.print("error reporting: off")
    return 0


def _ask_dsn() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Sentry DSN: ")
    return sys.stdin.readline()


def run_enable(ctx: CliContext) -> int:
    dsn = (ctx.args.dsn or _ask_dsn()).strip()
    if not dsn:
        raise ConfigError("no DSN given", hint="levqor error-reporting enable DSN")
    return _show(ctx, ctx.app(start=False).error_reporting.enable(dsn))


def run_disable(ctx: CliContext) -> int:
    return _show(ctx, ctx.app(start=False).error_reporting.disable())


def run_status(ctx: CliContext) -> int:
    return _show(ctx, ctx.app(start=False).error_reporting.status())


def run_test(ctx: CliContext) -> int:
    reporting = ctx.app(start=False).error_reporting
    if not reporting.start():
        raise ConfigError("error reporting is off", hint="levqor error-reporting enable DSN")
    reporting.send_test()
    ctx.print("test report sent")
    return 0
