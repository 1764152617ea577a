"""The menu bar (File, Go, Actions, View, Help), laid out from the command registry.

Each menu holds the registry's commands of its group, so the menus and the palette list
the same things. The Actions and View menus change with the current panel and are
rebuilt by :meth:`CommandMenus.refresh`. Every action is also added to the window, so its
shortcut works wherever the focus is (and where a platform hides the menu bar).
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from levqor_desktop.ui.palette.commands import GROUPS, Command, CommandRegistry


class CommandMenus:
    def __init__(self, window: QMainWindow, registry: CommandRegistry) -> None:
        self._window = window
        self._registry = registry
        self.menus: dict[str, QMenu] = {}
        self._actions: dict[str, list[QAction]] = {}

    def build(self) -> None:
        bar = self._window.menuBar()
        for group in GROUPS:
            self.menus[group] = bar.addMenu(f"&{group}")
            self._actions[group] = []
        self.refresh(*GROUPS)

    def refresh(self, *groups: str) -> None:
        for group in groups:
            menu = self.menus.get(group)
            if menu is None:
                continue
            for old in self._actions[group]:
                self._window.removeAction(old)
                old.deleteLater()
            menu.clear()
            made = [self._action(command) for command in self._registry.in_group(group)]
            self._actions[group] = made
            for action in made:
                menu.addAction(action)
                self._window.addAction(action)
            if not made:
                empty = menu.addAction("(nothing here yet)")
                empty.setEnabled(False)

    def titles(self, group: str) -> list[str]:
        """The titles of a menu's commands (tests compare them with the palette's)."""
        return [a.text().split("\t")[0] for a in self._actions.get(group, [])]

    def action(self, group: str, title: str) -> QAction | None:
        return next(
            (a for a in self._actions.get(group, []) if a.text().split("\t")[0] == title), None
        )

    def _action(self, command: Command) -> QAction:
        action = QAction(command.title, self._window)
        action.setObjectName(command.id)
        if command.shortcut and command.bind_shortcut:
            action.setShortcut(QKeySequence(command.shortcut))
        elif command.shortcut:
            # Bound by a widget of the panel already: show it without a second binding.
            action.setText(f"{command.title}\t{command.shortcut}")
        if command.checkable:
            action.setCheckable(True)
            action.setChecked(command.checked)
        action.triggered.connect(lambda _checked=False, run=command.run: run())
        return action
