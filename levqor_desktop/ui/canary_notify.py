"""Window notifications for the automatic canary (CANARY_MODE).

The automatic canary runs on threads of its own; :class:`CanaryNotifier` carries each
outcome to the UI thread by a signal and turns it into ``window.notify(title, text)``
(the tray and the banner). The window creates one when its App is ready.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from levqor_desktop.core.canary import AutoOutcome


class Notifying(Protocol):
    def notify(self, title: str, text: str) -> None: ...


class CanaryNotifier(QObject):
    outcome = Signal(object)

    def __init__(self, app: Any, window: Notifying, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self.outcome.connect(self._show)
        self._unsubscribe: Callable[[], None] = app.canary.auto.subscribe(self.outcome.emit)

    def _show(self, outcome: AutoOutcome) -> None:
        self._window.notify(outcome.title, outcome.text)

    def close(self) -> None:
        self._unsubscribe()
