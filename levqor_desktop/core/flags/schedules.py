"""Scheduled flips: apply a flag value at a given time, exactly once.

``app.flag_schedules`` keeps them in ``flag_schedules``. :meth:`FlagScheduleService.apply_due`
applies each due flip once: it first *claims* the row with a conditional UPDATE
(``pending`` → ``applying``, only if still pending), so of two processes on one database
only one wins; then applies the value through the audited flag service and marks the
row ``applied``. A process that died between the claim and the end leaves an
``applying`` row; after ``stale_after`` another applier takes it over (setting a flag to
the value it already has changes nothing, so the take-over is safe). The
:class:`FlagFlipScheduler` background service calls it at start (flips whose time passed
while the app was down) and then every few seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Update, or_, select, update
from sqlalchemy.orm import Session

from levqor_desktop.core.db import Database
from levqor_desktop.core.flags.definitions import FlagName
from levqor_desktop.core.flags.service import MAX_REASON, FlagService, describe_value, flag_name
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.flagsafety import (
    FlagChangeRequest,
    FlagRequestEvent,
    FlagSchedule,
)
from levqor_desktop.core.models.tenancy import Role
from levqor_desktop.core.periodic import PeriodicService
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import LevqorError, NotFoundError, ValidationError

log = logging.getLogger(__name__)

PENDING, APPLYING, APPLIED, CANCELED, FAILED = (
    "pending",
    "applying",
    "applied",
    "canceled",
    "failed",
)
#: A claim older than this belongs to a process that died; another may take it over.
STALE_AFTER = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class ScheduledFlip:
    id: int
    flag: FlagName
    value: bool | None
    due_at: dt.datetime
    status: str
    reason: str | None
    creator_name: str
    created_at: dt.datetime
    request_id: int | None
    audit_id: int | None
    outcome: str | None

    @property
    def open(self) -> bool:
        return self.status in (PENDING, APPLYING)


RELATIVE = re.compile(r"^\+?(\d+)\s*([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_when(text: str, now: dt.datetime) -> dt.datetime:
    """``+30m``, ``2h``, ``1d`` from now, or an ISO 8601 time (UTC when it names no zone)."""
    text = text.strip()
    relative = RELATIVE.match(text)
    if relative:
        return now + dt.timedelta(**{UNITS[relative[2]]: int(relative[1])})
    try:
        at = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{text!r} is not a time: give e.g. +30m, 2h, 1d or 2026-12-24T18:00Z"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def updated_rows(session: Session, statement: Update) -> int:
    """How many rows a conditional UPDATE changed (the test of who won)."""
    result = cast("CursorResult[Any]", session.execute(statement))
    return int(result.rowcount)


def request_event(
    request_id: int, event: str, actor: Actor | None, note: str | None, at: dt.datetime
) -> FlagRequestEvent:
    """A change request's transition row (the flip's actor, or the scheduler)."""
    return FlagRequestEvent(
        request_id=request_id,
        at=at,
        event=event,
        user_id=actor.user_id if actor else None,
        actor_name=actor.display_name if actor else "flag scheduler",
        note=note,
    )


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class FlagScheduleService:
    """``app.flag_schedules``: schedule, list, cancel and apply flips."""

    def __init__(
        self,
        db: Database,
        flags: FlagService,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        owner: str | None = None,
        stale_after: dt.timedelta = STALE_AFTER,
    ) -> None:
        self.db = db
        self.flags = flags
        self.clock = clock
        self.owner = owner or owner_id()
        self.stale_after = stale_after

    # -- reading ----------------------------------------------------------------------

    def scheduled(self, *, include_done: bool = False, limit: int = 200) -> list[ScheduledFlip]:
        """Flips by due time (open ones only unless ``include_done``)."""
        query = select(FlagSchedule).order_by(FlagSchedule.due_at, FlagSchedule.id).limit(limit)
        if not include_done:
            query = query.where(FlagSchedule.status.in_((PENDING, APPLYING)))
        with self.db.session() as session:
            return [_view(r) for r in session.scalars(query)]

    def get(self, schedule_id: int) -> ScheduledFlip:
        with self.db.session() as session:
            row = session.get(FlagSchedule, schedule_id)
            if row is None:
                raise NotFoundError(f"no scheduled flip #{schedule_id}")
            return _view(row)

    # -- changing ---------------------------------------------------------------------

    def schedule(
        self,
        actor: Actor,
        name: FlagName | str,
        value: bool | None,
        at: dt.datetime,
        reason: str | None = None,
        *,
        source: str = "cli",
    ) -> ScheduledFlip:
        """Apply ``value`` at ``at`` (UTC). A risky flag that needs a second admin is
        refused here: propose it with a time instead (the approval schedules it)."""
        self.flags.check_approval(actor, name)
        if at.tzinfo is not None and at <= self.clock():
            raise ValidationError(
                f"{at:%Y-%m-%d %H:%M:%S} UTC has passed: schedule a flip in the future "
                "(or change the flag now)"
            )
        return self.add(actor, name, value, at, reason, source=source)

    def add(
        self,
        actor: Actor,
        name: FlagName | str,
        value: bool | None,
        at: dt.datetime,
        reason: str | None,
        *,
        source: str,
        request_id: int | None = None,
    ) -> ScheduledFlip:
        """Store a flip without the approval check (an approved request's time)."""
        require(actor, Permission.MANAGE_FLAGS)
        flag = flag_name(name)
        self.flags.check_reason(flag, reason)
        if at.tzinfo is None:
            raise ValidationError("give the time of a scheduled flip with its time zone (UTC)")
        with self.db.write_session() as session:
            row = FlagSchedule(
                created_at=self.clock(),
                flag=str(flag),
                value=value,
                reason=(reason or "").strip()[:MAX_REASON] or None,
                due_at=at.astimezone(dt.UTC),
                status=PENDING,
                org_id=actor.org_id,
                created_by=actor.user_id,
                creator_name=actor.display_name,
                request_id=request_id,
            )
            session.add(row)
            session.flush()
            flip = _view(row)
        self.flags.note(
            actor,
            flag,
            f"scheduled flip #{flip.id}: {describe_value(value)} at {_when(flip.due_at)}",
            source=f"schedule:{source}",
        )
        return flip

    def cancel(self, actor: Actor, schedule_id: int, *, source: str = "cli") -> ScheduledFlip:
        """Cancel a pending flip (and the approved request it carries out)."""
        require(actor, Permission.MANAGE_FLAGS)
        with self.db.write_session() as session:
            done = updated_rows(
                session,
                update(FlagSchedule)
                .where(FlagSchedule.id == schedule_id, FlagSchedule.status == PENDING)
                .values(
                    status=CANCELED,
                    finished_at=self.clock(),
                    outcome=f"canceled by {actor.display_name}",
                ),
            )
            row = session.get(FlagSchedule, schedule_id)
            if row is None:
                raise NotFoundError(f"no scheduled flip #{schedule_id}")
            if not done:
                raise ValidationError(
                    f"scheduled flip #{schedule_id} is {row.status}: only a pending flip can "
                    "be canceled"
                )
            if row.request_id is not None:
                session.execute(
                    update(FlagChangeRequest)
                    .where(FlagChangeRequest.id == row.request_id)
                    .values(status=CANCELED)
                )
                session.add(
                    request_event(
                        row.request_id, CANCELED, actor, f"flip #{row.id} canceled", self.clock()
                    )
                )
            flip = _view(row)
        self.flags.note(
            actor, flip.flag, f"scheduled flip #{flip.id} canceled", source=f"schedule:{source}"
        )
        return flip

    # -- applying ---------------------------------------------------------------------

    def apply_due(self, now: dt.datetime | None = None) -> list[ScheduledFlip]:
        """Apply every flip whose time has come, each once; returns those this call applied."""
        now = now or self.clock()
        stale = now - self.stale_after
        due = or_(
            FlagSchedule.status == PENDING,
            (FlagSchedule.status == APPLYING) & (FlagSchedule.claimed_at < stale),
        )
        with self.db.session() as session:
            ids = session.scalars(
                select(FlagSchedule.id)
                .where(FlagSchedule.due_at <= now, due)
                .order_by(FlagSchedule.due_at, FlagSchedule.id)
            ).all()
        applied = []
        for schedule_id in ids:
            if self._claim(schedule_id, now, due):
                applied.append(self._apply(schedule_id))
        return applied

    def _claim(self, schedule_id: int, now: dt.datetime, due: ColumnElement[bool]) -> bool:
        with self.db.write_session() as session:
            claim = (
                update(FlagSchedule)
                .where(FlagSchedule.id == schedule_id, FlagSchedule.due_at <= now, due)
                .values(status=APPLYING, claimed_by=self.owner, claimed_at=now)
            )
            return updated_rows(session, claim) == 1

    def _apply(self, schedule_id: int) -> ScheduledFlip:
        flip = self.get(schedule_id)
        status, outcome, audit_id = APPLIED, "applied", None
        actor: Actor | None = None
        try:
            actor = self._actor(schedule_id)
            reason = flip.reason or f"scheduled flip #{flip.id}"
            change = self.flags.apply_approved(
                actor, flip.flag, flip.value, reason, source="schedule"
            )
            if change is None:
                outcome = f"{flip.flag} was already {describe_value(flip.value)}: nothing to change"
            else:
                audit_id = change.entry.id
        except LevqorError as exc:
            status, outcome = FAILED, str(exc)
            log.warning("scheduled flip #%d of %s failed: %s", flip.id, flip.flag, exc)
        with self.db.write_session() as session:
            row = session.get(FlagSchedule, schedule_id)
            assert row is not None
            row.status, row.outcome, row.audit_id = status, outcome, audit_id
            row.finished_at = self.clock()
            if row.request_id is not None:
                request = session.get(FlagChangeRequest, row.request_id)
                if request is not None:
                    request.status = status
                    request.applied_at = row.finished_at if status == APPLIED else None
                    request.audit_id = audit_id
                    request.error = None if status == APPLIED else outcome
                    note = f"by flip #{row.id}: {outcome}"
                    session.add(request_event(request.id, status, actor, note, self.clock()))
            return _view(row)

    def _actor(self, schedule_id: int) -> Actor:
        """The flip acts as the admin who scheduled it (or approved its request)."""
        with self.db.session() as session:
            row = session.get(FlagSchedule, schedule_id)
            assert row is not None
            if row.created_by is None or row.org_id is None:
                raise LevqorError("the admin who scheduled this flip no longer exists")
            return Actor(row.org_id, row.created_by, Role.ADMIN, f"{row.creator_name} (scheduled)")


class FlagFlipScheduler(PeriodicService):
    """Background service: apply due flips at start, then every ``interval_s`` seconds."""

    name = "flag-scheduler"
    thread_name = "levqor-flag-flips"

    def __init__(
        self,
        schedules: FlagScheduleService,
        *,
        interval_s: float = 5.0,
        paused: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(interval_s)
        self.schedules = schedules
        #: True during maintenance: flips wait (and apply once it ends).
        self.paused = paused
        # autostart is False in processes that must not apply flips (``levqor worker``
        # without ``--with-scheduler``: a worker machine's flags file is not the console's).

    def tick(self) -> list[ScheduledFlip]:
        if self.paused is not None and self.paused():
            return []
        return self.schedules.apply_due()


def _when(at: dt.datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC"


def _view(row: FlagSchedule) -> ScheduledFlip:
    return ScheduledFlip(
        id=row.id,
        flag=FlagName(row.flag),
        value=row.value,
        due_at=row.due_at,
        status=row.status,
        reason=row.reason,
        creator_name=row.creator_name,
        created_at=row.created_at,
        request_id=row.request_id,
        audit_id=row.audit_id,
        outcome=row.outcome,
    )
