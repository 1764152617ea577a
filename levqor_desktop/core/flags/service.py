"""Audited flag changes: who changed what, when, through what and why; undo; listeners.

:class:`FlagStore` holds the values; this service is the only way the window, the CLI and
the ops API change them. Every change writes the file and a ``flag_audit`` row in one
step (the file change is rolled back when the row cannot be written). Risky flags need a
reason. The canary subscribes with :meth:`FlagService.subscribe_risky` and reverts a bad
change with :meth:`FlagService.revert`, which records its own reason.

Where a risky change needs a second admin (``needs_approval``, set by the wiring to
:func:`.approvals.approval_needed`), :meth:`set` and :meth:`undo` refuse with
:class:`ApprovalRequired`; the change request service applies approved changes with
:meth:`apply_approved`. :meth:`note` writes a row that changes no value (a change
request's transition, a rollout edit): the audit trail tells the whole story, and the
"what changed last" questions (undo, the last change) look at value changes only.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from levqor_desktop.core.db import Database, describe_db_error
from levqor_desktop.core.flags.audit import (
    AuditEntry,
    FlagChange,
    FlagView,
    audit_entry,
    describe_value,
    flag_name,
)
from levqor_desktop.core.flags.definitions import FLAGS, FlagName
from levqor_desktop.core.flags.store import FlagStore
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.observability import FlagAudit
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import ApprovalRequired, DatabaseError, NotFoundError, ValidationError

log = logging.getLogger(__name__)

__all__ = [
    "AuditEntry",
    "FlagChange",
    "FlagService",
    "FlagView",
    "describe_value",
    "flag_name",
]

#: Longest reason kept (a reason is a sentence, not a document).
MAX_REASON = 2000


ChangeListener = Callable[[FlagChange], None]
#: Whether this actor's change of this flag needs a second admin's approval.
ApprovalPolicy = Callable[[Actor, FlagName], bool]


class FlagService:
    """Changes flags through the store, audited in ``flag_audit``; thread-safe."""

    def __init__(
        self, store: FlagStore, db: Database, *, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.store = store
        self.db = db
        self._clock = clock
        self._lock = threading.RLock()
        self._listeners: list[ChangeListener] = []
        self._risky_listeners: list[ChangeListener] = []
        #: Set by the wiring; None: no change needs approval.
        self.needs_approval: ApprovalPolicy | None = None

    # -- listeners --------------------------------------------------------------------

    def subscribe(self, listener: ChangeListener) -> Callable[[], None]:
        """Call ``listener(change)`` after every audited change; returns an unsubscribe."""
        return _add(self._listeners, listener)

    def subscribe_risky(self, listener: ChangeListener) -> Callable[[], None]:
        """Call ``listener(change)`` after an operator changes an infrastructure flag
        (``canary_checked``: the database and the queue backend).

        Not called for :meth:`revert` (so a canary's own revert cannot trigger another
        canary run). Listeners run on the thread that made the change: hand long work
        to a thread of your own.
        """
        return _add(self._risky_listeners, listener)

    # -- reading ----------------------------------------------------------------------

    def views(self) -> list[FlagView]:
        """Every flag with its definition, effective state and last audited change."""
        self.store.refresh()
        last = self._last_changes()
        return [FlagView(FLAGS[s.name], s, last.get(s.name)) for s in self.store.all()]

    def history(
        self,
        *,
        flag: FlagName | str | None = None,
        limit: int = 200,
        before_id: int | None = None,
        changes_only: bool = False,
    ) -> list[AuditEntry]:
        """Audited changes, newest first (``changes_only``: without :meth:`note` rows)."""
        undoer = aliased(FlagAudit)
        undone_by = (
            select(func.max(undoer.id)).where(undoer.undoes_id == FlagAudit.id).scalar_subquery()
        )
        query = select(FlagAudit, undone_by).order_by(FlagAudit.id.desc()).limit(limit)
        if flag is not None:
            query = query.where(FlagAudit.flag == str(flag_name(flag)))
        if before_id is not None:
            query = query.where(FlagAudit.id < before_id)
        if changes_only:
            query = query.where(_VALUE_CHANGED)
        with self.db.session() as session:
            return [audit_entry(row, by) for row, by in session.execute(query).all()]

    def entry(self, audit_id: int) -> AuditEntry:
        with self.db.session() as session:
            row = session.get(FlagAudit, audit_id)
            if row is None:
                raise NotFoundError(f"no flag change #{audit_id} in the audit trail")
            by = session.scalar(
                select(func.max(FlagAudit.id)).where(FlagAudit.undoes_id == audit_id)
            )
            return audit_entry(row, by)

    def last_change(self, name: FlagName | str) -> AuditEntry | None:
        found = self.history(flag=name, limit=1, changes_only=True)
        return found[0] if found else None

    # -- changing ---------------------------------------------------------------------

    def set(
        self,
        actor: Actor,
        name: FlagName | str,
        value: bool | None,
        reason: str | None = None,
        *,
        source: str = "cli",
    ) -> FlagChange | None:
        """Store ``value`` (None: remove it, the default applies); None when nothing changed.

        Raises PermissionDenied without ``manage_flags``, ApprovalRequired when a second
        admin must approve it, ValidationError for a risky flag without a reason,
        ConfigError when the environment forces the flag or the file is broken.
        """
        self.check_approval(actor, name)
        return self._change(actor, name, value, reason, source=source, undoes=None, notify=True)

    def apply_approved(
        self,
        actor: Actor,
        name: FlagName | str,
        value: bool | None,
        reason: str | None,
        *,
        source: str,
        undoes: int | None = None,
    ) -> FlagChange | None:
        """Apply a change a second admin approved (or a due scheduled flip): no approval
        check, everything else as :meth:`set`. Only the request and schedule services
        call it."""
        return self._change(actor, name, value, reason, source=source, undoes=undoes, notify=True)

    def note(self, actor: Actor, name: FlagName | str, text: str, *, source: str) -> AuditEntry:
        """Record an event about a flag that changes no value (old and new are the
        current stored value)."""
        require(actor, Permission.MANAGE_FLAGS)
        flag = flag_name(name)
        with self._lock:
            self.store.refresh()
            state = self.store.state(flag)
            with self.db.write_session() as session:
                row = FlagAudit(
                    created_at=self._clock(),
                    flag=str(flag),
                    old_value=state.file_value,
                    new_value=state.file_value,
                    old_effective=state.value,
                    new_effective=state.value,
                    source=source[:32],
                    reason=text.strip()[:MAX_REASON] or None,
                    user_id=actor.user_id,
                    org_id=actor.org_id,
                    actor_name=actor.display_name,
                )
                session.add(row)
                session.flush()
                return audit_entry(row, None)

    def check_reason(self, name: FlagName | str, reason: str | None) -> str | None:
        """The reason as kept; ValidationError when a risky flag has none."""
        flag = flag_name(name)
        kept = (reason or "").strip()[:MAX_REASON] or None
        if FLAGS[flag].risky and kept is None:
            raise ValidationError(
                f"{flag} is a risky flag: give a reason for the change (--reason)"
            )
        return kept

    def check_approval(self, actor: Actor, name: FlagName | str) -> None:
        """ApprovalRequired when this actor's change of the flag needs a second admin."""
        flag = flag_name(name)
        if self.needs_approval is not None and self.needs_approval(actor, flag):
            raise ApprovalRequired(
                f"{flag} is a risky flag and this organization has more than one admin: "
                "the change needs a second admin's approval",
                hint=f"propose it with: levqor flags request {flag} on|off --reason ...",
            )

    def unset(
        self, actor: Actor, name: FlagName | str, reason: str | None = None, *, source: str = "cli"
    ) -> FlagChange | None:
        return self.set(actor, name, None, reason, source=source)

    def undo(
        self, actor: Actor, audit_id: int, reason: str | None = None, *, source: str = "cli"
    ) -> FlagChange:
        """Put back the value a change replaced (refused if the flag changed again since)."""
        self.check_approval(actor, self.entry(audit_id).flag)
        return self._undo(actor, audit_id, reason, source=source, notify=True)

    def revert(
        self, actor: Actor, audit_id: int, reason: str, *, source: str = "canary"
    ) -> FlagChange:
        """Undo a change programmatically (the canary does); the reason is required."""
        if not reason or not reason.strip():
            raise ValidationError("a revert needs a reason (it is recorded in the audit trail)")
        return self._undo(actor, audit_id, reason, source=source, notify=False)

    def _undo(
        self, actor: Actor, audit_id: int, reason: str | None, *, source: str, notify: bool
    ) -> FlagChange:
        require(actor, Permission.MANAGE_FLAGS)
        with self._lock:
            target = self.entry(audit_id)
            if target.undone_by is not None:
                raise ValidationError(
                    f"flag change #{audit_id} was already undone by #{target.undone_by}"
                )
            later = self.history(flag=target.flag, limit=1, changes_only=True)
            if later and later[0].id != target.id:
                raise ValidationError(
                    f"{target.flag} changed again after #{audit_id} (latest: #{later[0].id}); "
                    "undo the latest change first"
                )
            change = self._change(
                actor,
                target.flag,
                target.old_value,
                reason or f"undo of #{audit_id}",
                source=source,
                undoes=audit_id,
                notify=notify,
            )
        if change is None:
            raise ValidationError(
                f"{target.flag} is already {describe_value(target.old_value)}: nothing to undo"
            )
        return change

    def _change(
        self,
        actor: Actor,
        name: FlagName | str,
        value: bool | None,
        reason: str | None,
        *,
        source: str,
        undoes: int | None,
        notify: bool,
    ) -> FlagChange | None:
        require(actor, Permission.MANAGE_FLAGS)
        flag = flag_name(name)
        reason = self.check_reason(flag, reason)
        with self._lock:
            self.store.refresh()
            before = self.store.state(flag)
            if before.file_value == value and not before.locked:
                return None
            written = False
            try:
                with self.db.write_session() as session:
                    old, new = self.store.set(flag, value)
                    written = True
                    row = FlagAudit(
                        created_at=self._clock(),
                        flag=str(flag),
                        old_value=old.file_value,
                        new_value=new.file_value,
                        old_effective=old.value,
                        new_effective=new.value,
                        source=source,
                        reason=reason,
                        user_id=actor.user_id,
                        org_id=actor.org_id,
                        actor_name=actor.display_name,
                        undoes_id=undoes,
                    )
                    session.add(row)
                    session.flush()
                    entry = audit_entry(row, None)
            except BaseException as exc:
                # The file and the audit trail change together or not at all.
                if written:
                    self._put_back(flag, before.file_value)
                if isinstance(exc, DBAPIError):
                    raise DatabaseError(
                        f"cannot record the change of {flag}: "
                        f"{describe_db_error(exc, self.db)}; the flag was left as it was"
                    ) from None
                raise
        change = FlagChange(entry, old, new)
        log.info(
            "flag %s %s -> %s by %s via %s",
            flag,
            describe_value(old.file_value),
            describe_value(new.file_value),
            actor.display_name,
            source,
            extra={"audit_id": entry.id, "reason": reason},
        )
        listeners = list(self._listeners)
        if notify and FLAGS[flag].canary_checked:
            listeners += self._risky_listeners
        for listener in listeners:
            try:
                listener(change)
            except Exception:
                log.exception("flag change listener %r failed", listener)
        return change

    def _put_back(self, flag: FlagName, value: bool | None) -> None:
        try:
            self.store.set(flag, value)
        except Exception:
            log.exception("could not restore %s after a failed audit write", flag)

    def _last_changes(self) -> dict[FlagName, AuditEntry]:
        newest = select(func.max(FlagAudit.id)).where(_VALUE_CHANGED).group_by(FlagAudit.flag)
        with self.db.session() as session:
            rows = session.scalars(select(FlagAudit).where(FlagAudit.id.in_(newest))).all()
            return {FlagName(r.flag): audit_entry(r, None) for r in rows if r.flag in FLAGS}


#: A row that changed the stored value (not a :meth:`FlagService.note`).
_VALUE_CHANGED = FlagAudit.old_value.is_distinct_from(FlagAudit.new_value)


def _add(listeners: list[ChangeListener], listener: ChangeListener) -> Callable[[], None]:
    listeners.append(listener)

    def unsubscribe() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return unsubscribe
