"""The one way a window button changes something: through ``app.guard``.

A panel (or dialog) hands :meth:`GuardedActions.run` a :class:`GuardedAction` — or a
function that computes one off the UI thread when the preview needs a query, such as
the jobs a bulk action touches — and the ``do`` callable that makes the change:

* on a **production** profile a :class:`GuardDialog` asks for the deployment's name;
  once it is typed, ``app.guard.run(action, confirm=typed, actor=..., do=do)`` runs on
  the bridge. Cancelling runs nothing: the guard records the attempt as ``refused``
  and the window says nothing changed.
* on **local and staging** profiles the panel's own yes/no question (``ask_locally``,
  given the action so it can say how many), where it asked one, is asked as before,
  and the change still runs through ``app.guard.run`` — so every window change is
  audited with ``source="window"``.

Errors (a refusal included) go to the caller's ``on_error``, which shows them in the
window's banner. Nothing here touches the database on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from levqor_desktop.core.safety import GuardedAction, GuardRefused
from levqor_desktop.ui.guard_dialog import GuardDialog

if TYPE_CHECKING:
    from levqor_desktop.ui.panels.base import PanelContext

Prepare = Callable[[], GuardedAction | None]


def window_action(
    action: str,
    target: str = "",
    *,
    count: int = 1,
    preview: Sequence[str] | None = None,
    details: Mapping[str, Any] | None = None,
) -> GuardedAction:
    """A :class:`GuardedAction` from the window; the preview defaults to the target."""
    shown = tuple(preview) if preview is not None else ((target,) if target else ())
    return GuardedAction(action, target, count, shown, "window", dict(details or {}))


def _run_dialog(dialog: GuardDialog) -> str | None:
    return dialog.typed() if dialog.exec() == GuardDialog.DialogCode.Accepted else None


class GuardedActions:
    """Runs a window's changes through the production guard (one per panel or dialog)."""

    def __init__(self, parent: QWidget, ctx: PanelContext) -> None:
        self.parent = parent
        self.ctx = ctx
        #: Shows the dialog and returns the typed name, or None when cancelled.
        #: Tests replace it (and may look at the dialog it is given).
        self.ask_name: Callable[[GuardDialog], str | None] = _run_dialog

    @property
    def production(self) -> bool:
        """Whether changes ask for the deployment's name (no I/O: the profile is known)."""
        return self.ctx.app.guard.needs_confirmation()

    def run(
        self,
        action: GuardedAction | Prepare,
        do: Callable[[], Any],
        *,
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
        ask_locally: Callable[[GuardedAction], bool] | None = None,
        on_start: Callable[[], None] | None = None,
        on_nothing: Callable[[], None] | None = None,
    ) -> None:
        """Ask as this profile wants, then run ``do`` through the guard off the UI thread.

        ``action`` may be a function run on the bridge first (it may query); when it
        returns None there is nothing to change and ``on_nothing`` is called.
        ``on_start`` is called on the UI thread just before the change is submitted.
        """
        failed = on_error or self.ctx.show_error
        if isinstance(action, GuardedAction):
            self._ask(action, do, on_result, failed, ask_locally, on_start)
            return

        def prepared(made: GuardedAction | None) -> None:
            if made is None:
                if on_nothing is not None:
                    on_nothing()
                return
            self._ask(made, do, on_result, failed, ask_locally, on_start)

        self.ctx.bridge.submit(action, on_result=prepared, on_error=failed)

    def _ask(
        self,
        action: GuardedAction,
        do: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        ask_locally: Callable[[GuardedAction], bool] | None,
        on_start: Callable[[], None] | None,
    ) -> None:
        app = self.ctx.app
        guard, actor = app.guard, app.actor
        typed: str | None = None
        if self.production:
            name = actor.display_name if actor is not None else None
            dialog = GuardDialog(action, guard.profile, name, self.parent)
            typed = self.ask_name(dialog)
            dialog.deleteLater()
            if typed is None:
                self._cancelled(action)
                return
        elif ask_locally is not None and not ask_locally(action):
            return
        if on_start is not None:
            on_start()
        self.ctx.bridge.submit(
            lambda: guard.run(action, confirm=typed, actor=actor, do=do),
            on_result=on_result,
            on_error=on_error,
        )

    def _cancelled(self, action: GuardedAction) -> None:
        """Record the abandoned attempt (the guard refuses it) and say nothing changed."""
        app = self.ctx.app
        guard, actor = app.guard, app.actor

        def record() -> None:
            try:
                guard.run(action, confirm=None, actor=actor, do=lambda: None)
            except GuardRefused:
                return

        said = f"{action.action} canceled: nothing changed on {guard.profile.name}"
        self.ctx.bridge.submit(
            record,
            on_result=lambda _r: self.ctx.window.show_message(said),
            on_error=self.ctx.show_error,
        )
