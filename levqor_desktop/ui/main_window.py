"""The main window: a sidebar of panels, a stacked page area, a banner and a status bar.

The menu bar, the command palette (Ctrl+K), saved views and the tray icon come from one
command registry held by :class:`~levqor_desktop.ui.palette.shell.CommandShell`.

The deployment combo, colour band and second window: :mod:`levqor_desktop.ui.deployments`
(the App factory takes the profile name; a switch goes through :meth:`reload_app`).

The window appears before the App is ready: building and starting the App (settings,
database connection, schema upgrade) runs off the UI thread, and the panels attach when
it is done. A failure shows in the banner with a Retry button, never as a crash.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.errors import LevqorError
from levqor_desktop.ui.bridge import Bridge, Poller
from levqor_desktop.ui.deployments import LAST_PROFILE_KEY, Deployments, requested_profile
from levqor_desktop.ui.palette.shell import CommandShell
from levqor_desktop.ui.panels import PANELS, PanelSpec
from levqor_desktop.ui.panels.base import Panel, PanelContext
from levqor_desktop.ui.status_bar import StatusBar
from levqor_desktop.ui.widgets.banner import Banner

if TYPE_CHECKING:
    from levqor_desktop.app import App
    from levqor_desktop.core.safety import Profile
    from levqor_desktop.ui.canary_notify import CanaryNotifier

log = logging.getLogger(__name__)

STATUS_INTERVAL_MS = 2000


class MainWindow(QMainWindow):
    """The operator's console."""

    #: Emitted once the App is built and started (or replaced after a retry).
    app_ready = Signal(object)
    #: Emitted when building or starting the App failed: the exception.
    start_failed = Signal(object)
    #: Emitted when a panel was created and shown for the first time: key.
    panel_created = Signal(str)

    def __init__(
        self,
        app_factory: Callable[[str | None], App],
        *,
        profile: str | None = None,
        list_profiles: Callable[[], list[Profile]] | None = None,
        bridge: Bridge | None = None,
        settings: QSettings | None = None,
        panels: tuple[PanelSpec, ...] = PANELS,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Levqor Desktop")
        self._app_factory = app_factory
        self.app: App | None = None
        self.bridge = bridge or Bridge(self)
        self.bridge.error.connect(self.show_error)
        self.qsettings = settings or QSettings()
        #: ``profile`` (``--profile``, ``LEVQOR_PROFILE``) wins over the remembered one.
        self.deployments = Deployments(
            self, *requested_profile(profile, self.qsettings.value(LAST_PROFILE_KEY)),
            list_profiles=list_profiles,
        )  # fmt: skip
        self.specs = panels
        self._panels: dict[str, Panel] = {}
        self._current: str | None = None

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("Sidebar")
        self.sidebar.setMinimumWidth(170)
        self.sidebar.setMaximumWidth(240)
        for n, spec in enumerate(self.specs, start=1):
            icon = self.style().standardIcon(getattr(QStyle.StandardPixmap, spec.icon))
            item = QListWidgetItem(icon, spec.title)
            if n <= 9:
                item.setToolTip(f"{spec.title} (Ctrl+{n})")
            self.sidebar.addItem(item)
        self.sidebar.currentRowChanged.connect(self._on_row_changed)

        self.banner = Banner()
        self.pages = QStackedWidget()
        self._placeholder = QLabel("Starting…")
        self.pages.addWidget(_centered(self._placeholder))

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 8, 8, 0)
        right_layout.addWidget(self.banner)
        right_layout.addWidget(self.pages, 1)

        self.splitter = QSplitter()
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.setCentralWidget(self.deployments.under_band(self.splitter))

        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.toolbar = self.addToolBar("Main")
        self.toolbar.setObjectName("MainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.addWidget(self.deployments.selector)
        self._status_poller: Poller | None = None
        self._starting = False
        self._canary_notifier: CanaryNotifier | None = None
        self.shell = CommandShell(self)

        # Work that creates Qt's namespace enums (tens of ms) waits for the first paint:
        # the menu bar, its shortcuts and the tray icon.
        self._after_paint: list[Callable[[], None]] | None = [self.shell.install]
        self._restore_layout()

    # -- start-up -----------------------------------------------------------------------

    def after_first_paint(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the window has painted for the first time (now if it has)."""
        if self._after_paint is None:
            fn()
        else:
            self._after_paint.append(fn)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._after_paint is not None:
            pending, self._after_paint = self._after_paint, None
            for fn in pending:
                QTimer.singleShot(0, fn)

    @property
    def starting(self) -> bool:
        """An App is being built, started or replaced (no second one may start)."""
        return self._starting

    def start(self) -> None:
        """Build and start the App off the UI thread (once: a start in flight wins)."""
        if self._starting or self.app is not None:
            return
        self._starting = True
        self._submit_start()

    def _submit_start(self) -> None:
        self.status.set_database_text("Database: connecting…")
        self.bridge.submit(
            self._build_and_start,
            self.deployments.requested,
            on_result=self._attach_app,
            on_error=self._start_failed,
        )

    def _build_and_start(self, profile: str | None) -> App:
        app = self._app_factory(profile)
        try:
            app.start()
            # Job workers only where the profile says this machine runs them.
            app.start_background(run_jobs=app.profile.runs_workers)
        except BaseException:
            app.close()
            raise
        return app

    def _attach_app(self, app: App) -> None:
        from levqor_desktop.ui.canary_notify import CanaryNotifier

        self.app = app
        self._starting = False
        self.banner.hide()
        self.deployments.attached(app)
        # Automatic canary outcomes (CANARY_MODE) become tray notifications.
        self._canary_notifier = CanaryNotifier(app, self, self)
        self._status_poller = Poller(
            self.bridge, STATUS_INTERVAL_MS, app.status, self.status.update_status, self
        )
        self._status_poller.start()
        self.shell.attach(app)
        self.app_ready.emit(app)
        # Everything built so far lives as long as the window: keep it out of the
        # collector's full passes, which otherwise stall the event loop for ~300 ms
        # (bench/ui_responsiveness.py).
        gc.freeze()
        row = self._saved_row()
        self.sidebar.setCurrentRow(row)
        self._on_row_changed(row)

    def reload_app(self) -> None:
        """Close this App and start a new one from the current settings.

        After a migration's switch or rollback the database changes under the App; the
        window reconnects in one step and comes back on the panel it showed. A switch
        of deployment (:meth:`Deployments.switch`) comes through here too.
        """
        old = self.app
        if old is None:
            self.start()
            return
        self._starting = True
        if self._current:
            self.qsettings.setValue("window/panel", self._current)
        if self._status_poller is not None:
            self._status_poller.stop()
            self._status_poller = None
        if self._canary_notifier is not None:
            self._canary_notifier.close()
            self._canary_notifier = None
        self.shell.detach()
        for panel in self._panels.values():
            panel.shutdown()
            self.pages.removeWidget(panel)
            panel.deleteLater()
        self._panels.clear()
        self._current = None
        self.app = None
        # The old App's objects were frozen with the window's (see _attach_app): give
        # them back to the collector, or every switch would keep one App alive.
        gc.unfreeze()
        self._placeholder.setText("Reconnecting…")
        self.pages.setCurrentIndex(0)
        self.status.set_database_text("Database: reconnecting…")
        self.bridge.submit(
            old.close, on_result=lambda _r: self._submit_start(), on_error=self._start_failed
        )

    def _start_failed(self, exc: BaseException) -> None:
        self._starting = False
        self.status.set_database_text("Database: unavailable", ok=False)
        self._placeholder.setText("Levqor could not start. See the message above.")
        self.deployments.start_failed()
        retry, back = self.deployments.failure_actions()
        self.banner.show_text(_describe(exc), action=retry, second=back)
        self.start_failed.emit(exc)

    # -- panels -------------------------------------------------------------------------

    def panel(self, key: str) -> Panel | None:
        return self._panels.get(key)

    @property
    def current_key(self) -> str | None:
        """The key of the panel on screen."""
        return self._current

    def show_panel(self, key: str) -> None:
        for row, spec in enumerate(self.specs):
            if spec.key == key:
                self.sidebar.setCurrentRow(row)
                return
        raise KeyError(key)

    def _on_row_changed(self, row: int) -> None:
        if row < 0 or row >= len(self.specs) or self.app is None:
            return
        spec = self.specs[row]
        if self._current == spec.key:
            return
        if self._current and self._current in self._panels:
            self._panels[self._current].on_hidden()
        panel = self._panels.get(spec.key)
        if panel is None:
            try:
                panel = spec.create(PanelContext(self.app, self.bridge, self))
            except Exception as exc:
                log.exception("panel %s failed to build", spec.key)
                self.show_error(exc)
                return
            self._panels[spec.key] = panel
            self.pages.addWidget(panel)
            self.panel_created.emit(spec.key)
        self._current = spec.key
        self.pages.setCurrentWidget(panel)
        panel.on_shown()
        self.shell.panel_changed()

    # -- services for panels ------------------------------------------------------------

    def add_toolbar_widget(self, widget: QWidget) -> None:
        self.toolbar.addWidget(widget)

    def open_error_reporting(self) -> None:
        """Help → Error reporting…: the opt-in Sentry switch."""
        from PySide6.QtCore import Qt

        from levqor_desktop.ui.error_reporting_dialog import ErrorReportingDialog

        if self.app is None:
            return
        dialog = ErrorReportingDialog(self.app.error_reporting, self.bridge, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def show_error(self, exc: BaseException) -> None:
        self.banner.show_text(_describe(exc))

    def show_message(self, text: str, timeout_ms: int = 5000) -> None:
        self.status.showMessage(text, timeout_ms)

    def notify(self, title: str, text: str) -> None:
        """The banner, and a desktop notification when there is a tray and the operator
        turned notifications on (View menu; off by default)."""
        self.shell.notify(title, text)
        self.banner.show_text(f"{title}: {text}", severity="info")

    def confirm(self, title: str, text: str) -> bool:
        """Ask before a destructive action."""
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    # -- layout memory ------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self.qsettings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = self.qsettings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        splitter = self.qsettings.value("window/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)

    def _saved_row(self) -> int:
        key = self.qsettings.value("window/panel", self.specs[0].key)
        for row, spec in enumerate(self.specs):
            if spec.key == key:
                return row
        return 0

    def save_layout(self) -> None:
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        self.qsettings.setValue("window/state", self.saveState())
        self.qsettings.setValue("window/splitter", self.splitter.saveState())
        if self._current:
            self.qsettings.setValue("window/panel", self._current)
        self.qsettings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop pollers and panels, wait for calls in flight, close the App."""
        if self._status_poller is not None:
            self._status_poller.stop()
        if self._canary_notifier is not None:
            self._canary_notifier.close()
            self._canary_notifier = None
        self.shell.detach()
        for panel in self._panels.values():
            panel.shutdown()
        self.bridge.close()
        if self.app is not None:
            self.app.close()
            self.app = None


def _centered(widget: QWidget) -> QWidget:
    # Stretch on every side: centres without touching Qt's alignment enums at start-up.
    page = QWidget()
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(widget)
    row.addStretch(1)
    column = QVBoxLayout(page)
    column.addStretch(1)
    column.addLayout(row)
    column.addStretch(1)
    return page


def _describe(exc: BaseException) -> str:
    if isinstance(exc, LevqorError):
        return str(exc)
    return f"Unexpected error ({type(exc).__name__}): {exc}"
