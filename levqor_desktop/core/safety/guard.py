"""The production guard: every mutating operator action passes through ``app.guard``.

One call does the whole thing::

    result = app.guard.run(
        GuardedAction(
            action="jobs.bulk_cancel",          # dotted name: <domain>.<verb>
            target="state=failed workflow=digest",
            count=n,                            # how many things change
            preview=["#12 digest", "#13 digest"],  # what the operator was shown
            source="cli",                       # "cli", "window" or "api"
        ),
        confirm=typed_name_or_None,             # what the operator typed
        actor=actor,                            # who (an Actor; None for "system")
        do=lambda: app.jobs.apply(actor, flt, "cancel"),
    )

On a **production** profile ``do`` runs only when ``confirm`` equals the profile's
name; otherwise :class:`GuardRefused` is raised (its message says what to type) and
nothing changes. On local and staging profiles ``do`` runs at once. Every call leaves
one ``operator_actions`` row — ``refused`` (missing or wrong name), or ``confirmed``
written *before* ``do`` runs and turned into ``failed`` if it raises (the error is
re-raised) — with who, when, which profile, what, how many and the (redacted) preview.
Writing first keeps the action on record if the process dies midway, and lets a
migration copy and check its own audit row.

Callers that must ask before doing the work (a dialog, a prompt) use
:meth:`Guard.needs_confirmation` and :attr:`Guard.profile` to decide what to show;
``run`` stays the one place that decides and audits.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select

from levqor_desktop.core.db import Database
from levqor_desktop.core.logging import redact_value
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.safety import OperatorAction
from levqor_desktop.core.safety.profiles import Profile
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import LevqorError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How many preview lines are kept in the audit row (the count says how many there were).
PREVIEW_KEPT = 50
SOURCES = ("cli", "window", "api")


class GuardRefused(LevqorError):
    """A production action without the deployment's name typed to confirm it."""

    def __init__(self, action: GuardedAction, profile: Profile, typed: str | None) -> None:
        what = f"{action.action} on {action.target}" if action.target else action.action
        said = "no confirmation was given" if not typed else f"{typed!r} does not match"
        super().__init__(
            f"refused: {what} ({action.count} affected) on the production deployment "
            f"{profile.name!r}: {said}",
            hint=f"type the deployment's name {profile.name!r} to confirm",
        )
        self.action = action
        self.profile = profile


@dataclass(frozen=True)
class GuardedAction:
    """What an operator is about to change, as shown to them."""

    action: str
    target: str = ""
    count: int = 1
    preview: Sequence[str] = ()
    source: str = "cli"
    #: Anything else worth keeping (new value, reason, ...). Redacted before storing.
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditRow:
    """One ``operator_actions`` row, read back."""

    id: int
    created_at: dt.datetime
    actor_name: str
    profile: str
    environment: str
    action: str
    target: str
    count: int
    source: str
    outcome: str
    details: dict[str, Any]


class Guard:
    """Decides whether an action may run on this profile, and audits each one."""

    def __init__(
        self, db: Database, profile: Profile, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.db = db
        self.profile = profile
        self.clock = clock

    def needs_confirmation(self) -> bool:
        """Whether the operator must type the deployment's name (production only)."""
        return self.profile.is_production

    def confirms(self, typed: str | None) -> bool:
        """Whether ``typed`` unlocks a guarded action on this profile."""
        return not self.needs_confirmation() or typed == self.profile.name

    def run(
        self,
        action: GuardedAction,
        *,
        confirm: str | None,
        actor: Actor | None,
        do: Callable[[], T],
    ) -> T:
        """Run ``do`` if this profile allows it with ``confirm``; audit the outcome."""
        if action.source not in SOURCES:
            raise ValueError(f"unknown source {action.source!r}")
        confirmation = "typed" if self.needs_confirmation() else "not required"
        if not self.confirms(confirm):
            self._audit(action, actor, "refused", {"confirmation": "missing or wrong"})
            raise GuardRefused(action, self.profile, confirm)
        # The row is written before the work, so the action is on record even if the
        # process dies midway, and a migration copies (and checks) its own audit row.
        row_id = self._audit(action, actor, "confirmed", {"confirmation": confirmation})
        try:
            return do()
        except BaseException as exc:
            try:
                self._mark_failed(row_id, str(exc))
            except Exception:
                # The action's own error matters more than a lost audit update.
                log.exception("could not audit the failure of %s", action.action)
            raise

    def history(
        self,
        org_id: int | None = None,
        *,
        limit: int = 100,
        action: str | None = None,
        since: dt.datetime | None = None,
    ) -> list[AuditRow]:
        """The newest audited actions first (of one organization when given)."""
        query = select(OperatorAction).order_by(OperatorAction.id.desc()).limit(limit)
        if org_id is not None:
            query = query.where(OperatorAction.org_id == org_id)
        if action is not None:
            query = query.where(OperatorAction.action == action)
        if since is not None:
            query = query.where(OperatorAction.created_at >= since)
        with self.db.session() as session:
            return [_row(r) for r in session.scalars(query)]

    def _mark_failed(self, row_id: int, error: str) -> None:
        with self.db.session() as session:
            row = session.get(OperatorAction, row_id)
            if row is not None:
                row.outcome = "failed"
                row.details = {**row.details, "error": redact_value(error)}
        log.info("operator action #%d failed: %s", row_id, error)

    def _audit(
        self, action: GuardedAction, actor: Actor | None, outcome: str, extra: dict[str, Any]
    ) -> int:
        preview = list(action.preview)
        details: dict[str, Any] = {
            **redact_value(dict(action.details)),
            **redact_value(extra),
            "preview": redact_value(preview[:PREVIEW_KEPT]),
            "preview_total": len(preview),
        }
        row = OperatorAction(
            created_at=self.clock(),
            org_id=actor.org_id if actor else None,
            user_id=actor.user_id if actor else None,
            actor_name=actor.display_name if actor else "system",
            profile=self.profile.name,
            environment=self.profile.environment.value,
            action=action.action[:64],
            target=redact_value(action.target),
            count=action.count,
            source=action.source,
            outcome=outcome,
            details=details,
        )
        with self.db.session() as session:
            session.add(row)
            session.flush()
            row_id = row.id
        log.info(
            "operator action %s (%s, %d affected) on profile %s: %s",
            action.action,
            action.target,
            action.count,
            self.profile.name,
            outcome,
        )
        return row_id


def _row(r: OperatorAction) -> AuditRow:
    return AuditRow(
        id=r.id,
        created_at=r.created_at,
        actor_name=r.actor_name,
        profile=r.profile,
        environment=r.environment,
        action=r.action,
        target=r.target,
        count=r.count,
        source=r.source,
        outcome=r.outcome,
        details=dict(r.details or {}),
    )
