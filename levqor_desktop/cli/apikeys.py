"""``levqor apikeys create|list|revoke``: keys for the ops HTTP API."""

from __future__ import annotations

import argparse
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.cli.guard import add_guard_options, guarded
from levqor_desktop.core.models import Role
from levqor_desktop.errors import PermissionDenied, ValidationError


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "apikeys", help="create, list and revoke API keys of the ops HTTP API"
    )
    commands = parser.add_subparsers(dest="apikeys_command", metavar="ACTION")
    commands.required = True

    create = commands.add_parser("create", help="create a key (shown once)")
    create.add_argument("--name", required=True, help="what the key is for")
    create.add_argument("--user", help="user id or e-mail (default: you)")
    create.add_argument(
        "--role",
        choices=[r.value for r in Role],
        help="the key's role (default and maximum: the user's)",
    )
    create.add_argument("--json", action="store_true", help="print JSON")
    add_guard_options(create)
    create.set_defaults(handler=run_create)

    listing = commands.add_parser("list", help="list the organization's keys (never the keys)")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    revoke = commands.add_parser("revoke", help="revoke a key by its prefix or id")
    revoke.add_argument("key", help="the key's prefix (lvq_<prefix>_...) or id")
    revoke.add_argument("--json", action="store_true", help="print JSON")
    add_guard_options(revoke)
    revoke.set_defaults(handler=run_revoke)


def _actor(ctx: CliContext) -> Any:
    app = ctx.app()
    if app.actor is None:
        raise PermissionDenied("no operator: the database schema is not at head")
    return app.actor


def run_create(ctx: CliContext) -> int:
    app = ctx.app()
    actor = _actor(ctx)
    user_id = None
    if ctx.args.user:
        user_id = app.orgs.actor_for(ctx.args.user, actor.org_id).user_id
    role = Role(ctx.args.role) if ctx.args.role else None
    created = guarded(
        ctx,
        "apikeys.create",
        f"key {ctx.args.name!r} ({role.value if role else 'the user role'})",
        lambda: app.api_keys.create(actor, name=ctx.args.name, user_id=user_id, role=role),
    )
    if ctx.json:
        ctx.emit_json({"key": created.key, **_row(created.info)})
        return 0
    ctx.print(created.key)
    ctx.print(
        f"API key {created.info.prefix} for {created.info.user} ({created.info.role}). "
        "It is shown only now: keep it somewhere safe."
    )
    return 0


def run_list(ctx: CliContext) -> int:
    app = ctx.app()
    keys = app.api_keys.list(_actor(ctx), include_revoked=ctx.args.all)
    if ctx.json:
        ctx.emit_json([_row(k) for k in keys])
        return 0
    ctx.table(
        ["id", "prefix", "name", "user", "role", "created", "last used", "state"],
        [
            (
                k.id, k.prefix, k.name, k.user, k.role.value, _when(k.created_at),
                _when(k.last_used_at), "active" if k.active else f"revoked {_when(k.revoked_at)}",
            )
            for k in keys
        ],
    )  # fmt: skip
    return 0


def run_revoke(ctx: CliContext) -> int:
    app = ctx.app()
    if not ctx.args.key.strip():
        raise ValidationError("give the key's prefix or id")
    key = ctx.args.key
    info = guarded(
        ctx, "apikeys.revoke", f"key {key}", lambda: app.api_keys.revoke(_actor(ctx), key)
    )
    if ctx.json:
        ctx.emit_json(_row(info))
    else:
        ctx.print(f"revoked API key {info.prefix} ({info.name})")
    return 0


def _row(info: Any) -> dict[str, Any]:
    return {
        "id": info.id,
        "prefix": info.prefix,
        "name": info.name,
        "user_id": info.user_id,
        "user": info.user,
        "role": info.role.value,
        "created_at": info.created_at.isoformat(),
        "last_used_at": info.last_used_at.isoformat() if info.last_used_at else None,
        "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None,
    }


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"
