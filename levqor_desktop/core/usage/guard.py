"""Check → act → track: refuse work over a hard limit, reserve usage before a call.

``reserve`` takes the applicable hard-limit rows with ``SELECT ... FOR UPDATE`` (row locks
on PostgreSQL; on SQLite the whole transaction is ``BEGIN IMMEDIATE``), so two workers
reserving against the same limit run one after the other and never both take its last
unit. ``commit`` turns the reservation into events in one transaction; ``release`` drops
it. A reservation whose worker died stops counting when it expires.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from levqor_desktop.core.db import Database
from levqor_desktop.core.models.usage import (
    Enforcement,
    LimitOverride,
    Metric,
    UsageLimit,
    UsageReservation,
)
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage.limits import (
    LimitStatus,
    UsageLimitExceeded,
    covering,
    measure,
    status_of,
    view,
)
from levqor_desktop.core.usage.periods import period_reset
from levqor_desktop.core.usage.records import NewEvent, insert_events
from levqor_desktop.errors import ValidationError

log = logging.getLogger(__name__)

#: How long a reservation counts if its worker never settles it.
RESERVATION_TTL = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Reservation:
    """Usage promised to one call. ``row_id`` is None when no hard limit applied."""

    org_id: int
    user_id: int
    metric: Metric
    amount: int
    row_id: int | None
    job_id: int | None = None
    overridden: bool = False


class Guard:
    def __init__(self, db: Database, clock: Callable[[], dt.datetime]) -> None:
        self._db = db
        self._clock = clock

    # -- overrides --------------------------------------------------------------------

    def overridden(self, session: Session, org_id: int, job_id: int | None) -> bool:
        if job_id is None:
            return False
        found = session.scalar(
            select(LimitOverride.id).where(
                LimitOverride.org_id == org_id, LimitOverride.job_id == job_id
            )
        )
        return found is not None

    # -- checks -----------------------------------------------------------------------

    def _limits(
        self,
        session: Session,
        actor: Actor,
        metrics: Sequence[Metric],
        enforcement: Enforcement | None = None,
    ) -> Sequence[UsageLimit]:
        where = [covering(actor.org_id, actor.user_id, metrics)]
        if enforcement is not None:
            where.append(UsageLimit.enforcement == enforcement)
        return session.scalars(select(UsageLimit).where(*where).order_by(UsageLimit.id)).all()

    def _over(
        self, session: Session, hard: Sequence[UsageLimit], extra: dict[Metric, int]
    ) -> list[LimitStatus]:
        now = self._clock()
        blocked: list[LimitStatus] = []
        for row in hard:
            status = status_of(session, row, now)
            want = extra.get(row.metric, 0)
            total = status.used + status.reserved
            if (want == 0 and total >= row.value) or (want > 0 and total + want > row.value):
                blocked.append(status)
        return blocked

    def _exhausted(self, session: Session, soft: Sequence[UsageLimit]) -> list[LimitStatus]:
        now = self._clock()
        statuses = [status_of(session, r, now) for r in soft]
        return [s for s in statuses if s.exhausted]

    def blocking(
        self, session: Session, actor: Actor, metrics: Sequence[Metric], extra: dict[Metric, int]
    ) -> list[LimitStatus]:
        """Hard limits on ``metrics`` that refuse work adding ``extra`` (0: already full)."""
        return self._over(session, self._limits(session, actor, metrics, Enforcement.HARD), extra)

    def warnings(self, session: Session, actor: Actor) -> list[LimitStatus]:
        """Soft limits covering the actor that are at or past 100 %."""
        return self._exhausted(
            session, self._limits(session, actor, list(Metric), Enforcement.SOFT)
        )

    def check_enqueue(self, actor: Actor, *, job_id: int | None = None) -> list[LimitStatus]:
        """Raise :class:`UsageLimitExceeded` if a hard limit or budget is full for the actor.

        Returns the soft limits that are past 100 % (warnings for the operator). The hard
        and soft limits are read in one query (one round trip per enqueue, not two); the
        exact, concurrent check is :meth:`reserve`'s, under row locks.
        """
        with self._db.session() as session:
            rows = self._limits(session, actor, list(Metric))
            if not self.overridden(session, actor.org_id, job_id):
                hard = [r for r in rows if r.enforcement == Enforcement.HARD]
                blocked = self._over(session, hard, {Metric.JOB_RUNS: 1})
                if blocked:
                    raise UsageLimitExceeded(blocked[0])
            return self._exhausted(session, [r for r in rows if r.enforcement == Enforcement.SOFT])

    def why_blocked(self, actor: Actor, *, job_id: int | None = None) -> str | None:
        """One sentence naming the limit that keeps the actor's work from running, or None."""
        with self._db.session() as session:
            if self.overridden(session, actor.org_id, job_id):
                return None
            blocked = self.blocking(session, actor, list(Metric), {})
            return blocked[0].message() if blocked else None

    # -- reservations -----------------------------------------------------------------

    def reserve(
        self, actor: Actor, metric: Metric, amount: int, *, job_id: int | None = None
    ) -> Reservation:
        """Atomically promise ``amount`` of ``metric``, or raise :class:`UsageLimitExceeded`."""
        if amount < 0:
            raise ValidationError("cannot reserve a negative amount")
        now = self._clock()
        with self._db.write_session() as session:
            if self.overridden(session, actor.org_id, job_id):
                log.info("job %s runs past the limits (admin override)", job_id)
                return Reservation(actor.org_id, actor.user_id, metric, amount, None, job_id, True)
            # Locked in id order, so two reservers never wait on each other in a cycle.
            limits = session.scalars(
                select(UsageLimit)
                .where(
                    covering(actor.org_id, actor.user_id, [metric]),
                    UsageLimit.enforcement == Enforcement.HARD,
                )
                .order_by(UsageLimit.id)
                .with_for_update()
            ).all()
            if not limits:
                return Reservation(actor.org_id, actor.user_id, metric, amount, None, job_id)
            for limit in limits:
                used, reserved = measure(session, limit, now)
                if used + reserved + amount > limit.value:
                    status = LimitStatus(
                        view(session, limit), used, reserved, period_reset(limit.period, now)
                    )
                    raise UsageLimitExceeded(status, wanted=amount)
            row = UsageReservation(
                org_id=actor.org_id,
                user_id=actor.user_id,
                metric=metric,
                amount=amount,
                job_id=job_id,
                expires_at=now + RESERVATION_TTL,
            )
            session.add(row)
            session.flush()
            return Reservation(actor.org_id, actor.user_id, metric, amount, row.id, job_id)

    def settle(self, reservations: Sequence[Reservation], events: Sequence[NewEvent]) -> int:
        """Drop ``reservations`` and record ``events`` in one transaction; return new events."""
        ids = [r.row_id for r in reservations if r.row_id is not None]
        with self._db.session() as session:
            if ids:
                session.execute(delete(UsageReservation).where(UsageReservation.id.in_(ids)))
            return insert_events(session, self._db.backend, events)

    def release(self, reservation: Reservation) -> None:
        self.settle([reservation], [])

    def purge_expired(self) -> int:
        """Delete reservations past their expiry (they no longer count anyway)."""
        with self._db.session() as session:
            result = session.execute(
                delete(UsageReservation).where(UsageReservation.expires_at <= self._clock())
            )
            return int(getattr(result, "rowcount", 0) or 0)
