"""Per-organization and percentage rollout of the flags that gate behaviour per subject.

A rollout turns a flag on for a list of organizations and/or a share of subjects
(organizations or users), whatever its global value is off. Who is in the share is
deterministic: the SHA-256 of ``"<flag>:<id>"`` gives a bucket in 0..9999, and a subject
is in when its bucket is below the share in basis points. A subject stays in while the
share grows, and the buckets of two flags are independent. Risky (infrastructure) flags
cannot be rolled out: they switch the whole installation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from levqor_desktop.core.db import Database
from levqor_desktop.core.flags.definitions import FLAGS, FlagName
from levqor_desktop.core.flags.service import FlagService, flag_name
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.flagsafety import FlagRollout
from levqor_desktop.core.models.tenancy import Organization
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import NotFoundError, ValidationError

BUCKETS = 10_000
BUCKET_BY = ("org", "user")
#: How long a read of the rollouts is reused (enabled() is asked often).
CACHE_S = 5.0


def bucket(flag: FlagName | str, subject_id: int) -> int:
    """The subject's stable bucket (0..9999) for this flag."""
    digest = hashlib.sha256(f"{flag}:{subject_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


@dataclass(frozen=True)
class Rollout:
    flag: FlagName
    org_ids: tuple[int, ...]
    share_bp: int
    bucket_by: str
    updated_at: dt.datetime
    updater_name: str

    @property
    def share_percent(self) -> float:
        return self.share_bp / 100

    def covers(self, *, org_id: int | None, user_id: int | None) -> bool:
        """Whether the flag is on for this subject through the rollout."""
        if org_id is not None and org_id in self.org_ids:
            return True
        subject = org_id if self.bucket_by == "org" else user_id
        return subject is not None and bucket(self.flag, subject) < self.share_bp

    def describe(self) -> str:
        parts = []
        if self.share_bp:
            parts.append(f"{self.share_percent:g}% of {self.bucket_by}s")
        if self.org_ids:
            parts.append(f"organizations {', '.join(map(str, self.org_ids))}")
        return " + ".join(parts) or "nobody"


def share_bp(percent: float) -> int:
    if not 0 <= percent <= 100:
        raise ValidationError(f"a rollout share must be 0 to 100 percent, not {percent:g}")
    return round(percent * 100)


class RolloutService:
    """``app.flag_rollouts``: who a flag is on for, beyond its global value."""

    def __init__(
        self,
        db: Database,
        flags: FlagService,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        cache_s: float = CACHE_S,
    ) -> None:
        self.db = db
        self.flags = flags
        self._clock = clock
        self._cache_s = cache_s
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[FlagName, Rollout]] | None = None

    # -- reading ----------------------------------------------------------------------

    def rollouts(self) -> dict[FlagName, Rollout]:
        with self._lock:
            if self._cached is not None and time.monotonic() - self._cached[0] < self._cache_s:
                return self._cached[1]
        with self.db.session() as session:
            rows = session.scalars(select(FlagRollout)).all()
            found = {FlagName(r.flag): _view(r) for r in rows if r.flag in FLAGS}
        with self._lock:
            self._cached = (time.monotonic(), found)
        return found

    def get(self, name: FlagName | str) -> Rollout | None:
        return self.rollouts().get(flag_name(name))

    def covers(self, name: FlagName | str, *, org_id: int | None, user_id: int | None) -> bool:
        rollout = self.get(name)
        return rollout is not None and rollout.covers(org_id=org_id, user_id=user_id)

    def enabled(
        self, name: FlagName | str, *, org_id: int | None = None, user_id: int | None = None
    ) -> bool:
        """The flag for this subject: on globally, or on through its rollout."""
        flag = flag_name(name)
        if self.flags.store.enabled(flag):
            return True
        return self.covers(flag, org_id=org_id, user_id=user_id)

    # -- changing ---------------------------------------------------------------------

    def set(
        self,
        actor: Actor,
        name: FlagName | str,
        *,
        orgs: Iterable[str | int] = (),
        share_percent: float = 0.0,
        bucket_by: str = "org",
        source: str = "cli",
    ) -> Rollout:
        """Roll ``name`` out to these organizations (slugs or ids) and this share."""
        require(actor, Permission.MANAGE_FLAGS)
        flag = self._rollable(name)
        if bucket_by not in BUCKET_BY:
            raise ValidationError(f"a rollout is drawn by org or user, not {bucket_by!r}")
        basis = share_bp(share_percent)
        with self.db.write_session() as session:
            org_ids = sorted({_org_id(session, ref) for ref in orgs})
            row = session.get(FlagRollout, str(flag))
            if row is None:
                row = FlagRollout(flag=str(flag))
                session.add(row)
            row.org_ids, row.share_bp, row.bucket_by = org_ids, basis, bucket_by
            row.updated_at, row.updated_by = self._clock(), actor.user_id
            row.updater_name = actor.display_name
            session.flush()
            rollout = _view(row)
        self._forget()
        self.flags.note(actor, flag, f"rollout: {rollout.describe()}", source=f"rollout:{source}")
        return rollout

    def clear(self, actor: Actor, name: FlagName | str, *, source: str = "cli") -> bool:
        """Remove the rollout (the global value applies to everyone); False if none."""
        require(actor, Permission.MANAGE_FLAGS)
        flag = flag_name(name)
        with self.db.write_session() as session:
            row = session.get(FlagRollout, str(flag))
            if row is None:
                return False
            session.delete(row)
        self._forget()
        self.flags.note(actor, flag, "rollout removed", source=f"rollout:{source}")
        return True

    def _rollable(self, name: FlagName | str) -> FlagName:
        flag = flag_name(name)
        if not FLAGS[flag].rollout_allowed:
            raise ValidationError(
                f"{flag} is a risky infrastructure flag: it is on or off for the whole "
                "installation and cannot be rolled out to some organizations"
            )
        return flag

    def _forget(self) -> None:
        with self._lock:
            self._cached = None


def _org_id(session: Session, ref: str | int) -> int:
    text = str(ref).strip()
    found = session.scalar(select(Organization.id).where(Organization.slug == text))
    if found is None and text.isdigit():
        found = session.scalar(select(Organization.id).where(Organization.id == int(text)))
    if found is None:
        raise NotFoundError(f"no organization {text!r} (give its slug or id)")
    return int(found)


def _view(row: FlagRollout) -> Rollout:
    return Rollout(
        flag=FlagName(row.flag),
        org_ids=tuple(int(i) for i in row.org_ids or ()),
        share_bp=row.share_bp,
        bucket_by=row.bucket_by,
        updated_at=row.updated_at,
        updater_name=row.updater_name,
    )
