"""API keys for the ops HTTP API: created per user, shown once, stored only as a hash.

A key reads ``lvq_<prefix>_<secret>``: the 12-character prefix is a public id used to
find the row; the whole key is hashed with SHA-256 (the secret has 256 bits of entropy,
so a slow password hash would add nothing) and compared with
:func:`hmac.compare_digest`. A key carries a role no higher than its user's: the role
chosen at creation, capped by the user's membership at each use, so demoting or
removing a member takes effect on their keys at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from levqor_desktop.core.db import Database, unavailable
from levqor_desktop.core.models import Membership, Role, User, utcnow
from levqor_desktop.core.models.canary import ApiKey
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import NotFoundError, ValidationError

KEY_PREFIX = "lvq_"
_KEY_RE = re.compile(r"^lvq_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
_ROLE_ORDER = (Role.VIEWER, Role.OPERATOR, Role.ADMIN, Role.OWNER)
#: How long a key verified earlier keeps working while the database is unreachable, so
#: that the ops API can still report the outage to the canary.
OUTAGE_GRACE = dt.timedelta(minutes=5)
#: last_used_at is written at most this often per key (not on every request).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """Who calls the API: the key and the user it acts for."""

    key_id: int
    prefix: str
    org_id: int
    user_id: int
    role: Role
    display_name: str

    def actor(self) -> Actor:
        label = f"{self.display_name} (key {self.prefix})"
        return Actor(self.org_id, self.user_id, self.role, label)


@dataclass(frozen=True)
class ApiKeyInfo:
    id: int
    prefix: str
    name: str
    user_id: int
    user: str
    role: Role
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class CreatedKey:
    """A new key; ``key`` is shown once and never stored."""

    info: ApiKeyInfo
    key: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def role_rank(role: Role) -> int:
    return _ROLE_ORDER.index(role)


class ApiKeyService:
    def __init__(self, db: Database, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._db = db
        self._clock = clock
        self._lock = threading.Lock()
        # prefix -> (principal, key hash, when verified): used only during an outage.
        self._verified: dict[str, tuple[Principal, str, dt.datetime]] = {}

    def create(
        self, actor: Actor, *, name: str, user_id: int | None = None, role: Role | None = None
    ) -> CreatedKey:
        """A key for ``user_id`` (the actor by default) with at most the user's role."""
        require(actor, Permission.MANAGE_API_KEYS)
        name = name.strip()
        if not name or len(name) > 100:
            raise ValidationError("the key needs a name of 1 to 100 characters")
        target = actor.user_id if user_id is None else user_id
        prefix = secrets.token_hex(6)
        key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        with self._db.write_session() as session:
            member = session.get(Membership, (actor.org_id, target))
            user = session.get(User, target)
            if member is None or user is None:
                raise NotFoundError(f"no user with id {target} in this organization")
            granted = role or member.role
            if role_rank(granted) > role_rank(member.role):
                raise ValidationError(
                    f"a key cannot carry more than its user's role ({member.role}), "
                    f"asked for {granted}"
                )
            row = ApiKey(
                org_id=actor.org_id,
                user_id=target,
                prefix=prefix,
                key_sha256=hash_key(key),
                name=name,
                role=granted,
                created_at=self._clock(),
            )
            session.add(row)
            session.flush()
            info = _info(row, user.display_name)
        return CreatedKey(info, key)

    def list(self, actor: Actor, *, include_revoked: bool = False) -> list[ApiKeyInfo]:
        require(actor, Permission.READ)
        with self._db.session() as session:
            query = (
                select(ApiKey, User.display_name)
                .join(User, User.id == ApiKey.user_id)
                .where(ApiKey.org_id == actor.org_id)
                .order_by(ApiKey.id)
            )
            if not include_revoked:
                query = query.where(ApiKey.revoked_at.is_(None))
            return [_info(row, name) for row, name in session.execute(query).all()]

    def revoke(self, actor: Actor, ident: str) -> ApiKeyInfo:
        """Revoke by prefix or numeric id; revoking twice is harmless."""
        require(actor, Permission.MANAGE_API_KEYS)
        ident = ident.strip().removeprefix(KEY_PREFIX).split("_")[0]
        with self._db.write_session() as session:
            query = select(ApiKey).where(ApiKey.org_id == actor.org_id)
            if ident.isdigit():
                query = query.where(ApiKey.id == int(ident))
            else:
                query = query.where(ApiKey.prefix == ident)
            row = session.scalar(query)
            if row is None:
                raise NotFoundError(f"no API key {ident!r} in this organization")
            if row.revoked_at is None:
                row.revoked_at = self._clock()
            user = session.get(User, row.user_id)
            info = _info(row, user.display_name if user else "?")
        with self._lock:
            self._verified.pop(info.prefix, None)
        return info

    def authenticate(
        self, key: str, *, fresh_for: dt.timedelta = dt.timedelta(0)
    ) -> Principal | None:
        """The principal for a presented key, or None when it is unknown or revoked.

        ``fresh_for``: a key verified against the database less than this long ago is
        answered from memory (the ops API under load: the lookup was two to three
        database round trips per request). A revoke through this service takes effect
        at once; a revoke or demotion elsewhere (another process, the members
        service) within ``fresh_for``.

        Raises :class:`~levqor_desktop.errors.DatabaseUnavailable` when the database
        cannot be asked and the key was not verified in the last few minutes.
        """
        match = _KEY_RE.match(key.strip())
        if match is None:
            return None
        prefix = match.group(1)
        presented = hash_key(key.strip())
        now = self._clock()
        remembered = self._remembered(prefix, presented, now, fresh_for)
        if remembered is not None:
            return remembered
        try:
            principal = self._lookup(prefix, presented, now)
        except DBAPIError as exc:
            with self._lock:
                cached = self._verified.get(prefix)
            if (
                cached is not None
                and hmac.compare_digest(cached[1], presented)
                and now - cached[2] < OUTAGE_GRACE
            ):
                return cached[0]
            raise unavailable(exc, self._db) from None
        with self._lock:
            if principal is None:
                self._verified.pop(prefix, None)
            else:
                self._verified[prefix] = (principal, presented, now)
        return principal

    def remembered(self, key: str, *, fresh_for: dt.timedelta) -> Principal | None:
        """The principal :meth:`authenticate` would answer from memory, else None.

        Never touches the database, so an async caller may ask it on its event loop
        and hand only the misses to a thread (the ops API: one thread hop per request
        instead of two).
        """
        match = _KEY_RE.match(key.strip())
        if match is None:
            return None
        return self._remembered(match.group(1), hash_key(key.strip()), self._clock(), fresh_for)

    def _remembered(
        self, prefix: str, presented: str, now: dt.datetime, fresh_for: dt.timedelta
    ) -> Principal | None:
        if fresh_for <= dt.timedelta(0):
            return None
        with self._lock:
            cached = self._verified.get(prefix)
        if (
            cached is not None
            and hmac.compare_digest(cached[1], presented)
            and dt.timedelta(0) <= now - cached[2] < fresh_for
        ):
            return cached[0]
        return None

    def _lookup(self, prefix: str, presented: str, now: dt.datetime) -> Principal | None:
        with self._db.session() as session:
            found = session.execute(
                select(ApiKey, Membership.role, User.display_name)
                .join(
                    Membership,
                    (Membership.org_id == ApiKey.org_id) & (Membership.user_id == ApiKey.user_id),
                )
                .join(User, User.id == ApiKey.user_id)
                .where(ApiKey.prefix == prefix)
            ).first()
            if found is None:
                # Compare anyway so an unknown prefix costs the same as a wrong secret.
                hmac.compare_digest(presented, "0" * 64)
                return None
            row, member_role, display_name = found
            if not hmac.compare_digest(row.key_sha256, presented) or row.revoked_at is not None:
                return None
            role = min(row.role, member_role, key=role_rank)
            principal = Principal(row.id, row.prefix, row.org_id, row.user_id, role, display_name)
            stale = row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION
        if stale:
            # A write transaction of its own: on SQLite a read that turns into a write may
            # fail when another writer got in between.
            with self._db.write_session() as session:
                session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
        return principal


def _info(row: ApiKey, user: str) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row.id,
        prefix=row.prefix,
        name=row.name,
        user_id=row.user_id,
        user=user,
        role=row.role,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
