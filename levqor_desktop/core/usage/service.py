"""``app.usage``: record usage, enforce limits and budgets, report usage.

Check → act → track: :meth:`UsageService.check_enqueue` refuses a job when its org or
user is over a hard limit or budget; :meth:`UsageService.hooks` gives connectors hooks
that reserve each call (and an AI step's worst-case cost) before it is made and record
what it used after; :meth:`UsageService.record` tracks job runs and anything else.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy import select

from levqor_desktop.core.db import Database
from levqor_desktop.core.models import utcnow
from levqor_desktop.core.models.usage import Enforcement, LimitOverride, Metric, Period, UsageLimit
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage import reports
from levqor_desktop.core.usage.guard import Guard, Reservation
from levqor_desktop.core.usage.hits import REFUSED, WARNED, LimitHits
from levqor_desktop.core.usage.hooks import AIStep, UsageHooks
from levqor_desktop.core.usage.limits import LimitStatus, LimitStore, UsageLimitExceeded, covering
from levqor_desktop.core.usage.periods import period_start
from levqor_desktop.core.usage.prices import PriceTable
from levqor_desktop.core.usage.records import NewEvent, insert_events, new_key, record_one
from levqor_desktop.errors import LimitExceeded, ValidationError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OverrideView:
    id: int
    org_id: int
    job_id: int
    granted_by: int
    reason: str
    created_at: dt.datetime


class UsageService:
    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db = db
        self._clock = clock
        self.limits = LimitStore(db, clock)
        self.prices = PriceTable(db, clock)
        self.guard = Guard(db, clock)
        #: Refusals and soft-limit warnings, kept for the incident timeline.
        self.hits = LimitHits(db, clock)

    def now(self) -> dt.datetime:
        return self._clock()

    # -- tracking ---------------------------------------------------------------------

    def record(
        self,
        actor: Actor,
        metric: Metric,
        amount: int,
        *,
        connector: str | None = None,
        workflow: str | None = None,
        job_id: int | None = None,
        idempotency_key: str | None = None,
        at: dt.datetime | None = None,
        durable: bool = True,
    ) -> bool:
        """Record one event and its rollup; False if its idempotency key was seen before.

        Jobs record a run with ``record(actor, Metric.JOB_RUNS, 1, job_id=..., workflow=...,
        idempotency_key=f"job:{job_id}:attempt:{n}", durable=False)``: written like the
        claim it meters (:attr:`Database.execution_engine`), so a database crash that
        forgets the claim forgets its meter too, and the rerun is metered once.
        """
        event = NewEvent(
            actor.org_id,
            actor.user_id,
            metric,
            amount,
            at or self._clock(),
            idempotency_key or new_key(),
            connector,
            workflow,
            job_id,
        )
        return record_one(self.db.engine if durable else self.db.execution_engine, event)

    def record_events(self, events: Sequence[NewEvent]) -> int:
        """Record many events in one transaction; returns how many were new."""
        # A Core connection, not an ORM session: this is the hot path of every call.
        with self.db.engine.begin() as conn:
            return insert_events(conn, self.db.backend, events)

    # -- enforcement ------------------------------------------------------------------

    def check_enqueue(
        self, actor: Actor, *, workflow_name: str | None = None, job_id: int | None = None
    ) -> list[LimitStatus]:
        """Raise :class:`LimitExceeded` naming the full limit; return soft-limit warnings."""
        try:
            warnings = self.guard.check_enqueue(actor, job_id=job_id)
        except UsageLimitExceeded as exc:
            self._hit(exc, "enqueue", actor, job_id, workflow_name)
            raise
        for status in warnings:
            log.warning("%s (workflow %s)", status.message(), workflow_name or "-")
            self.hits.record(
                status,
                WARNED,
                "enqueue",
                user_id=actor.user_id,
                job_id=job_id,
                workflow=workflow_name,
            )
        return warnings

    def _hit(
        self,
        exc: UsageLimitExceeded,
        stage: str,
        actor: Actor,
        job_id: int | None,
        workflow: str | None = None,
    ) -> None:
        self.hits.record(
            exc.status, REFUSED, stage, user_id=actor.user_id, job_id=job_id, workflow=workflow
        )

    def why_blocked(self, actor: Actor, *, job_id: int | None = None) -> str | None:
        return self.guard.why_blocked(actor, job_id=job_id)

    def reserve(
        self, actor: Actor, metric: Metric, amount: int, *, job_id: int | None = None
    ) -> Reservation:
        try:
            return self.guard.reserve(actor, metric, amount, job_id=job_id)
        except UsageLimitExceeded as exc:
            self._hit(exc, "reserve", actor, job_id)
            raise

    def commit(
        self,
        reservation: Reservation,
        amount: int | None = None,
        *,
        connector: str | None = None,
        workflow: str | None = None,
        idempotency_key: str | None = None,
    ) -> bool:
        """Turn a reservation into a usage event (``amount`` defaults to what was reserved)."""
        event = NewEvent(
            reservation.org_id,
            reservation.user_id,
            reservation.metric,
            reservation.amount if amount is None else amount,
            self._clock(),
            idempotency_key or new_key(),
            connector,
            workflow,
            reservation.job_id,
        )
        return self.guard.settle([reservation], [event]) == 1

    def release(self, reservation: Reservation) -> None:
        self.guard.release(reservation)

    def settle(self, reservations: Sequence[Reservation], events: Sequence[NewEvent]) -> int:
        return self.guard.settle(reservations, events)

    # -- the cost guard ---------------------------------------------------------------

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> int | None:
        """Micro-dollars for these tokens, or None when the model has no price."""
        price = self.prices.get(model)
        return None if price is None else price.cost(prompt_tokens, completion_tokens)

    def worst_case_cost(self, step: AIStep) -> int:
        """The most an AI step can cost: its prompt plus ``max_tokens`` of completion.

        Raises :class:`LimitExceeded` when a spend budget covers the step but its model
        has no price (the budget could not be kept).
        """
        if step.max_tokens < 1:
            raise ValidationError("an AI step needs max_tokens of at least 1 to be budgeted")
        cost = self.cost(step.model, step.prompt_tokens, step.max_tokens)
        return 0 if cost is None else cost

    def _require_price_under_budget(self, actor: Actor, step: AIStep) -> None:
        if self.prices.get(step.model) is not None:
            return
        with self.db.session() as session:
            budget = session.scalar(
                select(UsageLimit.id).where(
                    covering(actor.org_id, actor.user_id, [Metric.COST_USD]),
                    UsageLimit.enforcement == Enforcement.HARD,
                )
            )
        if budget is not None:
            raise LimitExceeded(
                f"the AI model {step.model!r} has no price, so the spend budget cannot "
                "be checked before the step runs",
                hint=f"set its price: levqor prices set {step.model} PROMPT COMPLETION",
            )

    def check_ai_step(self, actor: Actor, step: AIStep, *, job_id: int | None = None) -> int:
        """Raise unless the step's worst-case cost fits every budget; return that cost."""
        self._require_price_under_budget(actor, step)
        worst = self.worst_case_cost(step)
        with self.db.session() as session:
            if self.guard.overridden(session, actor.org_id, job_id):
                return worst
            blocked = self.guard.blocking(
                session, actor, [Metric.COST_USD], {Metric.COST_USD: worst}
            )
        if blocked:
            exc = UsageLimitExceeded(blocked[0], wanted=worst)
            self._hit(exc, "ai_step", actor, job_id)
            raise exc
        return worst

    def reserve_ai_cost(
        self, actor: Actor, step: AIStep, *, job_id: int | None = None
    ) -> Reservation:
        self._require_price_under_budget(actor, step)
        return self.reserve(actor, Metric.COST_USD, self.worst_case_cost(step), job_id=job_id)

    def ensure_tokens_left(self, actor: Actor, *, job_id: int | None = None) -> None:
        """Refuse an AI call when a hard token limit is already used up."""
        with self.db.session() as session:
            if self.guard.overridden(session, actor.org_id, job_id):
                return
            metrics = [Metric.AI_PROMPT_TOKENS, Metric.AI_COMPLETION_TOKENS]
            blocked = self.guard.blocking(session, actor, metrics, {})
        if blocked:
            exc = UsageLimitExceeded(blocked[0])
            self._hit(exc, "tokens", actor, job_id)
            raise exc

    def hooks(
        self,
        actor: Actor,
        job_id: int | None = None,
        *,
        workflow: str | None = None,
        ai_step: AIStep | None = None,
    ) -> UsageHooks:
        """``connectors.base.CallHooks`` that meter and limit calls made for ``actor``."""
        return UsageHooks(self, actor, job_id=job_id, workflow=workflow, ai_step=ai_step)

    # -- overrides --------------------------------------------------------------------

    def override(self, actor: Actor, job_id: int, reason: str) -> OverrideView:
        """Let one job run past the hard limits; needs an admin, a reason, and is audited."""
        require(actor, Permission.OVERRIDE_LIMITS)
        reason = reason.strip()
        if len(reason) < 3:
            raise ValidationError("an override needs a reason (a few words on why)")
        with self.db.session() as session:
            row = LimitOverride(
                org_id=actor.org_id,
                job_id=job_id,
                granted_by=actor.user_id,
                reason=reason[:500],
                created_at=self._clock(),
            )
            session.add(row)
            session.flush()
            log.warning(
                "limit override for job %s by user %s (%s): %s",
                job_id,
                actor.user_id,
                actor.role,
                reason,
            )
            return _override_view(row)

    def overrides(self, actor: Actor) -> list[OverrideView]:
        require(actor, Permission.READ)
        with self.db.session() as session:
            rows = session.scalars(
                select(LimitOverride)
                .where(LimitOverride.org_id == actor.org_id)
                .order_by(LimitOverride.id.desc())
            )
            return [_override_view(r) for r in rows]

    # -- reports (always the actor's organization) ------------------------------------

    def totals(
        self, actor: Actor, period: Period = Period.MONTH, *, user_id: int | None = None
    ) -> dict[Metric, int]:
        require(actor, Permission.READ)
        with self.db.session() as session:
            since = period_start(period, self._clock())
            return reports.totals(session, actor.org_id, since, user_id=user_id)

    def month_to_date(self, org_id: int, user_id: int) -> dict[Metric, int]:
        """A user's usage this month (no permission check: for the engine and benchmarks)."""
        with self.db.session() as session:
            return reports.month_to_date(session, org_id, user_id, self._clock())

    def top_users(
        self, actor: Actor, metric: Metric, period: Period = Period.MONTH, limit: int = 10
    ) -> list[reports.TopEntry]:
        require(actor, Permission.READ)
        with self.db.session() as session:
            since = period_start(period, self._clock())
            return reports.top_users(session, actor.org_id, metric, since, limit)

    def top_connectors(
        self, actor: Actor, period: Period = Period.MONTH, limit: int = 10
    ) -> list[reports.TopEntry]:
        return self._top(actor, "connector", Metric.CONNECTOR_CALLS, period, limit)

    def top_workflows(
        self, actor: Actor, period: Period = Period.MONTH, limit: int = 10
    ) -> list[reports.TopEntry]:
        return self._top(actor, "workflow", Metric.JOB_RUNS, period, limit)

    def _top(
        self, actor: Actor, column: str, metric: Metric, period: Period, limit: int
    ) -> list[reports.TopEntry]:
        require(actor, Permission.READ)
        start = period_start(period, self._clock())
        since = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC)
        with self.db.session() as session:
            return reports.top_by(session, actor.org_id, column, metric, since, limit)

    def series(
        self, actor: Actor, metric: Metric, days: int = 30, *, user_id: int | None = None
    ) -> list[tuple[dt.date, int]]:
        require(actor, Permission.READ)
        today = self._clock().astimezone(dt.UTC).date()
        since = today - dt.timedelta(days=max(days, 1) - 1)
        with self.db.session() as session:
            return reports.series(session, actor.org_id, metric, since, today, user_id=user_id)

    def export_csv(
        self,
        actor: Actor,
        out: TextIO,
        period: Period = Period.MONTH,
        *,
        user_id: int | None = None,
    ) -> int:
        """Write daily usage rows (day, user, metric, amount) as CSV; return the row count."""
        require(actor, Permission.READ)
        with self.db.session() as session:
            since = period_start(period, self._clock())
            rows = reports.daily_rows(session, actor.org_id, since, user_id=user_id)
        return reports.write_csv(out, rows)


def _override_view(row: LimitOverride) -> OverrideView:
    return OverrideView(row.id, row.org_id, row.job_id, row.granted_by, row.reason, row.created_at)
