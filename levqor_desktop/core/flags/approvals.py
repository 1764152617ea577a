"""Change requests: a risky flag change that a second admin approves before it applies.

The rule (:func:`approval_needed`): a risky flag's change needs approval when the acting
organization has more than one admin (admins and owners both manage flags). With one
admin the change applies directly, audited as always. A request goes
``proposed`` → ``approved`` | ``rejected`` (or ``canceled`` by its proposer), and an
approved one → ``applied`` (or ``failed``), at once or, when it names a time, through a
scheduled flip. The proposer cannot approve their own request. Each transition is a
``flag_request_events`` row and a note in the flag audit; decisions are conditional
UPDATEs, so two admins deciding at once cannot both win.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from levqor_desktop.core.db import Database
from levqor_desktop.core.flags.definitions import FLAGS, FlagName
from levqor_desktop.core.flags.schedules import (
    FlagScheduleService,
    ScheduledFlip,
    request_event,
    updated_rows,
)
from levqor_desktop.core.flags.service import FlagChange, FlagService, describe_value, flag_name
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.flagsafety import FlagChangeRequest, FlagRequestEvent
from levqor_desktop.core.models.tenancy import Membership, Role
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import LevqorError, NotFoundError, PermissionDenied, ValidationError

PROPOSED, APPROVED, REJECTED = "proposed", "approved", "rejected"
APPLIED, CANCELED, FAILED = "applied", "canceled", "failed"
FLAG_ADMINS = (Role.ADMIN, Role.OWNER)


def admin_count(db: Database, org_id: int) -> int:
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Membership)
                .where(Membership.org_id == org_id, Membership.role.in_(FLAG_ADMINS))
            )
            or 0
        )


def approval_needed(db: Database) -> Callable[[Actor, FlagName], bool]:
    """The policy :class:`FlagService` asks: risky flag, more than one admin."""

    def needed(actor: Actor, flag: FlagName) -> bool:
        return FLAGS[flag].risky and admin_count(db, actor.org_id) > 1

    return needed


@dataclass(frozen=True)
class RequestEvent:
    at: dt.datetime
    event: str
    actor_name: str
    note: str | None


@dataclass(frozen=True)
class ChangeRequest:
    id: int
    flag: FlagName
    value: bool | None
    reason: str
    status: str
    proposer_name: str
    proposed_by: int | None
    created_at: dt.datetime
    decider_name: str | None
    decided_at: dt.datetime | None
    decision_note: str | None
    apply_at: dt.datetime | None
    audit_id: int | None
    restores_id: int | None
    error: str | None

    @property
    def summary(self) -> str:
        return f"#{self.id} {self.flag} → {describe_value(self.value)}"


#: What a change that may need approval turned into: applied at once (None: nothing
#: changed), a scheduled flip, or a request.
Outcome = FlagChange | ScheduledFlip | ChangeRequest | None


class ChangeRequestService:
    """``app.flag_requests``: propose, approve, reject, withdraw; change and restore."""

    def __init__(
        self,
        db: Database,
        flags: FlagService,
        schedules: FlagScheduleService,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.flags = flags
        self.schedules = schedules
        self.clock = clock

    # -- reading ----------------------------------------------------------------------

    def requests(self, *, open_only: bool = False, limit: int = 200) -> list[ChangeRequest]:
        """Change requests, newest first (``open_only``: those waiting for a decision)."""
        query = select(FlagChangeRequest).order_by(FlagChangeRequest.id.desc()).limit(limit)
        if open_only:
            query = query.where(FlagChangeRequest.status == PROPOSED)
        with self.db.session() as session:
            return [_view(r) for r in session.scalars(query)]

    def get(self, request_id: int) -> ChangeRequest:
        with self.db.session() as session:
            row = session.get(FlagChangeRequest, request_id)
            if row is None:
                raise NotFoundError(f"no flag change request #{request_id}")
            return _view(row)

    def events(self, request_id: int) -> list[RequestEvent]:
        with self.db.session() as session:
            rows = session.scalars(
                select(FlagRequestEvent)
                .where(FlagRequestEvent.request_id == request_id)
                .order_by(FlagRequestEvent.id)
            )
            return [RequestEvent(r.at, r.event, r.actor_name, r.note) for r in rows]

    # -- changing ---------------------------------------------------------------------

    def change(
        self,
        actor: Actor,
        name: FlagName | str,
        value: bool | None,
        reason: str | None,
        *,
        at: dt.datetime | None = None,
        source: str = "cli",
    ) -> Outcome:
        """Make the change (at ``at``: a scheduled flip) where the rule allows, else
        propose it (to apply on approval, or at ``at``)."""
        flag = flag_name(name)
        if self._needed(actor, flag):
            return self.propose(actor, flag, value, reason, apply_at=at, source=source)
        if at is not None:
            return self.schedules.schedule(actor, flag, value, at, reason, source=source)
        return self.flags.set(actor, flag, value, reason, source=source)

    def _needed(self, actor: Actor, flag: FlagName) -> bool:
        return self.flags.needs_approval is not None and self.flags.needs_approval(actor, flag)

    def restore(
        self, actor: Actor, audit_id: int, reason: str | None = None, *, source: str = "cli"
    ) -> Outcome:
        """Put back the value an earlier change set (under the same approval rule)."""
        entry = self.flags.entry(audit_id)
        why = (reason or "").strip() or f"restore of #{audit_id}"
        if self._needed(actor, entry.flag):
            return self.propose(
                actor, entry.flag, entry.new_value, why, source=source, restores=audit_id
            )
        require(actor, Permission.MANAGE_FLAGS)
        return self.flags.apply_approved(
            actor, entry.flag, entry.new_value, why, source=f"restore:{source}"
        )

    def propose(
        self,
        actor: Actor,
        name: FlagName | str,
        value: bool | None,
        reason: str | None,
        *,
        apply_at: dt.datetime | None = None,
        restores: int | None = None,
        source: str = "cli",
    ) -> ChangeRequest:
        """Ask a second admin to approve a change (at ``apply_at``, else on approval)."""
        require(actor, Permission.MANAGE_FLAGS)
        flag = flag_name(name)
        kept = self.flags.check_reason(flag, reason) or "(no reason given)"
        if apply_at is not None and apply_at.tzinfo is None:
            raise ValidationError("give the time of a change with its time zone (UTC)")
        state = self.flags.store.state(flag)
        if state.locked:
            raise ValidationError(f"{flag} is forced by the environment variable {flag}")
        if state.file_value == value and apply_at is None:
            raise ValidationError(f"{flag} is already {describe_value(value)}: nothing to propose")
        with self.db.write_session() as session:
            waiting = session.scalar(
                select(FlagChangeRequest.id).where(
                    FlagChangeRequest.flag == str(flag), FlagChangeRequest.status == PROPOSED
                )
            )
            if waiting is not None:
                raise ValidationError(
                    f"change request #{waiting} for {flag} waits for a decision: decide or "
                    "withdraw it first"
                )
            row = FlagChangeRequest(
                created_at=self.clock(),
                flag=str(flag),
                value=value,
                reason=kept,
                status=PROPOSED,
                org_id=actor.org_id,
                proposed_by=actor.user_id,
                proposer_name=actor.display_name,
                apply_at=apply_at.astimezone(dt.UTC) if apply_at else None,
                restores_id=restores,
            )
            session.add(row)
            session.flush()
            self._event(session, row.id, PROPOSED, actor, kept)
            request = _view(row)
        when = f" at {request.apply_at:%Y-%m-%d %H:%M} UTC" if request.apply_at else ""
        self._note(actor, request, f"proposed{when}: {kept}", source)
        return request

    def approve(
        self, actor: Actor, request_id: int, note: str | None = None, *, source: str = "cli"
    ) -> ChangeRequest:
        """Approve and apply (or schedule) a request; never the proposer's own."""
        request = self._decide(actor, request_id, APPROVED, note, source)
        if request.apply_at is not None and request.apply_at > self.clock():
            flip = self.schedules.add(
                actor,
                request.flag,
                request.value,
                request.apply_at,
                request.reason,
                source=source,
                request_id=request.id,
            )
            self._note(actor, request, f"scheduled as flip #{flip.id}", source)
            return self.get(request.id)
        return self._apply(actor, request, source)

    def reject(
        self, actor: Actor, request_id: int, note: str | None = None, *, source: str = "cli"
    ) -> ChangeRequest:
        return self._decide(actor, request_id, REJECTED, note, source)

    def withdraw(self, actor: Actor, request_id: int, *, source: str = "cli") -> ChangeRequest:
        """The proposer takes back a request nobody decided yet."""
        require(actor, Permission.MANAGE_FLAGS)
        current = self.get(request_id)
        if current.proposed_by != actor.user_id:
            raise PermissionDenied(f"only {current.proposer_name} may withdraw {current.summary}")
        return self._transition(actor, current, CANCELED, None, source)

    def _decide(
        self, actor: Actor, request_id: int, decision: str, note: str | None, source: str
    ) -> ChangeRequest:
        require(actor, Permission.MANAGE_FLAGS)
        current = self.get(request_id)
        if current.proposed_by == actor.user_id:
            raise PermissionDenied(
                f"{actor.display_name} proposed {current.summary}: a second admin must "
                f"{'approve' if decision == APPROVED else 'reject'} it",
                hint="withdraw it instead with: levqor flags withdraw ID",
            )
        return self._transition(actor, current, decision, note, source)

    def _transition(
        self, actor: Actor, current: ChangeRequest, status: str, note: str | None, source: str
    ) -> ChangeRequest:
        note = (note or "").strip() or None
        with self.db.write_session() as session:
            row = session.get(FlagChangeRequest, current.id)
            if row is None:
                raise NotFoundError(f"no flag change request #{current.id}")
            if row.org_id != actor.org_id:
                raise PermissionDenied(
                    f"{current.summary} belongs to another organization: an admin of that "
                    "organization decides it"
                )
            won = updated_rows(
                session,
                update(FlagChangeRequest)
                .where(FlagChangeRequest.id == current.id, FlagChangeRequest.status == PROPOSED)
                .values(
                    status=status,
                    decided_by=actor.user_id,
                    decider_name=actor.display_name,
                    decided_at=self.clock(),
                    decision_note=note,
                ),
            )
            if not won:
                raise ValidationError(
                    f"{current.summary} is {current.status}: only a proposed request can be "
                    f"{status}"
                )
            self._event(session, current.id, status, actor, note)
        request = self.get(current.id)
        self._note(actor, request, status + (f": {note}" if note else ""), source)
        return request

    def _apply(self, actor: Actor, request: ChangeRequest, source: str) -> ChangeRequest:
        status, error, audit_id = APPLIED, None, None
        try:
            change = self.flags.apply_approved(
                actor,
                request.flag,
                request.value,
                f"{request.reason} (request #{request.id} by {request.proposer_name}, "
                f"approved by {actor.display_name})",
                source=f"request:{source}",
                undoes=None,
            )
            audit_id = change.entry.id if change is not None else None
        except LevqorError as exc:
            status, error = FAILED, str(exc)
        with self.db.write_session() as session:
            row = session.get(FlagChangeRequest, request.id)
            assert row is not None
            row.status, row.error, row.audit_id = status, error, audit_id
            row.applied_at = self.clock() if status == APPLIED else None
            self._event(session, request.id, status, actor, error)
            applied = _view(row)
        if status == FAILED:
            self._note(actor, applied, f"failed: {error}", source)
        return applied

    def _event(
        self, session: Session, request_id: int, event: str, actor: Actor, note: str | None
    ) -> None:
        session.add(request_event(request_id, event, actor, note, self.clock()))

    def _note(self, actor: Actor, request: ChangeRequest, text: str, source: str) -> None:
        self.flags.note(
            actor,
            request.flag,
            f"change request #{request.id} ({describe_value(request.value)}) {text}",
            source=f"request:{source}",
        )


def _view(row: FlagChangeRequest) -> ChangeRequest:
    return ChangeRequest(
        id=row.id,
        flag=FlagName(row.flag),
        value=row.value,
        reason=row.reason,
        status=row.status,
        proposer_name=row.proposer_name,
        proposed_by=row.proposed_by,
        created_at=row.created_at,
        decider_name=row.decider_name,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        apply_at=row.apply_at,
        audit_id=row.audit_id,
        restores_id=row.restores_id,
        error=row.error,
    )
