"""``levqor profiles list|show|add|remove``: the deployment profiles of this machine.

Passwords in ``--database-url``/``--redis-url`` (or typed at ``--ask-passwords``) go to the
keyring; ``profiles.json`` keeps the URLs without them. ``--workers``/``--no-workers``
say whether the window on the profile runs job workers on this machine (unset: only
local environments do).
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core.safety import Environment, ProfileStore
from levqor_desktop.core.safety.profiles import (
    split_database_password,
    split_redis_password,
    with_database_password,
    with_redis_password,
)
from levqor_desktop.errors import ValidationError


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "profiles", help="deployment profiles (local, staging, production)"
    )
    commands = parser.add_subparsers(dest="profiles_command", metavar="ACTION", required=True)

    listing = commands.add_parser("list", help="every profile; * marks the active one")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    show = commands.add_parser("show", help="one profile (URLs masked)")
    show.add_argument("name", nargs="?", help="default: the active profile")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)

    add = commands.add_parser("add", help="add or (with --replace) change a profile")
    add.add_argument("name")
    add.add_argument("--database-url", help="postgresql://user@host/db or sqlite:///path")
    add.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    add.add_argument(
        "--environment", "--env", default="local", choices=[e.value for e in Environment]
    )
    add.add_argument("--colour", "--color", default="", help="the band colour, e.g. #c62828")
    add.add_argument(
        "--workers",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the window on this profile runs job workers on this machine "
        "(default: yes for local environments, no for staging and production)",
    )
    add.add_argument(
        "--ask-passwords",
        action="store_true",
        help="type the database and Redis passwords (kept in the keyring)",
    )
    add.add_argument("--replace", action="store_true", help="change an existing profile")
    add.set_defaults(handler=run_add)

    remove = commands.add_parser("remove", help="forget a profile and its keyring entries")
    remove.add_argument("name")
    remove.set_defaults(handler=run_remove)


def _store(ctx: CliContext) -> ProfileStore:
    return ctx.app(start=False).profiles


def run_list(ctx: CliContext) -> int:
    active = ctx.app(start=False).profile.name
    profiles = [p.describe() | {"active": p.name == active} for p in _store(ctx).list()]
    if ctx.json:
        ctx.emit_json(profiles)
        return 0
    ctx.table(
        ["", "name", "environment", "database", "redis", "colour", "workers"],
        [
            [
                "*" if p["active"] else "",
                p["name"],
                p["environment"],
                p["database_url"],
                p["redis_url"],
                p["colour"],
                p["workers"],
            ]
            for p in profiles
        ],
    )
    return 0


def run_show(ctx: CliContext) -> int:
    store = _store(ctx)
    profile = store.get(ctx.args.name) if ctx.args.name else ctx.app(start=False).profile
    info = profile.describe()
    if ctx.json:
        ctx.emit_json(info)
        return 0
    for key, value in info.items():
        ctx.print(f"{key:18} {value}")
    return 0


def run_add(ctx: CliContext) -> int:
    args = ctx.args
    db_url, redis_url = args.database_url, args.redis_url
    if args.ask_passwords:
        if db_url and not db_url.startswith("sqlite"):
            password = getpass.getpass(f"Database password for {args.name}: ")
            db_url = with_database_password(split_database_password(db_url)[0], password)
        password = getpass.getpass(f"Redis password for {args.name} (empty: none): ")
        redis_url = with_redis_password(split_redis_password(redis_url)[0], password)
    if args.environment == Environment.PRODUCTION and not db_url:
        raise ValidationError("a production profile needs --database-url")
    profile = _store(ctx).add(
        args.name,
        database_url=db_url,
        redis_url=redis_url,
        environment=args.environment,
        colour=args.colour,
        workers=args.workers,
        replace_existing=args.replace,
    )
    ctx.print(
        f"profile {profile.name} ({profile.environment.value}) saved; "
        f"job workers: {profile.workers_text}"
    )
    return 0


def run_remove(ctx: CliContext) -> int:
    _store(ctx).remove(ctx.args.name)
    ctx.print(f"profile {ctx.args.name} removed")
    return 0
