"""The window's command shell: one registry behind the palette, the menus and the tray.

:class:`CommandShell` is the small piece the main window holds. It registers the
window's commands (File, Go, View, Help), the current panel's actions and saved views
and the jump targets; builds the menu bar from them after the first paint; opens the
palette on Ctrl+K; and owns the tray icon and the notifications setting.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from levqor_desktop import __version__
from levqor_desktop.core.notices import Notice
from levqor_desktop.core.saved_views import FILE_NAME, SavedViews, profile_name
from levqor_desktop.errors import LevqorError
from levqor_desktop.ui.palette import views
from levqor_desktop.ui.palette.commands import (
    ACTIONS,
    FILE,
    HELP,
    VIEW,
    Command,
    CommandRegistry,
)
from levqor_desktop.ui.palette.dialog import PaletteDialog
from levqor_desktop.ui.palette.menus import CommandMenus
from levqor_desktop.ui.palette.sources import (
    JobLookup,
    Targets,
    load_targets,
    panel_commands,
    target_commands,
)
from levqor_desktop.ui.palette.tray import TrayAndNotices

if TYPE_CHECKING:
    from levqor_desktop.ui.main_window import MainWindow
    from levqor_desktop.ui.panels.base import Panel


class _PaletteKeyWins(QObject):
    """Ctrl+K opens the palette even from a text field (QLineEdit claims Ctrl+K for
    "delete to the end of the line" and would swallow the shortcut)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Filtered out (not accepted), the override lets the window's shortcut run.
        return (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_K
            and event.modifiers() == Qt.KeyboardModifier.ControlModifier
            and isinstance(watched, QWidget)
            and watched.window() is self._window
        )


class CommandShell:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        #: Dialogs, replaceable in tests: (title, label) -> text, and a choice from items.
        self.ask_name: Callable[[str, str], str | None] = self._name_dialog
        self.ask_choice: Callable[[str, list[str]], str | None] = self._choice_dialog
        self.registry = CommandRegistry()
        # The current panel's actions first: with an empty query they lead the list.
        self.registry.add_source("panel", self._panel_commands)
        self.registry.add_source("window", self._window_commands)
        self.registry.add_source("views", self._view_commands)
        self.registry.add_source("targets", lambda: target_commands(self.targets, window))
        self.targets = Targets()
        self.jobs = JobLookup(lambda: window.app, window.bridge.submit, window, self._refilter)
        self.menus = CommandMenus(window, self.registry)
        self.palette: PaletteDialog | None = None
        self.tray: TrayAndNotices | None = None

    # -- life cycle -----------------------------------------------------------------------

    def install(self) -> None:
        """After the first paint: the menu bar, its shortcuts and the tray icon."""
        self.tray = TrayAndNotices(
            self.window.bridge, self.window.windowIcon(), self._show_window, self.window.close,
            self.window,
        )  # fmt: skip
        self.tray.notice.connect(self._show_notice)
        self.tray.enabled_changed.connect(lambda _on: self.menus.refresh(VIEW))
        self.menus.build()
        application = QCoreApplication.instance()
        if application is not None:
            application.installEventFilter(_PaletteKeyWins(self.window))
        if self.window.app is not None:
            self.tray.attach(self.window.app)

    def attach(self, app: Any) -> None:
        if self.tray is not None:
            self.tray.attach(app)
        self.menus.refresh(ACTIONS, VIEW)

    def detach(self) -> None:
        if self.tray is not None:
            self.tray.detach()
        self.targets = Targets()

    def panel_changed(self) -> None:
        self.menus.refresh(ACTIONS, VIEW)

    # -- the palette ----------------------------------------------------------------------

    def open_palette(self, text: str = "") -> PaletteDialog:
        if self.palette is None:
            self.palette = PaletteDialog(self.registry, self.jobs.commands, self.window)
        self.jobs.found.clear()
        app = self.window.app
        if app is not None:
            self.window.bridge.submit(load_targets, app, on_result=self._targets_loaded)
        self.palette.open_palette(text)
        return self.palette

    def _targets_loaded(self, targets: Targets) -> None:
        self.targets = targets
        self._refilter()

    def _refilter(self) -> None:
        if self.palette is not None and self.palette.isVisible():
            self.palette.refilter()

    # -- commands -------------------------------------------------------------------------

    def _current(self) -> tuple[str, Panel] | None:
        key = self.window.current_key
        panel = self.window.panel(key) if key else None
        return (key, panel) if key and panel is not None else None

    def _window_commands(self) -> list[Command]:
        w = self.window
        notify_on = self.tray is not None and self.tray.enabled
        return [
            Command("file.reconnect", "Reconnect to the database", w.reload_app, group=FILE),
            Command(
                "file.switch_deployment", "Switch deployment…",
                w.deployments.ask_and_switch, group=FILE,
            ),
            Command(
                "file.new_window", "Open deployment in new window…",
                w.deployments.ask_and_open_window, group=FILE,
            ),
            Command("file.quit", "Quit", w.close, group=FILE, shortcut="Ctrl+Q"),
            Command("go.palette", "Command palette…", self.open_palette, shortcut="Ctrl+K"),
            *panel_commands(w.specs, w),
            Command("view.save", "Save view…", self.save_view, group=VIEW),
            Command("view.delete", "Delete a saved view…", self.delete_view, group=VIEW),
            Command(
                "view.notifications", "Notify on job failures and failed canaries",
                self.toggle_notifications, group=VIEW, checkable=True, checked=notify_on,
            ),
            Command("help.shortcuts", "Keyboard shortcuts", self.show_shortcuts, group=HELP),
            Command("help.errors", "Error reporting…", w.open_error_reporting, group=HELP),
            Command("help.about", "About Levqor Desktop", self.show_about, group=HELP),
        ]  # fmt: skip

    def _panel_commands(self) -> list[Command]:
        current = self._current()
        return current[1].commands() if current else []

    def _view_commands(self) -> list[Command]:
        current, store = self._current(), self._store()
        if current is None or store is None or not views.supports_views(current[1]):
            return []
        key, _panel = current
        try:
            saved = store.views(self._profile(), key)
        except LevqorError:
            return []  # a broken file is reported when the operator saves
        return [
            Command(
                f"view.restore.{key}.{view.name}", f"Restore view: {view.name}",
                partial(self.restore_view, view.name), group=VIEW,
            )
            for view in saved
        ]  # fmt: skip

    # -- saved views ----------------------------------------------------------------------

    def _store(self) -> SavedViews | None:
        app = self.window.app
        return SavedViews(app.settings.config_dir / FILE_NAME) if app is not None else None

    def _profile(self) -> str:
        return profile_name(self.window.app)

    def save_view(self) -> None:
        current, store = self._current(), self._store()
        if current is None or store is None:
            return
        key, panel = current
        if not views.supports_views(panel):
            self.window.show_message("this panel has no filters to save")
            return
        name = self.ask_name("Save view", "Name of this view (filters and sort):")
        if not name or not name.strip():
            return
        try:
            store.save(self._profile(), key, views.capture(panel, name.strip()))
        except LevqorError as exc:
            self.window.show_error(exc)
            return
        self.menus.refresh(VIEW)
        self.window.show_message(f"view {name.strip()!r} saved")

    def restore_view(self, name: str) -> None:
        current, store = self._current(), self._store()
        if current is None or store is None:
            return
        key, panel = current
        view = store.get(self._profile(), key, name)
        if view is None:
            self.window.show_message(f"no saved view {name!r} here")
            return
        missed = views.apply(panel, view)
        note = f" (not restored: {', '.join(missed)})" if missed else ""
        self.window.show_message(f"view {name!r} restored{note}")

    def delete_view(self) -> None:
        current, store = self._current(), self._store()
        if current is None or store is None:
            return
        key, _panel = current
        names = [v.name for v in store.views(self._profile(), key)]
        if not names:
            self.window.show_message("no saved views on this panel")
            return
        name = self.ask_choice("Delete which saved view?", names)
        if name and store.delete(self._profile(), key, name):
            self.menus.refresh(VIEW)
            self.window.show_message(f"view {name!r} deleted")

    # -- notifications and tray -----------------------------------------------------------

    @property
    def notifications_enabled(self) -> bool:
        return self.tray is not None and self.tray.enabled

    def toggle_notifications(self) -> None:
        if self.tray is not None:
            try:
                self.tray.set_enabled(not self.tray.enabled)
            except LevqorError as exc:  # config.json broken: say so, leave it untouched
                self.window.show_error(exc)

    def notify(self, title: str, text: str) -> bool:
        """A desktop notification through the tray (if any, and turned on)."""
        return self.tray is not None and self.tray.show_message(title, text)

    def _show_notice(self, notice: Notice) -> None:
        self.window.notify(notice.title, notice.text)

    def _show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    # -- help -----------------------------------------------------------------------------

    def show_shortcuts(self) -> None:
        rows = [f"{c.shortcut}\t{c.label}" for c in self.registry.commands() if c.shortcut]
        QMessageBox.information(self.window, "Keyboard shortcuts", "\n".join(rows))

    def show_about(self) -> None:
        QMessageBox.about(
            self.window, "About Levqor Desktop",
            f"Levqor Desktop {__version__}\nThe operator console for Levqor.",
        )  # fmt: skip

    def _name_dialog(self, title: str, label: str) -> str | None:
        text, ok = QInputDialog.getText(self.window, title, label)
        return text if ok else None

    def _choice_dialog(self, title: str, items: list[str]) -> str | None:
        item, ok = QInputDialog.getItem(self.window, title, "Saved view:", items, 0, False)
        return item if ok else None
