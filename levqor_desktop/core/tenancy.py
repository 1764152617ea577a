"""Tenancy basics: hashing e-mail addresses, and the default organization and operator.

On first start Levqor creates one organization and one operator (its owner), so a single
workstation works with no set-up. The multi-tenant services build on these rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select

from levqor_desktop.core.db import Database
from levqor_desktop.core.models import Membership, Organization, Role, User

DEFAULT_ORG_SLUG = "default"
DEFAULT_ORG_NAME = "Default organization"
DEFAULT_OPERATOR_EMAIL = "operator@localhost"
DEFAULT_OPERATOR_NAME = "Operator"


def hash_email(address: str) -> str:
    """SHA-256 (hex) of the trimmed, lower-cased address: the only form we store."""
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who acts: a user in an organization with a role (ids, not ORM rows)."""

    org_id: int
    user_id: int
    role: Role
    display_name: str


def ensure_defaults(db: Database) -> Actor:
    """Create the default organization and operator if missing; return the operator."""
    with db.write_session() as session:
        org = session.scalar(select(Organization).where(Organization.slug == DEFAULT_ORG_SLUG))
        if org is None:
            org = Organization(slug=DEFAULT_ORG_SLUG, name=DEFAULT_ORG_NAME)
            session.add(org)
        digest = hash_email(DEFAULT_OPERATOR_EMAIL)
        user = session.scalar(select(User).where(User.email_sha256 == digest))
        if user is None:
            user = User(email_sha256=digest, display_name=DEFAULT_OPERATOR_NAME)
            session.add(user)
        session.flush()
        membership = session.get(Membership, (org.id, user.id))
        if membership is None:
            membership = Membership(org_id=org.id, user_id=user.id, role=Role.OWNER)
            session.add(membership)
        return Actor(org.id, user.id, membership.role, user.display_name)


@dataclass(frozen=True)
class TenancyCounts:
    organizations: int
    users: int


def counts(db: Database) -> TenancyCounts:
    with db.session() as session:
        orgs = session.scalar(select(func.count()).select_from(Organization)) or 0
        users = session.scalar(select(func.count()).select_from(User)) or 0
    return TenancyCounts(orgs, users)
