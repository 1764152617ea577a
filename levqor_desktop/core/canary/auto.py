"""CANARY_MODE: run the canary after each risky change and undo the change when it fails.

A risky change is a risky flag (``PG_ENABLED``, ``NEW_QUEUE_ENABLED``: the database and
queue backend switches), or a migration switch. Each arrives here as a
:class:`RiskyChange` carrying how to revert it. After a flag change the run happens on a
thread of its own (flag listeners run on the thread that made the change, which may be
the UI's); the thread is not a daemon, so a one-shot ``levqor flags set`` still finishes
the run and the revert before the process exits. A migration switch is checked on the
switching thread, against the new database, and the migration service rolls it back
when the hook reports a failure.

A failing verdict reverts at once and records why (in the canary run and, through the
revert, in the flag audit or the migration journal); a marginal one keeps the change and
*offers* the revert. Either way every listener hears about it: the window turns that
into a notification.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from levqor_desktop.core.canary.results import Status
from levqor_desktop.core.canary.store import RunReport
from levqor_desktop.core.canary.verdict import Verdict
from levqor_desktop.core.models.tenancy import Role
from levqor_desktop.core.tenancy import Actor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RiskyChange:
    """A change the canary watches, and how to undo it."""

    kind: str  # "flag" | "migration"
    description: str
    #: Who made it (the revert acts as them; the run is stored in their organization).
    actor: Actor | None
    #: Undo the change, recording ``reason``; returns a sentence saying what was done.
    revert: Callable[[str], str]


@dataclass
class AutoOutcome:
    change: RiskyChange
    report: RunReport | None
    #: What was done: the rollback taken, or why none was.
    rollback: str | None = None
    reverted: bool = False
    #: A marginal run: the revert is offered rather than taken.
    offered: bool = False
    error: str | None = None

    @property
    def title(self) -> str:
        verdict = self.report.verdict.value if self.report else "error"
        return f"Canary {verdict} after {self.change.description}"

    @property
    def text(self) -> str:
        if self.error:
            return f"the canary could not run: {self.error}"
        return self.rollback or "the change was kept"


OutcomeListener = Callable[[AutoOutcome], None]
#: Records the rollback text of a stored run.
Recorder = Callable[[RunReport, str], None]
#: Opens a check of a database switch: (run, record), valid inside the ``with``.
SwitchCheck = Callable[
    [Any, RiskyChange], AbstractContextManager[tuple[Callable[[], RunReport], Recorder]]
]


class FlagChangeLike(Protocol):
    """What ``FlagService.subscribe_risky`` hands its listeners (``FlagChange``)."""

    @property
    def entry(self) -> Any: ...

    @property
    def new(self) -> Any: ...


class RiskyFlagSource(Protocol):
    """``app.flag_service``."""

    def subscribe_risky(self, listener: Callable[[Any], None]) -> Callable[[], None]: ...

    def revert(self, actor: Actor, audit_id: int, reason: str, *, source: str = ...) -> Any: ...


class SwitchHooks(Protocol):
    """``app.migrations``: hooks called after a switch; one returning False rolls it back."""

    on_switched: list[Callable[[Any], bool | None]]


def failing_summary(report: RunReport) -> str:
    bad = [r for r in report.results if r.status is Status.FAIL]
    warn = [r for r in report.results if r.status is Status.WARN]
    shown = bad or warn
    return "; ".join(f"{r.name}: {r.summary}" for r in shown) or "no check failed"


class AutoCanary:
    """Runs the canary after risky changes while ``enabled()`` says CANARY_MODE is on."""

    name = "canary-auto"

    def __init__(
        self,
        run: Callable[[RiskyChange], RunReport],
        *,
        enabled: Callable[[], bool],
        record_rollback: Recorder,
        default_actor: Callable[[], Actor | None] = lambda: None,
    ) -> None:
        self._run = run
        self._enabled = enabled
        self._record = record_rollback
        self._default_actor = default_actor
        self._listeners: list[OutcomeListener] = []
        self._unsubscribe: list[Callable[[], None]] = []
        self._serial = threading.Lock()  # one automatic run at a time
        self._idle = threading.Condition()
        self._in_flight = 0
        self.last_outcome: AutoOutcome | None = None

    # -- what is watched ---------------------------------------------------------------

    def watch_flags(self, flags: RiskyFlagSource) -> None:
        def changed(change: Any) -> None:
            entry = change.entry
            if getattr(entry, "source", None) == "migration":
                return  # a database switch: checked by the switch hook instead
            actor = _actor_of(entry) or self._default_actor()
            state = "on" if change.new.value else "off"
            audit_id = int(entry.id)

            def revert(reason: str) -> str:
                if actor is None:
                    raise RuntimeError("no actor to revert the flag change as")
                flags.revert(actor, audit_id, reason, source="canary")
                return f"reverted {entry.flag} (flag change #{audit_id})"

            self.submit(RiskyChange("flag", f"{entry.flag} {state}", actor, revert))

        self._unsubscribe.append(flags.subscribe_risky(changed))

    def watch_migrations(self, migrations: SwitchHooks, open_check: SwitchCheck) -> None:
        """Check each database switch on the switching thread, against the new database
        (``open_check(switch_result, change)`` gives the run and where to record the
        rollback); the migration service rolls the switch back itself when told it failed,
        or when the canary could not run at all."""

        def switched(result: Any) -> bool | None:
            if not self._enabled():
                return None
            target = getattr(result, "target", None) or "the new database"
            change = RiskyChange(
                "migration",
                f"database switch to {target}",
                self._default_actor(),
                lambda _reason: "the migration service rolls the switch back to SQLite",
            )
            with open_check(result, change) as (run, record):
                outcome = self.check_now(change, run, record=record)
            return outcome.report is not None and outcome.report.verdict is not Verdict.FAIL

        migrations.on_switched.append(switched)
        self._unsubscribe.append(lambda: _discard(migrations.on_switched, switched))

    def subscribe(self, listener: OutcomeListener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # -- running -----------------------------------------------------------------------

    def submit(self, change: RiskyChange) -> bool:
        """Check ``change`` on a thread of its own; False when CANARY_MODE is off."""
        if not self._enabled():
            log.info("CANARY_MODE is off: no canary after %s", change.description)
            return False
        with self._idle:
            self._in_flight += 1
        threading.Thread(
            target=self._process, args=(change,), name="canary-auto", daemon=False
        ).start()
        return True

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no automatic run is in flight; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def revert_offered(self, outcome: AutoOutcome) -> str:
        """Take the revert a marginal run offered."""
        if outcome.reverted:
            return outcome.rollback or "already reverted"
        reason = f"operator took the revert offered by canary run #{_run_id(outcome)}"
        text = outcome.change.revert(reason)
        outcome.reverted, outcome.offered, outcome.rollback = True, False, text
        if outcome.report is not None:
            self._record(outcome.report, text)
        return text

    def check_now(
        self, change: RiskyChange, run: Callable[[], RunReport], *, record: Recorder | None = None
    ) -> AutoOutcome:
        """Run on this thread, revert on failure, tell the listeners."""
        with self._serial:
            outcome = self._check(change, run, record or self._record)
        self.last_outcome = outcome
        for listener in list(self._listeners):
            try:
                listener(outcome)
            except Exception:
                log.exception("canary outcome listener %r failed", listener)
        return outcome

    def _process(self, change: RiskyChange) -> None:
        try:
            self.check_now(change, lambda: self._run(change))
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _check(
        self, change: RiskyChange, run: Callable[[], RunReport], record: Recorder
    ) -> AutoOutcome:
        try:
            report = run()
        except Exception as exc:
            log.exception("the canary after %s could not run", change.description)
            return AutoOutcome(change, None, error=f"{type(exc).__name__}: {exc}")
        outcome = AutoOutcome(change, report)
        if report.verdict is Verdict.PASS:
            outcome.rollback = "none needed: the canary passed"
        elif report.verdict is Verdict.MARGINAL:
            outcome.offered = True
            outcome.rollback = (
                f"offered, not taken: the canary was marginal ({failing_summary(report)})"
            )
        else:
            reason = f"canary run #{report.id} failed: {failing_summary(report)}"
            try:
                done = change.revert(reason)
                outcome.reverted = True
                outcome.rollback = f"{done}, because {reason}"
            except Exception as exc:
                log.exception("reverting %s failed", change.description)
                outcome.error = f"the revert failed: {exc}"
                outcome.rollback = f"revert FAILED ({exc}); {reason}"
        record(report, outcome.rollback or "")
        log.warning("canary after %s: %s", change.description, outcome.rollback)
        return outcome

    # -- BackgroundService -------------------------------------------------------------

    def start(self) -> None:
        """Nothing to start: watching begins when the App is built."""

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self.wait_idle(timeout=60)


def _actor_of(entry: Any) -> Actor | None:
    """The canary acting for whoever made an audited change (who held manage_flags)."""
    org_id, user_id = getattr(entry, "org_id", None), getattr(entry, "user_id", None)
    if org_id is None or user_id is None:
        return None
    name = getattr(entry, "actor_name", None) or f"user {user_id}"
    return Actor(int(org_id), int(user_id), Role.ADMIN, f"canary (for {name})")


def _discard(hooks: list[Callable[[Any], bool | None]], hook: Callable[[Any], bool | None]) -> None:
    if hook in hooks:
        hooks.remove(hook)


def _run_id(outcome: AutoOutcome) -> str:
    return str(outcome.report.id) if outcome.report and outcome.report.id else "?"
