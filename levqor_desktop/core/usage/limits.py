"""Limits: caps per organization (its plan) or per user (overrides), per day or month.

An organization limit caps the sum over all its members; a user limit caps one member.
Both apply: work must fit every hard limit that covers it. Usage in a period is read
from the daily rollups plus the reservations of calls in flight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from levqor_desktop.core.db import Database
from levqor_desktop.core.models import Membership, Organization, User
from levqor_desktop.core.models.usage import (
    Enforcement,
    Metric,
    Period,
    UsageLimit,
    UsageReservation,
    UsageRollup,
)
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage.formatting import LABELS, format_amount
from levqor_desktop.core.usage.periods import describe_reset, period_reset, period_start
from levqor_desktop.errors import LimitExceeded, NotFoundError, ValidationError

#: Alert levels, in percent of a limit: the panel turns amber at 75 and red at 100.
THRESHOLDS = (50, 75, 100)


@dataclass(frozen=True)
class LimitView:
    id: int
    org_id: int
    user_id: int | None  # None: the whole organization
    metric: Metric
    period: Period
    enforcement: Enforcement
    value: int
    scope_name: str = ""  # the org's or user's display name, for messages

    @property
    def scope(self) -> str:
        return "organization" if self.user_id is None else "user"

    def describe(self) -> str:
        who = f"{self.scope} {self.scope_name!r}" if self.scope_name else self.scope
        return (
            f"the {self.enforcement} limit of {format_amount(self.metric, self.value)} "
            f"{LABELS[self.metric]} per {self.period} for {who}"
        )


@dataclass(frozen=True)
class LimitStatus:
    limit: LimitView
    used: int
    reserved: int
    resets_at: dt.datetime

    @property
    def fraction(self) -> float:
        if self.limit.value == 0:
            return 1.0 if self.used + self.reserved > 0 else 0.0
        return (self.used + self.reserved) / self.limit.value

    @property
    def level(self) -> int:
        """The highest alert threshold reached (0, 50, 75 or 100)."""
        reached = [t for t in THRESHOLDS if self.fraction * 100 >= t]
        if self.limit.value == 0:
            reached = [100]
        return max(reached, default=0)

    @property
    def remaining(self) -> int:
        return max(self.limit.value - self.used - self.reserved, 0)

    @property
    def exhausted(self) -> bool:
        return self.used + self.reserved >= self.limit.value

    def message(self) -> str:
        return (
            f"{self.limit.describe()} is reached: {format_amount(self.limit.metric, self.used)} "
            f"used"
            + (
                f" and {format_amount(self.limit.metric, self.reserved)} reserved"
                if self.reserved
                else ""
            )
            + f"; it resets at {describe_reset(self.resets_at)}"
        )


class UsageLimitExceeded(LimitExceeded):
    """A hard limit refuses the work; names the limit, its value and when it resets."""

    def __init__(self, status: LimitStatus, *, wanted: int | None = None) -> None:
        text = status.message()
        if wanted is not None and not status.exhausted:
            text = (
                f"{status.limit.describe()} leaves "
                f"{format_amount(status.limit.metric, status.remaining)}"
                f", not enough for {format_amount(status.limit.metric, wanted)}; "
                f"it resets at {describe_reset(status.resets_at)}"
            )
        super().__init__(text, hint="an admin can raise the limit or override it for one job")
        self.status = status


def covering(org_id: int, user_id: int, metrics: Sequence[Metric]) -> ColumnElement[bool]:
    """Limits that apply to work by ``user_id`` in ``org_id`` on any of ``metrics``."""
    return and_(
        UsageLimit.org_id == org_id,
        UsageLimit.metric.in_(metrics),
        or_(UsageLimit.user_id.is_(None), UsageLimit.user_id == user_id),
    )


def measure(session: Session, limit: UsageLimit | LimitView, now: dt.datetime) -> tuple[int, int]:
    """(used, reserved) in the limit's scope and current period, read in one statement.

    One statement reads one snapshot on PostgreSQL, so a reservation turning into an
    event (one transaction) is never counted twice or missed.
    """
    since = period_start(limit.period, now)
    used = select(func.coalesce(func.sum(UsageRollup.amount), 0)).where(
        UsageRollup.org_id == limit.org_id,
        UsageRollup.metric == limit.metric,
        UsageRollup.day >= since,
    )
    reserved = select(func.coalesce(func.sum(UsageReservation.amount), 0)).where(
        UsageReservation.org_id == limit.org_id,
        UsageReservation.metric == limit.metric,
        UsageReservation.expires_at > now,
    )
    if limit.user_id is not None:
        used = used.where(UsageRollup.user_id == limit.user_id)
        reserved = reserved.where(UsageReservation.user_id == limit.user_id)
    row = session.execute(select(used.scalar_subquery(), reserved.scalar_subquery())).one()
    return int(row[0]), int(row[1])


def view(session: Session, row: UsageLimit) -> LimitView:
    if row.user_id is None:
        name = session.scalar(select(Organization.name).where(Organization.id == row.org_id))
    else:
        name = session.scalar(select(User.display_name).where(User.id == row.user_id))
    return LimitView(
        row.id,
        row.org_id,
        row.user_id,
        row.metric,
        row.period,
        row.enforcement,
        row.value,
        name or "",
    )


def status_of(session: Session, row: UsageLimit, now: dt.datetime) -> LimitStatus:
    used, reserved = measure(session, row, now)
    return LimitStatus(view(session, row), used, reserved, period_reset(row.period, now))


class LimitStore:
    """Reading and editing limits; editing needs the ``manage_limits`` permission."""

    def __init__(self, db: Database, clock: Callable[[], dt.datetime]) -> None:
        self._db = db
        self._clock = clock

    def all(self, actor: Actor, *, user_id: int | None = None) -> list[LimitView]:
        """The active organization's limits (and, given ``user_id``, only those covering it)."""
        require(actor, Permission.READ)
        with self._db.session() as session:
            query = select(UsageLimit).where(UsageLimit.org_id == actor.org_id)
            if user_id is not None:
                query = query.where(
                    or_(UsageLimit.user_id.is_(None), UsageLimit.user_id == user_id)
                )
            rows = session.scalars(
                query.order_by(UsageLimit.user_id, UsageLimit.metric, UsageLimit.period)
            )
            return [view(session, r) for r in rows]

    def statuses(self, actor: Actor, *, user_id: int | None = None) -> list[LimitStatus]:
        require(actor, Permission.READ)
        now = self._clock()
        with self._db.session() as session:
            query = select(UsageLimit).where(UsageLimit.org_id == actor.org_id)
            if user_id is not None:
                query = query.where(
                    or_(UsageLimit.user_id.is_(None), UsageLimit.user_id == user_id)
                )
            rows = session.scalars(
                query.order_by(UsageLimit.user_id, UsageLimit.metric, UsageLimit.id)
            ).all()
            return [status_of(session, r, now) for r in rows]

    def set(
        self,
        actor: Actor,
        metric: Metric,
        period: Period,
        value: int,
        *,
        enforcement: Enforcement = Enforcement.HARD,
        user_id: int | None = None,
    ) -> LimitView:
        """Create or change the limit on ``metric`` per ``period`` for the org or a member."""
        require(actor, Permission.MANAGE_LIMITS)
        if value < 0:
            raise ValidationError("a limit cannot be negative")
        with self._db.write_session() as session:
            # One editor per organization at a time (a row lock on PostgreSQL), so two
            # admins setting the same limit cannot insert it twice.
            session.get(Organization, actor.org_id, with_for_update=True)
            if user_id is not None:
                member = session.get(Membership, (actor.org_id, user_id))
                if member is None:
                    raise NotFoundError(f"user {user_id} is not a member of this organization")
            row = session.scalar(
                select(UsageLimit)
                .where(
                    UsageLimit.org_id == actor.org_id,
                    UsageLimit.metric == metric,
                    UsageLimit.period == period,
                    UsageLimit.user_id.is_(None)
                    if user_id is None
                    else UsageLimit.user_id == user_id,
                )
                .with_for_update()
            )
            if row is None:
                row = UsageLimit(org_id=actor.org_id, user_id=user_id, metric=metric, period=period)
                session.add(row)
            row.value = value
            row.enforcement = enforcement
            row.updated_at = self._clock()
            session.flush()
            return view(session, row)

    def unset(
        self, actor: Actor, metric: Metric, period: Period, *, user_id: int | None = None
    ) -> None:
        require(actor, Permission.MANAGE_LIMITS)
        with self._db.write_session() as session:
            row = session.scalar(
                select(UsageLimit).where(
                    UsageLimit.org_id == actor.org_id,
                    UsageLimit.metric == metric,
                    UsageLimit.period == period,
                    UsageLimit.user_id.is_(None)
                    if user_id is None
                    else UsageLimit.user_id == user_id,
                )
            )
            if row is None:
                who = "the organization" if user_id is None else f"user {user_id}"
                raise NotFoundError(f"there is no limit on {metric} per {period} for {who}")
            session.delete(row)
