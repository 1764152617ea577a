"""The system tray icon and desktop notifications.

The tray icon exists only where the desktop has a tray
(``QSystemTrayIcon.isSystemTrayAvailable()``); its tooltip and menu show the queue state
(queued, running and failed jobs), sampled off the UI thread. Notifications of job
failures and failed canary runs come from the headless
:class:`~levqor_desktop.core.notices.NoticeFeed`, polled off the UI thread only while
the operator has them turned on (off by default; the ``notifications`` setting in
``config.json``). Without a tray they show in the window's banner alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from levqor_desktop.core.notices import Notice, NoticeFeed, QueueCounts
from levqor_desktop.settings import write_config_value
from levqor_desktop.ui.bridge import Bridge, Poller

TRAY_MS = 5000
NOTICES_MS = 5000


class TrayAndNotices(QObject):
    """Owns the tray icon (when there is a tray) and the notice poller."""

    #: A notice to show (tests watch this; the window shows it).
    notice = Signal(object)
    #: Notifications were turned on or off.
    enabled_changed = Signal(bool)

    def __init__(
        self,
        bridge: Bridge,
        icon: QIcon,
        show_window: Callable[[], None],
        quit_app: Callable[[], object],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._app: Any = None
        self._config_file: Any = None
        self.enabled = False
        self.counts: QueueCounts | None = None
        #: Notice polls answered since notifications were last turned on.
        self.polls = 0
        self._feed: NoticeFeed | None = None
        self._notice_poller: Poller | None = None
        self._count_poller: Poller | None = None
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(icon, self)
            self.menu = QMenu()
            self.menu.addAction("Show Levqor", show_window)
            self.state_action = self.menu.addAction("Queue: starting…")
            self.state_action.setEnabled(False)
            self.toggle_action = QAction("Notify on failures", self, checkable=True)
            self.toggle_action.toggled.connect(self.set_enabled)
            self.menu.addAction(self.toggle_action)
            self.menu.addSeparator()
            self.menu.addAction("Quit", quit_app)
            self.icon.setContextMenu(self.menu)
            self.icon.setToolTip("Levqor Desktop")
            self.icon.activated.connect(lambda _reason: show_window())
            self.icon.show()

    # -- the App --------------------------------------------------------------------------

    def attach(self, app: Any) -> None:
        """The App is ready: read the setting, start sampling the queue."""
        self._app = app
        self._config_file = app.settings.config_file
        self._notice_poller = Poller(
            self._bridge, NOTICES_MS, self._poll_feed, self._got_notices, self, self._failed
        )
        if self.icon is not None:
            self._count_poller = Poller(
                self._bridge, TRAY_MS, self.sample, self.show_counts, self, self._failed
            )
            self._count_poller.start()
        self._apply(bool(getattr(app.settings, "notifications", False)), persist=False)

    def detach(self) -> None:
        for poller in (self._notice_poller, self._count_poller):
            if poller is not None:
                poller.stop()
        self._notice_poller = self._count_poller = None
        self._feed = None
        self._app = None

    def sample(self) -> QueueCounts:
        """The queue state for the tooltip (off the UI thread)."""
        app = self._app
        if app is None or app.actor is None:
            return QueueCounts(0, 0, 0)
        return QueueCounts.from_depth(app.jobs.depth(app.actor))

    def show_counts(self, counts: QueueCounts) -> None:
        self.counts = counts
        if self.icon is not None:
            self.icon.setToolTip(f"Levqor Desktop — {counts.text}")
            self.state_action.setText(f"Queue: {counts.text}")

    def _failed(self, _exc: BaseException) -> None:
        # A sample that fails (database away) is not worth a banner; the status bar says so.
        if self.icon is not None:
            self.icon.setToolTip("Levqor Desktop — queue state unavailable")

    # -- notifications --------------------------------------------------------------------

    def set_enabled(self, on: bool) -> None:
        """Turn notifications on or off and remember it in ``config.json``."""
        self._apply(on, persist=True)

    def _apply(self, on: bool, *, persist: bool) -> None:
        changed = on != self.enabled
        self.enabled = on
        if persist and changed and self._config_file is not None:
            write_config_value(self._config_file, "notifications", True if on else None)
        if self.icon is not None and self.toggle_action.isChecked() != on:
            self.toggle_action.setChecked(on)
        if self._notice_poller is not None:
            if on:
                # A fresh feed: its first poll sets the baseline, so failures from the
                # time notifications were off are not news.
                app = self._app
                self._feed = NoticeFeed(app.jobs, app.canary, lambda: app.actor)
                self.polls = 0
                self._notice_poller.start()
            else:
                self._notice_poller.stop()
        if changed:
            self.enabled_changed.emit(on)

    def poll_now(self) -> None:
        if self._notice_poller is not None and self.enabled:
            self._notice_poller.poll()

    def _poll_feed(self) -> list[Notice]:
        feed = self._feed
        return feed.poll() if feed is not None else []

    def _got_notices(self, notices: list[Notice]) -> None:
        self.polls += 1
        if not self.enabled:
            return
        for notice in notices:
            self.notice.emit(notice)

    def show_message(self, title: str, text: str) -> bool:
        """A desktop notification when there is a tray and notifications are on."""
        if self.icon is None or not self.enabled:
            return False
        self.icon.showMessage(title, text)
        return True
