"""``app.orgs``: organizations, members and roles.

With ``MULTI_TENANT_ENABLED`` on, owners create and rename organizations and manage
their members (display name and e-mail; only the e-mail's SHA-256 is stored). Off,
there is the single default organization and nothing here changes it. An organization
always keeps at least one owner. Membership changes of one organization are serialised
(a row lock on the organization on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two
owners demoting each other at once cannot leave it without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from levqor_desktop.core.db import Database
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.models import Membership, Organization, Role, User
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import DEFAULT_ORG_SLUG, Actor, hash_email
from levqor_desktop.errors import ConfigError, NotFoundError, PermissionDenied, ValidationError

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class Flags(Protocol):
    def enabled(self, name: FlagName) -> bool: ...


@dataclass(frozen=True)
class OrgView:
    id: int
    slug: str
    name: str
    role: Role | None  # the asking user's role in it
    members: int


@dataclass(frozen=True)
class MemberView:
    user_id: int
    display_name: str
    email_sha256: str
    role: Role


class OrgService:
    def __init__(self, db: Database, flags: Flags) -> None:
        self.db = db
        self._flags = flags

    @property
    def multi_tenant(self) -> bool:
        return self._flags.enabled(FlagName.MULTI_TENANT_ENABLED)

    def _require_multi_tenant(self, what: str) -> None:
        if not self.multi_tenant:
            raise ConfigError(
                f"cannot {what}: MULTI_TENANT_ENABLED is off, so there is only the default "
                "organization",
                hint="turn it on with: levqor flags set MULTI_TENANT_ENABLED on --reason ...",
            )

    # -- reading ----------------------------------------------------------------------

    def organizations(self, actor: Actor) -> list[OrgView]:
        """The organizations the acting user belongs to (only the default one when off)."""
        require(actor, Permission.READ)
        with self.db.session() as session:
            counts = (
                select(Membership.org_id, func.count().label("n"))
                .group_by(Membership.org_id)
                .subquery()
            )
            query = (
                select(Organization, Membership.role, counts.c.n)
                .join(Membership, Membership.org_id == Organization.id)
                .join(counts, counts.c.org_id == Organization.id)
                .where(Membership.user_id == actor.user_id)
                .order_by(Organization.id)
            )
            if not self.multi_tenant:
                query = query.where(Organization.slug == DEFAULT_ORG_SLUG)
            return [OrgView(o.id, o.slug, o.name, r, int(n)) for o, r, n in session.execute(query)]

    def members(self, actor: Actor) -> list[MemberView]:
        require(actor, Permission.READ)
        with self.db.session() as session:
            rows = session.execute(
                select(User, Membership.role)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.org_id == actor.org_id)
                .order_by(User.display_name, User.id)
            )
            return [MemberView(u.id, u.display_name, u.email_sha256, r) for u, r in rows]

    def directory(self) -> list[tuple[OrgView, list[MemberView]]]:
        """Every organization (only the default one when off) with its members: the
        choices of "who acts" in the window, which runs on the operator's own machine."""
        with self.db.session() as session:
            query = select(Organization).order_by(Organization.id)
            if not self.multi_tenant:
                query = query.where(Organization.slug == DEFAULT_ORG_SLUG)
            orgs = session.scalars(query).all()
            rows = session.execute(
                select(Membership.org_id, User, Membership.role)
                .join(User, User.id == Membership.user_id)
                .order_by(User.display_name, User.id)
            ).all()
            members: dict[int, list[MemberView]] = {}
            for org_id, user, role in rows:
                members.setdefault(org_id, []).append(
                    MemberView(user.id, user.display_name, user.email_sha256, role)
                )
            return [
                (
                    OrgView(o.id, o.slug, o.name, None, len(members.get(o.id, []))),
                    members.get(o.id, []),
                )
                for o in orgs
            ]

    def find_org(self, session: Session, ref: str | int) -> Organization:
        text = str(ref).strip()
        org = session.scalar(select(Organization).where(Organization.slug == text))
        if org is None and text.isdigit():
            org = session.get(Organization, int(text))
        if org is None:
            raise NotFoundError(f"no organization {text!r} (give its slug or id)")
        return org

    def find_user(self, session: Session, ref: str | int) -> User:
        text = str(ref).strip()
        user: User | None = None
        if "@" in text:
            user = session.scalar(select(User).where(User.email_sha256 == hash_email(text)))
        elif text.isdigit():
            user = session.get(User, int(text))
        if user is None:
            raise NotFoundError(f"no user {text!r} (give an e-mail address or a user id)")
        return user

    def actor_for(self, user_ref: str | int, org_ref: str | int | None = None) -> Actor:
        """The Actor for a user in an organization (default: the default org, else the
        first the user belongs to)."""
        with self.db.session() as session:
            user = self.find_user(session, user_ref)
            if org_ref is not None:
                org = self.find_org(session, org_ref)
                member = session.get(Membership, (org.id, user.id))
                if member is None:
                    raise PermissionDenied(
                        f"{user.display_name} is not a member of the organization {org.slug!r}"
                    )
                return Actor(org.id, user.id, member.role, user.display_name)
            rows = session.execute(
                select(Membership, Organization.slug)
                .join(Organization, Organization.id == Membership.org_id)
                .where(Membership.user_id == user.id)
                .order_by(Organization.id)
            ).all()
            if not rows:
                raise PermissionDenied(f"{user.display_name} is not a member of any organization")
            chosen = next((m for m, slug in rows if slug == DEFAULT_ORG_SLUG), rows[0][0])
            return Actor(chosen.org_id, user.id, chosen.role, user.display_name)

    # -- organizations ----------------------------------------------------------------

    def create(self, actor: Actor, slug: str, name: str) -> OrgView:
        """A new organization with the acting user as its owner."""
        require(actor, Permission.MANAGE_ORGS)
        self._require_multi_tenant("create an organization")
        slug = slug.strip().lower()
        if not SLUG.match(slug):
            raise ValidationError(
                f"{slug!r} is not a valid organization slug: use 2-64 lower-case letters, "
                "digits and dashes"
            )
        name = _clean_name(name, "organization name")
        with self.db.write_session() as session:
            if session.scalar(select(Organization.id).where(Organization.slug == slug)):
                raise ValidationError(f"an organization with the slug {slug!r} already exists")
            org = Organization(slug=slug, name=name)
            session.add(org)
            session.flush()
            session.add(Membership(org_id=org.id, user_id=actor.user_id, role=Role.OWNER))
            return OrgView(org.id, org.slug, org.name, Role.OWNER, 1)

    def rename(self, actor: Actor, name: str) -> OrgView:
        """Rename the acting organization."""
        require(actor, Permission.MANAGE_ORGS)
        self._require_multi_tenant("rename an organization")
        name = _clean_name(name, "organization name")
        with self.db.write_session() as session:
            org = session.get(Organization, actor.org_id, with_for_update=True)
            if org is None:
                raise NotFoundError(f"organization {actor.org_id} no longer exists")
            org.name = name
            count = session.scalar(
                select(func.count()).select_from(Membership).where(Membership.org_id == org.id)
            )
            return OrgView(org.id, org.slug, org.name, actor.role, int(count or 0))

    # -- members ----------------------------------------------------------------------

    def add_member(self, actor: Actor, email: str, display_name: str, role: Role) -> MemberView:
        require(actor, Permission.MANAGE_MEMBERS)
        self._require_multi_tenant("add members")
        if not EMAIL.match(email.strip()):
            raise ValidationError(f"{email!r} is not an e-mail address")
        display_name = _clean_name(display_name, "display name")
        digest = hash_email(email)
        with self.db.write_session() as session:
            self._lock_org(session, actor.org_id)
            user = session.scalar(select(User).where(User.email_sha256 == digest))
            if user is None:
                user = User(email_sha256=digest, display_name=display_name)
                session.add(user)
                session.flush()
            elif session.get(Membership, (actor.org_id, user.id)) is not None:
                raise ValidationError(f"{user.display_name} is already a member")
            session.add(Membership(org_id=actor.org_id, user_id=user.id, role=role))
            return MemberView(user.id, user.display_name, user.email_sha256, role)

    def remove_member(self, actor: Actor, user_ref: str | int) -> None:
        require(actor, Permission.MANAGE_MEMBERS)
        self._require_multi_tenant("remove members")
        with self.db.write_session() as session:
            self._lock_org(session, actor.org_id)
            user, member = self._member(session, actor, user_ref)
            if member.role is Role.OWNER:
                self._keep_an_owner(session, actor.org_id, user, "removed")
            session.delete(member)

    def set_role(self, actor: Actor, user_ref: str | int, role: Role) -> MemberView:
        require(actor, Permission.MANAGE_MEMBERS)
        self._require_multi_tenant("change roles")
        with self.db.write_session() as session:
            self._lock_org(session, actor.org_id)
            user, member = self._member(session, actor, user_ref)
            if member.role is Role.OWNER and role is not Role.OWNER:
                self._keep_an_owner(session, actor.org_id, user, "demoted")
            member.role = role
            return MemberView(user.id, user.display_name, user.email_sha256, role)

    def _member(
        self, session: Session, actor: Actor, user_ref: str | int
    ) -> tuple[User, Membership]:
        user = self.find_user(session, user_ref)
        member = session.get(Membership, (actor.org_id, user.id))
        if member is None:
            raise NotFoundError(f"{user.display_name} is not a member of this organization")
        return user, member

    def _lock_org(self, session: Session, org_id: int) -> None:
        if session.get(Organization, org_id, with_for_update=True) is None:
            raise NotFoundError(f"organization {org_id} no longer exists")

    def _keep_an_owner(self, session: Session, org_id: int, user: User, change: str) -> None:
        owners = session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.org_id == org_id, Membership.role == Role.OWNER)
        )
        if (owners or 0) <= 1:
            raise ValidationError(
                f"{user.display_name} is the last owner of this organization and cannot be "
                f"{change}",
                hint="make another member an owner first",
            )


def _clean_name(value: str, what: str) -> str:
    value = " ".join(value.split())
    if not value or len(value) > 200:
        raise ValidationError(f"the {what} must have 1 to 200 characters")
    return value
