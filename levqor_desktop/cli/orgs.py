"""``levqor orgs list|create|rename`` and ``levqor members list|add|remove|role``."""

from __future__ import annotations

import argparse
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core.models import Role
from levqor_desktop.core.tenancy import Actor

ROLES = [r.value for r in Role]


def add_org_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--org", metavar="ORG", help="organization slug or id (default: yours)")


def acting(ctx: CliContext) -> Actor:
    """The actor, moved into ``--org`` when given (the same user, their role there)."""
    actor = ctx.actor
    org = getattr(ctx.args, "org", None)
    if org is None:
        return actor
    return ctx.app().orgs.actor_for(actor.user_id, org)


def register(sub: Any) -> None:
    orgs: argparse.ArgumentParser = sub.add_parser("orgs", help="organizations")
    o_sub = orgs.add_subparsers(dest="orgs_command", metavar="ACTION", required=True)
    lst = o_sub.add_parser("list", help="the organizations you belong to")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(handler=run_orgs_list)
    create = o_sub.add_parser("create", help="create an organization (you become its owner)")
    create.add_argument("slug", help="short id: lower-case letters, digits, dashes")
    create.add_argument("name", help="display name")
    create.add_argument("--json", action="store_true", help="print JSON")
    create.set_defaults(handler=run_orgs_create)
    rename = o_sub.add_parser("rename", help="rename an organization")
    rename.add_argument("org", help="organization slug or id")
    rename.add_argument("name", help="the new display name")
    rename.add_argument("--json", action="store_true", help="print JSON")
    rename.set_defaults(handler=run_orgs_rename)

    members: argparse.ArgumentParser = sub.add_parser("members", help="members and roles")
    m_sub = members.add_subparsers(dest="members_command", metavar="ACTION", required=True)
    m_list = m_sub.add_parser("list", help="members of the organization")
    add_org_option(m_list)
    m_list.add_argument("--json", action="store_true", help="print JSON")
    m_list.set_defaults(handler=run_members_list)
    add = m_sub.add_parser("add", help="add a member (only the e-mail's hash is stored)")
    add.add_argument("email")
    add.add_argument("name", help="display name")
    add.add_argument("--role", choices=ROLES, default=Role.VIEWER.value)
    add_org_option(add)
    add.add_argument("--json", action="store_true", help="print JSON")
    add.set_defaults(handler=run_members_add)
    remove = m_sub.add_parser("remove", help="remove a member")
    remove.add_argument("user", help="e-mail or user id")
    add_org_option(remove)
    remove.set_defaults(handler=run_members_remove)
    role = m_sub.add_parser("role", help="change a member's role")
    role.add_argument("user", help="e-mail or user id")
    role.add_argument("role", choices=ROLES)
    add_org_option(role)
    role.add_argument("--json", action="store_true", help="print JSON")
    role.set_defaults(handler=run_members_role)


def run_orgs_list(ctx: CliContext) -> int:
    orgs = ctx.app().orgs.organizations(ctx.actor)
    if ctx.json:
        ctx.emit_json(orgs)
        return 0
    rows = [(o.id, o.slug, o.name, o.role, o.members) for o in orgs]
    ctx.table(("id", "slug", "name", "your role", "members"), rows)
    return 0


def run_orgs_create(ctx: CliContext) -> int:
    org = ctx.app().orgs.create(ctx.actor, ctx.args.slug, ctx.args.name)
    if ctx.json:
        ctx.emit_json(org)
    else:
        ctx.print(f"created organization {org.slug!r} ({org.name}); you are its owner")
    return 0


def run_orgs_rename(ctx: CliContext) -> int:
    actor = ctx.app().orgs.actor_for(ctx.actor.user_id, ctx.args.org)
    org = ctx.app().orgs.rename(actor, ctx.args.name)
    if ctx.json:
        ctx.emit_json(org)
    else:
        ctx.print(f"renamed organization {org.slug!r} to {org.name!r}")
    return 0


def run_members_list(ctx: CliContext) -> int:
    members = ctx.app().orgs.members(acting(ctx))
    if ctx.json:
        ctx.emit_json(members)
        return 0
    rows = [(m.user_id, m.display_name, m.role, m.email_sha256[:12] + "…") for m in members]
    ctx.table(("id", "name", "role", "e-mail sha256"), rows)
    return 0


def run_members_add(ctx: CliContext) -> int:
    a = ctx.args
    member = ctx.app().orgs.add_member(acting(ctx), a.email, a.name, Role(a.role))
    if ctx.json:
        ctx.emit_json(member)
    else:
        ctx.print(f"added {member.display_name} (user {member.user_id}) as {member.role}")
    return 0


def run_members_remove(ctx: CliContext) -> int:
    ctx.app().orgs.remove_member(acting(ctx), ctx.args.user)
    ctx.print(f"removed {ctx.args.user}")
    return 0


def run_members_role(ctx: CliContext) -> int:
    member = ctx.app().orgs.set_role(acting(ctx), ctx.args.user, Role(ctx.args.role))
    if ctx.json:
        ctx.emit_json(member)
    else:
        ctx.print(f"{member.display_name} is now {member.role}")
    return 0
