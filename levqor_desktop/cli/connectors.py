"""``levqor connectors list|check|accounts|set|remove``.

Secrets are read from a prompt (a terminal) or from standard input as ``field=value``
lines (scripts), never from the command line, where other users and shell history see
them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.errors import ValidationError


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "connectors", help="connectors, their accounts and credentials"
    )
    csub = parser.add_subparsers(dest="connectors_command", metavar="ACTION", required=True)

    lst = csub.add_parser("list", help="every connector with its accounts and today's calls")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(handler=run_list)

    chk = csub.add_parser("check", help="verify an account's credentials with the vendor")
    chk.add_argument("name", help="connector name, e.g. slack")
    chk.add_argument("--account", default="default", help="account label (default: default)")
    chk.add_argument("--json", action="store_true", help="print JSON")
    chk.set_defaults(handler=run_check)

    acc = csub.add_parser("accounts", help="configured accounts")
    acc.add_argument("name", nargs="?", help="only this connector")
    acc.add_argument("--json", action="store_true", help="print JSON")
    acc.set_defaults(handler=run_accounts)

    st = csub.add_parser(
        "set",
        help="add or replace an account (secrets from a prompt or stdin)",
        description="Non-secret fields come from --field NAME=VALUE; secret fields are asked "
        "for at a prompt, or read from standard input as NAME=VALUE lines. A secret left "
        "empty at the prompt keeps its stored value.",
    )
    st.add_argument("name", help="connector name")
    st.add_argument("account", help="account label, e.g. default")
    st.add_argument(
        "--field", action="append", default=[], metavar="NAME=VALUE", help="a non-secret field"
    )
    st.set_defaults(handler=run_set)

    rm = csub.add_parser("remove", help="remove an account and its secrets")
    rm.add_argument("name")
    rm.add_argument("account")
    rm.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    rm.set_defaults(handler=run_remove)


def run_list(ctx: CliContext) -> int:
    app = ctx.app()
    board = app.connectors.board(ctx.actor)
    if ctx.json:
        ctx.emit_json(board)
        return 0
    rows = []
    for card in board:
        checks = ", ".join(f"{a.label}:{_check_word(a.last_check_ok)}" for a in card.accounts)
        rows.append(
            (
                card.name,
                card.title,
                card.tier,
                checks or "(none)",
                card.calls_today,
                card.errors_today,
                len(card.actions),
            )
        )
    ctx.table(("NAME", "TITLE", "TIER", "ACCOUNTS", "CALLS TODAY", "ERRORS", "ACTIONS"), rows)
    if not app.connectors.v2_enabled:
        ctx.print(
            "(more connectors with CONNECTORS_V2_ENABLED: "
            "levqor flags set CONNECTORS_V2_ENABLED on)"
        )
    return 0


def run_check(ctx: CliContext) -> int:
    app = ctx.app()
    result = app.connectors.check(ctx.actor, ctx.args.name, ctx.args.account)
    if ctx.json:
        ctx.emit_json(result)
    else:
        state = "ok" if result.ok else "FAILED"
        where = f"{ctx.args.name}/{ctx.args.account}"
        ctx.print(f"{where}: {state} ({result.latency_ms:.0f} ms) {result.detail}")
    return 0 if result.ok else 1


def run_accounts(ctx: CliContext) -> int:
    app = ctx.app()
    accounts = app.connectors.accounts(ctx.actor, ctx.args.name)
    if ctx.json:
        ctx.emit_json(accounts)
        return 0
    ctx.table(
        ("CONNECTOR", "ACCOUNT", "FIELDS", "SECRETS", "LAST CHECK"),
        [
            (
                a.connector,
                a.label,
                ", ".join(f"{k}={v}" for k, v in a.settings.items()),
                ", ".join(a.secret_fields),
                "-"
                if a.last_check_at is None
                else f"{'ok' if a.last_check_ok else 'failed'} {a.last_check_at:%Y-%m-%d %H:%M}Z",
            )
            for a in accounts
        ],
    )
    return 0


def run_set(ctx: CliContext) -> int:
    app = ctx.app()
    cls = app.connectors.connector_class(ctx.args.name)
    fields = {f.name: f for f in cls.credential_fields}
    values: dict[str, str] = {}
    for item in ctx.args.field:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValidationError(f"--field {item!r} must be NAME=VALUE")
        if name in fields and fields[name].secret:
            raise ValidationError(
                f"{name} is a secret: give it at the prompt or on standard input, "
                "never on the command line"
            )
        values[name] = value
    secret_fields = [f for f in cls.credential_fields if f.secret]
    if sys.stdin.isatty():
        for f in secret_fields:
            value = getpass.getpass(f"{cls.title} {f.label} (empty keeps the stored value): ")
            if value:
                values[f.name] = value
    else:
        for number, line in enumerate(sys.stdin.read().splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            name = name.strip()
            if not sep or name not in fields:
                # Never echo the line: it may hold a secret.
                raise ValidationError(
                    f"standard input line {number}: expected NAME=VALUE with NAME one of "
                    f"{', '.join(fields)}"
                )
            values[name] = value.strip()
    info = app.connectors.save_account(ctx.actor, ctx.args.name, ctx.args.account, values)
    ctx.print(
        f"saved {ctx.args.name}/{info.label}: fields {', '.join(info.settings) or '-'}; "
        f"secrets in the keyring: {', '.join(info.secret_fields) or '-'}"
    )
    return 0


def run_remove(ctx: CliContext) -> int:
    app = ctx.app()
    if not ctx.args.yes:
        if not sys.stdin.isatty():
            raise ValidationError("removing an account needs --yes when not run at a terminal")
        what = f"{ctx.args.name} account {ctx.args.account!r}"
        answer = input(f"Remove {what} and its secrets? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            ctx.print("kept")
            return 1
    app.connectors.remove_account(ctx.actor, ctx.args.name, ctx.args.account)
    ctx.print(f"removed {ctx.args.name}/{ctx.args.account}")
    return 0


def _check_word(ok: bool | None) -> str:
    return "-" if ok is None else "ok" if ok else "FAILED"
